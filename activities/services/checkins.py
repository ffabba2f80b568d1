"""Writes for 扫码签到 at activities: the activity's check-in code (made on first use, regenerated on request) and
the check-ins made on the public page.

A check-in never logs the activity: it fills the log form's starting point (named participants, headcounts) and
the activity's 签到名单; the lead's secretary still confirms the log. The rules of the code and of a check-in are
the meeting's (partnerships/services/checkins.py): an unguessable token, a window from an hour before the start to
the end, one row per member or per guest name and unit.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from activities.models import Activity, ActivityCheckIn, ActivityCheckInCode
from activities.rules import activity_checkin_window, may_manage_activity_checkin
from activities.selectors.activities import participating_ids
from partnerships.services.checkins import checkin_record, code_get_or_create, code_replace, window_check


def _ensure_manager(actor, activity: Activity) -> None:
    if not may_manage_activity_checkin(actor, activity):
        raise PermissionDenied


@transaction.atomic(durable=True)
def activity_checkin_code(*, actor, activity: Activity) -> ActivityCheckInCode:
    """The activity's check-in code, made now if it has none (the lead's secretary or an admin only)."""
    _ensure_manager(actor, activity)
    return code_get_or_create(model=ActivityCheckInCode, event_field="activity", event=activity, actor=actor)


@transaction.atomic(durable=True)
def activity_checkin_code_regenerate(*, actor, activity: Activity) -> ActivityCheckInCode:
    """Replace the activity's check-in token: printed and shown codes stop working at once (their URL is a 404)."""
    _ensure_manager(actor, activity)
    return code_replace(model=ActivityCheckInCode, event_field="activity", event=activity, actor=actor)


@transaction.atomic(durable=True)
def activity_check_in(
    *,
    activity: Activity,
    name: str,
    last_four: str,
    unit: str = "",
    address_hash: str = "",
    now: dt.datetime | None = None,
) -> ActivityCheckIn:
    """Check someone in at an activity from the public page (no actor: the token was the credential).

    Refused outside the window or for a cancelled activity (``CheckInClosed``). A roster match among the lead's and
    co-organizers' members (and their party groups') is recorded as that member, anyone else as a guest."""
    now = now or timezone.now()
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    opens, closes = activity_checkin_window(activity)
    window_check(opens=opens, closes=closes, cancelled=activity.status == Activity.Status.CANCELLED, now=now)
    entry, _created = checkin_record(
        model=ActivityCheckIn,
        event_field="activity",
        event=activity,
        participating_ids=participating_ids(activity),
        name=name,
        last_four=last_four,
        unit=unit,
        address_hash=address_hash,
        now=now,
    )
    return entry
