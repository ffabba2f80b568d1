"""Reads for the assessment pages (all scoped): the committee dashboard, one result, its evidence."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS as MONTH_NAMES
from django.utils.translation import gettext as _

from assessments import metrics
from assessments.models import Indicator, IndicatorScore, QuarterRollup, RollupRun, self_assessor_q
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
# Fast by construction: the page reads rollup rows only — the results of the eight-quarter window in ONE query and
# the selected quarter's indicator scores in ONE — plus ONE aggregate over the year's plan rows for the heat map
# (plan completion by month is finer than any rollup row). The number of statements never grows with the number of
# organizations, agreements or records.

ORGANIZATIONS, AGREEMENTS = "organizations", "agreements"
VIEWS = (ORGANIZATIONS, AGREEMENTS)
TREND_QUARTERS = 8
TREND_LINES = 3  # besides the average: the selected quarter's best subjects (and the selected one)
OVERDUE_METRIC = "overdue_items"
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
    """The quarters in which the user sees at least one result, latest first (one query)."""
    return list(
        QuarterRollup.objects.visible_to(user).order_by("-year", "-quarter").values_list("year", "quarter").distinct()
    )


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


def _one_place(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def _average(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    return _one_place(sum(values, ZERO) / len(values)) if values else None


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
    categories: dict[str, Decimal] = field(default_factory=dict)
    overdue: Decimal | None = None
    trend: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    heat: list[dict] = field(default_factory=list)

    @property
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
class Dashboard:
    year: int
    quarter: int
    view: str
    rows: list[SubjectRow]
    periods: list[tuple[int, int]]
    categories: list[dict]  # key, label, full
    average_trend: list[Decimal | None]
    trend_rows: list[SubjectRow]
    average_categories: dict[str, Decimal | None]
    best: SubjectRow | None
    focus: SubjectRow | None
    scores: list[dict]  # every indicator score of the quarter (for the export)

    @property
    def label(self) -> str:
        return quarter_label(self.year, self.quarter)

    @property
    def overdue_rows(self) -> list[SubjectRow]:
        rows = [r for r in self.rows if r.overdue]
        return sorted(rows, key=lambda r: (-r.overdue, r.name))

    @property
    def average_total(self) -> Decimal | None:
        return _average(r.total for r in self.rows)

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


def _rank(rows: list[SubjectRow]) -> None:
    """Competition ranking: equal totals share a rank (1, 2, 2, 4)."""
    previous_total, previous_rank = None, 0
    for index, row in enumerate(rows, start=1):
        row.rank = previous_rank if row.total == previous_total else index
        previous_total, previous_rank = row.total, row.rank


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


def dashboard_data(user, *, year: int, quarter: int, view: str = ORGANIZATIONS, focus: str | None = None) -> Dashboard:
    """Everything the dashboard shows for the user's scope and a quarter, in three statements."""
    periods = quarter_window(year, quarter)
    scoped = QuarterRollup.objects.visible_to(user).filter(_kind_q(view))
    in_window = reduce(or_, (Q(year=y, quarter=q) for y, q in periods))
    window = list(
        scoped.filter(in_window)
        .select_related("organization", "agreement")
        .only(
            "year",
            "quarter",
            "subject",
            "status",
            "total",
            "organization__name",
            "organization__short_name",
            "agreement__title",
        )
        .order_by("-total", "subject")
    )
    status_labels = dict(QuarterRollup.Status.choices)
    rows: dict[str, SubjectRow] = {}
    history: dict[str, dict[tuple[int, int], Decimal]] = defaultdict(dict)
    for rollup in window:
        period = (rollup.year, rollup.quarter)
        history[rollup.subject][period] = rollup.total
        if period == (year, quarter):
            name, pk, subject_url = subject_of(rollup)
            rows[rollup.subject] = SubjectRow(
                rollup_id=rollup.pk,
                subject=rollup.subject,
                subject_pk=pk,
                name=name,
                subject_url=subject_url,
                total=rollup.total,
                status=rollup.status,
                status_label=status_labels.get(rollup.status, rollup.status),
            )
    ranked = list(rows.values())  # already best first
    _rank(ranked)
    previous = metrics.previous_quarter(year, quarter)
    for row in ranked:
        row.trend = history[row.subject]
        row.previous = row.trend.get(previous)

    # The quarter's indicator scores: category subtotals, the overdue-items metric, the export's detail sheet.
    scores = list(
        IndicatorScore.objects.filter(rollup__in=scoped.filter(year=year, quarter=quarter).values("pk"))
        .order_by("rollup_id", "indicator__order", "indicator_id")
        .values(*SCORE_FIELDS)
    )
    by_rollup = {row.rollup_id: row for row in ranked}
    full: dict[str, Decimal] = {}
    seen_indicators: set[int] = set()
    for score in scores:
        row = by_rollup.get(score["rollup_id"])
        category = score["indicator__category"]
        if score["indicator_id"] not in seen_indicators:
            seen_indicators.add(score["indicator_id"])
            points = ZERO if score["indicator__is_deduction"] else score["indicator__points"]
            full[category] = full.get(category, ZERO) + points
        if row is None:
            continue
        score["subject_name"] = row.name
        row.categories[category] = row.categories.get(category, ZERO) + score["final_points"]
        if score["indicator__metric"] == OVERDUE_METRIC:
            row.overdue = score["metric_value"]
    categories = [
        {"key": key, "label": str(label), "full": full[key]} for key, label in Indicator.Category.choices if key in full
    ]
    keys = tuple(c["key"] for c in categories)
    for row in ranked:
        row._category_keys = keys

    best = ranked[0] if ranked else None
    chosen = rows.get(focus) if focus else None
    if chosen is None and len(ranked) == 1:
        chosen = ranked[0]
    trend_rows = ranked[:TREND_LINES]
    if chosen is not None and chosen not in trend_rows:
        trend_rows = [*trend_rows, chosen]

    dashboard = Dashboard(
        year=year,
        quarter=quarter,
        view=view,
        rows=ranked,
        periods=periods,
        categories=categories,
        average_trend=[_average(h.get(p) for h in history.values()) for p in periods],
        trend_rows=trend_rows,
        average_categories={key: _average(r.categories.get(key) for r in ranked) for key in keys},
        best=best,
        focus=chosen,
        scores=scores,
    )
    _plan_heat(dashboard, scoped.filter(year=year, quarter=quarter))
    return dashboard


def _plan_heat(dashboard: Dashboard, subjects_qs, today: dt.date | None = None) -> None:
    """Plan completion by month for the selected year: planned rows and rows done (an activity held or logged),
    per subject and month — ONE statement over the plan rows, UNION of the links as in ``metrics.Metric.values``."""
    from activities.models import Activity, PlannedActivity

    if not dashboard.rows:
        return
    year = dashboard.year
    done = Activity.objects.filter(plan_row=OuterRef("pk"), status__in=metrics.DONE_ACTIVITY)
    base = PlannedActivity.objects.filter(plan__year=year).annotate(n=metrics._flag(Exists(done))).order_by()
    if dashboard.view == ORGANIZATIONS:
        links, ids = ("lead", "co_organizers"), subjects_qs.values("organization_id")
    else:
        links, ids = ("plan__agreement",), subjects_qs.values("agreement_id")
    parts, params = [], []
    for path in links:
        qs = (
            base.filter(**{f"{path}__in": ids})
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
        found = {(subject, month): (planned, done or 0) for subject, month, planned, done in cursor.fetchall()}
    today = today or timezone.localdate()
    for row in dashboard.rows:
        row.heat = []
        for month in MONTHS:
            planned, done_count = found.get((row.subject_pk, month), (0, 0))
            future = (year, month) > (today.year, today.month)
            rate = None if not planned or future else _one_place(Decimal(done_count) * 100 / planned)
            row.heat.append({"month": month, "planned": planned, "done": done_count, "rate": rate, "future": future})


def _number(value) -> float | None:
    return None if value is None else float(value)


def dashboard_charts(dashboard: Dashboard) -> dict:
    """The charts' data as plain JSON values (for ``json_script``): ECharts renders them on the page."""
    rows = dashboard.rows
    focus = dashboard.focus

    def radar_values(categories: dict) -> list[float]:
        # The radar starts at zero: a category pulled below it by a deduction is drawn at the centre.
        return [_number(max(categories.get(c["key"]) or ZERO, ZERO)) for c in dashboard.categories]

    radar_series = [{"name": _("Average"), "values": radar_values(dashboard.average_categories)}]
    if len(rows) == 1:  # a secretary's own branch: its one shape, not three identical ones
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
    overdue = dashboard.overdue_rows[:20]
    return {
        "labels": {
            "total": _("Total"),
            "average": _("Average"),
            "overdue": _("Overdue action items"),
            "planned": _("Planned"),
            "done": _("Done"),
            "rate": _("Completion"),
        },
        "ranking": [{"name": r.name, "value": _number(r.total), "url": r.url} for r in rows],
        "trend": {
            "periods": [quarter_label(*p) for p in dashboard.periods],
            "average": [_number(v) for v in dashboard.average_trend],
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
        "overdue": [{"name": r.name, "value": _number(r.overdue), "url": r.url} for r in overdue],
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


def dashboard_sheets(dashboard: Dashboard) -> list[tuple[str, list, list]]:
    """The Excel export: one sheet per view of the dashboard, and every indicator score."""
    categories = dashboard.categories
    periods = dashboard.periods
    ranking = [
        [
            r.rank,
            r.name,
            _number(r.total),
            r.status_label,
            _number(r.previous),
            _number(r.change),
            *[_number(r.categories.get(c["key"])) for c in categories],
        ]
        for r in dashboard.rows
    ]
    trend = [[_("Average"), *[_number(v) for v in dashboard.average_trend]]] + [
        [r.name, *[_number(r.trend.get(p)) for p in periods]] for r in dashboard.rows
    ]
    best = dashboard.best
    radar = [
        [
            c["label"],
            _number(c["full"]),
            _number(dashboard.average_categories.get(c["key"])),
            _number(best.categories.get(c["key"])) if best else None,
        ]
        for c in categories
    ]
    overdue = [[r.name, _number(r.overdue)] for r in sorted(dashboard.rows, key=lambda r: (-(r.overdue or 0), r.name))]
    heat = [
        [r.name, cell["month"], cell["planned"], cell["done"], _number(cell["rate"])]
        for r in dashboard.rows
        for cell in r.heat
        if cell["planned"]
    ]
    sources = dict(Indicator.Source.choices)
    category_labels = dict(Indicator.Category.choices)
    detail = [
        [
            s.get("subject_name", ""),
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
        for s in dashboard.scores
    ]
    subject = _("Organization") if dashboard.view == ORGANIZATIONS else _("Agreement")
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
            ranking,
        ),
        (_("Trend"), [subject, *[quarter_label(*p) for p in periods]], trend),
        (_("Categories"), [_("Category"), _("Full marks"), _("Average"), _("Best")], radar),
        (_("Overdue items"), [subject, _("Overdue action items")], overdue),
        (_("Plan completion"), [subject, _("Month"), _("Planned"), _("Done"), _("Completion (%)")], heat),
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
            detail,
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
    """The latest quarter's best and last ``count`` branches the user may see (two queries), for the home panel."""
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
        .only("total", "status", "organization__name", "organization__short_name")
        .order_by("-total", "subject")
    )
    top = rows[:count]
    bottom = [r for r in rows[-count:] if r not in top][::-1]
    return {
        "year": year,
        "quarter": quarter,
        "label": quarter_label(year, quarter),
        "top": top,
        "bottom": bottom,
        "count": len(rows),
        "average": _average(r.total for r in rows),
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
