"""Generic bulk upsert with history rows: plain rows written set-based (``INSERT … ON CONFLICT DO UPDATE``) with a
simple-history row per row written, without a model instance per row. PostgreSQL sends columns as arrays (one
statement per table); other backends (SQLite) use multi-row ``VALUES`` in batches (``upsert_in_batches``, portable SQL)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import connection


def among(queryset, column: str, ids: list[int]):
    """``queryset`` filtered to rows whose ``column`` is one of ``ids`` — on PostgreSQL as ``= ANY(<one array
    parameter>)`` (an index scan, like ``IN``), not ``IN`` with a parameter per id: 20,000 ids cost seconds to
    compile and parse."""
    if connection.vendor != "postgresql":
        return queryset.filter(**{f"{column}__in": ids})
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    column = connection.ops.quote_name(column)
    return queryset.extra(where=[f"{table}.{column} = ANY(%s::bigint[])"], params=[pg_numbers(ids)])  # noqa: S610


def upsert_with_history(
    model, fields: list[str], rows: list[tuple], *, conflict: list[str], update: list[str], now, reason: str
) -> None:
    """Upsert plain rows (tuples in the order of ``fields``, attribute names) — ``INSERT … ON CONFLICT (conflict)
    DO UPDATE SET update`` — and add a history row for each row written, as ``bulk_history_create(update=True)``
    would (type ``~``, change reason ``reason``, dated ``now``, the model's default history user), without a model instance per row.

    PostgreSQL: one statement per table whatever the number of rows, the columns sent as arrays —
    ``WITH w AS (INSERT … SELECT … FROM unnest(…) ON CONFLICT … RETURNING …) INSERT INTO <history> SELECT … FROM w``.
    Other backends (SQLite): ``upsert_in_batches``."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        upsert_in_batches(model, fields, rows, conflict=conflict, update=update, now=now, reason=reason)
        return
    meta = model._meta
    unnest = ", ".join(f"%s::{meta.get_field(name).db_type(connection)}[]" for name in fields)
    numeric = [meta.get_field(name).get_internal_type() in _NUMERIC for name in fields]
    params = [
        pg_numbers(column) if is_number else pg_array(column)
        for is_number, column in zip(numeric, zip(*rows, strict=True), strict=True)
    ]
    upsert_select_with_history(
        model,
        fields,
        f"SELECT * FROM unnest({unnest})",
        params,
        conflict=conflict,
        update=update,
        now=now,
        reason=reason,
    )


def upsert_in_batches(
    model, fields: list[str], rows: list[tuple], *, conflict: list[str], update: list[str], now, reason: str
) -> None:
    """``upsert_with_history`` in portable SQL, for any backend: multi-row ``VALUES`` in batches the backend accepts,
    then the history rows from the rows as written."""
    meta, qn = model._meta, connection.ops.quote_name
    columns = {name: qn(meta.get_field(name).column) for name in fields}
    target = f"INSERT INTO {qn(meta.db_table)} ({', '.join(columns.values())})"
    on_conflict = " ON CONFLICT ({}) DO UPDATE SET {}".format(
        ", ".join(columns[name] for name in conflict),
        ", ".join(f"{columns[name]} = EXCLUDED.{columns[name]}" for name in update),
    )
    _insert_batches(f"{target} VALUES ", on_conflict, [meta.get_field(name) for name in fields], rows)
    history = _history_columns(model, now, reason)
    if not history:
        return
    tracked, extra, values = history
    keys = {tuple(row[fields.index(name)] for name in conflict) for row in rows}
    tracked_names = [field.attname for field in model.history.model.tracked_fields]
    written = [
        (*row[len(conflict) :], *values)
        for row in model._default_manager.filter(**{f"{conflict[0]}__in": {key[0] for key in keys}}).values_list(
            *conflict, *tracked_names
        )
        if row[: len(conflict)] in keys
    ]
    history_meta = model.history.model._meta
    _insert_batches(
        f"INSERT INTO {qn(history_meta.db_table)} ({', '.join(map(qn, [*tracked, *extra]))}) VALUES ",
        "",
        [history_meta.get_field(name) for name in [*tracked_names, *extra]],
        written,
    )


def upsert_select_with_history(
    model,
    fields: list[str],
    select: str,
    params: list,
    *,
    conflict: list[str],
    update: list[str],
    now,
    reason: str,
    history=False,
) -> None:
    """PostgreSQL: upsert the rows of ``select`` (its columns in the order of ``fields``) and add their history
    rows in the same statement — ``WITH written AS (INSERT … SELECT … ON CONFLICT … RETURNING …) INSERT INTO
    <history> SELECT … FROM written``; see ``upsert_with_history``. ``history`` is ``_history_columns``' answer if known."""
    meta, qn = model._meta, connection.ops.quote_name
    columns = {name: qn(meta.get_field(name).column) for name in fields}
    sql = "INSERT INTO {} ({}) {} ON CONFLICT ({}) DO UPDATE SET {}".format(
        qn(meta.db_table),
        ", ".join(columns.values()),
        select,
        ", ".join(columns[name] for name in conflict),
        ", ".join(f"{columns[name]} = EXCLUDED.{columns[name]}" for name in update),
    )
    if history is False:
        history = _history_columns(model, now, reason)
    params = list(params)
    if history:
        tracked, extra, values = history
        written = ", ".join(qn(column) for column in tracked)
        sql = (
            f"WITH written AS ({sql} RETURNING {written}) "  # noqa: S608 (names from the models)
            f"INSERT INTO {qn(model.history.model._meta.db_table)} ({written}, {', '.join(map(qn, extra))}) "
            f"SELECT {written}, {', '.join(['%s'] * len(values))} FROM written"
        )
        params += values
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _history_columns(model, now, reason: str) -> tuple[list[str], list[str], list] | None:
    """The history table's copied columns, its own columns and their values; None when history is off."""
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return None
    history = model.history.model
    user = history.get_default_history_user(model())
    own = {
        "history_date": now,
        "history_change_reason": reason,
        "history_type": "~",
        "history_user_id": user.pk if user is not None else None,
    }
    meta = history._meta
    tracked = [field.column for field in history.tracked_fields]
    extra = [f for f in meta.concrete_fields if f.column not in tracked and f is not meta.pk]
    unknown = [f.attname for f in extra if f.attname not in own]
    if unknown:  # a history column this function would leave empty
        raise ValueError(f"history fields not written: {unknown}")
    values = [own[f.attname] for f in extra]
    return tracked, [f.column for f in extra], values


def _insert_batches(sql: str, tail: str, fields: list, rows: list[tuple]) -> None:
    """Multi-row ``VALUES`` in batches the backend accepts (999 parameters on SQLite); values are adapted."""
    adapt = [_adapter(field) for field in fields]
    size = max(1, connection.ops.bulk_batch_size(fields, rows))
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            params = [f(v) if f else v for row in batch for f, v in zip(adapt, row, strict=True)]
            cursor.execute(sql + ", ".join([row_sql] * len(batch)) + tail, params)


def _adapter(field):
    if field.get_internal_type() == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    return None


_NUMERIC = {"AutoField", "BigAutoField", "IntegerField", "PositiveSmallIntegerField", "DecimalField", "ForeignKey"}


def pg_numbers(values) -> str:
    """``pg_array`` of a column of ints, Decimals and None: no quoting, one ``str`` per value."""
    return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"


def pg_array(values) -> str:
    """A PostgreSQL array literal (``{1,NULL,"a b"}``): one parameter per column instead of one per value."""
    items, seen = [], {}  # a column often repeats one value (the run's time, an empty reason): quoted once
    for value in values:
        item = seen.get((type(value), value))
        if item is None:
            if value is None:
                item = "NULL"
            elif isinstance(value, bool):
                item = "t" if value else "f"
            elif isinstance(value, int | Decimal):
                item = str(value)
            else:
                item = '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
            seen[(type(value), value)] = item
        items.append(item)
    return "{" + ",".join(items) + "}"
