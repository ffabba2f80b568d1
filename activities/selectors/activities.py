"""Composed reads of activities: the ledger (活动台账) and its export, the to-log list, one activity's page, the
home panel's week, the agreement page's latest activities."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from activities.models import (
    Activity,
    ActivityParticipation,
    ActivityPhoto,
    ActivityType,
    LogSubmission,
    PublicityItem,
)
from partnerships.models import Agreement, AgreementParty, Member, Organization
from portal.scoping import ROLE_SECRETARY, get_scope

NOT_LOGGED = (Activity.Status.PLANNED, Activity.Status.HELD)


def _subquery_count(queryset: QuerySet, aggregate) -> Coalesce:
    """A correlated aggregate over ``queryset`` (filtered on ``activity=OuterRef("pk")``), 0 when there is none."""
    value = queryset.order_by().values("activity_id").annotate(n=aggregate).values("n")
    return Coalesce(Subquery(value, output_field=IntegerField()), Value(0))


def with_ledger_figures(queryset: QuerySet[Activity]) -> QuerySet[Activity]:
    """Annotate ``photo_count``, ``participant_count`` and ``total_headcount`` as subqueries (no row multiplication,
    no query per row)."""
    same = OuterRef("pk")
    participants = Activity.participants.through.objects.filter(activity_id=same)
    return queryset.annotate(
        photo_count=_subquery_count(ActivityPhoto.objects.filter(activity_id=same), Count("pk")),
        participant_count=_subquery_count(participants, Count("pk")),
        total_headcount=_subquery_count(ActivityParticipation.objects.filter(activity_id=same), Sum("headcount")),
    )


def participations_prefetch() -> Prefetch:
    return Prefetch(
        "participations",
        queryset=ActivityParticipation.objects.select_related("organization").order_by("pk"),
        to_attr="headcounts",
    )


def ledger_rows(queryset: QuerySet[Activity]) -> QuerySet[Activity]:
    """What a ledger row shows, joined, prefetched or annotated: three queries per page whatever its length."""
    return with_ledger_figures(
        queryset.select_related("type", "agreement", "lead", "plan_row__plan").prefetch_related(
            "co_organizers", participations_prefetch()
        )
    )


def for_export(queryset: QuerySet[Activity]) -> QuerySet[Activity]:
    """``ledger_rows`` for an export, its co-organizers as a plain list (``ledger_co_organizers``): prefetched into the
    related manager, Django builds a queryset per activity to hold them, a third of an export batch's time."""
    # The publicity column: the latest approved publicity item's title (a subquery, no query per row).
    approved = PublicityItem.objects.filter(activity_id=OuterRef("pk"), status=PublicityItem.Status.APPROVED)
    latest = approved.order_by("-reviewed_at", "-pk").values("title")[:1]
    return (
        queryset.prefetch_related(None)
        .prefetch_related(Prefetch("co_organizers", to_attr="ledger_co_organizers"), participations_prefetch())
        .annotate(publicity_item_title=Subquery(latest))
    )


def activity_list(user) -> QuerySet[Activity]:
    """Every activity the user may see, newest first, ready for the ledger."""
    return ledger_rows(Activity.objects.visible_to(user)).order_by("-starts_at", "-pk")


# The ledger's tabs: what was held (started before now) newest first — where it opens —, what is coming soonest
# first, and everything newest first. Each order is read off ``activity_ledger_order_idx`` (-starts_at, -id), the
# upcoming one by scanning it backwards, so the first page never sorts the visible activities.
LEDGER_TABS = ("held", "upcoming", "all")


def ledger_tab(queryset: QuerySet[Activity], tab: str, now: dt.datetime | None = None) -> QuerySet[Activity]:
    """One tab of the ledger over ``queryset`` (already scoped and filtered). ``tab`` is one of ``LEDGER_TABS``."""
    now = now or timezone.now()
    if tab == "held":
        return queryset.filter(starts_at__lt=now).order_by("-starts_at", "-pk")
    if tab == "upcoming":
        return queryset.filter(starts_at__gte=now).order_by("starts_at", "pk")
    return queryset.order_by("-starts_at", "-pk")


def ledger_agreements(user) -> QuerySet[Agreement]:
    return Agreement.objects.visible_to(user).order_by("-term_start", "-pk")


def ledger_organizations(user) -> QuerySet[Organization]:
    """Organizations leading or co-organizing an activity the user may see (the ledger's organization filter)."""
    # Never ``pk IN (leads) OR pk IN (co-organizers)``: PostgreSQL ran that as a SubPlan rescanning the visible
    # activities per organization (21 s at 1M activities). A broad scope (a reviewer sees most activities) probes each
    # organization's own activities by index, and stops at the first visible one; a narrow scope collects the leads and
    # co-organizers of its few visible activities.
    scope = get_scope(user)
    visible = Activity.objects.visible_to(user)
    if scope.is_broad or scope.is_superuser:
        leads = Exists(visible.filter(lead_id=OuterRef("pk")))
        co_organizes = Exists(visible.filter(co_organizers=OuterRef("pk")))
        return Organization.objects.filter(leads | co_organizes).order_by("path")
    ids = visible.order_by().values("pk")
    joined = Activity.co_organizers.through.objects.filter(activity_id__in=ids).values("organization_id")
    return Organization.objects.filter(pk__in=visible.order_by().values("lead_id").union(joined, all=True)).order_by(
        "path"
    )


def log_key_applied(user, activity: Activity, key) -> bool:
    """Whether ``key`` (a log form's ``client_key``, any text) was already applied by ``user`` to ``activity``."""
    try:
        key = uuid.UUID(str(key))
    except ValueError:
        return False
    return LogSubmission.objects.filter(key=key, user_id=user.pk, activity_id=activity.pk).exists()


def activity_types() -> QuerySet[ActivityType]:
    return ActivityType.objects.order_by("order", "pk")


def detail_queryset(user) -> QuerySet[Activity]:
    """One activity's page: everything it shows in a fixed number of queries."""
    return (
        Activity.objects.visible_to(user)
        .select_related("type", "agreement", "plan_row__plan", "lead", "logged_by", "created_by")
        .prefetch_related(
            "co_organizers",
            participations_prefetch(),
            Prefetch(
                "participants",
                queryset=Member.objects.select_related("organization").order_by("organization__path", "name", "pk"),
            ),
            Prefetch("photos", queryset=ActivityPhoto.objects.order_by("pk")),
        )
    )


def activity_history(activity: Activity, limit: int = 30):
    return activity.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit]


def to_log(user, now: dt.datetime | None = None) -> QuerySet[Activity]:
    """Activities the user should log: ended, not logged, led by one of their organizations (admins: all)."""
    return (
        Activity.objects.editable_by(user)
        .awaiting_log(now)
        .select_related("type", "agreement", "lead")
        .prefetch_related("co_organizers")
        .order_by("ends_at", "pk")
    )


def week_bounds(today: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 to the next Monday 00:00 of ``today``'s week, in the local time zone (Asia/Shanghai)."""
    today = today or timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(monday, dt.time.min, tzinfo=zone)
    return start, start + dt.timedelta(days=7)


def secretary_org_ids(user) -> list[int]:
    return sorted(get_scope(user).org_ids(ROLE_SECRETARY))


def week_activities(user, today: dt.date | None = None) -> QuerySet[Activity]:
    """This week's activities (Mon–Sun, local dates) that the user's organizations lead or co-organize."""
    orgs = secretary_org_ids(user)
    start, end = week_bounds(today)
    joined = Activity.co_organizers.through.objects.filter(organization_id__in=orgs).values("activity_id")
    return (
        Activity.objects.filter(Q(lead_id__in=orgs) | Q(pk__in=joined), starts_at__gte=start, starts_at__lt=end)
        .exclude(status=Activity.Status.CANCELLED)
        .select_related("type", "lead")
        .order_by("starts_at", "pk")
    )


def awaiting_log_for_orgs(org_ids, now: dt.datetime | None = None) -> QuerySet[Activity]:
    """Ended, not logged, led by one of ``org_ids`` (the home panel's list)."""
    return (
        Activity.objects.filter(lead_id__in=list(org_ids))
        .awaiting_log(now)
        .select_related("type", "lead")
        .order_by("ends_at", "pk")
    )


def agreement_activities(agreement: Agreement, limit: int = 10) -> list[Activity]:
    """The agreement's latest activities (its page's section): one query."""
    return list(agreement.activities.select_related("type", "lead").order_by("-starts_at", "-pk")[:limit])


def participant_groups(organization_ids) -> dict[int, int]:
    """``{party group id: participating organization id}``: the 党小组 directly under each participating organization
    (one query, a few rows), whose members take part under their branch."""
    parents = list(Organization.objects.filter(pk__in=list(organization_ids)).values_list("pk", "path", "depth"))
    if not parents:
        return {}
    condition = Q()
    for _pk, path, depth in parents:
        condition |= Q(path__startswith=path, depth=depth + 1)
    groups = Organization.objects.filter(condition, kind=Organization.Kind.GROUP).values_list("pk", "path")
    by_path = {path: pk for pk, path, _depth in parents}
    step = Organization.steplen
    return {pk: by_path[path[:-step]] for pk, path in groups if path[:-step] in by_path}


def participant_choices(organization_ids, chosen_ids=(), groups=None) -> QuerySet[Member]:
    """Roster members of the participating organizations and of their party groups (plus anyone already named), by
    organization then name.

    The log form shows names with their organization only: phone numbers stay on the roster pages.
    """
    organization_ids = [*organization_ids, *(groups or {})]
    condition = Q(organization_id__in=organization_ids) & ~Q(status=Member.Status.TRANSFERRED_OUT)
    if chosen_ids:
        condition |= Q(pk__in=list(chosen_ids))
    return Member.objects.filter(condition).select_related("organization").order_by("organization__path", "name", "pk")


def lead_choices(actor):
    """Organizations the actor may put down as the lead: where they are secretary (admins: any)."""
    scope = get_scope(actor)
    if scope.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(pk__in=sorted(scope.org_ids(ROLE_SECRETARY)))


def activity_agreements(actor):
    """Agreements the actor may hold activities under: one of their secretary organizations is a party."""
    scope = get_scope(actor)
    if scope.is_superuser:
        return Agreement.objects.order_by("-term_start", "-pk")
    parties = AgreementParty.objects.filter(scope.in_orgs_q("organization_id", ROLE_SECRETARY))
    return Agreement.objects.filter(pk__in=parties.values("agreement_id")).order_by("-term_start", "-pk")


def participating_ids(activity: Activity) -> list[int]:
    """The lead first, then the co-organizers: the organizations whose headcounts and members the log records."""
    ids = [activity.lead_id]
    ids += [pk for pk in activity.co_organizers.values_list("pk", flat=True) if pk != activity.lead_id]
    return ids
