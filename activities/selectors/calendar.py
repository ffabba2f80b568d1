"""Composed reads for the activity calendar (FullCalendar's JSON feed) and the personal iCal feed.

Both read ``Activity.objects.visible_to(user)`` and nothing else, so the calendar shows exactly what the activity
pages show. Each read is a fixed number of queries whatever the number of activities (types and leads joined,
co-organizers prefetched only where the iCal description needs them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db.models import Q, QuerySet
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
# The iCal feed: what a phone calendar keeps — the recent past and the coming year.
FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 365
FEED_REFRESH = dt.timedelta(hours=1)
# Cancelled activities stay on the web calendar (greyed, struck through) so nobody turns up by mistake.
CANCELLED_COLOR = "#adb5bd"


# --- the web calendar ---------------------------------------------------------------------------------------


def calendar_activities(
    user,
    *,
    start: dt.datetime,
    end: dt.datetime,
    agreement: Agreement | None = None,
    organization: Organization | None = None,
    type: ActivityType | None = None,
) -> QuerySet[Activity]:
    """Activities the user may see that overlap ``[start, end)``, optionally filtered, in start order (one query)."""
    queryset = Activity.objects.visible_to(user).filter(starts_at__lt=end, ends_at__gte=start)
    if agreement is not None:
        queryset = queryset.filter(agreement=agreement)
    if organization is not None:
        joined = Activity.co_organizers.through.objects.filter(organization=organization).values("activity_id")
        queryset = queryset.filter(Q(lead=organization) | Q(pk__in=joined))
    if type is not None:
        queryset = queryset.filter(type=type)
    return queryset.select_related("type", "lead").order_by("starts_at", "pk")


def text_color(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#rrggbb), by the WCAG relative luminance."""
    try:
        channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    except (TypeError, ValueError):
        return "#ffffff"
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#212529" if luminance > 0.45 else "#ffffff"


def calendar_event(activity: Activity) -> dict:
    """One activity as a FullCalendar event object (the type and lead must be joined)."""
    cancelled = activity.status == Activity.Status.CANCELLED
    color = activity.type.color
    return {
        "id": str(activity.pk),
        "title": activity.title,
        "start": timezone.localtime(activity.starts_at).isoformat(),
        "end": timezone.localtime(activity.ends_at).isoformat(),
        "url": reverse("activities:activity_detail", args=[activity.pk]),
        "backgroundColor": CANCELLED_COLOR if cancelled else color,
        "borderColor": color,
        "textColor": text_color(CANCELLED_COLOR if cancelled else color),
        "classNames": ["gj-event-cancelled"] if cancelled else [],
        "extendedProps": {
            "typeName": activity.type.name,
            "status": activity.status,
            "statusLabel": str(activity.get_status_display()),
            "lead": activity.lead.name,
            "place": activity.place,
        },
    }


def calendar_events(user, **filters) -> list[dict]:
    """The JSON feed's body: ``calendar_activities`` as FullCalendar event objects."""
    return [calendar_event(activity) for activity in calendar_activities(user, **filters)]


# --- the filters' choices -----------------------------------------------------------------------------------


def calendar_agreements(user) -> QuerySet[Agreement]:
    """Agreements the user may see (the agreement filter)."""
    return Agreement.objects.visible_to(user).order_by("-term_start", "-pk")


def calendar_organizations(user) -> QuerySet[Organization]:
    """The organization filter: the user's own organizations and those leading or co-organizing what they see."""
    visible = Activity.objects.visible_to(user)
    joined = Activity.co_organizers.through.objects.filter(activity__in=visible.values("pk")).values("organization_id")
    condition = Q(pk__in=visible.values("lead_id")) | Q(pk__in=joined)
    own = get_scope(user).org_ids()
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


def feed_activities(user, now: dt.datetime | None = None) -> QuerySet[Activity]:
    """What the user's feed carries: visible activities from 90 days back to a year ahead (two queries)."""
    now = now or timezone.now()
    return (
        Activity.objects.visible_to(user)
        .filter(
            ends_at__gte=now - dt.timedelta(days=FEED_PAST_DAYS),
            starts_at__lte=now + dt.timedelta(days=FEED_FUTURE_DAYS),
        )
        .select_related("type", "lead", "agreement")
        .prefetch_related("co_organizers")
        .order_by("starts_at", "pk")
    )


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


def ical_calendar(
    user, activities: Iterable[Activity], *, absolute_url: Callable[[str], str], now: dt.datetime | None = None
) -> Calendar:
    """The feed as an iCalendar object: one VEVENT per activity, times in UTC, cancelled ones marked CANCELLED.

    ``absolute_url`` turns a path into a full URL (``request.build_absolute_uri``): calendar apps open links
    outside the site.
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
