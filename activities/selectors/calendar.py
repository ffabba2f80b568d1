"""Composed reads for the activity calendar (FullCalendar's JSON feed) and the personal iCal feed.

Both read ``Activity.objects.visible_to(user)`` and nothing else, so the calendar shows exactly what the activity
pages show. Each read is a fixed number of queries whatever the number of activities (types and leads joined); the
iCal feed is one query (co-organizer names aggregated in it) and is written as text, without a per-event object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, QuerySet, Subquery, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Activity, ActivityType, CalendarToken
from activities.selectors.meeting_events import meeting_events, meeting_vevents
from partnerships.models import Agreement, Organization
from partnerships.selectors import meetings
from portal import ics
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
# Only what the calendar shows: FullCalendar's event object.
EVENT_VALUES = ("pk", "title", "starts_at", "ends_at", "place", "status", "type__color", "type__name", "lead__name")


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
) -> tuple[list, bool]:
    """Activities the user may see that overlap ``[start, end)``, optionally filtered, in start order: the first
    ``limit`` of them as rows of ``EVENT_VALUES`` (named tuples: no model instances, the type and lead joined), and
    whether there are more (two queries, whatever the table size).

    Split in two so each half walks an index and stops after ``limit + 1`` rows: those already on at ``start``
    (they come first in start order) and those starting inside the window (the ``starts_at`` index, in order).
    """
    limit = limit or MAX_EVENTS
    base = _filtered(user, agreement=agreement, organization=organization, type=type)
    ordered = ("starts_at", "pk")
    running = list(_spanning(base, start).order_by(*ordered).values_list(*EVENT_VALUES, named=True)[: limit + 1])
    starting = list(
        base.filter(starts_at__gte=start, starts_at__lt=end)
        .order_by(*ordered)
        .values_list(*EVENT_VALUES, named=True)[: limit + 1]
    )
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
        self.zone = timezone.get_current_timezone()

    def text_color(self, background: str) -> str:
        if background not in self.colors:
            self.colors[background] = text_color(background)
        return self.colors[background]


def calendar_event(row, context: _EventContext | None = None) -> dict:
    """One activity (a row of ``EVENT_VALUES``) as a FullCalendar event object."""
    context = context or _EventContext()
    cancelled = row.status == Activity.Status.CANCELLED
    color = row.type__color
    background = CANCELLED_COLOR if cancelled else color
    return {
        "id": str(row.pk),
        "title": row.title,
        "start": row.starts_at.astimezone(context.zone).isoformat(),
        "end": row.ends_at.astimezone(context.zone).isoformat(),
        "url": context.url.format(pk=row.pk),
        "backgroundColor": background,
        "borderColor": color,
        "textColor": context.text_color(background),
        "classNames": ["gj-event-cancelled"] if cancelled else [],
        "extendedProps": {
            "typeName": row.type__name,
            "status": row.status,
            "statusLabel": context.labels.get(row.status, row.status),
            "lead": row.lead__name,
            "place": row.place,
        },
    }


def calendar_events(user, **filters) -> tuple[list[dict], bool]:
    """The JSON feed's body (``calendar_activities`` as FullCalendar event objects, then the visible joint meetings
    of the window, ``meeting_events``) and whether either was cut short."""
    activities, truncated = calendar_activities(user, **filters)
    context = _EventContext()
    meetings, meetings_truncated = meeting_events(user, limit=MAX_EVENTS, **filters)
    return [calendar_event(activity, context) for activity in activities] + meetings, truncated or meetings_truncated


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


class _CoOrganizerNames(Subquery):
    """An activity's co-organizer names in the order they were added, as one column of the feed's one query: an
    array on PostgreSQL, elsewhere one string with the names separated by ``NAMES_SEPARATOR``."""

    def __init__(self):
        names = (
            Activity.co_organizers.through.objects.filter(activity_id=OuterRef("pk"))
            .order_by("pk")
            .annotate(co_name=F("organization__name"))
            .values("co_name")
        )
        super().__init__(names, output_field=TextField())

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="ARRAY(%(subquery)s)", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = f'(SELECT group_concat("co_name", char({ord(NAMES_SEPARATOR)})) FROM (%(subquery)s))'
        return self.as_sql(compiler, connection, template=template, **extra)


NAMES_SEPARATOR = "\x1f"
FEED_VALUES = (
    "pk",
    "title",
    "starts_at",
    "ends_at",
    "place",
    "status",
    "description",
    "cancel_reason",
    "created_at",
    "updated_at",
    "agreement_id",
    "type__name",
    "lead__name",
    "agreement__title",
    "co_organizer_names",
)


def feed_activities(user, now: dt.datetime | None = None) -> tuple[list, bool]:
    """What the user's feed carries: visible activities starting from ``FEED_PAST_DAYS`` back to ``FEED_FUTURE_DAYS``
    ahead, at most ``FEED_MAX_EVENTS`` — the coming ones first, then the most recent past ones — in start order, as
    rows of ``FEED_VALUES`` (named tuples, no model instances), and whether some were left out.

    One query: two index walks on ``starts_at`` away from ``now`` (the coming ones forwards, the past ones backwards),
    each scoped and stopping after ``FEED_MAX_EVENTS + 1`` rows, joined by ``UNION ALL`` into the set of ids the outer
    select reads by primary key — coming ones first, at most ``FEED_MAX_EVENTS + 1`` — with the type, lead and
    agreement joined and the co-organizer names aggregated.
    """
    now = now or timezone.now()
    limit = FEED_MAX_EVENTS
    visible = Activity.objects.visible_to(user)
    coming = visible.filter(starts_at__gte=now, starts_at__lte=now + dt.timedelta(days=FEED_FUTURE_DAYS))
    past = visible.filter(starts_at__lt=now, starts_at__gte=now - dt.timedelta(days=FEED_PAST_DAYS))
    # A compound statement may not hold a LIMIT on SQLite: each half is wrapped as "pk IN (… LIMIT n)" first.
    halves = [
        Activity.objects.filter(pk__in=half.order_by(*order).values("pk")[: limit + 1]).order_by().values("pk")
        for half, order in ((coming, ("starts_at", "pk")), (past, ("-starts_at", "-pk")))
    ]
    # The outer select puts the coming ones first (in start order), then the past ones (latest first), and stops
    # after ``limit + 1`` rows: only the rows kept (and one to tell a cut) get their co-organizer names.
    coming_first = Case(When(starts_at__gte=now, then=Value(0)), default=Value(1))
    coming_start = Case(When(starts_at__gte=now, then=F("starts_at")))
    coming_pk = Case(When(starts_at__gte=now, then=F("pk")))
    rows = list(
        Activity.objects.filter(pk__in=halves[0].union(halves[1], all=True))
        .annotate(co_organizer_names=_CoOrganizerNames())
        .order_by(coming_first, coming_start, coming_pk, F("starts_at").desc(), F("pk").desc())
        .values_list(*FEED_VALUES, named=True)[: limit + 1]
    )
    kept = sorted(rows[:limit], key=lambda row: (row.starts_at, row.pk))
    return kept, len(rows) > limit


def feed_meetings(user, now: dt.datetime | None = None) -> tuple[list, bool]:
    """The joint meetings of the user's feed, in the activities' window and cap (one query)."""
    return meetings.feed_meetings(
        user,
        now=now or timezone.now(),
        past_days=FEED_PAST_DAYS,
        future_days=FEED_FUTURE_DAYS,
        limit=FEED_MAX_EVENTS,
    )


def activity_uid(pk: int) -> str:
    """The VEVENT UID: stable for the activity's life, so calendar apps update an event instead of duplicating it."""
    return f"activity-{pk}@gongjian"


def _names(value) -> list[str]:
    if isinstance(value, list):
        return [name for name in value if name is not None]
    return value.split(NAMES_SEPARATOR) if value else []


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


def _duration(delta: dt.timedelta) -> str:
    # Whole hours and minutes are all the feed needs (FEED_REFRESH).
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes or not hours else "")


def ical_text(
    user,
    rows: Iterable,
    *,
    absolute_url: Callable[[str], str],
    now: dt.datetime | None = None,
    truncated: bool = False,
    meeting_rows: Iterable = (),
) -> str:
    """The feed as iCalendar text (rows from ``feed_activities``): one VEVENT per activity, times in UTC, cancelled
    ones marked CANCELLED, written line by line (``portal.ics``) with what every event shares computed once.

    ``absolute_url`` turns a path into a full URL (``request.build_absolute_uri``): calendar apps open links
    outside the site. The calendar's description (RFC 7986 DESCRIPTION and X-WR-CALDESC) states the feed's window
    and cap, and, when ``truncated``, that activities were left out.
    """
    name = ics.text(_("Joint activities — %(name)s") % {"name": display_name(user)})
    about = feed_window_text()
    if truncated:
        about = f"{feed_truncated_text()} {about}"
    about = ics.text(about)
    refresh = _duration(FEED_REFRESH)
    out = [
        "BEGIN:VCALENDAR\r\n",
        "VERSION:2.0\r\n",
        ics.line("PRODID", "-//Gongjian//Joint activities//ZH"),
        "CALSCALE:GREGORIAN\r\n",
        "METHOD:PUBLISH\r\n",
        ics.line("DESCRIPTION", about),
        ics.line("X-WR-CALDESC", about),
        ics.line("NAME", name),
        ics.line("X-WR-CALNAME", name),
        # RFC 7986 and the older Microsoft hint: how often a subscribing app should fetch the feed again.
        ics.line("REFRESH-INTERVAL;VALUE=DURATION", refresh),
        ics.line("X-PUBLISHED-TTL", refresh),
        ics.line("X-WR-TIMEZONE", ics.text(settings.TIME_ZONE)),
    ]
    stamp = ics.utc(now or timezone.now())
    labels = {value: str(label) for value, label in Activity.Status.choices}
    marker = str(_URL_PK)
    url_head, url_tail = absolute_url(reverse("activities:activity_detail", args=[_URL_PK])).split(marker, 1)
    cancelled_title = _("[Cancelled] %(title)s")
    type_line = _("Type: %(type)s")
    lead_line = _("Lead organization: %(lead)s")
    co_line = _("Co-organizers: %(names)s")
    agreement_line = _("Agreement: %(agreement)s")
    status_line = _("Status: %(status)s")
    reason_line = _("Reason for cancellation: %(reason)s")
    for row in rows:
        cancelled = row.status == Activity.Status.CANCELLED
        # Apps that ignore STATUS would show a cancelled activity as on: say it in the title too.
        summary = cancelled_title % {"title": row.title} if cancelled else row.title
        lines = [type_line % {"type": row.type__name}, lead_line % {"lead": row.lead__name}]
        co_organizers = _names(row.co_organizer_names)
        if co_organizers:
            lines.append(co_line % {"names": "、".join(co_organizers)})
        if row.agreement_id:
            lines.append(agreement_line % {"agreement": row.agreement__title})
        lines.append(status_line % {"status": labels.get(row.status, row.status)})
        if cancelled and row.cancel_reason:
            lines.append(reason_line % {"reason": row.cancel_reason})
        if row.description:
            lines += ["", row.description]
        out += [
            "BEGIN:VEVENT\r\n",
            ics.line("SUMMARY", ics.text(summary)),
            f"DTSTART:{ics.utc(row.starts_at)}\r\n",
            f"DTEND:{ics.utc(row.ends_at)}\r\n",
            f"DTSTAMP:{stamp}\r\n",
            ics.line("UID", activity_uid(row.pk)),
            ics.line("CATEGORIES", ics.text_list([row.type__name])),
            f"CREATED:{ics.utc(row.created_at)}\r\n",
            ics.line("DESCRIPTION", ics.text("\n".join(lines))),
            f"LAST-MODIFIED:{ics.utc(row.updated_at)}\r\n",
            ics.line("LOCATION", ics.text(row.place)),
            f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}\r\n",
            ics.line("URL", f"{url_head}{row.pk}{url_tail}"),
            "END:VEVENT\r\n",
        ]
    out += meeting_vevents(meeting_rows, stamp=stamp, absolute_url=absolute_url)
    out.append("END:VCALENDAR\r\n")
    return "".join(out)
