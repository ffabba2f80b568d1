"""Quarters: labels, the trend window, the quarters with results and the choices offered."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from assessments import metrics
from assessments.models import AssessmentScheme, QuarterRollup
from assessments.selectors.subjects import AGREEMENTS, ORGANIZATIONS, scoped_results
from portal.scoping import get_scope

TREND_QUARTERS = 8


def quarter_label(year: int, quarter: int) -> str:
    return _("%(year)s Q%(quarter)s") % {"year": year, "quarter": quarter}


def quarter_window(year: int, quarter: int, count: int = TREND_QUARTERS) -> list[tuple[int, int]]:
    """``count`` quarters ending with (year, quarter), oldest first."""
    periods = [(year, quarter)]
    while len(periods) < count:
        periods.append(metrics.previous_quarter(*periods[-1]))
    return periods[::-1]


def quarters_with_results(user) -> list[tuple[int, int]]:
    """The quarters in which the user sees at least one result, latest first (one query).

    A few subjects' results (a secretary's) are read by id and grouped. A reviewer's or an admin's scope holds most
    results: rather than reading every result of every quarter, each quarter of each year with a scheme (every result
    is computed with the scheme of its year, ``assessments.services.rollups.rollup_compute``) gets a probe that walks the quarter's index
    and stops at the first visible branch result — and looks for a visible agreement result only when there is none
    (``COALESCE`` evaluates its second probe only then)."""
    scope = get_scope(user)
    if not (scope.is_broad or scope.is_superuser):
        visible = QuarterRollup.objects.visible_to(user)
        return list(visible.order_by("-year", "-quarter").values_list("year", "quarter").distinct())

    def probe(view: str, quarter: int) -> Subquery:
        found = scoped_results(user, view).filter(year=OuterRef("year"), quarter=quarter)
        return Subquery(found.order_by("status").values("pk")[:1])

    probes = {f"q{q}": Coalesce(probe(ORGANIZATIONS, q), probe(AGREEMENTS, q)) for q in (4, 3, 2, 1)}
    years = AssessmentScheme.objects.annotate(**probes).order_by("-year").values("year", *probes)
    return [(row["year"], q) for row in years for q in (4, 3, 2, 1) if row[f"q{q}"] is not None]


def quarter_choices(with_data: list[tuple[int, int]], today: dt.date | None = None) -> list[tuple[int, int]]:
    """The quarter picker: the last eight quarters and any other quarter with results, latest first."""
    return sorted(set(quarter_window(*metrics.current_quarter(today))) | set(with_data), reverse=True)


def default_quarter(with_data: list[tuple[int, int]], today: dt.date | None = None) -> tuple[int, int]:
    """The latest closed quarter with results (the open one is provisional and half-way), else the open one when it
    has results, else the current one."""
    current = metrics.current_quarter(today)
    closed = next((period for period in with_data if period < current), None)
    return closed or current
