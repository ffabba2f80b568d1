"""Every write to joint meetings (联席会议) themselves: scheduling with carry-over, changes, cancellation.

Rules kept here:

* A meeting is scheduled by a secretary or liaison of any party of the agreement (or an admin); the host must be a
  party. Agreements that are draft or in force accept meetings (parties often meet before signing); expired and
  terminated ones do not.
* Scheduling lists every still-open action item of the agreement on the agenda (carry-over), so the meeting rules
  on each of them.
* Only the host's secretary or liaison (``JointMeeting.objects.editable_by``) edits the meeting.

The minutes, their decisions, publication and corrections are written by ``partnerships.services.minutes``, which
shares the helpers below. Public services are durable (outermost) transactions; those the demo batches wrap private
bodies (``_meeting_schedule``…).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnerships.models import (
    ActionItem,
    AgendaItem,
    Agreement,
    JointMeeting,
    Organization,
)
from partnerships.rules import SCHEDULABLE_STATUSES
from partnerships.selectors.meetings import eligible_attendees
from partnerships.services import notices
from partnerships.signals import meeting_cancelled, meeting_rescheduled
from portal.scoping import ensure_editable

# --- helpers ---------------------------------------------------------------------------------------------------


def _party_ids(agreement: Agreement) -> set[int]:
    return set(agreement.parties.values_list("organization_id", flat=True))


def _agenda_lines(agenda: Iterable[str]) -> list[str]:
    return [line.strip() for line in agenda if line and line.strip()]


def _check_host_and_attendees(agreement: Agreement, host: Organization | None, attendees: Sequence) -> None:
    errors: dict[str, list[str]] = {}
    if host is None or host.pk not in _party_ids(agreement):
        errors["host"] = [_("The host must be a party of the agreement.")]
    attendee_ids = {getattr(user, "pk", user) for user in attendees}
    allowed = set(eligible_attendees(agreement).filter(pk__in=attendee_ids).values_list("pk", flat=True))
    if attendee_ids - allowed:
        errors["attendees"] = [_("Attendees must be users of the agreement's parties.")]
    if errors:
        raise ValidationError(errors)


def _carry_over(meeting: JointMeeting) -> int:
    """List the agreement's still-open items on the agenda (those not listed yet); returns how many were added."""
    listed = set(meeting.agenda.filter(carried_item__isnull=False).values_list("carried_item_id", flat=True))
    items = (
        ActionItem.objects.filter(agreement_id=meeting.agreement_id)
        .open()
        .exclude(pk__in=listed)
        # Items this very meeting decided are new business, not carried over.
        .exclude(decision__meeting=meeting)
        .order_by("due_on", "pk")
    )
    last = max(meeting.agenda.values_list("order", flat=True), default=0)
    rows = [
        AgendaItem(
            meeting=meeting,
            order=last + index,
            title=_("Follow-up on action item: %(title)s") % {"title": item.title},
            carried_item=item,
        )
        for index, item in enumerate(items, start=1)
    ]
    for row in rows:
        row.title = row.title[: AgendaItem._meta.get_field("title").max_length]
    AgendaItem.objects.bulk_create(rows)
    return len(rows)


def _set_agenda(meeting: JointMeeting, agenda: list[str]) -> None:
    """Replace the typed agenda items; carried-over items stay, after them."""
    meeting.agenda.filter(carried_item__isnull=True).delete()
    typed = []
    for index, line in enumerate(agenda, start=1):
        row = AgendaItem(meeting=meeting, order=index, title=line)
        row.full_clean(exclude=["meeting", "carried_item"])
        typed.append(row)
    AgendaItem.objects.bulk_create(typed)
    carried = list(meeting.agenda.filter(carried_item__isnull=False).order_by("order", "pk"))
    for offset, row in enumerate(carried, start=len(typed) + 1):
        row.order = offset
    AgendaItem.objects.bulk_update(carried, ["order"])


def _ensure_not_published(meeting: JointMeeting, field: str = "minutes") -> None:
    if meeting.is_published:
        raise ValidationError({field: _("The minutes are published and locked; record a correction to change them.")})


def _ensure_not_cancelled(meeting: JointMeeting) -> None:
    if meeting.is_cancelled:
        raise ValidationError(_("The meeting is cancelled; it can no longer be changed."), code="cancelled")


def _lock(meeting: JointMeeting) -> JointMeeting:
    """Re-read the meeting under a row lock so two saves of the same minutes do not interleave."""
    return JointMeeting.objects.select_for_update().get(pk=meeting.pk)


# --- scheduling --------------------------------------------------------------------------------------------------


def _meeting_schedule(
    *,
    actor: AbstractBaseUser,
    agreement: Agreement,
    title: str,
    starts_at: datetime.datetime,
    place: str,
    host: Organization,
    attendees: Sequence = (),
    guests: str = "",
    agenda: Sequence[str] = (),
) -> JointMeeting:
    """Schedule a joint meeting of ``agreement``; its agenda lists ``agenda`` then every still-open action item."""
    if not Agreement.objects.editable_by(actor).filter(pk=agreement.pk).exists():
        raise PermissionDenied
    if agreement.status not in SCHEDULABLE_STATUSES:
        raise ValidationError(_("The agreement is no longer in force; no meeting can be scheduled under it."))
    meeting = JointMeeting(
        agreement=agreement, title=title, starts_at=starts_at, place=place, host=host, guests=(guests or "").strip()
    )
    meeting.full_clean()
    _check_host_and_attendees(agreement, host, attendees)
    meeting._history_user = actor
    meeting.save()
    meeting.attendees.set(attendees)
    _set_agenda(meeting, _agenda_lines(agenda))
    _carry_over(meeting)
    if not JointMeeting.objects.visible_to(actor).filter(pk=meeting.pk).exists():
        raise PermissionDenied
    notices.meeting_scheduled(actor=actor, meeting=meeting)
    return meeting


meeting_schedule = transaction.atomic(durable=True)(_meeting_schedule)


def _facts(meeting: JointMeeting) -> tuple:
    """What the attendees are told about: a change to any of these is a new revision of the meeting."""
    return (meeting.title, meeting.starts_at, meeting.place, meeting.host_id)


@transaction.atomic(durable=True)
def meeting_update(
    *,
    actor: AbstractBaseUser,
    meeting: JointMeeting,
    title: str,
    starts_at: datetime.datetime,
    place: str,
    host: Organization,
    attendees: Sequence = (),
    guests: str = "",
    agenda: Sequence[str] = (),
) -> JointMeeting:
    """Change a meeting's time, place, host, attendees or typed agenda; refused once its minutes are published.

    Items opened since scheduling are added to the carried-over part of the agenda. A change of title, time, place,
    host or attendees raises the meeting's revision and tells everyone concerned (partnerships/services/notices.py)."""
    ensure_editable(actor, meeting)
    meeting = _lock(meeting)
    _ensure_not_published(meeting, "__all__")
    _ensure_not_cancelled(meeting)
    before = _facts(meeting)
    previous_start, previous_host = meeting.starts_at, meeting.host_id
    with translation.override(settings.LANGUAGE_CODE):
        described = notices.describe_meeting(meeting)
    former = list(meeting.attendees.all())
    meeting.title, meeting.starts_at, meeting.place, meeting.host = title, starts_at, place, host
    meeting.guests = (guests or "").strip()
    meeting.full_clean()
    _check_host_and_attendees(meeting.agreement, host, attendees)
    meeting._history_user = actor
    meeting.save()
    meeting.attendees.set(attendees)
    _set_agenda(meeting, _agenda_lines(agenda))
    _carry_over(meeting)
    if meeting.starts_at != previous_start or meeting.host_id != previous_host:
        # What follows the meeting (its venue bookings) moves with it, or refuses the change.
        meeting_rescheduled.send(sender=JointMeeting, meeting=meeting, previous_starts_at=previous_start, actor=actor)
    # Handing the meeting to another party's host is allowed; it must stay within the actor's sight.
    if not JointMeeting.objects.visible_to(actor).filter(pk=meeting.pk).exists():
        raise PermissionDenied
    now_attending = set(meeting.attendees.values_list("pk", flat=True))
    if _facts(meeting) != before or now_attending != {user.pk for user in former}:
        meeting.revision += 1
        meeting.save(update_fields=["revision", "updated_at"])
        dropped = [user for user in former if user.pk not in now_attending]
        notices.meeting_changed(actor=actor, meeting=meeting, before=described, former_attendees=dropped)
    return meeting


@transaction.atomic(durable=True)
def meeting_cancel(*, actor: AbstractBaseUser, meeting: JointMeeting, reason: str) -> JointMeeting:
    """Call a meeting off with a reason (its host's secretary or liaison), before its minutes are recorded.

    Everyone concerned is told, their calendar entry is withdrawn, and the day-before reminder no longer goes out.
    """
    ensure_editable(actor, meeting)
    meeting = _lock(meeting)
    _ensure_not_cancelled(meeting)
    if meeting.minutes_status != JointMeeting.MinutesStatus.PENDING:
        raise ValidationError(_("Minutes are already recorded for this meeting; it cannot be cancelled."), code="held")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Cancelling a meeting needs a reason.")}, code="required")
    meeting.cancelled_at = timezone.now()
    meeting.cancel_reason = reason
    meeting.revision += 1
    meeting._history_user = actor
    meeting.save(update_fields=["cancelled_at", "cancel_reason", "revision", "updated_at"])
    meeting_cancelled.send(sender=JointMeeting, meeting=meeting, actor=actor)
    notices.meeting_cancelled(actor=actor, meeting=meeting)
    return meeting
