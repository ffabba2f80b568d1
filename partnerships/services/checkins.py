"""Writes for 扫码签到 at joint meetings, and the recording step activities share.

* The code: made on first use by who edits the meeting (``meeting_checkin_code``); regenerating it
  (``meeting_checkin_code_regenerate``) replaces the token, and the old URL answers 404 at once.
* A check-in (``meeting_check_in``) comes from the public page, so it has no actor: the token was the credential.
  It is accepted only inside the window (an hour before the start to ``MEETING_CHECKIN_LENGTH`` after it) and not
  for a cancelled meeting. A roster match of the parties (name + the phone's last four digits) records the member
  and, when the member has an account that may attend and the minutes are still open, adds them to the attendees;
  anyone else is a guest with their unit. Checking in twice records one row (the database's unique constraints).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerships.models import CheckInEntry, JointMeeting, MeetingCheckIn, MeetingCheckInCode
from partnerships.rules import may_manage_meeting_checkin, meeting_checkin_window
from partnerships.selectors.checkins import (
    meeting_party_ids,
    normalize_name,
    normalize_unit,
    roster_match,
    unit_organization,
)
from partnerships.selectors.meetings import eligible_attendees

TOKEN_BYTES = 16  # secrets.token_urlsafe(16): 128 random bits, 22 characters — short enough for a dense-free QR


class CheckInClosed(ValidationError):
    """The event does not take check-ins now: ``code`` is ``not_open``, ``ended`` or ``cancelled``."""


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def window_check(*, opens: dt.datetime, closes: dt.datetime, cancelled: bool, now: dt.datetime) -> None:
    """Raise ``CheckInClosed`` unless ``now`` lies in the window of an event that still takes place."""
    if cancelled:
        raise CheckInClosed(_("This event has been cancelled."), code="cancelled")
    if now < opens:
        raise CheckInClosed(_("Check-in has not opened yet."), code="not_open")
    if now > closes:
        raise CheckInClosed(_("Check-in has closed."), code="ended")


def checkin_record(
    *,
    model: type[CheckInEntry],
    event_field: str,
    event: models.Model,
    participating_ids: Sequence[int],
    name: str,
    last_four: str,
    unit: str,
    address_hash: str,
    now: dt.datetime,
) -> tuple[CheckInEntry, bool]:
    """Record one check-in at ``event`` (inside the caller's transaction); returns it and whether it is new.

    A roster match is recorded once per member, a guest once per name and unit: a second check-in returns the first
    (the unique constraints decide, so two taps at once still make one row)."""
    name = normalize_name(name)
    unit = normalize_unit(unit)
    if not name:
        raise ValidationError({"name": _("Enter your name.")})
    match = roster_match(participating_ids, name, last_four)
    if match is not None:
        member, home = match
        lookup = {event_field: event, "member": member}
        defaults = {"name": member.name, "unit": unit, "organization_id": home}
    else:
        lookup = {event_field: event, "member": None, "name": name, "unit": unit}
        defaults = {"organization_id": unit_organization(participating_ids, unit)}
    defaults.update(address_hash=address_hash, created_at=now)
    existing = model.objects.filter(**lookup).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, **defaults), True
    except IntegrityError:
        # The same person's other tap got there first.
        return model.objects.get(**lookup), False


def code_get_or_create(*, model, event_field: str, event, actor):
    """The event's check-in code row (a meeting's or an activity's), made now if it has none; a concurrent first
    use gets the same row. Called inside the caller's durable transaction, after its permission check."""
    code = model.objects.filter(**{event_field: event}).first()
    if code is not None:
        return code
    try:
        with transaction.atomic():
            return model.objects.create(**{event_field: event}, token=new_token(), created_by=actor)
    except IntegrityError:
        return model.objects.get(**{event_field: event})


def code_replace(*, model, event_field: str, event, actor):
    """A new token for the event: the old code's URL is a 404 from this commit on."""
    model.objects.filter(**{event_field: event}).delete()
    return model.objects.create(**{event_field: event}, token=new_token(), created_by=actor)


def _ensure_manager(actor, meeting: JointMeeting) -> None:
    if not may_manage_meeting_checkin(actor, meeting):
        raise PermissionDenied


@transaction.atomic(durable=True)
def meeting_checkin_code(*, actor, meeting: JointMeeting) -> MeetingCheckInCode:
    """The meeting's check-in code, made now if it has none (who edits the meeting only)."""
    _ensure_manager(actor, meeting)
    return code_get_or_create(model=MeetingCheckInCode, event_field="meeting", event=meeting, actor=actor)


@transaction.atomic(durable=True)
def meeting_checkin_code_regenerate(*, actor, meeting: JointMeeting) -> MeetingCheckInCode:
    """Replace the meeting's check-in token: printed and shown codes stop working at once (their URL is a 404)."""
    _ensure_manager(actor, meeting)
    return code_replace(model=MeetingCheckInCode, event_field="meeting", event=meeting, actor=actor)


@transaction.atomic(durable=True)
def meeting_check_in(
    *,
    meeting: JointMeeting,
    name: str,
    last_four: str,
    unit: str = "",
    address_hash: str = "",
    now: dt.datetime | None = None,
) -> MeetingCheckIn:
    """Check someone in at a meeting from the public page (no actor: the token was the credential).

    Refused outside the window or for a cancelled meeting (``CheckInClosed``). A member with an account who may
    attend joins the attendees while the minutes are not published; the minutes' attendance starts from them."""
    now = now or timezone.now()
    meeting = JointMeeting.objects.select_for_update().get(pk=meeting.pk)
    opens, closes = meeting_checkin_window(meeting)
    window_check(opens=opens, closes=closes, cancelled=meeting.is_cancelled, now=now)
    entry, created = checkin_record(
        model=MeetingCheckIn,
        event_field="meeting",
        event=meeting,
        participating_ids=meeting_party_ids(meeting),
        name=name,
        last_four=last_four,
        unit=unit,
        address_hash=address_hash,
        now=now,
    )
    member = entry.member
    if created and member is not None and member.user_id and not meeting.is_published:
        if eligible_attendees(meeting.agreement).filter(pk=member.user_id).exists():
            meeting.attendees.add(member.user_id)
    return entry
