"""Venue bookings (场地预约): a shared venue (a ``partnerships.Resource`` of kind venue) booked for one activity or
one joint meeting, from a start to an end.

Two booked bookings of one venue never overlap. On PostgreSQL an exclusion constraint says so
(``venue_booking_no_overlap``: ``venue =`` and ``tstzrange(starts_at, ends_at, '[)') &&`` where the status is booked,
added by migration 0008 only there — SQLite has no such constraint, so it stays out of ``Meta.constraints``); the
service (``activities.services.bookings``) checks the same rule under a lock of the venue's row on every database and
turns the constraint's refusal into the same message. Touching bookings (10–12 and 12–14) do not overlap; a cancelled
booking blocks nothing.

Scope: a booking is seen by the people of the booking organization and of the venue's organization (and the reviewers
above either); it is cancelled by the secretary or liaison of either.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from activities.models.activities import Activity
from partnerships.models import JointMeeting, Organization, Resource
from portal.choices import ColouredChoices, Colours
from portal.dates import UserDateTimeField, datetime_range_check
from portal.fields import timestamps, user_ref
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, ScopedQuerySet, UserScope

# The PostgreSQL exclusion constraint's name (migration 0008_booking_venue_bookings); the service recognises it.
NO_OVERLAP = "venue_booking_no_overlap"


class VenueBookingQuerySet(ScopedQuerySet):
    def booked(self):
        return self.filter(status=VenueBooking.Status.BOOKED)

    def overlapping(self, starts_at, ends_at):
        """Bookings sharing some time with ``[starts_at, ends_at)``: touching ends are no overlap."""
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)


class VenueBooking(models.Model):
    """A venue booked for an activity or a joint meeting (exactly one of them) by the organization holding it."""

    class Status(ColouredChoices, models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")

        colours = Colours(booked="success", cancelled="secondary")

    venue = models.ForeignKey(Resource, verbose_name=_("venue"), on_delete=models.PROTECT, related_name="bookings")
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="venue_bookings",
    )
    meeting = models.ForeignKey(
        JointMeeting,
        verbose_name=_("joint meeting"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="venue_bookings",
    )
    booked_by = models.ForeignKey(
        Organization, verbose_name=_("booked by"), on_delete=models.PROTECT, related_name="venue_bookings"
    )
    starts_at = UserDateTimeField(_("from"))
    ends_at = UserDateTimeField(_("until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    note = models.CharField(_("note"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = user_ref(_("cancelled by"))
    created_by = user_ref(_("booked by (person)"))
    created_at, updated_at = timestamps()

    objects = VenueBookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("venue booking")
        verbose_name_plural = _("venue bookings")
        ordering = ["starts_at", "pk"]
        indexes = [
            # The venue's schedule and the overlap check: one venue's bookings by time.
            models.Index(fields=["venue", "status", "starts_at"], name="venue_booking_schedule_idx"),
            # The day-before reminder: booked bookings by start.
            models.Index(fields=["status", "starts_at"], name="venue_booking_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(activity__isnull=False) & Q(meeting__isnull=True))
                | (Q(activity__isnull=True) & Q(meeting__isnull=False)),
                name="venue_booking_one_event",
                violation_error_message=_("A booking is for one activity or one joint meeting."),
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="venue_booking_ends_after_start",
                violation_error_message=_("The booking must end after it starts."),
            ),
            datetime_range_check("venue_booking", "starts_at"),
            datetime_range_check("venue_booking", "ends_at"),
        ]

    def __str__(self) -> str:
        return f"{self.venue} {self.starts_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return self.event.get_absolute_url()

    @property
    def event(self):
        return self.activity if self.activity_id else self.meeting

    @property
    def is_booked(self) -> bool:
        return self.status == self.Status.BOOKED

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return (
            scope.in_orgs_q("booked_by_id")
            | scope.subtree_q("booked_by__path")
            | scope.in_orgs_q("venue__organization_id")
            | scope.subtree_q("venue__organization__path")
        )

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("booked_by_id", ROLE_SECRETARY, ROLE_LIAISON) | scope.in_orgs_q(
            "venue__organization_id", ROLE_SECRETARY, ROLE_LIAISON
        )
