"""The committee dashboard's data (``dashboard_data``).

Fast by construction: the page reads rollup rows only — never the indicator scores (twelve per result): each result
carries its points by category and its overdue action items (``CATEGORY_FIELDS``, ``overdue_items``, kept by
``assessments.services.rollup_totals.rollup_subtotals_refresh``) — plus ONE aggregate over the plan rows of the
subjects shown for the heat map (plan completion by month is finer than any rollup row). The number of statements never
grows with the number of organizations, agreements or records."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from assessments import metrics
from assessments.models import CATEGORY_FIELDS, Indicator, QuarterRollup
from assessments.selectors.plan_heat import heat_cells, heat_counts
from assessments.selectors.quarters import quarter_label, quarter_window
from assessments.selectors.ranking import (
    EDGE_COUNT,
    OVERDUE_TOP,
    PAGE_SIZE,
    ROW_VALUES,
    SORTS,
    STORED_VALUES,
    ZERO,
    Distribution,
    SubjectRow,
    one_place,
    ranking_order,
    sort_order,
    subject_row,
    with_row_values,
)
from assessments.selectors.subjects import (
    ORGANIZATIONS,
    bytewise,
    code_expr,
    name_expr,
    scoped_results,
    search_q,
    short_expr,
)

TREND_LINES = 3  # besides the average: the selected quarter's best subjects (and the selected one)


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


def quarter_distributions(scoped, periods, selected, search: str, view: str) -> tuple[dict, int | None, dict]:
    """Every quarter's distribution of totals in the window (ONE grouped statement) and, with a search, how many of
    the selected quarter's results match it; with them, read in the same pass, the selected quarter's category
    totals and overdue count (``category_totals``' keys), summed over its groups."""
    in_window = reduce(or_, (Q(year=y, quarter=q) for y, q in periods))
    in_selected = Q(year=selected[0], quarter=selected[1])
    aggregates = {"n": Count("pk"), **_selected_totals(in_selected)}
    if search:
        aggregates["matched"] = Count("pk", filter=in_selected & search_q(search, view=view))
    grouped = scoped.filter(in_window).order_by().values("year", "quarter", "total").annotate(**aggregates)
    found: dict[tuple[int, int], Distribution] = defaultdict(Distribution)
    matched = 0 if search else None
    totals = {key: None if key.endswith("__sum") else 0 for key in _selected_totals(in_selected)}
    for row in grouped.order_by("-total"):
        found[(row["year"], row["quarter"])].counts.append((row["total"], row["n"]))
        if search:
            matched += row["matched"]
        if (row["year"], row["quarter"]) == tuple(selected):
            for key, value in totals.items():
                if row[key] is not None:
                    totals[key] = row[key] if value is None else value + row[key]
    return found, matched, totals


def _selected_totals(in_selected: Q) -> dict:
    """``category_totals``' aggregates, of the selected quarter's rows only (a group of the distribution)."""
    aggregates = {"overdue__n": Count("pk", filter=in_selected & Q(overdue_items__gt=0))}
    for key, column in CATEGORY_FIELDS.items():
        aggregates[f"{key}__sum"] = Sum(column, filter=in_selected)
        aggregates[f"{key}__n"] = Count(column, filter=in_selected)
    return aggregates


def new_dashboard(year: int, quarter: int, view: str, periods, distributions: dict, **fields) -> Dashboard:
    """A dashboard of the quarter with its average trend and nothing else yet (``fields`` set the rest)."""
    fields.setdefault("median_trend", [])
    return Dashboard(
        year=year,
        quarter=quarter,
        view=view,
        rows=[],
        periods=periods,
        categories=[],
        average_trend=[distributions[p].average if p in distributions else None for p in periods],
        trend_rows=[],
        average_categories={},
        best=None,
        focus=None,
        **fields,
    )


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

    distributions, matched, totals = quarter_distributions(scoped, periods, (year, quarter), search, view)
    current = distributions.get((year, quarter), Distribution())
    ranks = _Ranks(current, distributions.get(previous, Distribution()))
    dashboard = new_dashboard(
        year,
        quarter,
        view,
        periods,
        distributions,
        median_trend=[distributions[p].median if p in distributions else None for p in periods],
        count=current.count,
        average_total=current.average,
        distribution=current,
        matched=current.count if matched is None else matched,
        search=search,
        sort=sort,
    )
    if not current.count:
        return dashboard

    # The paginator takes its count from the distribution.
    dashboard.page = Paginator(_Counted(dashboard.matched), PAGE_SIZE).get_page(page)
    shown = _shown_rows(dashboard, selected, previous, focus)
    by_subject = _place_rows(dashboard, shown, focus, ranks, status_labels)
    _trend_lines(dashboard, scoped, by_subject, previous, ranks)
    categories_fill(dashboard, totals, list(by_subject.values()))
    dashboard.overdue_count = totals["overdue__n"]
    _overdue(dashboard, selected, status_labels)
    _plan_heat(dashboard)
    return dashboard


@dataclass
class _Ranks:
    """The selected quarter's and the previous quarter's distributions: a total's rank in each."""

    current: Distribution
    before: Distribution

    def rank(self, row: SubjectRow) -> SubjectRow:
        row.rank = self.current.rank_of(row.total)
        row.previous_rank = self.before.rank_of(row.previous)
        return row


def _first_position(dashboard: Dashboard) -> int:
    return (dashboard.page.number - 1) * PAGE_SIZE + 1


def _shown_rows(dashboard: Dashboard, selected, previous: tuple[int, int], focus: str | None):
    """ONE statement for every row the page shows: the page of the ranking (its position among the rows matching the
    search, in the order asked for), the best and the last EDGE_COUNT, and the followed subject — row numbers in
    SQL over the scope, only those rows returned. The last EDGE_COUNT are the first counted from the end of the
    scope's count (known from the distribution): no second sort, no window count. The scope's category totals come
    with the distributions (``quarter_distributions``), not as window aggregates here: those kept every row of the
    scope in a window buffer."""
    search, sort, view = dashboard.search, dashboard.sort, dashboard.view
    first = _first_position(dashboard)
    top_n = Window(RowNumber(), order_by=ranking_order())
    if not search and sort == "rank":
        # The page's position is the rank's row number: one window (and one pass over the scope) fewer.
        windows, on_page = {"top_n": top_n}, Q(top_n__gte=first, top_n__lt=first + PAGE_SIZE)
    else:
        hit = Case(When(search_q(search, view=view), then=Value(1)), default=Value(0)) if search else Value(1)
        position = Window(RowNumber(), partition_by=[F("hit")], order_by=sort_order(sort))
        windows = {"hit": hit, "position": position, "top_n": top_n}
        on_page = Q(hit=1, position__gte=first, position__lt=first + PAGE_SIZE)
    # Sorting by the change needs every previous total; otherwise they are read for the shown rows only (below).
    return (
        with_row_values(selected, previous if sort in ("change", "-change") else None, view)
        .annotate(**windows)
        .filter(on_page | Q(top_n__lte=EDGE_COUNT) | Q(top_n__gt=dashboard.count - EDGE_COUNT) | Q(subject=focus or ""))
        .order_by()
        .values(*ROW_VALUES, *STORED_VALUES, *windows)
    )


def _place_rows(dashboard: Dashboard, shown, focus: str | None, ranks: _Ranks, status_labels: dict):
    """Sort the rows read into the page, the top and the bottom EDGE_COUNT and the followed subject (one object per
    subject, whichever list it comes from); return the rows by subject."""
    first = _first_position(dashboard)
    page_rows, top, bottom, chosen = {}, {}, {}, None
    for values in shown:
        row = ranks.rank(subject_row(values, status_labels))
        position = values.get("position", values["top_n"])
        if values.get("hit", 1) == 1 and first <= position < first + PAGE_SIZE:
            page_rows[position] = row
        if values["top_n"] <= EDGE_COUNT:
            top[values["top_n"]] = row
        from_the_end = dashboard.count - values["top_n"] + 1
        if from_the_end <= EDGE_COUNT:
            bottom[from_the_end] = row
        if values["subject"] == focus:
            chosen = row
    dashboard.rows = [page_rows[k] for k in sorted(page_rows)]
    dashboard.top = [top[k] for k in sorted(top)]
    best_subjects = {r.subject for r in dashboard.top}
    dashboard.bottom = [bottom[k] for k in sorted(bottom) if bottom[k].subject not in best_subjects]
    by_subject = {r.subject: r for r in (*dashboard.top, *dashboard.bottom, *dashboard.rows)}
    if chosen is not None:
        chosen = by_subject.setdefault(chosen.subject, chosen)
    dashboard.top = [by_subject[r.subject] for r in dashboard.top]
    dashboard.bottom = [by_subject[r.subject] for r in dashboard.bottom]
    _pick_best_and_focus(dashboard, chosen)
    return by_subject


def _pick_best_and_focus(dashboard: Dashboard, chosen: SubjectRow | None) -> None:
    best = dashboard.top[0] if dashboard.top else None
    if chosen is None and dashboard.count == 1:
        chosen = best
    trend_rows = dashboard.top[:TREND_LINES]
    if chosen is not None and chosen not in trend_rows:
        trend_rows = [*trend_rows, chosen]
    dashboard.best, dashboard.focus, dashboard.trend_rows = best, chosen, trend_rows


def _trend_lines(dashboard: Dashboard, scoped, by_subject: dict, previous: tuple[int, int], ranks: _Ranks) -> None:
    """The eight quarters of every row shown (trend lines and previous totals): ONE statement, at most
    8 × (PAGE_SIZE + 2 × EDGE_COUNT + 1) rows."""
    in_window = reduce(or_, (Q(year=y, quarter=q) for y, q in dashboard.periods))
    lines = scoped.filter(in_window, subject__in=list(by_subject)).order_by()
    for subject, y, q, total in lines.values_list("subject", "year", "quarter", "total"):
        by_subject[subject].trend[(y, q)] = total
    for row in by_subject.values():
        row.previous = row.trend.get(previous)
        row.previous_rank = ranks.before.rank_of(row.previous)


def category_totals(selected) -> dict:
    """The scope's category totals (``<key>__sum``, ``<key>__n``: points and results with points in the category)
    and how many results have overdue items, in ONE aggregate over the results' stored values."""
    aggregates = {"overdue__n": Count("pk", filter=Q(overdue_items__gt=0))}
    for key, column in CATEGORY_FIELDS.items():
        aggregates[f"{key}__sum"] = Sum(column)
        aggregates[f"{key}__n"] = Count(column)
    return selected.order_by().aggregate(**aggregates)


def categories_fill(dashboard: Dashboard, totals: dict, shown: list[SubjectRow]) -> None:
    """The scope's category averages (from ``category_totals``) and each category's full marks (ONE statement over
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
    dashboard.average_categories = {key: one_place(totals[f"{key}__sum"] / totals[f"{key}__n"]) for key in keys}


def _overdue(dashboard: Dashboard, selected, status_labels: dict) -> None:
    """The OVERDUE_TOP subjects with the most overdue action items at the quarter's end (the overdue metric, stored
    on the result), in ONE statement; how many have any comes with the ranking's statement."""
    found = (
        selected.filter(overdue_items__gt=0)
        .annotate(
            name=name_expr(view=dashboard.view),
            short=short_expr(view=dashboard.view),
            code=code_expr(view=dashboard.view),
            previous=Value(None, output_field=DecimalField()),
        )
        .order_by("-overdue_items", "name", bytewise("subject"))
        .values(*ROW_VALUES, "overdue_items")[:OVERDUE_TOP]
    )
    dashboard.overdue_rows = [subject_row(values, status_labels) for values in found]


def _plan_heat(dashboard: Dashboard, today: dt.date | None = None) -> None:
    """Plan completion by month for the selected year, for the rows shown only (planned rows and rows done: an
    activity held or logged)."""
    if not dashboard.rows:
        return
    found = heat_counts(dashboard.view, dashboard.year, [row.subject_pk for row in dashboard.rows])
    today = today or timezone.localdate()
    for row in dashboard.rows:
        row.heat = heat_cells(found, row.subject_pk, dashboard.year, today)
