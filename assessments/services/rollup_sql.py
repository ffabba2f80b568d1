"""The rollup's PostgreSQL scoring path: every score of a quarter computed in the database (temporary tables)."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from assessments import metrics
from assessments.models import CATEGORY_FIELDS, OVERDUE_METRIC, IndicatorScore, QuarterRollup
from assessments.rules import AUTO, MANUAL
from portal.bulk import pg_array, pg_numbers

# The temporary tables of the SQL path (dropped once the scores are written, or at commit, or with a rollback).
_VALUES_TABLE, _SCORES_TABLE = "rollup_metric_value", "rollup_score"


# What a result stores for the dashboard, in the order of ``subtotal_sql``'s columns.
UNSCORED = "manual_unscored"  # manual indicators without the reviewer's points: a count, 0 when none
SUBTOTAL_FIELDS = [*CATEGORY_FIELDS.values(), "overdue_items", UNSCORED]
# A result without scores (a scheme without indicators): no subtotal, nothing unscored.
SUBTOTALS_EMPTY = tuple(0 if name == UNSCORED else None for name in SUBTOTAL_FIELDS)


def scores_in_sql(subjects, existing, indicators, period) -> tuple[dict[str, Decimal], dict[str, tuple]]:
    """The PostgreSQL path: every score of the quarter computed in the database into the temporary table
    ``rollup_score`` (subject, rollup id if the result exists, indicator, value, points, manual scores, final
    points, and whether it is new or changed); returns every subject's total.

    The same rules as ``assessments.scoring.score_subjects`` (``Metric._value``, ``Metric.empty_value``, ``metrics.points_for``,
    ``final_points_of``) written as SQL: PostgreSQL's ``round(numeric, n)`` rounds half away from zero, which is
    ``ROUND_HALF_UP`` on the non-negative values rounded here (a deduction is rounded before its sign is taken).
    Statements: one per metric and subject kind (its aggregate, read back as the floor reads it), then the values
    sent in as arrays, the scores, the totals — the same number whatever the number of subjects.

    Returns every subject's total and its stored subtotals (``SUBTOTAL_FIELDS``, as
    ``rollup_totals.rollup_subtotals_refresh`` computes them from the scores), both read in ONE grouped statement over
    ``rollup_score``: a new result is inserted with its subtotals, not updated after its scores are written."""
    with connection.cursor() as cursor:
        _values_table(cursor, indicators, period)
        subject_columns = _subject_columns(subjects, existing)
        indicator_columns = _indicator_columns(indicators)
        cursor.execute(
            f"""CREATE TEMPORARY TABLE {_SCORES_TABLE} ON COMMIT DROP AS
            WITH subject (kind, pk, key, rollup_id) AS (
                SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::bigint[])
            ), indicator (id, metric, metric_kind, empty_value, points, target, is_deduction) AS (
                SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::numeric[], %s::numeric[],
                                     %s::numeric[], %s::boolean[])
            ), previous AS (
                SELECT * FROM {IndicatorScore._meta.db_table} WHERE rollup_id = ANY(%s::bigint[])
            ), valued AS (
                SELECT s.key, s.rollup_id, i.id AS indicator_id, i.metric, i.points, i.target, i.is_deduction,
                    CASE WHEN i.metric IS NULL THEN NULL ELSE {_value_sql()} END AS metric_value
                FROM subject s CROSS JOIN indicator i
                LEFT JOIN {_VALUES_TABLE} v ON v.kind = s.kind AND v.metric = i.metric AND v.subject = s.pk
            ), pointed AS (
                SELECT valued.*,
                    {_points_sql()} AS auto_points
                FROM valued
            ), scored AS (
                SELECT p.key, p.rollup_id, p.indicator_id, p.metric_value, p.auto_points AS points,
                    o.id AS old_id, o.metric_value AS old_value, o.points AS old_points, o.final_points AS old_final,
                    o.self_points, o.review_points, COALESCE(o.adjustment, 0) AS adjustment,
                    COALESCE(o.adjustment_reason, '') AS adjustment_reason,
                    CASE WHEN p.metric IS NULL THEN COALESCE(o.review_points, o.self_points, 0) ELSE p.auto_points END
                        + COALESCE(o.adjustment, 0) AS final_points
                FROM pointed p LEFT JOIN previous o ON o.rollup_id = p.rollup_id AND o.indicator_id = p.indicator_id
            )
            SELECT key, rollup_id, indicator_id, metric_value, points, final_points, self_points, review_points,
                adjustment, adjustment_reason,
                old_id IS NULL OR old_value IS DISTINCT FROM metric_value OR old_points <> points
                    OR old_final <> final_points AS changed
            FROM scored""",  # noqa: S608 (table names from the models and this module)
            [
                *(pg_array(column) for column in subject_columns + indicator_columns),
                # The previous scores of the quarter's results (not the whole table: an index scan, none at first)
                pg_numbers(rollup_id for rollup_id in subject_columns[3] if rollup_id is not None),
            ],
        )
        columns, params = subtotal_sql(indicators)
        cursor.execute(
            f"SELECT key, SUM(s.final_points), {', '.join(columns)} FROM {_SCORES_TABLE} s GROUP BY key",  # noqa: S608
            params,
        )
        rows = cursor.fetchall()
    return {key: total for key, total, *_rest in rows}, {key: tuple(rest) for key, _total, *rest in rows}


def subtotal_sql(indicators) -> tuple[list[str], list]:
    """The ``SUBTOTAL_FIELDS`` as aggregates over scores aliased ``s`` (one group per result): each category's sum of
    final points, the overdue metric's value, the manual scores still without the reviewer's points — the expressions of ``rollup_subtotals_refresh``, with the indicators'
    ids as array parameters. A category without an indicator is NULL, as there."""
    by_category: dict[str, list[int]] = {key: [] for key in CATEGORY_FIELDS}
    for indicator in indicators:
        if indicator.category in by_category:
            by_category[indicator.category].append(indicator.pk)
    overdue = [indicator.pk for indicator in indicators if indicator.metric == OVERDUE_METRIC]
    parts = [("SUM", "final_points", by_category[key]) for key in CATEGORY_FIELDS] + [("MAX", "metric_value", overdue)]
    columns, params = [], []
    for function, value, ids in parts:
        if ids:
            columns.append(f"{function}(CASE WHEN s.indicator_id = ANY(%s::bigint[]) THEN s.{value} END)")
            params.append(pg_numbers(ids))
        else:
            columns.append("CAST(NULL AS NUMERIC)")
    manual = [indicator.pk for indicator in indicators if indicator.source == MANUAL]
    columns.append("COUNT(CASE WHEN s.indicator_id = ANY(%s::bigint[]) AND s.review_points IS NULL THEN 1 END)")
    params.append(pg_numbers(manual))
    return columns, params


def subtotals_refresh_from_scores(year: int, quarter: int, indicators, keys: list[str]) -> int:
    """``rollup_subtotals_refresh`` of the quarter's computed results of subject ``keys``, from ``rollup_score``
    (which holds every score each of them has once written: their stale scores are deleted, their other scores equal
    the rows written or left unchanged) rather than from the score table: ONE ``UPDATE … FROM (aggregate)`` touching
    only the results whose stored values differ. Returns how many."""
    qn = connection.ops.quote_name
    table = qn(QuarterRollup._meta.db_table)
    columns, params = subtotal_sql(indicators)
    names = [qn(name) for name in SUBTOTAL_FIELDS]
    sql = (
        f"UPDATE {table} SET {', '.join(f'{c} = n.c{i}' for i, c in enumerate(names))} "  # noqa: S608 (model names)
        f"FROM (SELECT s.key, {', '.join(f'{c} AS c{i}' for i, c in enumerate(columns))} "
        f"FROM {_SCORES_TABLE} s WHERE s.key = ANY(%s::text[]) GROUP BY s.key) n "
        f"WHERE {table}.year = %s AND {table}.quarter = %s AND {table}.subject = n.key AND ("
        + " OR ".join(f"{table}.{c} IS DISTINCT FROM n.c{i}" for i, c in enumerate(names))
        + ")"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, pg_array(keys), year, quarter])
        return cursor.rowcount


def _values_table(cursor, indicators, period) -> None:
    """The metric values into the temporary table ``rollup_metric_value``. The aggregates as plain SELECTs, read
    back and sent in again as arrays: PostgreSQL plans no parallel workers for an INSERT … SELECT, and the biggest
    aggregates take twice as long without them."""
    kinds, keys, subject_ids, ns, ds = [], [], [], [], []
    for key in sorted({i.metric for i in indicators if i.source == AUTO}):
        for kind in (metrics.ORG, metrics.AGR):
            cursor.execute(*metrics.REGISTRY[key].statement(kind, period))
            rows = cursor.fetchall()
            kinds += [kind] * len(rows)
            keys += [key] * len(rows)
            for subject_id, n, d in rows:
                subject_ids.append(subject_id)
                ns.append(n)
                ds.append(d)
    cursor.execute(
        f"CREATE TEMPORARY TABLE {_VALUES_TABLE} ON COMMIT DROP AS SELECT * FROM "  # noqa: S608
        "unnest(%s::text[], %s::text[], %s::bigint[], %s::numeric[], %s::numeric[]) AS v (kind, metric, subject, n, d)",
        [pg_array(kinds), pg_array(keys), pg_numbers(subject_ids), pg_numbers(ns), pg_numbers(ds)],
    )
    cursor.execute(f"ANALYZE {_VALUES_TABLE}")  # its size and distinct values, for the join plan below


def _subject_columns(subjects, existing) -> list[list]:
    """(kind, pk, key, rollup id if the result exists) as columns."""
    return [
        [kind for kind, _pk, _key in subjects],
        [pk for _kind, pk, _key in subjects],
        [key for _kind, _pk, key in subjects],
        [existing[key][0] if key in existing else None for _kind, _pk, key in subjects],
    ]


def _indicator_columns(indicators) -> list[list]:
    """(id, metric, metric kind, empty value, points, target, is_deduction) as columns."""
    metric_of = [metrics.REGISTRY[i.metric] if i.source == AUTO else None for i in indicators]
    return [
        [i.pk for i in indicators],
        [m.key if m else None for m in metric_of],
        [m.kind if m else None for m in metric_of],
        [m.empty_value() if m else None for m in metric_of],
        [i.points for i in indicators],
        [i.target for i in indicators],
        [i.is_deduction for i in indicators],
    ]


def _value_sql(n: str = "v.n", d: str = "v.d", kind: str = "i.metric_kind", empty: str = "i.empty_value") -> str:
    """``Metric._value`` with ``Metric.empty_value`` as SQL: a count is ``n``, a rate ``100 × n / d`` to 0.01,
    half up, an "all" 1 when ``n = d`` (else 0), and a subject without any record (``n``, ``d`` NULL) or with nothing due takes the empty value."""
    return (
        f"CASE WHEN {kind} = 'count' THEN COALESCE({n}, 0) WHEN COALESCE({d}, 0) = 0 THEN {empty} "
        f"WHEN {kind} = 'all' THEN CASE WHEN {n} = {d} THEN 1 ELSE 0 END "
        f"ELSE round(COALESCE({n}, 0) * 100 / {d}, 2) END"
    )


def _points_sql(value: str = "metric_value", points: str = "points", target: str = "target") -> str:
    """``metrics.points_for`` as SQL (numeric columns; ``is_deduction`` a boolean column)."""
    return (
        f"CASE WHEN {value} IS NULL THEN 0 "
        f"WHEN is_deduction THEN -round(least({value} * COALESCE(NULLIF({target}, 0), 1), {points}), 1) "
        f"WHEN COALESCE({target}, 0) = 0 THEN CASE WHEN {value} > 0 THEN {points} ELSE 0 END "
        f"ELSE round(least({points} * {value} / {target}, {points}), 1) END"
    )


def changed_scores_select(ids: dict[str, int], now) -> tuple[str, list]:
    """The ``SELECT`` of the scores to write from ``rollup_score`` (the new or changed ones), in the order of
    ``rollup_compute``'s score fields, the results' ids joined by subject (the new results' ids are known only
    after their upsert)."""
    keys = list(ids)
    sql = (
        "SELECT r.id, s.indicator_id, s.metric_value, s.points, s.final_points, s.self_points, s.review_points, "
        f"s.adjustment, s.adjustment_reason, %s::timestamptz FROM {_SCORES_TABLE} s "  # noqa: S608
        "JOIN unnest(%s::text[], %s::bigint[]) AS r (key, id) ON r.key = s.key WHERE s.changed "
        # In key order, as the Python path writes them: inserted at the right edge of the (rollup, indicator)
        # indexes rather than all over them (the hash join's order made the first run at 10k 15-40% slower).
        "ORDER BY r.id, s.indicator_id"
    )
    return sql, [now, pg_array(keys), pg_numbers(ids[key] for key in keys)]


def scores_drop() -> None:
    """Drop the temporary tables now, not at commit: the caller's transaction may go on."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {_VALUES_TABLE}, {_SCORES_TABLE}")
