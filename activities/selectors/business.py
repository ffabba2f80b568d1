"""Reads of 党建+业务 on key projects: milestones against plan, monthly business figures, the month-by-month chart
of business progress beside the joint party work, and the schedule overview the committee reads.

Dates are calendar dates in Asia/Shanghai: "today" is ``timezone.localdate()`` (a 23:30 UTC instant is already the
next day in Shanghai). A milestone's days (negative = ahead, positive = behind):

* reached: ``actual_on − planned_on``;
* not reached and its plan date passed: ``today − planned_on`` (overdue, behind);
* not reached and not yet due: none.

A project's deviation reads its milestones the same way: the latest reached milestone's days (by plan date), or —
when a milestone is overdue — the larger of that and the days since the earliest overdue plan date. A project is
超前 when the deviation is ``SCHEDULE_TOLERANCE_DAYS`` or more ahead, 滞后 when that many or more behind, else
按计划 (also while no milestone is due yet); a project without milestones has no schedule status.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from activities.models import Activity, KeyProject, ProjectMilestone, ProjectMonthlyFigure, ZoneCheck
from activities.rules import SCHEDULE_TOLERANCE_DAYS
from partnerships.models import ActionItem, Organization

CHART_MONTHS = 24  # the chart's window: at most the last two years, month by month
LAGGING_TOP = 5  # lagging projects named on the committee's panel (the rest behind the list's link)
DONE_ACTIVITY = (Activity.Status.HELD, Activity.Status.LOGGED)
Timing = ProjectMilestone.Timing
Schedule = ProjectMilestone.Schedule


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --- one milestone, one project (pure) ---------------------------------------------------------------------------


def milestone_days(milestone: ProjectMilestone, today: dt.date) -> int | None:
    """Days behind plan (negative: ahead); None while the milestone is not reached and not yet due."""
    if milestone.actual_on is not None:
        return (milestone.actual_on - milestone.planned_on).days
    if milestone.planned_on < today:
        return (today - milestone.planned_on).days
    return None


def milestone_timing(milestone: ProjectMilestone, today: dt.date) -> str:
    days = milestone_days(milestone, today)
    if milestone.actual_on is None:
        return Timing.UPCOMING if days is None else Timing.OVERDUE
    if days < 0:
        return Timing.AHEAD
    return Timing.ON_TIME if days == 0 else Timing.LATE


def timing_label(timing: str, days: int | None) -> str:
    """The badge's words: "提前 12 天", "延后 3 天", "逾期 5 天", or the timing's own label."""
    n = abs(days or 0)
    if timing == Timing.AHEAD:
        return ngettext("%(days)s day early", "%(days)s days early", n) % {"days": n}
    if timing == Timing.LATE:
        return ngettext("%(days)s day late", "%(days)s days late", n) % {"days": n}
    if timing == Timing.OVERDUE:
        return ngettext("%(days)s day overdue", "%(days)s days overdue", n) % {"days": n}
    return str(Timing(timing).label)


def schedule_fields(milestones: list[ProjectMilestone]) -> dict:
    """What a project stores of its milestones for the committee's panel, none depending on the day: whether it has
    any, the delay of the latest reached one (by plan date, then id), the earliest plan date not yet reached."""
    reached = [m for m in milestones if m.actual_on is not None]
    latest = max(reached, key=lambda m: (m.planned_on, m.pk or 0), default=None)
    return {
        "has_milestones": bool(milestones),
        "reached_delay": latest.actual_on - latest.planned_on if latest else None,
        "open_from": min((m.planned_on for m in milestones if m.actual_on is None), default=None),
    }


def project_deviation(milestones: list[ProjectMilestone], today: dt.date) -> int | None:
    """The project's days behind plan (negative: ahead) from its milestones (see the module docstring); None
    without milestones; 0 while none is due."""
    stored = schedule_fields(milestones)
    if not stored["has_milestones"]:
        return None
    reached_days = stored["reached_delay"].days if stored["reached_delay"] is not None else None
    open_from = stored["open_from"]
    overdue_days = (today - open_from).days if open_from is not None and open_from < today else None
    values = [v for v in (reached_days, overdue_days) if v is not None]
    if not values:
        return 0
    return max(values) if overdue_days is not None else reached_days


def schedule_of(deviation: int | None) -> str | None:
    if deviation is None:
        return None
    if deviation <= -SCHEDULE_TOLERANCE_DAYS:
        return Schedule.AHEAD
    if deviation >= SCHEDULE_TOLERANCE_DAYS:
        return Schedule.BEHIND
    return Schedule.ON_SCHEDULE


# --- the project page ----------------------------------------------------------------------------------------------


@dataclass
class ChartData:
    """The chart's series, one value per month (``months`` as "2026-01")."""

    months: list[str] = field(default_factory=list)
    progress: list[int | None] = field(default_factory=list)
    activities: list[int] = field(default_factory=list)
    zone_checks: list[int] = field(default_factory=list)
    items_closed: list[int] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "months": self.months,
            "progress": self.progress,
            "activities": self.activities,
            "zone_checks": self.zone_checks,
            "items_closed": self.items_closed,
        }


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_key(value) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value, _tz()) if timezone.is_aware(value) else value
    return f"{value.year:04d}-{value.month:02d}"


def _counts_by_month(queryset: QuerySet, column) -> dict[str, int]:
    rows = queryset.annotate(m=column).values("m").annotate(c=Count("pk")).order_by()
    return {_month_key(row["m"]): row["c"] for row in rows if row["m"] is not None}


def project_chart(project: KeyProject, figures: list[ProjectMonthlyFigure], today: dt.date) -> ChartData:
    """Month by month over the last ``CHART_MONTHS`` months (from the first month with anything in it): the
    business progress % from the monthly figures beside the joint work — activities held under the project's
    agreement, checks of its zones, action items of its agreement closed. Three aggregate queries (one per joint-work
    series, grouped by month in Asia/Shanghai), whatever the number of months or records."""
    end = add_months(first_of_month(today), 1)
    start = add_months(end, -CHART_MONTHS)
    start_dt = dt.datetime.combine(start, dt.time(), _tz())
    end_dt = dt.datetime.combine(end, dt.time(), _tz())
    tz = _tz()
    activities = _counts_by_month(
        Activity.objects.filter(
            agreement_id=project.agreement_id, status__in=DONE_ACTIVITY, starts_at__gte=start_dt, starts_at__lt=end_dt
        ),
        TruncMonth("starts_at", tzinfo=tz),
    )
    checks = _counts_by_month(
        ZoneCheck.objects.filter(zone__project=project, checked_on__gte=start, checked_on__lt=end),
        TruncMonth("checked_on"),
    )
    closed_at = Coalesce("confirmed_at", "closed_at")
    items = _counts_by_month(
        ActionItem.objects.filter(agreement_id=project.agreement_id, status=ActionItem.Status.DONE)
        .annotate(done_at=closed_at)
        .filter(done_at__gte=start_dt, done_at__lt=end_dt),
        TruncMonth(closed_at, tzinfo=tz),
    )
    progress = {_month_key(f.month): f.progress for f in figures if start <= f.month < end}
    filled = sorted({*activities, *checks, *items, *progress})
    chart = ChartData()
    if not filled:
        return chart
    month = dt.date.fromisoformat(filled[0] + "-01")
    while month < end:
        key = _month_key(month)
        chart.months.append(key)
        chart.progress.append(progress.get(key))
        chart.activities.append(activities.get(key, 0))
        chart.zone_checks.append(checks.get(key, 0))
        chart.items_closed.append(items.get(key, 0))
        month = add_months(month, 1)
    return chart


def project_business(project: KeyProject, today: dt.date | None = None) -> dict:
    """The 党建+业务 tab of a project's page: milestones with their days and timing, the monthly figures (newest
    first), the project's deviation and schedule status, and the chart's data. Five queries."""
    today = today or timezone.localdate()
    milestones = list(project.milestones.order_by("order", "planned_on", "pk"))
    for milestone in milestones:
        milestone.days = milestone_days(milestone, today)
        milestone.timing = milestone_timing(milestone, today)
        milestone.timing_label = timing_label(milestone.timing, milestone.days)
    figures = list(project.monthly_figures.order_by("-month", "-pk"))
    deviation = project_deviation(milestones, today)
    return {
        "milestones": milestones,
        "figures": figures,
        "deviation": deviation,
        "abs_deviation": abs(deviation) if deviation is not None else None,
        "schedule": schedule_of(deviation),
        "chart": project_chart(project, figures, today),
        "tolerance_days": SCHEDULE_TOLERANCE_DAYS,
    }


# --- the committee's overview (set-based) --------------------------------------------------------------------------


def _days(value: dt.timedelta | int | None) -> int | None:
    if value is None:
        return None
    return value.days if isinstance(value, dt.timedelta) else int(value)


def with_deviation(projects: QuerySet[KeyProject], today: dt.date) -> QuerySet[KeyProject]:
    """Annotate ``deviation`` (a duration: days behind plan, negative ahead; NULL without milestones) as
    ``project_deviation`` computes it, from what the project stores of its milestones (``schedule_fields``): no
    subquery, no row fetched per project."""
    duration = DurationField()
    overdue = Case(
        When(open_from__lt=today, then=ExpressionWrapper(Value(today) - F("open_from"), output_field=duration)),
        default=None,
        output_field=duration,
    )
    zero = Value(dt.timedelta(0), output_field=duration)
    return projects.annotate(overdue_delay=overdue).annotate(
        deviation=Case(
            When(has_milestones=False, then=None),
            # GREATEST ignores a NULL on PostgreSQL and returns NULL on SQLite: each side falls back on the other.
            default=Coalesce(
                Greatest(
                    Coalesce(F("overdue_delay"), F("reached_delay")), Coalesce(F("reached_delay"), F("overdue_delay"))
                ),
                zero,  # milestones, none reached and none due yet: on schedule
                output_field=duration,
            ),
            output_field=duration,
        )
    )


UNPLANNED = "unplanned"
# The project list's schedule filter: the three statuses and "no milestones", as the committee's panel counts them.
SCHEDULE_CHOICES = [*Schedule.choices, (UNPLANNED, _("No milestones"))]


def schedule_conditions(today: dt.date) -> dict[str, Q]:
    """Each schedule status of a project under way as a plain comparison of its stored columns (the same as of
    ``deviation``, so it reads no milestone): behind when a milestone is overdue by the tolerance or the latest
    reached one was that late; ahead when none is overdue and the latest reached one was that early."""
    tolerance = dt.timedelta(days=SCHEDULE_TOLERANCE_DAYS)
    behind = Q(open_from__lte=today - tolerance) | Q(reached_delay__gte=tolerance)
    ahead = (Q(open_from__isnull=True) | Q(open_from__gte=today)) & Q(reached_delay__lte=-tolerance)
    return {
        Schedule.AHEAD: ahead,
        Schedule.BEHIND: behind,
        Schedule.ON_SCHEDULE: Q(has_milestones=True) & ~behind & ~ahead,
        UNPLANNED: Q(has_milestones=False),
    }


def projects_by_schedule(projects: QuerySet[KeyProject], status: str, today: dt.date) -> QuerySet[KeyProject]:
    """The projects under way in one schedule status (``SCHEDULE_CHOICES``), annotated with ``deviation`` (a
    duration: behind, negative ahead; ``schedule_note`` words it): the most behind first, or the most ahead first,
    else by name."""
    condition = schedule_conditions(today)[status]
    chosen = with_deviation(projects.filter(status=KeyProject.Status.UNDER_WAY).filter(condition), today)
    if status == Schedule.BEHIND:
        return chosen.order_by(F("deviation").desc(nulls_last=True), "name", "pk")
    if status == Schedule.AHEAD:
        return chosen.order_by(F("deviation").asc(nulls_last=True), "name", "pk")
    return chosen.order_by("name", "pk")


def schedule_note(deviation: dt.timedelta | None) -> str:
    """A project's days off plan as the list shows them: "滞后 12 天", "超前 5 天", or "" within the tolerance."""
    days = _days(deviation)
    if days is None or abs(days) < SCHEDULE_TOLERANCE_DAYS:
        return ""
    if days > 0:
        return ngettext("%(days)s day behind", "%(days)s days behind", days) % {"days": days}
    return ngettext("%(days)s day ahead", "%(days)s days ahead", -days) % {"days": -days}


def schedule_overview(user, today: dt.date | None = None, limit: int = LAGGING_TOP) -> dict:
    """The committee's panel: how many of the projects it sees (under way) are 超前 / 按计划 / 滞后 (and without
    milestones), and the most lagging ones with their days behind. ONE query, a single pass over the projects' rows
    whatever their number: the counts are window aggregates over them all, carried by the ``limit`` most lagging rows
    the query returns; the responsible organization's name is read for those rows only."""
    today = today or timezone.localdate()
    tolerance = dt.timedelta(days=SCHEDULE_TOLERANCE_DAYS)
    projects = with_deviation(KeyProject.objects.visible_to(user).filter(status=KeyProject.Status.UNDER_WAY), today)
    conditions = {str(key): q for key, q in schedule_conditions(today).items()}
    rows = list(
        projects.annotate(**{f"n_{key}": Window(Count("pk", filter=q)) for key, q in conditions.items()})
        .order_by(F("deviation").desc(nulls_last=True), "name", "pk")
        .prefetch_related(Prefetch("owner", queryset=Organization.objects.only("name", "short_name")))[:limit]
    )
    counts = {key: getattr(rows[0], f"n_{key}") if rows else 0 for key in conditions}
    lagging = [project for project in rows if project.deviation is not None and project.deviation >= tolerance]
    for project in lagging:
        project.days_behind = _days(project.deviation)
    return {"counts": counts, "lagging": lagging, "tolerance_days": SCHEDULE_TOLERANCE_DAYS}
