"""Results' stored totals and dashboard subtotals, recomputed from their scores (after every write of final points)."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from assessments.models import CATEGORY_FIELDS, OVERDUE_METRIC, Indicator, IndicatorScore, QuarterRollup
from assessments.rules import MANUAL
from assessments.services.rollup_sql import UNSCORED


def results_repair(rollups) -> tuple[int, int]:
    """Rewrite the totals that differ from the sum of their scores' final points, then every stored subtotal that
    differs (``rollup_subtotals_refresh``): the repair after scores were changed outside the services (SQL, a
    shell). Two UPDATEs, each writing only what differs. Returns (totals changed, subtotals changed)."""
    stale = rollups.annotate(computed=_computed_total()).exclude(total=F("computed")).order_by().values("pk")
    totals = QuarterRollup.objects.filter(pk__in=stale).update(total=_computed_total())
    return totals, rollup_subtotals_refresh(rollups)


def _computed_total():
    subtotal = (
        IndicatorScore.objects.filter(rollup=OuterRef("pk"))
        .order_by()
        .values("rollup")
        .annotate(t=Sum("final_points"))
        .values("t")
    )
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=6, decimal_places=1))
    return Coalesce(Subquery(subtotal), zero)


def rollup_totals_refresh(rollup_ids) -> int:
    """Recompute results' totals from their scores in one UPDATE (after a manual score changes)."""
    updated = QuarterRollup.objects.filter(pk__in=rollup_ids).update(total=_computed_total())
    rollup_subtotals_refresh(QuarterRollup.objects.filter(pk__in=rollup_ids))
    return updated


def rollup_subtotals_refresh(rollups=None, *, year: int | None = None, quarter: int | None = None) -> int:
    """Store on results what the dashboard aggregates (the ``CATEGORY_FIELDS`` columns and ``overdue_items``) and
    what the review queue counts (``manual_unscored``), from their indicator scores: ONE set-based ``UPDATE … FROM (aggregate)``, writing only the results whose stored
    values differ (a rerun over an unchanged quarter writes nothing). Either ``rollups`` (a queryset of results) or a
    quarter; returns how many results changed.

    Called after every write of final points — the quarter's rollup on the portable path (on PostgreSQL the rollup
    inserts its results with these values and refreshes the rest from its scores' temporary table, the same
    expressions: ``rollup_sql.subtotal_sql``), ``rollup_totals_refresh`` (manual scores, reviews, removed
    indicators) — and after a scheme edit that changes an indicator's category or metric."""
    if rollups is None:
        if year is None or quarter is None:
            raise ValueError("rollup_subtotals_refresh needs rollups or a quarter")
        rollups = QuarterRollup.objects.filter(year=year, quarter=quarter)
    qn = connection.ops.quote_name
    rollup_table, score_table = qn(QuarterRollup._meta.db_table), qn(IndicatorScore._meta.db_table)
    # Each category's indicators (of every scheme: a handful a year) as id lists, so that the aggregate reads the
    # scores by the result's index alone, with no join to the indicators per result.
    by_category: dict[str, list[int]] = {key: [] for key in CATEGORY_FIELDS}
    overdue: list[int] = []
    manual: list[int] = []
    for pk, category, metric, source in Indicator.objects.order_by("pk").values_list(
        "pk", "category", "metric", "source"
    ):
        if category in by_category:
            by_category[category].append(pk)
        if metric == OVERDUE_METRIC:
            overdue.append(pk)
        if source == MANUAL:
            manual.append(pk)

    def when(ids: list[int], value: str, function: str, column: str) -> tuple[str, list[int]]:
        if not ids:  # typed: an untyped NULL in a subquery is text to PostgreSQL, not comparable with the column
            return f"CAST(NULL AS NUMERIC) AS {qn(column)}", []
        marks = ", ".join(["%s"] * len(ids))
        return f"{function}(CASE WHEN s.indicator_id IN ({marks}) THEN s.{value} END) AS {qn(column)}", ids

    parts = [when(by_category[key], "final_points", "SUM", column) for key, column in CATEGORY_FIELDS.items()]
    parts.append(when(overdue, "metric_value", "MAX", "overdue_items"))
    # Counted (0 without manual indicators or scores), like rollup_sql.subtotal_sql's.
    marks = ", ".join(["%s"] * len(manual)) or "NULL"
    parts.append(
        (
            f"COUNT(CASE WHEN s.indicator_id IN ({marks}) AND s.review_points IS NULL THEN 1 END) AS {qn(UNSCORED)}",
            manual,
        )
    )
    columns = [*CATEGORY_FIELDS.values(), "overdue_items", UNSCORED]
    chosen, chosen_params = rollups.order_by().values("pk").query.sql_with_params()
    # A result without scores gets empty values (LEFT JOIN): nothing stale is left behind by removed indicators.
    sql = (
        f"UPDATE {rollup_table} SET {', '.join(f'{qn(c)} = n.{qn(c)}' for c in columns)} "  # noqa: S608 (model names)
        f"FROM (SELECT r.id AS rollup_id, {', '.join(sql for sql, _ids in parts)} FROM {rollup_table} r "
        f"LEFT JOIN {score_table} s ON s.rollup_id = r.id "
        f"WHERE r.id IN ({chosen}) GROUP BY r.id) n "
        f"WHERE {rollup_table}.id = n.rollup_id AND ("
        + " OR ".join(f"{rollup_table}.{qn(c)} IS DISTINCT FROM n.{qn(c)}" for c in columns)
        + ")"
    )
    params = [pk for _sql, ids in parts for pk in ids] + list(chosen_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
