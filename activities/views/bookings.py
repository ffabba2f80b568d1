"""Venue bookings (场地预约): book a venue for an activity or a joint meeting, a venue's coming weeks, cancel a booking.

Thin: the activity, meeting and venue come from their scoped managers (out of scope → 404, read-only → 403), the
venue choices from ``activities.selectors.bookings``, every write from ``activities.services.bookings``.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from activities.forms.activities import DATETIME_LOCAL
from activities.forms.bookings import VenueBookingForm
from activities.models import VenueBooking
from activities.selectors import bookings as selectors
from activities.services import bookings as services
from activities.views.activities import _ActivityFormView
from partnerships.models import JointMeeting, Resource
from portal.scoping import ScopedViewMixin
from portal.views.base import ScopedObjectMixin, ServiceActionView, ServiceFormView


def capacity_warning(venue: Resource, event) -> str | None:
    """A warning (never a refusal) when the event expects more people than the venue holds."""
    expected = selectors.expected_headcount(event)
    if venue.capacity and expected and expected > venue.capacity:
        return _("%(venue)s holds %(capacity)s people; %(expected)s are expected.") % {
            "venue": venue.title,
            "capacity": venue.capacity,
            "expected": expected,
        }
    return None


class _BookVenueMixin:
    """The booking form for the page's event (``self.object``): the venues the user may book, the event's time."""

    form_class = VenueBookingForm
    template_name = "activities/bookings/form.html"
    service = services.venue_booking_create
    success_message = gettext_lazy("Venue booked.")
    event_kwarg = "activity"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["venues"] = selectors.bookable_venues(self.request.user)
        return kwargs

    def get_initial(self):
        starts, ends = selectors.event_span(self.object)
        initial = {
            "starts_at": timezone.localtime(starts).strftime(DATETIME_LOCAL),
            "ends_at": timezone.localtime(ends).strftime(DATETIME_LOCAL),
        }
        venue = self.request.GET.get("venue", "")
        if venue.isdigit():
            initial["venue"] = int(venue)
        return initial

    def get_service_kwargs(self, form):
        return {self.event_kwarg: self.object, **form.cleaned_data}

    def form_valid(self, form):
        response = super().form_valid(form)
        booking = getattr(self, "result", None)
        if isinstance(booking, VenueBooking):
            warning = capacity_warning(booking.venue, self.object)
            if warning:
                messages.warning(self.request, warning)
        return response

    def get_success_url(self) -> str:
        return self.object.get_absolute_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["event"] = self.object
        context["bookings"] = selectors.event_bookings(**{self.event_kwarg: self.object})
        return context


class ActivityBookVenueView(_BookVenueMixin, _ActivityFormView):
    """预订场地 for an activity (its lead's secretary; not once cancelled or locked)."""


class MeetingBookVenueView(_BookVenueMixin, ScopedObjectMixin, ServiceFormView):
    """预订场地 for a joint meeting (its host's secretary or liaison; not once cancelled)."""

    model = JointMeeting
    scope_action = "edit"
    event_kwarg = "meeting"

    def get_queryset(self):
        return JointMeeting.objects.visible_to(self.request.user).select_related("agreement", "host")

    def refuse(self):
        if self.object.is_cancelled:
            return self.turn_away(_("The meeting is cancelled; it can no longer be changed."), level=messages.ERROR)
        return None


class VenueBookingCancelView(ServiceActionView):
    """Cancel a booking (POST): the booking organization's or the venue organization's secretary or liaison. Goes
    back to the page it was sent from (``next``), else the venue's schedule."""

    model = VenueBooking
    service = services.venue_booking_cancel
    object_kwarg = "booking"
    success_message = gettext_lazy("Booking cancelled; the venue is free again.")

    def get_success_url(self) -> str:
        target = self.request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return reverse("activities:venue_schedule", args=[self.object.venue_id])

    get_error_url = get_success_url


class VenueScheduleView(ScopedViewMixin, DetailView):
    """A venue's coming weeks: its booked bookings from the chosen week's Monday for ``SCHEDULE_WEEKS`` weeks, by
    day. Bookings the user may not see in full show only as busy, with the booking organization."""

    model = Resource
    template_name = "activities/bookings/venue.html"
    context_object_name = "venue"

    def get_queryset(self):
        return selectors.visible_venues(self.request.user).select_related("organization")

    def _week_start(self) -> dt.date:
        today = timezone.localdate()
        try:
            day = dt.date.fromisoformat(self.request.GET.get("from", ""))
        except ValueError:
            day = today
        if not (dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 1)):
            day = today
        return day - dt.timedelta(days=day.weekday())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        monday = self._week_start()
        start = timezone.make_aware(dt.datetime.combine(monday, dt.time()))
        rows, truncated = selectors.venue_schedule(self.object, start)
        visible = selectors.visible_booking_ids(self.request.user, rows)
        days: dict[dt.date, list] = {}
        for booking in rows:
            booking.shown = booking.pk in visible
            days.setdefault(max(timezone.localdate(booking.starts_at), monday), []).append(booking)
        weeks = dt.timedelta(weeks=selectors.SCHEDULE_WEEKS)
        context.update(
            days=sorted(days.items()),
            truncated=truncated,
            limit=selectors.SCHEDULE_LIMIT,
            first_day=monday,
            last_day=monday + weeks - dt.timedelta(days=1),
            previous_from=(monday - weeks).isoformat(),
            next_from=(monday + weeks).isoformat(),
            bookable=selectors.bookable_venues(self.request.user).filter(pk=self.object.pk).exists(),
        )
        return context


urlpatterns = [
    path("activities/<int:pk>/book-venue/", ActivityBookVenueView.as_view(), name="activity_book_venue"),
    path("meetings/<int:pk>/book-venue/", MeetingBookVenueView.as_view(), name="meeting_book_venue"),
    path("venues/<int:pk>/bookings/", VenueScheduleView.as_view(), name="venue_schedule"),
    path("venue-bookings/<int:pk>/cancel/", VenueBookingCancelView.as_view(), name="venue_booking_cancel"),
]
