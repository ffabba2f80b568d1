"""What a yearly ledger archive (年度台账) holds, read through the requester's scoped querysets.

The subject is an organization (a branch's year: the agreements it is party to, the activities it leads or
co-organizes, the items it is responsible for or that hang off its agreements, the zones it leads or that lie in
its agreements' projects, its quarterly results) or an agreement (everything under it). "The year" is the calendar
year in the project's time zone. Every read is one statement (plus its prefetches), never one per row; the bundle
walks long lists in chunks (``chunks``) so a big year never sits in memory at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from activities.models import Activity, ActivityPhoto, ResponsibilityZone, ZoneAssignment, ZoneCheck
from activities.selectors.activities import ledger_rows
from assessments.models import QuarterRollup
from partnerships.models import (
    ActionItem,
    ActionItemUpdate,
    Agreement,
    AgreementParty,
    Decision,
    Evidence,
    JointMeeting,
    Organization,
)

PHOTOS_PER_ACTIVITY = 4  # thumbnails shown per activity in the ledger PDF (the oldest first)


@dataclass(frozen=True)
class Subject:
    """The archive's organization or agreement (exactly one) and its year."""

    year: int
    organization: Organization | None = None
    agreement: Agreement | None = None

    @property
    def name(self) -> str:
        if self.organization is not None:
            return self.organization.name
        return f"{self.agreement.number} {self.agreement.title}"

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.year, 1, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def end(self) -> dt.datetime:
        return dt.datetime(self.year + 1, 1, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))

    def params(self) -> dict[str, list[str]]:
        """The job's parameters naming this subject (what ``rules.subject_of`` reads back)."""
        key = "organization" if self.organization is not None else "agreement"
        obj = self.organization or self.agreement
        return {key: [str(obj.pk)], "year": [str(self.year)]}

    def header(self) -> str:
        return _("%(name)s · yearly ledger %(year)s") % {"name": self.name, "year": self.year}


def chunks(queryset: QuerySet, size: int) -> Iterator[list]:
    """The queryset's rows ``size`` at a time, each chunk one query (plus its prefetches) by primary key."""
    ids = list(queryset.prefetch_related(None).values_list("pk", flat=True))
    unordered = queryset.order_by()
    for start in range(0, len(ids), size):
        batch = ids[start : start + size]
        rows = {row.pk: row for row in unordered.filter(pk__in=batch)}
        yield [rows[pk] for pk in batch if pk in rows]


def agreements(user, subject: Subject) -> QuerySet[Agreement]:
    """The subject's agreements in force at some time of the year, with their parties and dimensions."""
    visible = Agreement.objects.visible_to(user)
    if subject.agreement is not None:
        visible = visible.filter(pk=subject.agreement.pk)
    else:
        party_of = AgreementParty.objects.filter(organization_id=subject.organization.pk).values("agreement_id")
        visible = visible.filter(
            pk__in=party_of,
            term_start__lt=subject.end.date(),
            term_end__gte=subject.start.date(),
        )
    parties = AgreementParty.objects.select_related("organization").order_by("role", "pk")
    return visible.prefetch_related(Prefetch("parties", queryset=parties), "dimensions").order_by("term_start", "pk")


def agreement_ids(user, subject: Subject) -> list[int]:
    return list(agreements(user, subject).values_list("pk", flat=True))


def meetings(user, ids: Sequence[int], subject: Subject) -> QuerySet[JointMeeting]:
    """The year's joint meetings of those agreements whose minutes are published, with their decisions."""
    decisions = Decision.objects.select_related("responsible_party").order_by("order", "pk")
    return (
        JointMeeting.objects.visible_to(user)
        .filter(
            agreement_id__in=list(ids),
            starts_at__gte=subject.start,
            starts_at__lt=subject.end,
            minutes_status=JointMeeting.MinutesStatus.PUBLISHED,
            cancelled_at__isnull=True,
        )
        .select_related("agreement", "host")
        .prefetch_related(Prefetch("decisions", queryset=decisions), "agenda")
        .order_by("starts_at", "pk")
    )


def activity_filter(subject: Subject, ids: Sequence[int]) -> Q:
    """The subject's activities of the year (without the scope, which the caller's queryset brings)."""
    in_year = Q(starts_at__gte=subject.start, starts_at__lt=subject.end)
    if subject.agreement is not None:
        return in_year & Q(agreement_id=subject.agreement.pk)
    org = subject.organization.pk
    joined = Activity.co_organizers.through.objects.filter(organization_id=org).values("activity_id")
    return in_year & (Q(lead_id=org) | Q(pk__in=joined) | Q(agreement_id__in=list(ids)))


def activities(user, subject: Subject, ids: Sequence[int]) -> QuerySet[Activity]:
    """The activity ledger of the year, with figures and at most ``PHOTOS_PER_ACTIVITY`` photos each."""
    photos = (
        ActivityPhoto.objects.annotate(rank=Window(RowNumber(), partition_by=F("activity_id"), order_by=F("pk").asc()))
        .filter(rank__lte=PHOTOS_PER_ACTIVITY)
        .order_by("pk")
    )
    return (
        ledger_rows(Activity.objects.visible_to(user).filter(activity_filter(subject, ids)))
        .prefetch_related(Prefetch("photos", queryset=photos, to_attr="archive_photos"))
        .order_by("starts_at", "pk")
    )


def action_item_filter(subject: Subject, ids: Sequence[int]) -> Q:
    """Items of the subject touched in the year: raised, due or closed in it."""
    in_year = (
        Q(created_at__gte=subject.start, created_at__lt=subject.end)
        | Q(due_on__year=subject.year)
        | Q(closed_at__gte=subject.start, closed_at__lt=subject.end)
    )
    if subject.agreement is not None:
        return in_year & Q(agreement_id=subject.agreement.pk)
    return in_year & (Q(agreement_id__in=list(ids)) | Q(responsible_party_id=subject.organization.pk))


def action_items(user, subject: Subject, ids: Sequence[int]) -> QuerySet[ActionItem]:
    """The items with their progress updates (oldest first) and each update's evidence files."""
    updates = ActionItemUpdate.objects.select_related("author").order_by("created_at", "pk")
    return (
        ActionItem.objects.visible_to(user)
        .filter(action_item_filter(subject, ids))
        .select_related("agreement", "responsible_party", "decision__meeting")
        .prefetch_related(
            Prefetch("updates", queryset=updates),
            Prefetch("updates__evidence", queryset=Evidence.objects.order_by("pk")),
        )
        .order_by("due_on", "pk")
    )


def zones(user, subject: Subject, ids: Sequence[int]) -> QuerySet[ResponsibilityZone]:
    """The red responsibility zones with their members and the year's checks."""
    if subject.agreement is not None:
        mine = Q(project__agreement_id=subject.agreement.pk)
    else:
        org = subject.organization.pk
        mine = Q(project__agreement_id__in=list(ids)) | Q(project__owner_id=org) | Q(lead_id=org)
    checks = ZoneCheck.objects.filter(checked_on__year=subject.year).order_by("checked_on", "pk")
    members = ZoneAssignment.objects.select_related("member").order_by("role", "pk")
    return (
        ResponsibilityZone.objects.visible_to(user)
        .filter(mine)
        .select_related("project", "lead")
        .prefetch_related(Prefetch("assignments", queryset=members), Prefetch("checks", queryset=checks))
        .order_by("project__name", "order", "pk")
    )


def results(user, subject: Subject) -> QuerySet[QuarterRollup]:
    """The subject's quarterly results of the year, published or not (the status is shown)."""
    mine = (
        Q(agreement_id=subject.agreement.pk)
        if subject.agreement is not None
        else Q(organization_id=subject.organization.pk)
    )
    return (
        QuarterRollup.objects.visible_to(user)
        .filter(mine, year=subject.year)
        .select_related("scheme")
        .order_by("quarter")
    )
