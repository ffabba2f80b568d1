"""The venue bookings card of an activity's page and of a joint meeting's page (the meeting page takes it as a
section, ``"meeting_detail"``: partnerships never imports activities)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from activities.models import VenueBooking
from activities.selectors import bookings as selectors
from partnerships.models import JointMeeting
from portal.home import register_section


def _capacity_warning(booking: VenueBooking, expected: int | None) -> str | None:
    capacity = booking.venue.capacity
    if booking.is_booked and capacity and expected and expected > capacity:
        return _("%(venue)s holds %(capacity)s people; %(expected)s are expected.") % {
            "venue": booking.venue.title,
            "capacity": capacity,
            "expected": expected,
        }
    return None


def booking_section(user, event, *, can_book: bool) -> dict:
    """The event's bookings (each marked ``cancellable`` for this user and with its capacity ``warning``) and, for
    those who may book, the 预订场地 button. Three queries at most, whatever the number of bookings."""
    is_meeting = isinstance(event, JointMeeting)
    bookings = selectors.event_bookings(**({"meeting": event} if is_meeting else {"activity": event}))
    booked = [booking.pk for booking in bookings if booking.is_booked]
    cancellable = (
        set(VenueBooking.objects.editable_by(user).filter(pk__in=booked).values_list("pk", flat=True))
        if booked
        else set()
    )
    expected = selectors.expected_headcount(event) if booked else None
    for booking in bookings:
        booking.cancellable = booking.pk in cancellable
        booking.warning = _capacity_warning(booking, expected)
    section = {
        "template": "activities/bookings/section.html",
        "title": pgettext("booking", "Venue"),
        "bookings": bookings,
    }
    if can_book:
        name = "activities:meeting_book_venue" if is_meeting else "activities:activity_book_venue"
        section["action_url"] = reverse(name, args=[event.pk])
        section["action_label"] = _("Book a venue")
    return section


@register_section("meeting_detail", 30)
def meeting_booking_section(user, meeting) -> dict | None:
    if meeting is None:
        return None
    can_book = (
        not meeting.is_cancelled
        and not meeting.is_published
        and JointMeeting.objects.editable_by(user).filter(pk=meeting.pk).exists()
    )
    return booking_section(user, meeting, can_book=can_book)
