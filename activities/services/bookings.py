"""Every write to venue bookings (场地预约): book a venue for an activity or a joint meeting, cancel a booking, and
keep bookings with their event when it moves or is called off.

Rules kept here:

* Whoever may edit the event books for it (an activity's lead secretary, a meeting's host secretary or liaison); the
  booking organization is the event's lead or host, and the venue must be one of its own or a partner's (a party of an
  agreement, draft or in force, with it), still offered, of kind venue.
* Two booked bookings of one venue never overlap (touching ends are fine). The venue's row is locked while the
  overlap is checked, so two people booking the same venue at once are checked one after the other; on PostgreSQL the
  exclusion constraint ``venue_booking_no_overlap`` also refuses it, and its refusal is reported with the same message.
* A booking is cancelled by the secretary or liaison of the booking organization or of the venue's organization.
* Moving an activity or a meeting moves its booked bookings with it, in the same transaction (a move that would
  double-book the venue is refused with the same message); cancelling the event cancels them.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Activity, VenueBooking
from activities.models.bookings import NO_OVERLAP
from activities.selectors.bookings import clashing, venues_bookable_by
from partnerships.models import JointMeeting, Resource
from portal.scoping import ensure_editable

Status = VenueBooking.Status


def clash_message(actor, clash: VenueBooking) -> str:
    """时间冲突：该场地已被「…」预订 (from – until). The event's title when the actor may see the booking, otherwise
    only the booking organization (another partner's activity stays theirs)."""
    visible = VenueBooking.objects.visible_to(actor).filter(pk=clash.pk).exists() if actor is not None else False
    name = str(clash.event) if visible else clash.booked_by.name
    start, end = timezone.localtime(clash.starts_at), timezone.localtime(clash.ends_at)
    until = end.strftime("%H:%M") if start.date() == end.date() else end.strftime("%Y-%m-%d %H:%M")
    return _("Time clash: the venue is already booked for “%(name)s” (%(start)s–%(end)s).") % {
        "name": name,
        "start": start.strftime("%Y-%m-%d %H:%M"),
        "end": until,
    }


def _event_of(activity: Activity | None, meeting: JointMeeting | None):
    if (activity is None) == (meeting is None):
        raise ValueError("a booking is for exactly one activity or one meeting")
    return activity if activity is not None else meeting


def _organizer_id(event) -> int:
    return event.host_id if isinstance(event, JointMeeting) else event.lead_id


def _refuse_closed_event(event) -> None:
    if isinstance(event, JointMeeting):
        if event.is_cancelled:
            raise ValidationError(_("The meeting is cancelled; it can no longer be changed."), code="cancelled")
    elif event.status == Activity.Status.CANCELLED:
        raise ValidationError(_("A cancelled activity can no longer be changed."), code="cancelled")


def _save_without_overlap(actor, booking: VenueBooking, field: str) -> None:
    """Check the overlap under the venue's row lock, then save; the PostgreSQL constraint's refusal (two transactions
    that both passed the check) becomes the same message, under ``field``."""
    Resource.objects.select_for_update().filter(pk=booking.venue_id).first()
    if booking.status == Status.BOOKED:
        clash = clashing(
            booking.venue_id, booking.starts_at, booking.ends_at, exclude=[booking.pk] if booking.pk else []
        )
        if clash is not None:
            raise ValidationError({field: [clash_message(actor, clash)]}, code="clash")
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as exc:
        if NO_OVERLAP not in str(exc):
            raise
        clash = clashing(
            booking.venue_id, booking.starts_at, booking.ends_at, exclude=[booking.pk] if booking.pk else []
        )
        message = clash_message(actor, clash) if clash else _("Time clash: the venue is already booked at that time.")
        raise ValidationError({field: [message]}, code="clash") from exc


@transaction.atomic(durable=True)
def venue_booking_create(
    *,
    actor: AbstractBaseUser,
    venue: Resource,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    activity: Activity | None = None,
    meeting: JointMeeting | None = None,
    note: str = "",
) -> VenueBooking:
    """Book ``venue`` for an activity or a meeting from ``starts_at`` until ``ends_at``.

    Refused unless the actor may edit the event (403), the event is not cancelled, the venue is an offered venue of
    the event's organization or of one of its partners, the booking ends after it starts and not in the past, and no
    booked booking of the venue overlaps it (the message names the clashing booking)."""
    event = _event_of(activity, meeting)
    ensure_editable(actor, event)
    event = type(event).objects.select_for_update().get(pk=event.pk)
    _refuse_closed_event(event)
    organizer = _organizer_id(event)
    errors: dict[str, list[str]] = {}
    if venue is None or venue.kind != Resource.Kind.VENUE:
        errors["venue"] = [_("Only a venue can be booked.")]
    elif venue.status != Resource.Status.OPEN:
        errors["venue"] = [_("This venue is no longer offered.")]
    elif not venues_bookable_by(organizer).filter(pk=venue.pk).exists():
        errors["venue"] = [_("You can book your own organization's venues and your partners' venues only.")]
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            errors["ends_at"] = [_("The booking must end after it starts.")]
        elif ends_at <= timezone.now():
            errors["ends_at"] = [_("A booking cannot lie in the past.")]
    booking = VenueBooking(
        venue=venue,
        activity=activity,
        meeting=meeting,
        booked_by_id=organizer,
        starts_at=starts_at,
        ends_at=ends_at,
        note=(note or "").strip(),
        created_by=actor,
    )
    try:
        booking.full_clean(exclude=["created_by", "cancelled_by"], validate_constraints=not errors)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
    if errors:
        raise ValidationError(errors)
    _save_without_overlap(actor, booking, "starts_at")
    return booking


@transaction.atomic(durable=True)
def venue_booking_cancel(*, actor: AbstractBaseUser, booking: VenueBooking) -> VenueBooking:
    """Cancel a booking (the booking organization's or the venue organization's secretary or liaison): the venue is
    free again at once."""
    ensure_editable(actor, booking)
    booking = VenueBooking.objects.select_for_update().get(pk=booking.pk)
    if booking.status == Status.CANCELLED:
        raise ValidationError(_("This booking is already cancelled."), code="cancelled")
    booking.status = Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancelled_by = actor
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by", "updated_at"])
    return booking


# --- bookings follow their event (called inside the event's own write) -------------------------------------------


def follow_event(
    *, actor, event, previous_start: dt.datetime, previous_end: dt.datetime | None = None, field: str = "starts_at"
) -> int:
    """Move the event's booked bookings by as much as the event moved (its start, and its end for an activity), and
    hand them to its current organizer; a move onto another booking of the venue is refused (``field``). Must run
    inside the event's transaction. Returns how many bookings moved."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("follow_event runs inside the event's transaction")
    is_meeting = isinstance(event, JointMeeting)
    bookings = list(
        VenueBooking.objects.select_for_update()
        .filter(**({"meeting": event} if is_meeting else {"activity": event}), status=Status.BOOKED)
        .order_by("pk")
    )
    start_shift = event.starts_at - previous_start
    end_shift = start_shift if is_meeting or previous_end is None else event.ends_at - previous_end
    organizer = _organizer_id(event)
    moved = 0
    for booking in bookings:
        if not start_shift and not end_shift and booking.booked_by_id == organizer:
            continue
        starts, ends = booking.starts_at + start_shift, booking.ends_at + end_shift
        if ends <= starts:  # the activity shrank past the booking's own length: book the activity's span instead
            starts, ends = event.starts_at, event.ends_at
        booking.starts_at, booking.ends_at, booking.booked_by_id = starts, ends, organizer
        _save_without_overlap(actor, booking, field)
        moved += 1
    return moved


def cancel_with_event(*, actor, event) -> int:
    """Cancel the event's booked bookings (the event was called off); inside the event's transaction."""
    is_meeting = isinstance(event, JointMeeting)
    return VenueBooking.objects.filter(
        **({"meeting": event} if is_meeting else {"activity": event}), status=Status.BOOKED
    ).update(status=Status.CANCELLED, cancelled_at=timezone.now(), cancelled_by=actor, updated_at=timezone.now())


def on_meeting_rescheduled(sender, *, meeting, previous_starts_at, actor, **kwargs) -> None:
    """``partnerships.signals.meeting_rescheduled``: the meeting's bookings move with it (or the change is refused)."""
    follow_event(actor=actor, event=meeting, previous_start=previous_starts_at)


def on_meeting_cancelled(sender, *, meeting, actor, **kwargs) -> None:
    """``partnerships.signals.meeting_cancelled``: the meeting's bookings are cancelled with it."""
    cancel_with_event(actor=actor, event=meeting)
