"""Quarterly results (季度考核) and the dashboard's series. Reads only: results through ``visible_to``, the series
from the dashboard's own selectors (``dashboard_data`` + ``dashboard_charts``), so the API shows what the page shows."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema
from ninja.decorators import decorate_view

from api import schemas
from api.conditional import etagged
from api.endpoints.common import MAX_ID, responses
from api.errors import known_query
from api.paging import ListParams, Order, check_params, date_range, list_page
from assessments.models import CATEGORY_FIELDS, QuarterRollup
from assessments.selectors import charts as chart_selectors
from assessments.selectors import dashboard as dashboard_selectors
from assessments.selectors import quarters as quarter_selectors
from assessments.selectors import subjects as subject_selectors
from portal.replica import use_replica

router = Router()
RESULT_ORDER = Order(None, descending=True)


class ResultParams(ListParams):
    year: int | None = Field(None, ge=2000, le=2100, description="Only results of this year.")
    quarter: int | None = Field(
        None, ge=1, le=4, description="Only results of this quarter (of every year, or `year`'s)."
    )


def _quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _quarters_between(lower: dt.date | None, upper: dt.date | None) -> Q:
    """Results whose quarter overlaps ``lower`` … ``upper``."""
    condition = Q()
    if lower:
        year, quarter = _quarter_of(lower)
        condition &= Q(year__gt=year) | Q(year=year, quarter__gte=quarter)
    if upper:
        year, quarter = _quarter_of(upper)
        condition &= Q(year__lt=year) | Q(year=year, quarter__lte=quarter)
    return condition


def _result_out(request, rollup: QuarterRollup) -> dict:
    return {
        "id": rollup.pk,
        "subject": "organization" if rollup.organization_id else "agreement",
        "organization_id": rollup.organization_id,
        "agreement_id": rollup.agreement_id,
        "name": subject_selectors.subject_name(rollup),
        "year": rollup.year,
        "quarter": rollup.quarter,
        "status": rollup.status,
        "status_label": rollup.get_status_display(),
        "total": float(rollup.total),
        "overdue_items": float(rollup.overdue_items or 0),
        "categories": {key: float(getattr(rollup, column) or 0) for key, column in CATEGORY_FIELDS.items()},
        "computed_at": rollup.computed_at,
        "url": request.build_absolute_uri(reverse("assessments:rollup_detail", args=[rollup.pk])),
    }


def _results(user):
    return QuarterRollup.objects.visible_to(user).select_related("organization", "agreement")


@router.get("/results", response=responses(schemas.ResultPage), tags=["results"])
@decorate_view(known_query, etagged, use_replica())
def result_list(request, params: Query[ResultParams]):
    """Quarterly results the user sees (branches' and agreements'), newest first. ``year``/``quarter``: one
    quarter; ``from``/``to``: quarters overlapping those days; ``organization``: that organization's results."""
    check_params(params, RESULT_ORDER)
    queryset = _results(request.auth).filter(_quarters_between(*date_range(params)))
    if params.year:
        queryset = queryset.filter(year=params.year)
    if params.quarter:
        queryset = queryset.filter(quarter=params.quarter)
    return list_page(request, queryset, RESULT_ORDER, params, _result_out, org_filter="organization_id")


@router.get("/results/{id}", response=responses(schemas.ResultOut), tags=["results"])
@decorate_view(known_query, etagged, use_replica())
def result_detail(request, id: int = Path(..., ge=1, le=MAX_ID)):
    return _result_out(request, get_object_or_404(_results(request.auth), pk=id))


class DashboardParams(Schema):
    period: str | None = Field(
        None,
        pattern=r"^(20[0-9]{2}|2100)Q[1-4]$",
        description="The quarter, e.g. 2026Q3 (default: the latest closed quarter with results, as on the page).",
    )
    view: str = Field(
        subject_selectors.ORGANIZATIONS,
        pattern="^(organizations|agreements)$",
        description="Rank branches (`organizations`) or agreements (`agreements`).",
    )


@router.get("/dashboard", response=responses(schemas.DashboardOut), tags=["results"])
@decorate_view(known_query, etagged, use_replica())
def dashboard(request, params: Query[DashboardParams]):
    """The 考核看板's series for one quarter, as its charts draw them: the ranking's first page, the 8-quarter
    trend (average, median, leading lines), the radar by category, overdue items by subject, the plan-completion
    heat. Without ``period``: the latest closed quarter with results, like the page."""
    user = request.auth
    if params.period:
        year, quarter = int(params.period[:4]), int(params.period[-1])
    else:
        year, quarter = quarter_selectors.default_quarter(quarter_selectors.quarters_with_results(user))
    data = dashboard_selectors.dashboard_data(user, year=year, quarter=quarter, view=params.view)
    return {
        "year": year,
        "quarter": quarter,
        "view": params.view,
        "count": data.count,
        "average_total": float(data.average_total) if data.average_total is not None else None,
        "charts": chart_selectors.dashboard_charts(data),
    }
