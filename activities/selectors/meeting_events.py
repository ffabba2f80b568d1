"""Joint meetings (联席会议) on the activity calendar and in the personal iCal feed.

The meetings are read by ``partnerships.selectors.meetings`` (scoped by ``JointMeeting.objects.visible_to``, one query
per response, capped by count like the activities); here they become FullCalendar events and VEVENTs. A meeting is
told apart from an activity by its colour (``MEETING_COLOR``, in the calendar's legend), its "【联席会议】" label and
its ``kind``; it links to the meeting's page. Its feed UID is the one of the invitations e-mailed to the attendees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerships.selectors.meetings import MEETING_LENGTH, calendar_meetings, meeting_uid
from portal import ics

MEETING_COLOR = "#0d3b66"
MEETING_TEXT_COLOR = "#ffffff"
MEETING_CANCELLED_COLOR = "#adb5bd"
_URL_PK = 987654321


def meeting_label() -> str:
    """The word for a meeting on the calendar (its legend and each event's type)."""
    return _("Joint meeting")


def _url_template() -> str:
    return reverse("partnerships:meeting_detail", args=[_URL_PK]).replace(str(_URL_PK), "{pk}")


def meeting_events(user, *, start: dt.datetime, end: dt.datetime, limit: int, type=None, **filters) -> tuple:
    """The visible meetings overlapping ``[start, end)`` as FullCalendar events, and whether some were left out.
    A filter by activity type leaves meetings out (they have no type)."""
    if type is not None:
        return [], False
    rows, truncated = calendar_meetings(user, start=start, end=end, limit=limit, **filters)
    zone = timezone.get_current_timezone()
    url = _url_template()
    label = meeting_label()
    cancelled_title = _("[Cancelled] %(title)s")
    titled = _("[Joint meeting] %(title)s")
    events = []
    for row in rows:
        cancelled = row.cancelled_at is not None
        title = titled % {"title": row.title}
        events.append(
            {
                "id": f"meeting-{row.pk}",
                "title": cancelled_title % {"title": title} if cancelled else title,
                "start": row.starts_at.astimezone(zone).isoformat(),
                "end": (row.starts_at + MEETING_LENGTH).astimezone(zone).isoformat(),
                "url": url.format(pk=row.pk),
                "backgroundColor": MEETING_CANCELLED_COLOR if cancelled else MEETING_COLOR,
                "borderColor": MEETING_COLOR,
                "textColor": "#212529" if cancelled else MEETING_TEXT_COLOR,
                "classNames": ["gj-event-meeting", *(["gj-event-cancelled"] if cancelled else [])],
                "extendedProps": {
                    "kind": "meeting",
                    "typeName": label,
                    "status": "cancelled" if cancelled else "",
                    "statusLabel": _("Cancelled") if cancelled else "",
                    "lead": row.host__name,
                    "place": row.place,
                },
            }
        )
    return events, truncated


def meeting_vevents(rows: Iterable, *, stamp: str, absolute_url: Callable[[str], str]) -> list[str]:
    """The feed's VEVENT lines for meetings (rows of ``CALENDAR_MEETING_VALUES``), times in UTC."""
    url_head, url_tail = absolute_url(_url_template().replace("{pk}", str(_URL_PK))).split(str(_URL_PK), 1)
    label = meeting_label()
    titled = _("[Joint meeting] %(title)s")
    cancelled_title = _("[Cancelled] %(title)s")
    host_line = _("Host: %(host)s")
    agreement_line = _("Agreement: %(agreement)s")
    reason_line = _("Reason for cancellation: %(reason)s")
    out: list[str] = []
    for row in rows:
        cancelled = row.cancelled_at is not None
        summary = titled % {"title": row.title}
        lines = [host_line % {"host": row.host__name}, agreement_line % {"agreement": row.agreement__title}]
        if cancelled and row.cancel_reason:
            lines.append(reason_line % {"reason": row.cancel_reason})
        out += [
            "BEGIN:VEVENT\r\n",
            ics.line("SUMMARY", ics.text(cancelled_title % {"title": summary} if cancelled else summary)),
            f"DTSTART:{ics.utc(row.starts_at)}\r\n",
            f"DTEND:{ics.utc(row.starts_at + MEETING_LENGTH)}\r\n",
            f"DTSTAMP:{stamp}\r\n",
            ics.line("UID", meeting_uid(row.pk)),
            f"SEQUENCE:{row.revision}\r\n",
            ics.line("CATEGORIES", ics.text_list([label])),
            f"CREATED:{ics.utc(row.created_at)}\r\n",
            ics.line("DESCRIPTION", ics.text("\n".join(lines))),
            f"LAST-MODIFIED:{ics.utc(row.updated_at)}\r\n",
            ics.line("LOCATION", ics.text(row.place)),
            f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}\r\n",
            ics.line("URL", f"{url_head}{row.pk}{url_tail}"),
            "END:VEVENT\r\n",
        ]
    return out
