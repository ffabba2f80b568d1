"""Reads for the assessment pages (all scoped): the committee dashboard, one result, its evidence."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, reduce
from itertools import islice
from operator import or_

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Collate, NullIf, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS as MONTH_NAMES
from django.utils.translation import gettext as _

from assessments import metrics
from assessments.models import (
    CATEGORY_FIELDS,
    AssessmentScheme,
    Indicator,
    IndicatorScore,
    QuarterRollup,
    RollupRun,
    self_assessor_q,
)
from portal.scoping import get_scope


def related_or_none(obj, name: str):
    """A reverse one-to-one (``rollup.self_assessment``, ``rollup.review``), or None when there is none yet."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def rollups_with_review(user):
    """The results the user may see, with their subject, scheme, self-assessment and review (for one result's
    pages: no further query to reach any of them)."""
    return QuarterRollup.objects.visible_to(user).select_related(
        "organization", "agreement", "scheme", "self_assessment", "review"
    )


def rollups_for_quarter(user, year: int, quarter: int):
    """The quarter's results the user may see, best first, with their subjects (one query)."""
    return (
        QuarterRollup.objects.visible_to(user)
        .filter(year=year, quarter=quarter)
        .select_related("organization", "agreement")
        .order_by("-total", "subject")
    )


def scores_for(user, rollup: QuarterRollup):
    return IndicatorScore.objects.visible_to(user).filter(rollup=rollup).select_related("indicator")


def evidence_for(score: IndicatorScore):
    """The records behind an automatic score (the evidence drill-down), or None for a manual indicator."""
    indicator = score.indicator
    if not indicator.metric:
        return None
    rollup = score.rollup
    metric = metrics.REGISTRY[indicator.metric]
    return metric.records(rollup.subject_object, rollup.year, rollup.quarter, now=rollup.computed_at)


def latest_runs(user, limit: int = 10):
    return RollupRun.objects.visible_to(user).select_related("requested_by")[:limit]


# --- the committee dashboard ----------------------------------------------------------------------------------
#
# Fast by construction: the page reads rollup rows only — never the indicator scores (twelve per result): each result
# carries its points by category and its overdue action items (``CATEGORY_FIELDS``, ``overdue_items``, kept by
# ``services.rollup_subtotals_refresh``) — plus ONE aggregate over the plan rows of the subjects shown for the heat map
# (plan completion by month is finer than any rollup row). The number of statements never grows with the number of
# organizations, agreements or records.

ORGANIZATIONS, AGREEMENTS = "organizations", "agreements"
VIEWS = (ORGANIZATIONS, AGREEMENTS)
TREND_QUARTERS = 8
TREND_LINES = 3  # besides the average: the selected quarter's best subjects (and the selected one)
MONTHS = tuple(range(1, 13))
ZERO = Decimal(0)
TENTH = Decimal("0.1")


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
    is computed with the scheme of its year, ``services.rollup_compute``) gets a probe that walks the quarter's index
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


def _kind_q(view: str) -> Q:
    return Q(organization__isnull=False) if view == ORGANIZATIONS else Q(agreement__isnull=False)


def scoped_results(user, view: str):
    """The results of the view's kind the user sees: ``visible_to(user)`` on that kind, filtered on that kind's scope
    condition only (``QuarterRollup.scope_visible_kind_q``)."""
    scope = get_scope(user)
    if scope.is_anonymous:
        return QuarterRollup.objects.none()
    if scope.is_superuser:
        return QuarterRollup.objects.filter(_kind_q(view))
    kind = "organization" if view == ORGANIZATIONS else "agreement"
    return QuarterRollup.objects.filter(QuarterRollup.scope_visible_kind_q(scope, kind))


def _one_place(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def _average(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    return _one_place(sum(values, ZERO) / len(values)) if values else None


PAGE_SIZE = 20  # ranking rows on one page; a scope this small shows every row and every bar
EDGE_COUNT = 5  # the best and the last N of a larger scope, beside the page
OVERDUE_TOP = 20  # subjects on the overdue chart and table, most overdue first
HISTOGRAM_STEP = 10  # points per bar of the distribution of totals
SORTS = ("rank", "-rank", "name", "change", "-change")
EXPORT_CHUNK = 2000

SCORE_FIELDS = (
    "rollup_id",
    "indicator_id",
    "indicator__name",
    "indicator__category",
    "indicator__source",
    "indicator__metric",
    "indicator__points",
    "indicator__is_deduction",
    "metric_value",
    "points",
    "self_points",
    "review_points",
    "adjustment",
    "adjustment_reason",
    "final_points",
)


@dataclass(eq=False)
class SubjectRow:
    """One subject's result in the selected quarter, with what the dashboard shows beside it."""

    rollup_id: int
    subject: str
    subject_pk: int
    name: str
    subject_url: str
    total: Decimal
    status: str
    status_label: str
    rank: int = 0
    previous: Decimal | None = None
    previous_rank: int | None = None
    categories: dict[str, Decimal] = field(default_factory=dict)
    overdue: Decimal | None = None
    trend: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    heat: list[dict] = field(default_factory=list)

    @cached_property
    def url(self) -> str:
        return reverse("assessments:rollup_detail", args=[self.rollup_id])

    @property
    def change(self) -> Decimal | None:
        return None if self.previous is None else self.total - self.previous

    @property
    def change_abs(self) -> Decimal | None:
        return None if self.change is None else abs(self.change)

    @property
    def category_cells(self) -> list[Decimal | None]:
        return [self.categories.get(key) for key in self._category_keys]

    _category_keys: tuple = ()


@dataclass
class Distribution:
    """A quarter's totals in the scope as (total, how many) pairs, best first: one row per distinct total (at most
    1,001 with one decimal between 0 and 100), whatever the number of subjects. Ranks, average, median and the
    histogram all come from it."""

    counts: list[tuple[Decimal, int]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(n for _total, n in self.counts)

    @property
    def average(self) -> Decimal | None:
        count = self.count
        return _one_place(sum((t * n for t, n in self.counts), ZERO) / count) if count else None

    @property
    def median(self) -> Decimal | None:
        count = self.count
        if not count:
            return None
        values = []
        seen = 0
        for total, n in reversed(self.counts):  # lowest first
            for position in ((count - 1) // 2, count // 2):
                if seen <= position < seen + n:
                    values.append(total)
            seen += n
        return _one_place(sum(values, ZERO) / len(values))

    def rank_of(self, total: Decimal | None) -> int | None:
        """Competition rank (1, 2, 2, 4): one more than the number of results with a higher total."""
        if total is None:
            return None
        return 1 + sum(n for t, n in self.counts if t > total)

    def histogram(self, step: int = HISTOGRAM_STEP) -> list[dict]:
        """Bars of ``step`` points from 0 to 100 (a total outside goes to the nearest end bar)."""
        bins = [{"low": low, "high": low + step, "count": 0} for low in range(0, 100, step)]
        for total, n in self.counts:
            index = min(max(int(total // step), 0), len(bins) - 1)
            bins[index]["count"] += n
        return bins


@dataclass
class Dashboard:
    year: int
    quarter: int
    view: str
    rows: list[SubjectRow]  # the page of the ranking shown (every row of a scope of PAGE_SIZE or fewer)
    periods: list[tuple[int, int]]
    categories: list[dict]  # key, label, full
    average_trend: list[Decimal | None]
    median_trend: list[Decimal | None]
    trend_rows: list[SubjectRow]
    average_categories: dict[str, Decimal | None]
    best: SubjectRow | None
    focus: SubjectRow | None
    count: int = 0  # results in the scope
    average_total: Decimal | None = None
    distribution: Distribution = field(default_factory=Distribution)
    top: list[SubjectRow] = field(default_factory=list)
    bottom: list[SubjectRow] = field(default_factory=list)
    overdue_rows: list[SubjectRow] = field(default_factory=list)
    overdue_count: int = 0
    page: Page | None = None
    matched: int = 0  # results matching the search
    search: str = ""
    sort: str = "rank"

    @property
    def label(self) -> str:
        return quarter_label(self.year, self.quarter)

    @property
    def large(self) -> bool:
        """More results than one page: the ranking is paged and searchable, top and bottom N and the histogram show."""
        return self.count > PAGE_SIZE

    @property
    def trend_table(self) -> list[dict]:
        return [{"name": r.name, "values": [r.trend.get(p) for p in self.periods]} for r in self.trend_rows]

    @property
    def radar_table(self) -> list[dict]:
        best, focus = self.best, self.focus
        return [
            {
                "label": c["label"],
                "full": c["full"],
                "average": self.average_categories.get(c["key"]),
                "best": best.categories.get(c["key"]) if best else None,
                "focus": focus.categories.get(c["key"]) if focus else None,
            }
            for c in self.categories
        ]


def subject_name(rollup: QuarterRollup) -> str:
    """The name of the result's subject: the branch's display name or the agreement's title."""
    return rollup.organization.display_name if rollup.organization_id else rollup.agreement.title


def subject_of(rollup: QuarterRollup) -> tuple[str, int, str]:
    if rollup.organization_id:
        org = rollup.organization
        return org.display_name, org.pk, reverse("partnerships:organization_detail", args=[org.pk])
    agreement = rollup.agreement
    return agreement.title, agreement.pk, reverse("partnerships:agreement_detail", args=[agreement.pk])


def _name_expr(prefix: str = "", view: str | None = None):
    """The subject's name in SQL, as ``subject_name`` reads it: the branch's short name or name, or the title. With
    a ``view``, only that kind's columns (the other kind's table is not joined)."""
    if view == AGREEMENTS:
        return F(f"{prefix}agreement__title")
    names = [NullIf(f"{prefix}organization__short_name", Value("")), f"{prefix}organization__name"]
    if view != ORGANIZATIONS:
        names.append(f"{prefix}agreement__title")
    return Coalesce(*names, output_field=CharField())


def _search_q(search: str, prefix: str = "", view: str | None = None) -> Q:
    if not search:
        return Q()
    found = Q()
    if view != AGREEMENTS:
        found |= Q(**{f"{prefix}organization__name__icontains": search})
        found |= Q(**{f"{prefix}organization__short_name__icontains": search})
    if view != ORGANIZATIONS:
        found |= Q(**{f"{prefix}agreement__title__icontains": search})
    return found


def _bytewise(field: str):
    """``field`` compared byte by byte. The subject keys are ASCII (``org:12``), so this is the order Python sorts them
    in; PostgreSQL then compares them with ``memcmp`` rather than through the database's locale (ties on a total are
    the rule among thousands of results, so the tie-break runs for most comparisons of a ranking)."""
    return Collate(F(field), "C" if connection.vendor == "postgresql" else "BINARY")


ROW_VALUES = ("pk", "subject", "total", "status", "organization_id", "agreement_id", "name", "previous")
STORED_VALUES = (*CATEGORY_FIELDS.values(), "overdue_items")  # what a result keeps for the dashboard


def _with_row_values(qs, previous: tuple[int, int] | None, view: str | None = None):
    """Annotate the subject's name and its previous quarter's total (one index lookup per row; with ``previous``
    None the total is left empty, for the caller to read for the few rows it shows)."""
    if previous is None:
        return qs.annotate(name=_name_expr(view=view), previous=Value(None, output_field=DecimalField()))
    before = QuarterRollup.objects.filter(subject=OuterRef("subject"), year=previous[0], quarter=previous[1])
    return qs.annotate(name=_name_expr(view=view), previous=Subquery(before.values("total")[:1]))


def _subject_row(values: dict, status_labels: dict) -> SubjectRow:
    if values["organization_id"]:
        pk, url_name = values["organization_id"], "partnerships:organization_detail"
    else:
        pk, url_name = values["agreement_id"], "partnerships:agreement_detail"
    return SubjectRow(
        rollup_id=values["pk"],
        subject=values["subject"],
        subject_pk=pk,
        name=values["name"],
        subject_url=reverse(url_name, args=[pk]),
        total=values["total"],
        status=values["status"],
        status_label=status_labels.get(values["status"], values["status"]),
        previous=values["previous"],
        # The result's stored subtotals: a category without an indicator in its scheme stays out.
        categories={key: values[f] for key, f in CATEGORY_FIELDS.items() if values.get(f) is not None},
        overdue=values.get("overdue_items"),
    )


def _sort_order(sort: str) -> list:
    """The ranking's order for ``sort``, ties broken by the subject key (a stable page boundary)."""
    if sort == "-rank":
        return [F("total").asc(), _bytewise("subject").desc()]
    if sort == "name":
        return [F("name").asc(), _bytewise("subject").asc()]
    if sort in ("change", "-change"):
        change = ExpressionWrapper(F("total") - F("previous"), output_field=DecimalField())
        first = change.desc(nulls_last=True) if sort == "change" else change.asc(nulls_last=True)
        return [first, F("total").desc(), _bytewise("subject").asc()]
    return _best_first()


def _best_first() -> list:
    """The ranking's order: the highest total first, ties by the subject key."""
    return [F("total").desc(), _bytewise("subject").asc()]


class _Counted:
    """What the paginator pages: a length already known from the distribution (so no COUNT statement); the rows of
    the page come from the ranking statement by their position."""

    ordered = True

    def __init__(self, count: int):
        self._count = count

    def count(self) -> int:
        return self._count

    def __getitem__(self, key):
        return range(self._count)[key]


def _distributions(scoped, periods, selected, search: str, view: str) -> tuple[dict, int | None]:
    """Every quarter's distribution of totals in the window (ONE grouped statement) and, with a search, how many of
    the selected quarter's results match it."""
    in_window = reduce(or_, (Q(year=y, quarter=q) for y, q in periods))
    aggregates = {"n": Count("pk")}
    if search:
        aggregates["matched"] = Count(
            "pk", filter=Q(year=selected[0], quarter=selected[1]) & _search_q(search, view=view)
        )
    grouped = scoped.filter(in_window).order_by().values("year", "quarter", "total").annotate(**aggregates)
    found: dict[tuple[int, int], Distribution] = defaultdict(Distribution)
    matched = 0 if search else None
    for row in grouped.order_by("-total"):
        found[(row["year"], row["quarter"])].counts.append((row["total"], row["n"]))
        if search:
            matched += row["matched"]
    return found, matched


def dashboard_data(
    user,
    *,
    year: int,
    quarter: int,
    view: str = ORGANIZATIONS,
    focus: str | None = None,
    search: str = "",
    sort: str = "rank",
    page: int | str | None = 1,
) -> Dashboard:
    """What the dashboard shows for the user's scope and a quarter: a page of the ranking (searched by name, sorted),
    the best and last few, aggregated chart series and the plan heat of the rows shown. A fixed number of statements,
    each returning a bounded number of rows, whatever the size of the scope; ranks, averages, medians and the
    histogram come from the grouped distribution of totals, never from one Python object per subject."""
    sort = sort if sort in SORTS else "rank"
    search = (search or "").strip()
    periods = quarter_window(year, quarter)
    previous = metrics.previous_quarter(year, quarter)
    scoped = scoped_results(user, view)
    selected = scoped.filter(year=year, quarter=quarter)
    status_labels = dict(QuarterRollup.Status.choices)

    distributions, matched = _distributions(scoped, periods, (year, quarter), search, view)
    current = distributions.get((year, quarter), Distribution())
    before = distributions.get(previous, Distribution())
    dashboard = Dashboard(
        year=year,
        quarter=quarter,
        view=view,
        rows=[],
        periods=periods,
        categories=[],
        average_trend=[distributions[p].average if p in distributions else None for p in periods],
        median_trend=[distributions[p].median if p in distributions else None for p in periods],
        trend_rows=[],
        average_categories={},
        best=None,
        focus=None,
        count=current.count,
        average_total=current.average,
        distribution=current,
        matched=current.count if matched is None else matched,
        search=search,
        sort=sort,
    )
    if not current.count:
        return dashboard

    def ranked(rows: list[SubjectRow]) -> list[SubjectRow]:
        for row in rows:
            row.rank = current.rank_of(row.total)
            row.previous_rank = before.rank_of(row.previous)
        return rows

    # ONE statement for every row the page shows: the page of the ranking (its position among the rows matching the
    # search, in the order asked for), the best and the last EDGE_COUNT, and the followed subject — row numbers in
    # SQL over the scope, only those rows returned — with the scope's category totals and overdue count beside them
    # (window aggregates over every result, read in the same pass). The paginator takes its count from the
    # distribution. The last EDGE_COUNT are the first counted from the end: no second sort.
    dashboard.page = Paginator(_Counted(dashboard.matched), PAGE_SIZE).get_page(page)
    first = (dashboard.page.number - 1) * PAGE_SIZE + 1
    hit = Case(When(_search_q(search, view=view), then=Value(1)), default=Value(0)) if search else Value(1)
    scope_totals = {
        **{f"{key}__sum": Window(Sum(column)) for key, column in CATEGORY_FIELDS.items()},
        **{f"{key}__n": Window(Count(column)) for key, column in CATEGORY_FIELDS.items()},
        "overdue__n": Window(Count("pk", filter=Q(overdue_items__gt=0))),
    }
    # Sorting by the change needs every previous total; otherwise they are read for the shown rows only (below).
    shown = (
        _with_row_values(selected, previous if sort in ("change", "-change") else None, view)
        .annotate(
            hit=hit,
            position=Window(RowNumber(), partition_by=[F("hit")], order_by=_sort_order(sort)),
            top_n=Window(RowNumber(), order_by=_best_first()),
            how_many=Window(Count("pk")),
            **scope_totals,
        )
        .filter(
            Q(hit=1, position__gte=first, position__lt=first + PAGE_SIZE)
            | Q(top_n__lte=EDGE_COUNT)
            | Q(top_n__gt=F("how_many") - EDGE_COUNT)
            | Q(subject=focus or "")
        )
        .order_by()
        .values(*ROW_VALUES, *STORED_VALUES, "hit", "position", "top_n", "how_many", *scope_totals)
    )
    page_rows, top, bottom, chosen, totals = {}, {}, {}, None, {}
    for values in shown:
        row = ranked([_subject_row(values, status_labels)])[0]
        totals = {key: values[key] for key in scope_totals}
        if values["hit"] == 1 and first <= values["position"] < first + PAGE_SIZE:
            page_rows[values["position"]] = row
        if values["top_n"] <= EDGE_COUNT:
            top[values["top_n"]] = row
        from_the_end = values["how_many"] - values["top_n"] + 1
        if from_the_end <= EDGE_COUNT:
            bottom[from_the_end] = row
        if values["subject"] == focus:
            chosen = row
    dashboard.rows = [page_rows[k] for k in sorted(page_rows)]
    dashboard.top = [top[k] for k in sorted(top)]
    best_subjects = {r.subject for r in dashboard.top}
    dashboard.bottom = [bottom[k] for k in sorted(bottom) if bottom[k].subject not in best_subjects]
    # One object per subject on the page, whichever list it comes from.
    by_subject = {r.subject: r for r in (*dashboard.top, *dashboard.bottom, *dashboard.rows)}
    if chosen is not None:
        chosen = by_subject.setdefault(chosen.subject, chosen)
    dashboard.top = [by_subject[r.subject] for r in dashboard.top]
    dashboard.bottom = [by_subject[r.subject] for r in dashboard.bottom]
    best = dashboard.top[0] if dashboard.top else None
    if chosen is None and current.count == 1:
        chosen = best
    trend_rows = dashboard.top[:TREND_LINES]
    if chosen is not None and chosen not in trend_rows:
        trend_rows = [*trend_rows, chosen]
    dashboard.best, dashboard.focus, dashboard.trend_rows = best, chosen, trend_rows

    # The eight quarters of every row shown (trend lines and previous totals): ONE statement, at most
    # 8 × (PAGE_SIZE + 2 × EDGE_COUNT + 1) rows.
    in_window = reduce(or_, (Q(year=y, quarter=q) for y, q in periods))
    lines = scoped.filter(in_window, subject__in=list(by_subject)).order_by()
    for subject, y, q, total in lines.values_list("subject", "year", "quarter", "total"):
        by_subject[subject].trend[(y, q)] = total
    for row in by_subject.values():
        row.previous = row.trend.get(previous)
        row.previous_rank = before.rank_of(row.previous)

    _categories(dashboard, totals, list(by_subject.values()))
    dashboard.overdue_count = totals["overdue__n"]
    _overdue(dashboard, selected, status_labels)
    _plan_heat(dashboard)
    return dashboard


def _category_totals(selected) -> dict:
    """The scope's category totals (``<key>__sum``, ``<key>__n``: points and results with points in the category)
    and how many results have overdue items, in ONE aggregate over the results' stored values."""
    aggregates = {"overdue__n": Count("pk", filter=Q(overdue_items__gt=0))}
    for key, column in CATEGORY_FIELDS.items():
        aggregates[f"{key}__sum"] = Sum(column)
        aggregates[f"{key}__n"] = Count(column)
    return selected.order_by().aggregate(**aggregates)


def _categories(dashboard: Dashboard, totals: dict, shown: list[SubjectRow]) -> None:
    """The scope's category averages (from ``_category_totals``) and each category's full marks (ONE statement over
    the indicators of the quarter's scheme). A category shows when some result in the scope has points in it; its
    average is over the results that do. The rows shown carry their own subtotals already."""
    scored = [key for key in CATEGORY_FIELDS if totals[f"{key}__n"]]
    full: dict[str, Decimal] = dict.fromkeys(scored, ZERO)
    # Every result of a quarter is computed with the scheme of its year, and with every one of its indicators.
    indicators = Indicator.objects.filter(scheme__year=dashboard.year, category__in=scored).order_by()
    for row in indicators.values("category").annotate(
        full=Sum(Case(When(is_deduction=False, then="points"), default=Value(ZERO)))
    ):
        full[row["category"]] = row["full"] or ZERO
    categories = [
        {"key": key, "label": str(label), "full": full[key]} for key, label in Indicator.Category.choices if key in full
    ]
    keys = tuple(c["key"] for c in categories)
    for row in shown:
        row._category_keys = keys
    dashboard.categories = categories
    dashboard.average_categories = {key: _one_place(totals[f"{key}__sum"] / totals[f"{key}__n"]) for key in keys}


def _overdue(dashboard: Dashboard, selected, status_labels: dict) -> None:
    """The OVERDUE_TOP subjects with the most overdue action items at the quarter's end (the overdue metric, stored
    on the result), in ONE statement; how many have any comes with the ranking's statement."""
    found = (
        selected.filter(overdue_items__gt=0)
        .annotate(name=_name_expr(view=dashboard.view), previous=Value(None, output_field=DecimalField()))
        .order_by("-overdue_items", "name", _bytewise("subject"))
        .values(*ROW_VALUES, "overdue_items")[:OVERDUE_TOP]
    )
    dashboard.overdue_rows = [_subject_row(values, status_labels) for values in found]


def _heat_counts(view: str, year: int, subject_ids) -> dict[tuple[int, int], tuple[int, int]]:
    """(subject pk, month) → (planned, done) for the year's plan rows of the given subjects (a list of pks or a
    subquery of them): ONE statement, UNION of the links as in ``metrics.Metric.values``."""
    from activities.models import Activity, PlannedActivity

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


def _heat_cells(found: dict, subject_pk: int, year: int, today: dt.date) -> list[dict]:
    cells = []
    for month in MONTHS:
        planned, done_count = found.get((subject_pk, month), (0, 0))
        future = (year, month) > (today.year, today.month)
        rate = None if not planned or future else _one_place(Decimal(done_count) * 100 / planned)
        cells.append({"month": month, "planned": planned, "done": done_count, "rate": rate, "future": future})
    return cells


def _plan_heat(dashboard: Dashboard, today: dt.date | None = None) -> None:
    """Plan completion by month for the selected year, for the rows shown only (planned rows and rows done: an
    activity held or logged)."""
    if not dashboard.rows:
        return
    found = _heat_counts(dashboard.view, dashboard.year, [row.subject_pk for row in dashboard.rows])
    today = today or timezone.localdate()
    for row in dashboard.rows:
        row.heat = _heat_cells(found, row.subject_pk, dashboard.year, today)


def _number(value) -> float | None:
    return None if value is None else float(value)


def dashboard_charts(dashboard: Dashboard) -> dict:
    """The charts' data as plain JSON values (for ``json_script``), bounded like the page: the ranking bars of the
    rows shown, the scope's average and median per quarter with at most TREND_LINES + 1 lines, the radar, the first
    OVERDUE_TOP overdue subjects, the heat of the rows shown and, for a scope larger than a page, the histogram."""
    rows = dashboard.rows
    focus = dashboard.focus

    def radar_values(categories: dict) -> list[float]:
        # The radar starts at zero: a category pulled below it by a deduction is drawn at the centre.
        return [_number(max(categories.get(c["key"]) or ZERO, ZERO)) for c in dashboard.categories]

    radar_series = [{"name": _("Average"), "values": radar_values(dashboard.average_categories)}]
    if dashboard.count == 1 and rows:  # a secretary's own branch: its one shape, not three identical ones
        radar_series = [{"name": rows[0].name, "values": radar_values(rows[0].categories)}]
    elif dashboard.best is not None:
        radar_series.append(
            {
                "name": _("Best: %(name)s") % {"name": dashboard.best.name},
                "values": radar_values(dashboard.best.categories),
            }
        )
    if focus is not None and focus is not dashboard.best:
        radar_series.append(
            {"name": _("Selected: %(name)s") % {"name": focus.name}, "values": radar_values(focus.categories)}
        )
    return {
        "labels": {
            "total": _("Total"),
            "average": _("Average"),
            "median": _("Median"),
            "overdue": _("Overdue action items"),
            "planned": _("Planned"),
            "done": _("Done"),
            "rate": _("Completion"),
            "subjects": _("Results"),
        },
        "ranking": [{"name": r.name, "value": _number(r.total), "url": r.url} for r in rows],
        "distribution": (
            [{"name": f"{b['low']}–{b['high']}", "value": b["count"]} for b in dashboard.distribution.histogram()]
            if dashboard.large
            else []
        ),
        "trend": {
            "periods": [quarter_label(*p) for p in dashboard.periods],
            "average": [_number(v) for v in dashboard.average_trend],
            "median": [_number(v) for v in dashboard.median_trend] if dashboard.large else [],
            "series": [
                {"name": r.name, "url": r.url, "values": [_number(r.trend.get(p)) for p in dashboard.periods]}
                for r in dashboard.trend_rows
            ],
        },
        "radar": {
            "indicators": [
                {"name": c["label"], "max": _number(max(c["full"], Decimal(1)))} for c in dashboard.categories
            ],
            "series": radar_series,
        },
        "overdue": [{"name": r.name, "value": _number(r.overdue), "url": r.url} for r in dashboard.overdue_rows],
        "heat": {
            "months": [str(MONTH_NAMES[m]) for m in MONTHS],
            "subjects": [r.name for r in rows],
            "cells": [
                [cell["month"] - 1, index, _number(cell["rate"]), cell["planned"], cell["done"]]
                for index, r in enumerate(rows)
                for cell in r.heat
                if cell["planned"]
            ],
        },
    }


def _export_selected(user, year: int, quarter: int, view: str):
    return scoped_results(user, view).filter(year=year, quarter=quarter)


def dashboard_export_scores(user, *, year: int, quarter: int, view: str = ORGANIZATIONS):
    """The indicator scores the export lists (its largest sheet, one row each): whether it is big is decided on them."""
    return IndicatorScore.objects.filter(rollup__in=_export_selected(user, year, quarter, view).values("pk"))


def dashboard_export_rows(user, *, year: int, quarter: int, view: str = ORGANIZATIONS) -> int:
    """How many rows the export's sheets hold together (the export job's progress bar): the ranking, trend and
    overdue sheets one per result (the trend also the average), the categories, the plan cells and the scores."""
    selected = _export_selected(user, year, quarter, view)
    counts = selected.order_by().aggregate(
        results=Count("pk"), **{key: Count(column) for key, column in CATEGORY_FIELDS.items()}
    )
    results = counts.pop("results")
    if not results:
        return 0
    categories = sum(1 for n in counts.values() if n)
    scores = dashboard_export_scores(user, year=year, quarter=quarter, view=view).order_by().count()
    subjects = selected.values("organization_id" if view == ORGANIZATIONS else "agreement_id")
    heat = len(_heat_counts(view, year, subjects))
    return 3 * results + 1 + categories + heat + scores


def dashboard_sheets(user, *, year: int, quarter: int, view: str = ORGANIZATIONS) -> list[tuple[str, list, object]]:
    """The Excel export: one sheet per view of the dashboard, and every indicator score — for every subject of the
    scope, each sheet's rows streamed from one set-based statement (read in chunks), never held as a whole."""
    periods = quarter_window(year, quarter)
    previous = metrics.previous_quarter(year, quarter)
    scoped = scoped_results(user, view)
    selected = scoped.filter(year=year, quarter=quarter)
    status_labels = dict(QuarterRollup.Status.choices)
    distributions, _matched = _distributions(scoped, periods, (year, quarter), "", view)
    dashboard = Dashboard(
        year=year,
        quarter=quarter,
        view=view,
        rows=[],
        periods=periods,
        categories=[],
        average_trend=[distributions[p].average if p in distributions else None for p in periods],
        median_trend=[],
        trend_rows=[],
        average_categories={},
        best=None,
        focus=None,
    )
    best_first = _with_row_values(selected, previous, view).order_by(*_best_first())
    best_values = best_first.values(*ROW_VALUES, *STORED_VALUES).first()
    best = _subject_row(best_values, status_labels) if best_values else None
    _categories(dashboard, _category_totals(selected), [best] if best else [])
    categories = dashboard.categories

    def ranking():
        cells = [CATEGORY_FIELDS[c["key"]] for c in categories]  # the results' stored subtotals
        rows = best_first.values(*ROW_VALUES, *cells).iterator(chunk_size=EXPORT_CHUNK)
        previous_total, previous_rank = None, 0
        for index, r in enumerate(rows, start=1):
            rank = previous_rank if r["total"] == previous_total else index
            previous_total, previous_rank = r["total"], rank
            change = None if r["previous"] is None else r["total"] - r["previous"]
            yield [
                rank,
                r["name"],
                _number(r["total"]),
                status_labels.get(r["status"], r["status"]),
                _number(r["previous"]),
                _number(change),
                *[_number(r[key]) for key in cells],
            ]

    def trend():
        yield [_("Average"), *[_number(v) for v in dashboard.average_trend]]
        cells = {}
        for index, (y, q) in enumerate(periods):
            then = QuarterRollup.objects.filter(subject=OuterRef("subject"), year=y, quarter=q)
            cells[f"p_{index}"] = Subquery(then.values("total")[:1])
        for r in best_first.annotate(**cells).values("name", *cells).iterator(chunk_size=EXPORT_CHUNK):
            yield [r["name"], *[_number(r[key]) for key in cells]]

    radar = [
        [
            c["label"],
            _number(c["full"]),
            _number(dashboard.average_categories.get(c["key"])),
            _number(best.categories.get(c["key"])) if best else None,
        ]
        for c in categories
    ]

    def overdue():
        rows = (
            selected.annotate(name=_name_expr(view=view))
            .order_by(F("overdue_items").desc(nulls_last=True), "name", _bytewise("subject"))
            .values_list("name", "overdue_items")
        )
        for name, value in rows.iterator(chunk_size=EXPORT_CHUNK):
            yield [name, _number(value)]

    def heat():
        today = timezone.localdate()
        rows = best_first.values_list("name", "organization_id", "agreement_id").iterator(chunk_size=EXPORT_CHUNK)
        while chunk := list(islice(rows, EXPORT_CHUNK)):
            pks = [org or agreement for _name, org, agreement in chunk]
            found = _heat_counts(view, year, pks)
            for (name, _org, _agreement), pk in zip(chunk, pks, strict=True):
                for cell in _heat_cells(found, pk, year, today):
                    if cell["planned"]:
                        yield [name, cell["month"], cell["planned"], cell["done"], _number(cell["rate"])]

    sources = dict(Indicator.Source.choices)
    category_labels = dict(Indicator.Category.choices)

    def detail():
        scores = (
            IndicatorScore.objects.filter(rollup__in=selected.values("pk"))
            .annotate(subject_name=_name_expr("rollup__"))
            .order_by("rollup_id", "indicator__order", "indicator_id")
            .values("subject_name", *SCORE_FIELDS)
        )
        for s in scores.iterator(chunk_size=EXPORT_CHUNK):
            yield [
                s["subject_name"],
                s["indicator__name"],
                category_labels.get(s["indicator__category"], s["indicator__category"]),
                sources.get(s["indicator__source"], s["indicator__source"]),
                _number(s["metric_value"]),
                _number(s["points"]),
                _number(s["self_points"]),
                _number(s["review_points"]),
                _number(s["adjustment"]),
                s["adjustment_reason"],
                _number(s["final_points"]),
            ]

    subject = _("Organization") if view == ORGANIZATIONS else _("Agreement")
    return [
        (
            _("Ranking"),
            [
                _("Rank"),
                subject,
                _("Total"),
                _("Status"),
                _("Previous quarter"),
                _("Change"),
                *[c["label"] for c in categories],
            ],
            ranking(),
        ),
        (_("Trend"), [subject, *[quarter_label(*p) for p in periods]], trend()),
        (_("Categories"), [_("Category"), _("Full marks"), _("Average"), _("Best")], radar),
        (_("Overdue items"), [subject, _("Overdue action items")], overdue()),
        (_("Plan completion"), [subject, _("Month"), _("Planned"), _("Done"), _("Completion (%)")], heat()),
        (
            _("Indicator scores"),
            [
                subject,
                _("Indicator"),
                _("Category"),
                _("Source"),
                _("Metric value"),
                _("Automatic points"),
                _("Self-assessed points"),
                _("Reviewer's points"),
                _("Adjustment"),
                _("Reason for the adjustment"),
                _("Points"),
            ],
            detail(),
        ),
    ]


# --- one result: its page, its print view, the sections on an organization's page -----------------------------


def rollup_breakdown(user, rollup: QuarterRollup) -> tuple[list[IndicatorScore], list[dict]]:
    """A result's indicator scores (one query) and its subtotals by category (with each category's full marks)."""
    scores = list(scores_for(user, rollup).order_by("indicator__order", "indicator_id"))
    subtotals: dict[str, dict] = {}
    for score in scores:
        indicator = score.indicator
        entry = subtotals.setdefault(indicator.category, {"points": ZERO, "full": ZERO})
        entry["points"] += score.final_points
        if not indicator.is_deduction:
            entry["full"] += indicator.points
    categories = [
        {"key": key, "label": label, **subtotals[key]} for key, label in Indicator.Category.choices if key in subtotals
    ]
    return scores, categories


def rollup_rank(rollup: QuarterRollup) -> tuple[int, int]:
    """The result's rank and the number of results it is ranked among, in one query: branches within their whole
    organization tree, agreements among the quarter's agreements. Only the two numbers leave this function."""
    peers = QuarterRollup.objects.filter(year=rollup.year, quarter=rollup.quarter)
    if rollup.organization_id:
        from partnerships.models import Organization

        root = rollup.organization.path[: Organization.steplen]
        peers = peers.filter(organization__path__startswith=root)
    else:
        peers = peers.filter(agreement__isnull=False)
    counts = peers.aggregate(count=Count("pk"), above=Count("pk", filter=Q(total__gt=rollup.total)))
    return counts["above"] + 1, counts["count"]


def recent_rollups(user, *, organization=None, agreement=None, count: int = 4) -> list[QuarterRollup]:
    """A subject's last ``count`` results the user may see, latest first (one query)."""
    subject = {"organization": organization} if organization is not None else {"agreement": agreement}
    return list(QuarterRollup.objects.visible_to(user).filter(**subject).order_by("-year", "-quarter")[:count])


def podium(user, count: int = 3) -> dict | None:
    """The latest closed quarter's best and last ``count`` branches the user may see, with how many and their
    average (two queries; the second returns at most 2 × ``count`` rows, row numbers, count and average in SQL)."""
    scoped = QuarterRollup.objects.visible_to(user).filter(organization__isnull=False)
    year, quarter = metrics.current_quarter()
    closed = Q(year__lt=year) | Q(year=year, quarter__lt=quarter)
    # The latest closed quarter: the open one is provisional and half-way, so its ranking says little yet.
    latest = scoped.filter(closed).order_by("-year", "-quarter").values_list("year", "quarter").first()
    if latest is None:
        return None
    year, quarter = latest
    rows = list(
        scoped.filter(year=year, quarter=quarter)
        .select_related("organization")
        .only("total", "status", "subject", "organization__name", "organization__short_name")
        .annotate(
            top_n=Window(RowNumber(), order_by=[F("total").desc(), F("subject").asc()]),
            bottom_n=Window(RowNumber(), order_by=[F("total").asc(), F("subject").desc()]),
            how_many=Window(Count("pk")),
            mean=Window(Avg("total")),
        )
        .filter(Q(top_n__lte=count) | Q(bottom_n__lte=count))
        .order_by("top_n")
    )
    top = [r for r in rows if r.top_n <= count]
    bottom = sorted((r for r in rows if r.bottom_n <= count and r.top_n > count), key=lambda r: r.bottom_n)
    return {
        "year": year,
        "quarter": quarter,
        "label": quarter_label(year, quarter),
        "top": top,
        "bottom": bottom,
        "count": rows[0].how_many if rows else 0,
        "average": _one_place(Decimal(rows[0].mean)) if rows else None,
    }


# --- the evidence drill-down -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceColumn:
    label: str
    value: Callable
    link: bool = False


def _local(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def evidence_columns(model) -> tuple[tuple[str, ...], list[EvidenceColumn], Callable]:
    """How the records of one model are shown: (select_related, columns, url of a record)."""
    from activities.models import Activity, PlannedActivity, ZoneCheck
    from partnerships.models import ActionItem, JointMeeting, Member

    Col = EvidenceColumn
    if model is Activity:
        return (
            ("type", "lead"),
            [
                Col(_("Date"), lambda r: _local(r.starts_at)),
                Col(_("Title"), lambda r: r.title, link=True),
                Col(_("Type"), lambda r: r.type.name),
                Col(_("Lead organization"), lambda r: r.lead.display_name),
                Col(_("Status"), lambda r: r.get_status_display()),
                Col(_("Logged at"), lambda r: _local(r.logged_at)),
            ],
            lambda r: r.get_absolute_url(),
        )
    if model is PlannedActivity:
        return (
            ("type", "lead", "plan"),
            [
                Col(_("Planned month"), lambda r: r.month),
                Col(_("Theme"), lambda r: r.theme, link=True),
                Col(_("Type"), lambda r: r.type.name),
                Col(_("Lead unit"), lambda r: r.lead.display_name),
                Col(_("Plan"), lambda r: r.plan.title),
            ],
            lambda r: r.plan.get_absolute_url(),
        )
    if model is ActionItem:
        return (
            ("responsible_party",),
            [
                Col(_("Action item"), lambda r: r.title, link=True),
                Col(_("Responsible party"), lambda r: r.responsible_party.display_name),
                Col(_("Due on"), lambda r: _local(r.due_on)),
                Col(_("Status"), lambda r: r.get_status_display()),
                Col(_("Closed on"), lambda r: _local(getattr(r, "closed_on", None))),
            ],
            lambda r: r.get_absolute_url(),
        )
    if model is ZoneCheck:
        return (
            ("zone",),
            [
                Col(_("Checked on"), lambda r: _local(r.checked_on)),
                Col(_("Zone"), lambda r: r.zone.name, link=True),
                Col(_("Finding category"), lambda r: r.get_category_display()),
                Col(_("Finding"), lambda r: r.finding),
                Col(_("Fix due on"), lambda r: _local(r.fix_due_on)),
                Col(_("Fixed on"), lambda r: _local(r.fixed_on)),
            ],
            lambda r: r.zone.get_absolute_url(),
        )
    if model is JointMeeting:
        return (
            ("host", "agreement"),
            [
                Col(_("Date and time"), lambda r: _local(r.starts_at)),
                Col(_("Title"), lambda r: r.title, link=True),
                Col(_("Host organization"), lambda r: r.host.display_name),
                Col(_("Agreement"), lambda r: r.agreement.number),
            ],
            lambda r: r.get_absolute_url(),
        )
    if model is Member:
        return (
            ("organization",),
            [
                Col(_("Full name"), lambda r: r.name, link=True),
                Col(_("Organization"), lambda r: r.organization.display_name),
                Col(_("Party status"), lambda r: r.get_status_display()),
            ],
            lambda r: r.get_absolute_url(),
        )
    return (), [Col(_("Record"), str, link=True)], lambda r: getattr(r, "get_absolute_url", lambda: "")()


def evidence_queryset(user, score: IndicatorScore):
    """The records behind an automatic score, each flagged ``can_see`` when the user may open it (so the list
    stays exactly the records the value was computed from, without showing what the user may not read)."""
    records = evidence_for(score)
    if records is None:
        return None
    model = records.model
    related, _columns, _url = evidence_columns(model)
    visible = model._default_manager.visible_to(user).filter(pk=OuterRef("pk"))
    return records.select_related(*related).annotate(can_see=Exists(visible))


def evidence_rows(records, model) -> list[dict]:
    """One page of records as table rows: cells (text, url) and whether the record counts as achieved."""
    _related, columns, url_of = evidence_columns(model)
    rows = []
    for record in records:
        if not record.can_see:
            rows.append({"hidden": True, "counted": bool(record.n), "cells": []})
            continue
        url = url_of(record)
        cells = [
            {"label": column.label, "text": column.value(record), "url": url if column.link else ""}
            for column in columns
        ]
        rows.append({"hidden": False, "counted": bool(record.n), "cells": cells})
    return rows


# --- self-assessment and review (appended by the review pages) -------------------------------------------------


def self_assessment_rollups(user):
    """The results whose self-assessment the user writes, latest quarter first, with their states (one query)."""
    scope = get_scope(user)
    if scope.is_anonymous:
        return QuarterRollup.objects.none()
    condition = Q() if scope.is_superuser else self_assessor_q(scope)
    return (
        QuarterRollup.objects.filter(condition)
        .select_related("organization", "agreement", "self_assessment", "review")
        .order_by("-year", "-quarter", "subject")
    )


def reviewable_quarters(user) -> list[dict]:
    """Quarters with final (closed, unpublished) results the user reviews: year, quarter, how many (one query)."""
    return list(
        QuarterRollup.objects.editable_by(user)
        .filter(status=QuarterRollup.Status.FINAL)
        .values("year", "quarter")
        .annotate(count=Count("pk"))
        .order_by("-year", "-quarter")[:4]
    )
