"""Reads of publicity items (宣传) and brand pages (品牌联创, 一支部一特色).

Every read is scoped (``PublicityItem.objects.visible_to``) and costs a fixed number of queries whatever the number
of rows: lists paginate with a cheap count, the brand page's chart groups by month in SQL, its photo grid prefetches
the page's photos in one query, its zones and posts are capped lists.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from activities.models import (
    COMMITTEE_KINDS,
    Activity,
    ActivityParticipation,
    ActivityPhoto,
    PioneerPost,
    PublicityItem,
    ResponsibilityZone,
    reviewer_q,
)
from partnerships.models import Agreement, AgreementParty, Organization
from portal.scoping import get_scope

Status = PublicityItem.Status
LIST_TABS = {
    "draft": (Status.DRAFT,),
    "submitted": (Status.SUBMITTED,),
    "approved": (Status.APPROVED,),
    "returned": (Status.RETURNED,),
}
BRAND_MONTHS = 12  # the brand page's chart: the last twelve months
BRAND_LIST = 20  # zones and pioneer posts named on a brand page (the rest counted)


def brand_reviewer(activity: Activity) -> Organization:
    """Who reviews an item of ``activity``: the agreement's host (its initiating party, else its first party) — unless
    the host led the activity itself, since nobody approves their own report; then, as for a branch's own activity,
    the nearest committee above the lead (else the lead itself, for a lead with no committee above it)."""
    if activity.agreement_id:
        party = (
            AgreementParty.objects.filter(agreement_id=activity.agreement_id)
            .select_related("organization")
            .order_by("role", "pk")  # "initiator" sorts before "partner"
            .first()
        )
        if party is not None and party.organization_id != activity.lead_id:
            return party.organization
    lead = activity.lead
    step = Organization.steplen
    above = [lead.path[:end] for end in range(step, len(lead.path), step)]
    committee = Organization.objects.filter(path__in=above, kind__in=COMMITTEE_KINDS).order_by("-depth").first()
    return committee or lead


def publicity_items_of(user, activity: Activity, limit: int = 20) -> QuerySet[PublicityItem]:
    """The items of one activity the user may see (an activity has a few)."""
    return PublicityItem.objects.visible_to(user).filter(activity=activity).order_by("-pk")[:limit]


def item_list(user) -> QuerySet[PublicityItem]:
    return (
        PublicityItem.objects.visible_to(user)
        .select_related("activity", "agreement", "branch", "created_by")
        .order_by("-updated_at", "-pk")
    )


def list_tab(queryset: QuerySet[PublicityItem], tab: str) -> QuerySet[PublicityItem]:
    return queryset.filter(status__in=LIST_TABS[tab])


def awaiting_review(user) -> QuerySet[PublicityItem]:
    """Submitted items the user reviews (the 待办 count and the review list)."""
    scope = get_scope(user)
    submitted = PublicityItem.objects.filter(status=Status.SUBMITTED)
    if scope.is_anonymous:
        return submitted.none()
    if scope.is_superuser:
        return submitted
    return submitted.filter(reviewer_q(scope)).exclude(created_by_id=scope.user_id)  # never one's own item


def is_reviewer_somewhere(user) -> bool:
    """Whether the user may review some item at all (secretaries, committee reviewers, admins)."""
    scope = get_scope(user)
    return scope.is_superuser or bool(scope.org_ids())


def detail_queryset(user) -> QuerySet[PublicityItem]:
    return (
        PublicityItem.objects.visible_to(user)
        .select_related(
            "activity__lead", "activity__type", "agreement", "branch", "reviewer_org", "created_by", "reviewed_by"
        )
        .prefetch_related(Prefetch("photos", queryset=ActivityPhoto.objects.order_by("pk")))
    )


def publicity_history(item: PublicityItem, limit: int = 30):
    """The item's 变更记录, newest first: each submission, return (with its reason), edit and approval, by whom."""
    return item.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit]


# --- brand pages ----------------------------------------------------------------------------------------------


def approved_items(*, agreement: Agreement | None = None, branch: Organization | None = None) -> QuerySet:
    """A brand's approved items, newest approval first, each with its chosen photos (prefetched per page)."""
    items = PublicityItem.objects.filter(status=Status.APPROVED)
    items = items.filter(agreement=agreement) if agreement is not None else items.filter(branch=branch)
    return (
        items.select_related("activity")
        .prefetch_related(Prefetch("photos", queryset=ActivityPhoto.objects.order_by("pk")))
        .order_by("-reviewed_at", "-pk")
    )


def _months(now: dt.datetime) -> list[dt.date]:
    """The first days of the last ``BRAND_MONTHS`` months (local time), oldest first."""
    today = timezone.localdate(now)
    year, month = today.year, today.month
    months = []
    for _ in range(BRAND_MONTHS):
        months.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def monthly_series(activities: QuerySet[Activity], now: dt.datetime | None = None) -> dict:
    """Logged activities and their total headcount per month over the last year: two grouped queries."""
    now = now or timezone.now()
    months = _months(now)
    start = timezone.make_aware(dt.datetime.combine(months[0], dt.time()))
    logged = activities.filter(status=Activity.Status.LOGGED, starts_at__gte=start, starts_at__lte=now)
    counts = {
        _month_key(row["month"]): row["n"]
        for row in logged.order_by().annotate(month=TruncMonth("starts_at")).values("month").annotate(n=Count("pk"))
    }
    heads = {
        _month_key(row["month"]): row["n"] or 0
        for row in ActivityParticipation.objects.filter(activity__in=logged.values("pk"))
        .order_by()
        .annotate(month=TruncMonth("activity__starts_at"))
        .values("month")
        .annotate(n=Sum("headcount"))
    }
    keys = [f"{m:%Y-%m}" for m in months]
    return {
        "months": keys,
        "activities": [counts.get(key, 0) for key in keys],
        "headcounts": [heads.get(key, 0) for key in keys],
    }


def _month_key(value) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value:%Y-%m}"


def agreement_brand(agreement: Agreement, now: dt.datetime | None = None) -> dict:
    """What an agreement's brand page shows besides its items."""
    zones = ResponsibilityZone.objects.filter(project__agreement=agreement)
    posts = PioneerPost.objects.filter(project__agreement=agreement)
    return _brand(Activity.objects.filter(agreement=agreement), zones, posts, now)


def branch_brand(branch: Organization, now: dt.datetime | None = None) -> dict:
    """What a branch's brand page shows besides its items: what it leads, its zones, its members' posts."""
    zones = ResponsibilityZone.objects.filter(lead=branch)
    posts = PioneerPost.objects.filter(organization=branch)
    return _brand(Activity.objects.filter(lead=branch), zones, posts, now)


def _brand(activities, zones, posts, now) -> dict:
    today = timezone.localdate(now or timezone.now())
    current_posts = posts.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today), starts_on__lte=today)
    return {
        "series": monthly_series(activities, now),
        "zones": list(
            zones.select_related("project", "lead").order_by("project__name", "name", "pk")[: BRAND_LIST + 1]
        ),
        "posts": list(current_posts.select_related("member", "project").order_by("post", "pk")[: BRAND_LIST + 1]),
        "list_limit": BRAND_LIST,
    }
