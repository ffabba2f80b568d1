"""Composed reads for the activity calendar (FullCalendar's JSON feed) and the personal iCal feed.

Both read ``Activity.objects.visible_to(user)`` and nothing else, so the calendar shows exactly what the activity
pages show. Each read is a fixed number of queries whatever the number of activities (types and leads joined,
co-organizers prefetched only where the iCal description needs them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vDuration

from activities.models import Activity, ActivityType, CalendarToken
from partnerships.models import Agreement, Organization
from portal.names import display_name
from portal.scoping import get_scope

# The JSON feed answers for at most this many days at once: a month grid asks for 42, a list month for 31.
MAX_WINDOW_DAYS = 100
# ...and with at most this many events (the first ones in start order); the response says when there are more
# (DESIGN.md §9: feeds are capped by count and say so).
MAX_EVENTS = 500
# The iCal feed: the recent past and the coming half year, by start time, at most FEED_MAX_EVENTS (the coming ones
# first, then the most recent past ones); the feed's description says so.
FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 180
FEED_MAX_EVENTS = 500
FEED_REFRESH = dt.timedelta(hours=1)
# Cancelled activities stay on the web calendar (greyed, struck through) so nobody turns up by mistake.
CANCELLED_COLOR = "#adb5bd"
# Only what the calendar shows: FullCalendar's event object and the iCal VEVENT.
EVENT_FIELDS = ("id", "title", "type", "lead", "agreement", "starts_at", "ends_at", "place", "status")
FEED_FIELDS = (*EVENT_FIELDS, "description", "cancel_reason", "created_at", "updated_at")


# --- the web calendar ---------------------------------------------------------------------------------------


def _spanning(queryset: QuerySet[Activity], moment: dt.datetime) -> QuerySet[Activity]:
    """Activities that started before ``moment`` and are still on at it.

    On PostgreSQL the same rows are also asked for as "the activity's span contains ``moment``", which the GiST index
    ``activity_span_gist`` answers directly; a plain ``starts_at``/``ends_at`` index would have to walk every
    activity before (or after) ``moment``.
    """
    queryset = queryset.filter(starts_at__lt=moment, ends_at__gte=moment)
    if connection.vendor == "postgresql":
        contains = RawSQL(f"tstzrange({SPAN_COLUMNS}, '[]') @> %s::timestamptz", (moment,), output_field=BooleanField())
        queryset = queryset.filter(contains)
    return queryset


SPAN_COLUMNS = '"activities_activity"."starts_at", "activities_activity"."ends_at"'


def _filtered(
    user,
    *,
    agreement: Agreement | None = None,
    organization: Organization | None = None,
    type: ActivityType | None = None,
) -> QuerySet[Activity]:
    queryset = Activity.objects.visible_to(user)
    if agreement is not None:
        queryset = queryset.filter(agreement=agreement)
    if organization is not None:
        joined = Activity.co_organizers.through.objects.filter(organization=organization).values("activity_id")
        queryset = queryset.filter(Q(lead=organization) | Q(pk__in=joined))
    if type is not None:
        queryset = queryset.filter(type=type)
    return queryset


def calendar_activities(
    user,
    *,
    start: dt.datetime,
    end: dt.datetime,
    agreement: Agreement | None = None,
    organization: Organization | None = None,
    type: ActivityType | None = None,
    limit: int | None = None,
) -> tuple[list[Activity], bool]:
    """Activities the user may see that overlap ``[start, end)``, optionally filtered, in start order: the first
    ``limit`` of them, and whether there are more (two queries, whatever the table size).

    Split in two so each half walks an index and stops after ``limit + 1`` rows: those already on at ``start``
    (they come first in start order) and those starting inside the window (the ``starts_at`` index, in order).
    """
    limit = limit or MAX_EVENTS
    base = _filtered(user, agreement=agreement, organization=organization, type=type)
    base = base.select_related("type", "lead").only(*EVENT_FIELDS, "type__color", "type__name", "lead__name")
    ordered = ("starts_at", "pk")
    running = list(_spanning(base, start).order_by(*ordered)[: limit + 1])
    starting = list(base.filter(starts_at__gte=start, starts_at__lt=end).order_by(*ordered)[: limit + 1])
    rows = running + starting
    return rows[:limit], len(rows) > limit


def text_color(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#rrggbb), by the WCAG relative luminance."""
    try:
        channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    except (TypeError, ValueError):
        return "#ffffff"
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#212529" if luminance > 0.45 else "#ffffff"


_URL_PK = 987654321


class _EventContext:
    """What every event of one response shares, computed once: the status labels (``get_status_display`` would
    translate its lazy choices again for every event) and the detail URL (one ``reverse``)."""

    def __init__(self):
        self.labels = {value: str(label) for value, label in Activity.Status.choices}
        self.url = reverse("activities:activity_detail", args=[_URL_PK]).replace(str(_URL_PK), "{pk}")
        self.colors: dict[str, str] = {}

    def text_color(self, background: str) -> str:
        if background not in self.colors:
            self.colors[background] = text_color(background)
        return self.colors[background]


def calendar_event(activity: Activity, context: _EventContext | None = None) -> dict:
    """One activity as a FullCalendar event object (the type and lead must be joined)."""
    context = context or _EventContext()
    cancelled = activity.status == Activity.Status.CANCELLED
    color = activity.type.color
    background = CANCELLED_COLOR if cancelled else color
    return {
        "id": str(activity.pk),
        "title": activity.title,
        "start": timezone.localtime(activity.starts_at).isoformat(),
        "end": timezone.localtime(activity.ends_at).isoformat(),
        "url": context.url.format(pk=activity.pk),
        "backgroundColor": background,
        "borderColor": color,
        "textColor": context.text_color(background),
        "classNames": ["gj-event-cancelled"] if cancelled else [],
        "extendedProps": {
            "typeName": activity.type.name,
            "status": activity.status,
            "statusLabel": context.labels.get(activity.status, activity.status),
            "lead": activity.lead.name,
            "place": activity.place,
        },
    }


def calendar_events(user, **filters) -> tuple[list[dict], bool]:
    """The JSON feed's body (``calendar_activities`` as FullCalendar event objects) and whether it was cut short."""
    activities, truncated = calendar_activities(user, **filters)
    context = _EventContext()
    return [calendar_event(activity, context) for activity in activities], truncated


# --- the filters' choices -----------------------------------------------------------------------------------


def calendar_agreements(user) -> QuerySet[Agreement]:
    """Agreements the user may see (the agreement filter)."""
    return Agreement.objects.visible_to(user).order_by("-term_start", "-pk")


def calendar_organizations(user) -> QuerySet[Organization]:
    """The organization filter: the user's own organizations and those leading or co-organizing what they see.

    For a broad scope (a reviewer: most activities are visible) each organization is probed with ``EXISTS`` on its own
    activities (the lead index, the co-organizer index), so the first page of the filter in path order costs a few
    probes; collecting every visible activity's lead first would read the whole activity table. A narrow scope has
    few activities: their leads and co-organizers are collected directly.
    """
    visible = Activity.objects.visible_to(user)
    own = get_scope(user).org_ids()
    if get_scope(user).is_broad:
        led = Exists(visible.order_by().filter(lead_id=OuterRef("pk")))
        joined = Exists(visible.order_by().filter(co_organizers=OuterRef("pk")))
        condition = led | joined
    else:
        joined_ids = Activity.co_organizers.through.objects.filter(activity__in=visible.values("pk"))
        condition = Q(pk__in=visible.values("lead_id")) | Q(pk__in=joined_ids.values("organization_id"))
    if own:
        condition |= Q(pk__in=sorted(own))
    return Organization.objects.filter(condition).order_by("path")


def calendar_types() -> QuerySet[ActivityType]:
    """Every activity type (the type filter and the colour legend); retired types still colour past activities."""
    return ActivityType.objects.order_by("order", "pk")


# --- the personal iCal feed ---------------------------------------------------------------------------------


def calendar_token_for(user) -> CalendarToken | None:
    """The user's feed token, if they created one."""
    if not getattr(user, "is_authenticated", False):
        return None
    return CalendarToken.objects.filter(user=user).first()


def calendar_token_lookup(token: str) -> CalendarToken | None:
    """The token row for a feed URL, only while its user is active (one query)."""
    # token_urlsafe(32) gives 43 characters; anything far off is not worth a query.
    if not token or len(token) > 64:
        return None
    return CalendarToken.objects.select_related("user").filter(token=token, user__is_active=True).first()


def feed_activities(user, now: dt.datetime | None = None) -> tuple[list[Activity], bool]:
    """What the user's feed carries: visible activities starting from ``FEED_PAST_DAYS`` back to ``FEED_FUTURE_DAYS``
    ahead, at most ``FEED_MAX_EVENTS`` — the coming ones first, then the most recent past ones — in start order, and
    whether some were left out (three queries: coming, past, their co-organizers).

    Both halves walk the ``starts_at`` index away from ``now`` and stop after ``FEED_MAX_EVENTS + 1`` rows.
    """
    now = now or timezone.now()
    limit = FEED_MAX_EVENTS
    base = (
        Activity.objects.visible_to(user)
        .select_related("type", "lead", "agreement")
        .only(*FEED_FIELDS, "type__name", "lead__name", "agreement__title")
    )
    coming = list(
        base.filter(starts_at__gte=now, starts_at__lte=now + dt.timedelta(days=FEED_FUTURE_DAYS)).order_by(
            "starts_at", "pk"
        )[: limit + 1]
    )
    past = list(
        base.filter(starts_at__lt=now, starts_at__gte=now - dt.timedelta(days=FEED_PAST_DAYS)).order_by(
            "-starts_at", "-pk"
        )[: limit + 1]
    )
    kept = coming[:limit]
    kept = past[: limit - len(kept)][::-1] + kept
    truncated = len(coming) + len(past) > limit
    prefetch_related_objects(kept, Prefetch("co_organizers", queryset=Organization.objects.only("name")))
    return kept, truncated


def activity_uid(activity: Activity) -> str:
    """The VEVENT UID: stable for the activity's life, so calendar apps update an event instead of duplicating it."""
    return f"activity-{activity.pk}@gongjian"


def _description(activity: Activity) -> str:
    lines = [
        _("Type: %(type)s") % {"type": activity.type.name},
        _("Lead organization: %(lead)s") % {"lead": activity.lead.name},
    ]
    co_organizers = [org.name for org in activity.co_organizers.all()]
    if co_organizers:
        lines.append(_("Co-organizers: %(names)s") % {"names": "、".join(co_organizers)})
    if activity.agreement_id:
        lines.append(_("Agreement: %(agreement)s") % {"agreement": activity.agreement.title})
    lines.append(_("Status: %(status)s") % {"status": activity.get_status_display()})
    if activity.status == Activity.Status.CANCELLED and activity.cancel_reason:
        lines.append(_("Reason for cancellation: %(reason)s") % {"reason": activity.cancel_reason})
    if activity.description:
        lines += ["", activity.description]
    return "\n".join(lines)


def feed_window_text() -> str:
    """What the feed carries, in words: for its X-WR-CALDESC and for the pages that offer the subscription."""
    return _(
        "Activities starting from %(past)s days ago to %(future)s days ahead, at most %(count)s "
        "(the coming ones first). Older and later activities are on the activity calendar."
    ) % {"past": FEED_PAST_DAYS, "future": FEED_FUTURE_DAYS, "count": FEED_MAX_EVENTS}


def feed_truncated_text() -> str:
    return _(
        "There are more activities in this period than the feed carries: only the first %(count)s are included. "
        "See the activity calendar for the rest."
    ) % {"count": FEED_MAX_EVENTS}


def ical_calendar(
    user,
    activities: Iterable[Activity],
    *,
    absolute_url: Callable[[str], str],
    now: dt.datetime | None = None,
    truncated: bool = False,
) -> Calendar:
    """The feed as an iCalendar object: one VEVENT per activity, times in UTC, cancelled ones marked CANCELLED.

    ``absolute_url`` turns a path into a full URL (``request.build_absolute_uri``): calendar apps open links
    outside the site. The calendar's description (RFC 7986 DESCRIPTION and X-WR-CALDESC) states the feed's window
    and cap, and, when ``truncated``, that activities were left out.
    """
    now = now or timezone.now()
    name = _("Joint activities — %(name)s") % {"name": display_name(user)}
    calendar = Calendar()
    calendar.add("prodid", "-//Gongjian//Joint activities//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    about = feed_window_text()
    if truncated:
        about = f"{feed_truncated_text()} {about}"
    calendar.add("description", about)
    calendar.add("x-wr-caldesc", about)
    # RFC 7986 and the older Microsoft hint: how often a subscribing app should fetch the feed again.
    calendar.add("refresh-interval", vDuration(FEED_REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for activity in activities:
        cancelled = activity.status == Activity.Status.CANCELLED
        event = Event()
        event.add("uid", activity_uid(activity))
        event.add("dtstamp", now)
        event.add("created", activity.created_at)
        event.add("last-modified", activity.updated_at)
        event.add("dtstart", activity.starts_at.astimezone(dt.UTC))
        event.add("dtend", activity.ends_at.astimezone(dt.UTC))
        # Apps that ignore STATUS would show a cancelled activity as on: say it in the title too.
        summary = _("[Cancelled] %(title)s") % {"title": activity.title} if cancelled else activity.title
        event.add("summary", summary)
        event.add("location", activity.place)
        event.add("description", _description(activity))
        event.add("categories", [activity.type.name])
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("url", absolute_url(reverse("activities:activity_detail", args=[activity.pk])))
        calendar.add_component(event)
    return calendar
