"""The committee's big screen (大屏): what it shows, read for one committee's subtree.

Never more than a reviewer of the committee sees: the results are read through ``QuarterRollup``'s own scope rule
with the scope of a reviewer of that committee (``committee_scope``); the counts, the overdue heat and the photo wall
take the subtree's own units' rows (activities led, zones kept, items owned, publicity of activities led by an
organization under the committee) — a part of what that reviewer sees, written as a condition on each row so that
PostgreSQL reads them from the row's own indexes instead of building the reviewer's whole visible set first. A
signed-in reviewer and a display link see the same screen.

Bounded by construction (DESIGN.md §9): a fixed number of statements, each returning a bounded number of rows, at any
size of the subtree — the ranking is the first ``RANKING_SIZE`` results in SQL order, the trend one grouped
aggregate, the overdue heat one grouped aggregate capped at ``HEAT_UNITS`` units, the counts three aggregates, the
wall the latest ``PHOTO_WALL`` approved publicity items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import reduce
from operator import or_

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from activities.models import Activity, ActivityParticipation, ActivityPhoto, PublicityItem, ResponsibilityZone
from assessments import metrics
from assessments.models import DisplayLink, QuarterRollup, token_digest
from assessments.quarters import quarter_datetimes
from assessments.selectors.quarters import quarter_label, quarter_window
from assessments.selectors.ranking import ranking_order
from assessments.selectors.subjects import ORGANIZATIONS, name_expr
from partnerships.models import ActionItem, Organization
from portal.scoping import ROLE_REVIEWER, UserScope, get_scope

RANKING_SIZE = 10
PHOTO_WALL = 8
HEAT_UNITS = 8
# Days overdue: (first, last) of each column of the heat; None is open-ended.
HEAT_BUCKETS = ((1, 7), (8, 30), (31, 90), (91, None))


def committee_scope(committee: Organization) -> UserScope:
    """The scope of a reviewer of ``committee`` and of nothing else: what its big screen may show."""
    return UserScope(
        user_id=0,
        roles={committee.pk: frozenset({ROLE_REVIEWER})},
        reviewer_paths=(committee.path,),
    )


def screen_committee_ids(user) -> list[int]:
    """The organizations whose big screen the user opens from the dashboard: those they are a reviewer of (read from
    the scope already loaded, no query)."""
    return sorted(get_scope(user).org_ids(ROLE_REVIEWER))


def display_link_lookup(token: str) -> DisplayLink | None:
    """The active display link with this secret, with its committee (one query), or None."""
    if not token or len(token) > 100:
        return None
    return (
        DisplayLink.objects.select_related("committee")
        .filter(token_hash=token_digest(token), revoked_at__isnull=True)
        .first()
    )


def display_links(user, committee: Organization):
    """The committee's display links the user manages, newest first (a committee keeps a handful)."""
    return DisplayLink.objects.editable_by(user).filter(committee=committee).select_related("created_by")


# --- the screen's data ---------------------------------------------------------------------------------------


def _results(scope: UserScope):
    return QuarterRollup.objects.filter(QuarterRollup.scope_visible_kind_q(scope, "organization"))


def shown_quarter(committee: Organization, today: dt.date) -> tuple[int, int]:
    """The quarter the ranking shows: the latest closed quarter with results in the subtree (the open one's results
    are provisional), else the open one — as the dashboard chooses. ONE statement: two index probes."""
    current = metrics.current_quarter(today)
    results = _results(committee_scope(committee))
    key = F("year") * 10 + F("quarter")
    closed = results.filter(Q(year__lt=current[0]) | Q(year=current[0], quarter__lt=current[1]))
    found = (
        Organization.objects.filter(pk=committee.pk)
        .annotate(
            closed=Subquery(closed.order_by("-year", "-quarter").annotate(k=key).values("k")[:1]),
        )
        .values_list("closed", flat=True)
        .first()
    )
    return divmod(found, 10) if found else current


def ranking(committee: Organization, year: int, quarter: int) -> list[dict]:
    """The quarter's first ``RANKING_SIZE`` branches of the subtree, best first, ranked in SQL (ties share a rank:
    every higher total is among the rows before, so the rank is read off the rows themselves)."""
    rows = (
        _results(committee_scope(committee))
        .filter(year=year, quarter=quarter)
        .annotate(name=name_expr(view=ORGANIZATIONS))
        .order_by(*ranking_order())
        .values("subject", "name", "total")[:RANKING_SIZE]
    )
    ranked, previous, rank = [], None, 0
    for index, row in enumerate(rows, start=1):
        if row["total"] != previous:
            rank, previous = index, row["total"]
        ranked.append({"rank": rank, "name": row["name"], "total": float(row["total"])})
    return ranked


def trend(committee: Organization, year: int, quarter: int) -> dict:
    """The subtree's average total and number of results in each of the eight quarters up to the one shown (ONE
    grouped statement, at most eight rows)."""
    periods = quarter_window(year, quarter)
    in_window = reduce(or_, (Q(year=y, quarter=q) for y, q in periods))
    grouped = (
        _results(committee_scope(committee))
        .filter(in_window)
        .order_by()
        .values("year", "quarter")
        .annotate(average=Avg("total"), n=Count("pk"))
    )
    found = {(row["year"], row["quarter"]): row for row in grouped}
    return {
        "periods": [quarter_label(*p) for p in periods],
        "average": [round(float(found[p]["average"]), 1) if p in found else None for p in periods],
        "count": found[(year, quarter)]["n"] if (year, quarter) in found else 0,
    }


def _bucket_q(today: dt.date, first: int, last: int | None) -> Q:
    condition = Q(due_on__lte=today - dt.timedelta(days=first))
    if last is not None:
        condition &= Q(due_on__gte=today - dt.timedelta(days=last))
    return condition


def bucket_label(first: int, last: int | None) -> str:
    if last is None:
        return _("over %(days)s days") % {"days": first - 1}
    return _("%(first)s–%(last)s days") % {"first": first, "last": last}


def overdue_heat(committee: Organization, today: dt.date) -> dict:
    """Overdue action items of the subtree's units, by the unit directly under the committee (the responsible
    party's ancestor one level down, or the committee itself) and by how long overdue: ONE grouped statement,
    capped at the ``HEAT_UNITS`` units with the most, one to name them and one to count them all."""
    depth_path = len(committee.path) + Organization.steplen
    # The subtree's own units' items: a party of each item's agreement, so within what a reviewer sees
    # (``ActionItem.scope_visible_q``), written as one condition on the item's own row.
    items = ActionItem.objects.overdue(today).filter(responsible_party__path__startswith=committee.path)
    overdue = items.annotate(unit=Substr("responsible_party__path", 1, depth_path)).order_by().values("unit")
    columns = {f"b{i}": Count("pk", filter=_bucket_q(today, *b)) for i, b in enumerate(HEAT_BUCKETS)}
    rows = list(overdue.annotate(n=Count("pk"), **columns).order_by("-n", "unit")[:HEAT_UNITS])
    names = dict(
        Organization.objects.filter(path__in=[r["unit"] for r in rows]).values_list("path", "name") if rows else []
    )
    return {
        "buckets": [bucket_label(*b) for b in HEAT_BUCKETS],
        "rows": [
            {"unit": names.get(r["unit"], ""), "counts": [r[f"b{i}"] for i in range(len(HEAT_BUCKETS))], "n": r["n"]}
            for r in rows
        ],
        "total": items.order_by().count() if rows else 0,
    }


def counts(committee: Organization, today: dt.date) -> dict:
    """The open quarter's logged activities led in the subtree and the people who took part (the headcounts, 人次),
    and the red responsibility zones kept by the subtree's units: three aggregates."""
    year, quarter = metrics.current_quarter(today)
    start, end = quarter_datetimes(year, quarter)
    # Activities led and zones kept by the subtree's units: within what a reviewer of the committee sees
    # (``Activity.scope_visible_q``, ``ResponsibilityZone.scope_visible_q``), as conditions on the rows themselves.
    held = {
        "lead__path__startswith": committee.path,
        "status": Activity.Status.LOGGED,
        "starts_at__gte": start,
        "starts_at__lt": end,
    }
    done = Activity.objects.filter(**held).order_by().aggregate(n=Count("pk"))["n"]
    # Joined, not ``activity IN (…)``: PostgreSQL then reaches the headcounts from the quarter's activities.
    people = (
        ActivityParticipation.objects.filter(**{f"activity__{key}": value for key, value in held.items()})
        .order_by()
        .aggregate(n=Sum("headcount"))["n"]
    )
    zones = ResponsibilityZone.objects.filter(lead__path__startswith=committee.path).count()
    return {
        "period": quarter_label(year, quarter),
        "activities": done,
        "people": people or 0,
        "zones": zones,
    }


def _approved_items(committee: Organization):
    """The approved publicity items of activities led in the subtree: a part of what a reviewer of the committee sees
    (``PublicityItem.scope_visible_q``), written as a condition on each item's own activity, so that the newest are
    read off the (status, reviewed_at) index with a check per row instead of every visible activity first."""
    return PublicityItem.objects.filter(
        status=PublicityItem.Status.APPROVED, activity__lead__path__startswith=committee.path
    )


def _wall_photos(committee: Organization):
    """Links of the wall's items to photos of the item's own activity."""
    through = PublicityItem.photos.through
    return through.objects.filter(
        publicityitem__status=PublicityItem.Status.APPROVED,
        publicityitem__activity__lead__path__startswith=committee.path,
        activityphoto__activity_id=F("publicityitem__activity_id"),
    )


def photo_wall(committee: Organization, photo_url: Callable[[int], str]) -> list[dict]:
    """The latest ``PHOTO_WALL`` approved publicity items of the subtree that carry a photo, newest first, one photo
    each (its first): two statements."""
    with_photo = _wall_photos(committee).filter(publicityitem_id=OuterRef("pk"))
    items = list(
        _approved_items(committee)
        .filter(Exists(with_photo))
        .order_by("-reviewed_at", "-pk")
        .values("pk", "title", "reviewed_at")[:PHOTO_WALL]
    )
    first: dict[int, int] = {}
    links = _wall_photos(committee).filter(publicityitem_id__in=[i["pk"] for i in items]).order_by("activityphoto_id")
    for item_id, photo_id in links.values_list("publicityitem_id", "activityphoto_id") if items else []:
        first.setdefault(item_id, photo_id)
    return [
        {
            "id": first[i["pk"]],
            "url": photo_url(first[i["pk"]]),
            "title": i["title"],
            "date": date_format(timezone.localtime(i["reviewed_at"]), "SHORT_DATE_FORMAT"),
        }
        for i in items
        if i["pk"] in first
    ]


def wall_photo(committee: Organization, pk: int) -> ActivityPhoto | None:
    """A photo of the committee's wall: on an approved publicity item of an activity led in the subtree."""
    on_wall = _wall_photos(committee).filter(activityphoto_id=pk)
    return ActivityPhoto.objects.filter(pk=pk).filter(Exists(on_wall)).first()


def screen_data(committee: Organization, *, photo_url: Callable[[int], str], now: dt.datetime | None = None) -> dict:
    """Everything the screen shows, as plain JSON values (the page's first paint and every refresh)."""
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    year, quarter = shown_quarter(committee, today)
    return {
        "committee": committee.name,
        "quarter": quarter_label(year, quarter),
        "ranking": ranking(committee, year, quarter),
        "trend": trend(committee, year, quarter),
        "heat": overdue_heat(committee, today),
        "counts": counts(committee, today),
        "photos": photo_wall(committee, photo_url),
        "updated": now.strftime("%H:%M:%S"),
        "labels": {"average": _("Average total"), "overdue": _("Overdue action items")},
    }


def signed_in_photo_url(pk: int) -> str:
    return reverse("activities:activity_photo_thumb", args=[pk])
