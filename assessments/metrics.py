"""The named metrics behind automatic indicators (the quarters they are measured over: assessments/quarters.py).

Each metric is defined once by a *base* queryset of the records it counts (meetings, plan rows, activities,
action items, zone checks, roster members), annotated with two integers per record: ``n`` (the record counts
towards the numerator) and ``d`` (it counts towards the denominator), and by the *links* from a record to the
subjects it belongs to (``lead``, ``co_organizers``, ``agreement`` …). From that single definition:

* ``values(kind, year, quarter)`` runs ONE statement for all subjects of a kind::

      SELECT s, SUM(n), SUM(d) FROM (
          SELECT lead_id AS s, id AS i, <n> AS n, <d> AS d FROM activity WHERE <quarter> AND <lead_id IS NOT NULL>
          UNION ALL
          SELECT s, i, n, d FROM (
              SELECT co.organization_id AS s, id AS i, <n>, <d>, lead_id AS e0
              FROM activity JOIN activity_co_organizers co … WHERE <quarter>
          ) p1 WHERE e0 IS NULL OR e0 <> s
      ) u GROUP BY s

  A record reaching a subject by two links (a lead that also co-organizes) counts once: a later link drops the
  rows whose subject an earlier single-valued link (a foreign key path, e.g. ``lead``) already gives the same
  record. That is a column comparison, so the statement streams into one hash aggregate instead of
  de-duplicating a million rows with a sort (``UNION``), which spilled to disk at 1M activities. Should an earlier
  link be multi-valued (through a many-to-many or reverse relation), the parts are combined with ``UNION``
  instead. Each link itself yields a (subject, record) pair at most once (foreign keys, and many-to-many or
  reverse relations through unique pairs). The inner selects are compiled by the ORM, so the statement is the
  same on SQLite and PostgreSQL;
* ``records(subject, year, quarter)`` returns the same base filtered on the subject: the evidence drill-down lists
  exactly the records the number was computed from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.models import (
    Activity,
    PlannedActivity,
    ProjectMilestone,
    ProjectMonthlyFigure,
    PublicityItem,
    ZoneCheck,
)
from assessments.quarters import (  # noqa: F401 (re-exported: callers name them metrics.quarter_bounds …)
    Period,
    _tz,
    current_quarter,
    previous_quarter,
    quarter_bounds,
    quarter_datetimes,
    quarter_months,
    quarter_of,
)
from partnerships.models import ActionItem, Agreement, JointMeeting, Member, Need, Pairing

ORG = "org"
AGR = "agr"
HUNDRED = Decimal(100)


# --- the registry --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    # "count": the value is SUM(n); "rate": 100 × SUM(n) / SUM(d), in per cent; "all": 1 when every record
    # counted holds (SUM(n) = SUM(d)), else 0.
    kind: str
    # base(period) -> queryset of records annotated with integer ``n`` and ``d``
    base: Callable[[Period], QuerySet]
    # subject kind -> the lookups from a record to its subjects' ids
    links: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # A rate with nothing due: "full" (nothing was late) or "zero" (nothing was done).
    when_empty: str = "zero"
    # Part of the default scheme (``DEFAULT_INDICATORS``); False for metrics a committee adds to its scheme itself.
    in_default_scheme: bool = True

    def values(self, kind: str, year: int, quarter: int, *, now: dt.datetime | None = None) -> dict[int, Decimal]:
        """The metric for every subject of ``kind`` in one statement: ``{subject_id: value}``.

        Subjects absent from the result have no record at all: a count of 0, a rate by ``when_empty``."""
        sql, params = self.statement(kind, Period(year, quarter, now or timezone.now()))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        values = {subject: self._value(n or 0, d or 0) for subject, n, d in rows}
        return {subject: value for subject, value in values.items() if value is not None}

    def statement(self, kind: str, period: Period) -> tuple[str, list]:
        """The SQL and parameters of ``values`` (see the module docstring)."""
        base = self.base(period).order_by()
        links = self.links[kind]
        # De-duplicated by comparison when every link but the last is single-valued, else by UNION.
        compare = all(_single_valued(base.model, path) for path in links[:-1])
        parts, params = [], []
        for index, path in enumerate(links):
            seen = {f"e{j}": F(other) for j, other in enumerate(links[:index])} if compare else {}
            qs = (
                base.filter(**{f"{path}__isnull": False})
                .annotate(s=F(path), i=F("pk"), **seen)
                .values_list("s", "i", "n", "d", *seen)
                .order_by()
            )
            sql, part_params = qs.query.sql_with_params()
            if seen:
                kept = " AND ".join(f"({e} IS NULL OR {e} <> s)" for e in seen)
                sql = f"SELECT s, i, n, d FROM ({sql}) p{index} WHERE {kept}"  # noqa: S608 (ORM-compiled)
            parts.append(sql)
            params.extend(part_params)
        union = " UNION ALL " if compare else " UNION "
        sql = f"SELECT s, SUM(n), SUM(d) FROM ({union.join(parts)}) u GROUP BY s"  # noqa: S608 (ORM-compiled)
        return sql, params

    def _value(self, n: int, d: int) -> Decimal | None:
        if self.kind == "count":
            return Decimal(n)
        if not d:
            return None
        if self.kind == "all":
            return Decimal(1) if n == d else Decimal(0)
        return (Decimal(n) * HUNDRED / Decimal(d)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def empty_value(self) -> Decimal | None:
        """The value of a subject with no record: 0 for counts; 100 or None for rates (see ``when_empty``)."""
        if self.kind == "count":
            return Decimal(0)
        if self.when_empty != "full":
            return None
        return Decimal(1) if self.kind == "all" else HUNDRED

    def records(self, subject, year: int, quarter: int, *, now: dt.datetime | None = None) -> QuerySet:
        """The records behind ``subject``'s value (an Organization or an Agreement), annotated with ``n``/``d``."""
        kind = AGR if isinstance(subject, Agreement) else ORG
        period = Period(year, quarter, now or timezone.now())
        condition = reduce(or_, (Q(**{path: subject.pk}) for path in self.links[kind]))
        return self.base(period).filter(condition, d=1).distinct()


def _single_valued(model, path: str) -> bool:
    """Whether ``path`` leads from a record to at most one subject (foreign keys only)."""
    for name in path.split("__"):
        field = model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return False
        model = field.related_model
    return True


REGISTRY: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    REGISTRY[metric.key] = metric
    return metric


def metric_choices() -> list[tuple[str, str]]:
    return [(key, metric.label) for key, metric in REGISTRY.items()]


def _flag(condition: Q | Exists) -> Case:
    """An integer 0/1 column (SUM over booleans is not portable)."""
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


ONE = Value(1, output_field=IntegerField())
ACTIVITY_LINKS = {ORG: ("lead", "co_organizers"), AGR: ("agreement",)}
DONE_ACTIVITY = ("held", "logged")


# --- the metrics of the default scheme -------------------------------------------------------------------------


def _joint_meetings(p: Period) -> QuerySet:
    return JointMeeting.objects.filter(
        minutes_status=JointMeeting.MinutesStatus.PUBLISHED, starts_at__gte=p.start_dt, starts_at__lt=p.end_dt
    ).annotate(n=ONE, d=ONE)


register(
    Metric(
        "joint_meetings",
        _("Joint meetings held (minutes published)"),
        _("meetings"),
        "count",
        _joint_meetings,
        {ORG: ("host", "agreement__parties__organization"), AGR: ("agreement",)},
    )
)


def _plan_completion(p: Period) -> QuerySet:
    done = Activity.objects.filter(plan_row=OuterRef("pk"), status__in=DONE_ACTIVITY)
    return PlannedActivity.objects.filter(plan__year=p.year, month__in=quarter_months(p.quarter)).annotate(
        n=_flag(Exists(done)), d=ONE
    )


register(
    Metric(
        "plan_completion",
        _("Plan completion rate"),
        "%",
        "rate",
        _plan_completion,
        {ORG: ("lead", "co_organizers"), AGR: ("plan__agreement",)},
    )
)


def _logged_in_time(p: Period) -> QuerySet:
    grace = dt.timedelta(days=7)
    # An activity whose 7-day window is still open is only counted once it is logged.
    due = Q(status=Activity.Status.LOGGED) | Q(ends_at__lte=p.now - grace)
    return (
        Activity.objects.filter(ends_at__gte=p.start_dt, ends_at__lt=p.end_dt)
        .exclude(status=Activity.Status.CANCELLED)
        .annotate(
            n=_flag(Q(status=Activity.Status.LOGGED, logged_at__lte=F("ends_at") + grace)),
            d=_flag(due),
        )
    )


register(
    Metric(
        "logged_in_time",
        _("Activities logged within 7 days"),
        "%",
        "rate",
        _logged_in_time,
        # Logging is the lead's job: co-organizers are not marked down for the lead's delay.
        {ORG: ("lead",), AGR: ("agreement",)},
    )
)


def _closed_on():
    return TruncDate(Coalesce("confirmed_at", "closed_at"), tzinfo=_tz())


def _items_on_time(p: Period) -> QuerySet:
    done = ActionItem.Status.DONE
    return (
        ActionItem.objects.filter(due_on__gte=p.start, due_on__lt=p.end)
        .exclude(status=ActionItem.Status.CANCELLED)
        .annotate(closed_on=_closed_on())
        .annotate(
            n=_flag(Q(status=done, closed_on__lte=F("due_on"))),
            # Not yet due items count only once closed.
            d=_flag(Q(status=done) | Q(due_on__lt=p.cutoff)),
        )
    )


ITEM_LINKS = {ORG: ("responsible_party",), AGR: ("agreement",)}
register(
    Metric(
        "items_on_time",
        _("Action items closed on time"),
        "%",
        "rate",
        _items_on_time,
        ITEM_LINKS,
        when_empty="full",
    )
)


def _overdue_items(p: Period) -> QuerySet:
    # Still open at the cutoff although due before it — whichever quarter it was due in.
    still_open = ~Q(status=ActionItem.Status.DONE) | Q(closed_on__gte=p.cutoff)
    return (
        ActionItem.objects.filter(due_on__lt=p.cutoff)
        .exclude(status=ActionItem.Status.CANCELLED)
        .annotate(closed_on=_closed_on())
        .filter(still_open)
        .annotate(n=ONE, d=ONE)
    )


register(Metric("overdue_items", _("Overdue action items"), _("items"), "count", _overdue_items, ITEM_LINKS))


def _participation(p: Period) -> QuerySet:
    took_part = Activity.participants.through.objects.filter(
        member_id=OuterRef("pk"),
        activity__status__in=DONE_ACTIVITY,
        activity__starts_at__gte=p.start_dt,
        activity__starts_at__lt=p.end_dt,
    )
    return Member.objects.exclude(status=Member.Status.TRANSFERRED_OUT).annotate(n=_flag(Exists(took_part)), d=ONE)


register(
    Metric(
        "participation",
        _("Member participation rate"),
        "%",
        "rate",
        _participation,
        # For an agreement: the parties' rosters, and whether each member took part in any joint activity.
        {ORG: ("organization",), AGR: ("organization__agreement_parties__agreement",)},
    )
)


def _zone_checks(p: Period) -> QuerySet:
    return ZoneCheck.objects.filter(checked_on__gte=p.start, checked_on__lt=p.end).annotate(n=ONE, d=ONE)


ZONE_LINKS = {ORG: ("zone__lead",), AGR: ("zone__project__agreement",)}
register(Metric("zone_checks", _("Zone checks done"), _("checks"), "count", _zone_checks, ZONE_LINKS))


def _findings_fixed(p: Period) -> QuerySet:
    return (
        ZoneCheck.objects.exclude(category=ZoneCheck.Category.NONE)
        .filter(fix_due_on__gte=p.start, fix_due_on__lt=p.end)
        .annotate(
            n=_flag(Q(fixed_on__isnull=False, fixed_on__lte=F("fix_due_on"))),
            d=_flag(Q(fixed_on__isnull=False) | Q(fix_due_on__lt=p.cutoff)),
        )
    )


register(
    Metric(
        "findings_fixed",
        _("Findings fixed on time"),
        "%",
        "rate",
        _findings_fixed,
        ZONE_LINKS,
        when_empty="full",
    )
)


def _publicity(p: Period) -> QuerySet:
    # Approved publicity items (宣传), counted in the quarter they were approved; drafts, items awaiting review and
    # returned ones do not count. The evidence lists the items themselves.
    return PublicityItem.objects.filter(
        status=PublicityItem.Status.APPROVED, reviewed_at__gte=p.start_dt, reviewed_at__lt=p.end_dt
    ).annotate(n=ONE, d=ONE)


PUBLICITY_LINKS = {ORG: ("activity__lead", "activity__co_organizers"), AGR: ("agreement",)}
register(Metric("publicity", _("Publicity reports"), _("reports"), "count", _publicity, PUBLICITY_LINKS))


def _joint_study(p: Period) -> QuerySet:
    return Activity.objects.filter(
        type__is_study=True, status__in=DONE_ACTIVITY, starts_at__gte=p.start_dt, starts_at__lt=p.end_dt
    ).annotate(n=ONE, d=ONE)


register(Metric("joint_study", _("Joint study sessions"), _("sessions"), "count", _joint_study, ACTIVITY_LINKS))


# --- 资源共享: the partners' lists (三张清单) ------------------------------------------------------------------------


def _needs_met(p: Period) -> QuerySet:
    # A need is met when its joint project's closure is confirmed (``Need.met_at``).
    return Need.objects.filter(status=Need.Status.MET, met_at__gte=p.start_dt, met_at__lt=p.end_dt).annotate(
        n=ONE, d=ONE
    )


register(
    Metric(
        "needs_met",
        _("Needs met through partners"),
        _("needs"),
        "count",
        _needs_met,
        # The organization that published the need, and the partner that met it as the project's owner (only an
        # accepted pairing has a project, and a need has at most one).
        {
            ORG: ("organization", "pairings__action_item__responsible_party"),
            AGR: ("pairings__action_item__agreement",),
        },
        # Opt-in: the default scheme's 100 points stay as they are; a committee adds it under 资源共享.
        in_default_scheme=False,
    )
)


def _resources_shared(p: Period) -> QuerySet:
    return Pairing.objects.filter(
        status=Pairing.Status.ACCEPTED, decided_at__gte=p.start_dt, decided_at__lt=p.end_dt
    ).annotate(n=ONE, d=ONE)


register(
    Metric(
        "resources_shared",
        _("Resources shared with partners"),
        _("pairings"),
        "count",
        _resources_shared,
        # The organization whose resource was used (or that took the need on): the one that offered.
        {ORG: ("offered_by",), AGR: ("agreement",)},
        in_default_scheme=False,
    )
)


# --- 党建+业务: key projects' business indicators --------------------------------------------------------------

# A project's milestones and monthly figures count for the organization that owns the project (its branch) and for
# the agreement it lies under.
PROJECT_LINKS = {ORG: ("project__owner",), AGR: ("project__agreement",)}


def _milestones_on_time(p: Period) -> QuerySet:
    # Milestones planned in the quarter: met on time when reached on or before the plan date; one not reached yet
    # counts only once its plan date has passed (by the cutoff).
    return ProjectMilestone.objects.filter(planned_on__gte=p.start, planned_on__lt=p.end).annotate(
        n=_flag(Q(actual_on__isnull=False, actual_on__lte=F("planned_on"))),
        d=_flag(Q(actual_on__isnull=False) | Q(planned_on__lt=p.cutoff)),
    )


register(
    Metric(
        "milestones_on_time",
        _("Project milestones met on time"),
        "%",
        "rate",
        _milestones_on_time,
        PROJECT_LINKS,
        when_empty="full",
        in_default_scheme=False,
    )
)


def _zero_safety_incidents(p: Period) -> QuerySet:
    # The quarter's monthly figures: 1 when none of them reports a safety incident.
    return ProjectMonthlyFigure.objects.filter(month__gte=p.start, month__lt=p.end).annotate(
        n=_flag(Q(safety_incidents=0)), d=ONE
    )


register(
    Metric(
        "zero_safety_incidents",
        _("Zero safety incidents on key projects"),
        "",
        "all",
        _zero_safety_incidents,
        PROJECT_LINKS,
        # No figures reported in the quarter: no incident reported (as a rate with nothing due counts full).
        when_empty="full",
        in_default_scheme=False,
    )
)


# --- points ------------------------------------------------------------------------------------------------------

TENTH = Decimal("0.1")


def points_for(*, value: Decimal | None, points: Decimal, target: Decimal | None, is_deduction: bool) -> Decimal:
    """Linear points: ``value / target`` of full marks, capped at full marks, to 0.1.

    A deduction takes ``target`` points (1 when unset) per unit, at most the indicator's points, as a negative."""
    if value is None:
        return Decimal(0)
    if is_deduction:
        per_unit = target or Decimal(1)
        return -min(value * per_unit, points).quantize(TENTH, rounding=ROUND_HALF_UP)
    if not target:
        return points if value > 0 else Decimal(0)
    return min(points * value / target, points).quantize(TENTH, rounding=ROUND_HALF_UP)
