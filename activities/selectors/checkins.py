"""Reads for 扫码签到 at activities: finding the event behind a token (an activity's or a meeting's code), an
activity's check-in list, and what the check-ins suggest for the log (named participants and headcounts)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.urls import reverse

from activities.models import Activity, ActivityCheckIn, ActivityCheckInCode
from activities.rules import activity_checkin_window
from activities.selectors.activities import participating_ids
from partnerships.models import JointMeeting
from partnerships.rules import meeting_checkin_window
from partnerships.selectors.checkins import meeting_code_lookup, meeting_party_ids


@dataclass(frozen=True)
class CheckInEvent:
    """What the public check-in page shows and acts on, whichever kind of event the token belongs to."""

    kind: str  # "activity" or "meeting"
    event: Activity | JointMeeting
    title: str
    place: str
    starts_at: dt.datetime
    opens: dt.datetime
    closes: dt.datetime
    cancelled: bool

    @property
    def organization_ids(self) -> list[int]:
        if self.kind == "activity":
            return participating_ids(self.event)
        return meeting_party_ids(self.event)


def activity_event(activity: Activity) -> CheckInEvent:
    opens, closes = activity_checkin_window(activity)
    return CheckInEvent(
        kind="activity",
        event=activity,
        title=activity.title,
        place=activity.place,
        starts_at=activity.starts_at,
        opens=opens,
        closes=closes,
        cancelled=activity.status == Activity.Status.CANCELLED,
    )


def meeting_event(meeting: JointMeeting) -> CheckInEvent:
    opens, closes = meeting_checkin_window(meeting)
    return CheckInEvent(
        kind="meeting",
        event=meeting,
        title=meeting.title,
        place=meeting.place,
        starts_at=meeting.starts_at,
        opens=opens,
        closes=closes,
        cancelled=meeting.is_cancelled,
    )


def checkin_event(token: str) -> CheckInEvent | None:
    """The activity or meeting whose current code is ``token``; None for an unknown or regenerated one (404)."""
    if not token or len(token) > 64:
        return None
    code = ActivityCheckInCode.objects.select_related("activity").filter(token=token).first()
    if code is not None:
        return activity_event(code.activity)
    meeting_code = meeting_code_lookup(token)
    if meeting_code is not None:
        return meeting_event(meeting_code.meeting)
    return None


def checkin_url(request, token: str) -> str:
    """The absolute address printed in the QR code."""
    return request.build_absolute_uri(reverse("activities:checkin", args=[token]))


def activity_checkins(activity: Activity) -> list[ActivityCheckIn]:
    """Everyone who checked in at the activity, in order of arrival (one query)."""
    return list(
        ActivityCheckIn.objects.filter(activity=activity)
        .select_related("member__organization", "organization")
        .order_by("created_at", "pk")
    )


def checkin_count(activity: Activity) -> int:
    return ActivityCheckIn.objects.filter(activity=activity).count()


def log_suggestion(activity: Activity, participating: list[int]) -> tuple[list[int], dict[int, int], int]:
    """What the check-ins suggest for the log: the members to tick, a headcount per participating organization
    (members and guests; a guest counts to the organization their unit names, else to the lead), and how many
    checked in. One query."""
    rows = list(ActivityCheckIn.objects.filter(activity=activity).values_list("member_id", "organization_id"))
    counts: Counter[int] = Counter()
    members = []
    for member_id, organization_id in rows:
        home = organization_id if organization_id in participating else activity.lead_id
        counts[home] += 1
        if member_id is not None:
            members.append(member_id)
    return members, dict(counts), len(rows)
