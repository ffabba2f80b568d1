"""The dashboard's plan heat map: plan completion by month for the rows shown (ONE statement)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, F, OuterRef

from activities.models import Activity, PlannedActivity
from assessments import metrics
from assessments.selectors.ranking import one_place
from assessments.selectors.subjects import ORGANIZATIONS

MONTHS = tuple(range(1, 13))


def heat_counts(view: str, year: int, subject_ids) -> dict[tuple[int, int], tuple[int, int]]:
    """(subject pk, month) → (planned, done) for the year's plan rows of the given subjects (a list of pks or a
    subquery of them): ONE statement, UNION of the links as in ``metrics.Metric.values``."""
    done = Activity.objects.filter(plan_row=OuterRef("pk"), status__in=metrics.DONE_ACTIVITY)
    base = PlannedActivity.objects.filter(plan__year=year).annotate(n=metrics._flag(Exists(done))).order_by()
    links = ("lead", "co_organizers") if view == ORGANIZATIONS else ("plan__agreement",)
    parts, params = [], []
    for path in links:
        qs = (
            base.filter(**{f"{path}__in": subject_ids})
            .annotate(s=F(path), i=F("pk"), mo=F("month"))
            .values_list("s", "i", "mo", "n")
            .order_by()
        )
        sql, part_params = qs.query.sql_with_params()
        parts.append(sql)
        params.extend(part_params)
    sql = f"SELECT s, mo, COUNT(*), SUM(n) FROM ({' UNION '.join(parts)}) u GROUP BY s, mo"  # noqa: S608 (ORM-compiled)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(subject, month): (planned, done or 0) for subject, month, planned, done in cursor.fetchall()}


def heat_cells(found: dict, subject_pk: int, year: int, today: dt.date) -> list[dict]:
    cells = []
    for month in MONTHS:
        planned, done_count = found.get((subject_pk, month), (0, 0))
        future = (year, month) > (today.year, today.month)
        rate = None if not planned or future else one_place(Decimal(done_count) * 100 / planned)
        cells.append({"month": month, "planned": planned, "done": done_count, "rate": rate, "future": future})
    return cells
