"""Reads of venue bookings: which venues an organization (or a user) may book, a venue's coming weeks, an activity's
or a meeting's bookings, and the booking a new one would clash with. Each is one query (or a fixed few), whatever
the number of bookings."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from activities.models import VenueBooking
from partnerships.models import AgreementParty, JointMeeting, Resource
from partnerships.rules import SCHEDULABLE_STATUSES
from partnerships.selectors.meetings import MEETING_LENGTH
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, get_scope

# The venue page shows this many weeks from the chosen week's Monday, at most SCHEDULE_LIMIT bookings (and says so).
SCHEDULE_WEEKS = 4
SCHEDULE_LIMIT = 200


def partner_ids(org_ids) -> QuerySet:
    """Organizations that are a party of an agreement (draft or in force) with one of ``org_ids``: whose venues
    those organizations may book."""
    agreements = AgreementParty.objects.filter(
        organization_id__in=org_ids, agreement__status__in=SCHEDULABLE_STATUSES
    ).values("agreement_id")
    return AgreementParty.objects.filter(agreement_id__in=agreements).values("organization_id")


def open_venues() -> QuerySet[Resource]:
    return Resource.objects.filter(kind=Resource.Kind.VENUE, status=Resource.Status.OPEN)


def venues_bookable_by(organization_id: int) -> QuerySet[Resource]:
    """The open venues an organization may book: its own and those of its partners (agreements draft or in force)."""
    return open_venues().filter(
        Q(organization_id=organization_id) | Q(organization_id__in=partner_ids([organization_id]))
    )


def bookable_venues(user) -> QuerySet[Resource]:
    """The venues the booking form offers: those of any organization where the user is secretary or liaison, and of
    their partners (admins: every open venue). The service checks the event's own organization again."""
    scope = get_scope(user)
    if scope.is_superuser:
        return open_venues().select_related("organization").order_by("organization__path", "title", "pk")
    org_ids = sorted(scope.org_ids(ROLE_SECRETARY, ROLE_LIAISON))
    return (
        open_venues()
        .filter(Q(organization_id__in=org_ids) | Q(organization_id__in=partner_ids(org_ids)))
        .select_related("organization")
        .order_by("organization__path", "title", "pk")
    )


def venue_label(venue: Resource) -> str:
    capacity = f" · {venue.capacity}人" if venue.capacity else ""
    return f"{venue.title}（{venue.organization.name}）{capacity}"


def visible_venues(user) -> QuerySet[Resource]:
    """Venues the user may look at (their schedule page): venues the user's scope shows, of any status."""
    return Resource.objects.visible_to(user).filter(kind=Resource.Kind.VENUE)


def _with_events(queryset: QuerySet[VenueBooking]) -> QuerySet[VenueBooking]:
    return queryset.select_related("venue__organization", "booked_by", "activity", "meeting")


def venue_schedule(venue: Resource, start: dt.datetime, weeks: int = SCHEDULE_WEEKS) -> tuple[list, bool]:
    """The venue's booked bookings from ``start`` for ``weeks`` weeks (at most ``SCHEDULE_LIMIT``), and whether
    some were left out."""
    end = start + dt.timedelta(weeks=weeks)
    rows = list(
        _with_events(VenueBooking.objects.booked().filter(venue=venue).overlapping(start, end)).order_by(
            "starts_at", "pk"
        )[: SCHEDULE_LIMIT + 1]
    )
    return rows[:SCHEDULE_LIMIT], len(rows) > SCHEDULE_LIMIT


def visible_booking_ids(user, bookings) -> set[int]:
    """Which of ``bookings`` the user may see in full (event title and link); the others show only as busy."""
    ids = [booking.pk for booking in bookings]
    if not ids:
        return set()
    return set(VenueBooking.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def event_bookings(*, activity=None, meeting=None) -> list[VenueBooking]:
    """An activity's or a meeting's bookings, booked ones first, then by time."""
    queryset = (
        VenueBooking.objects.filter(activity=activity)
        if meeting is None
        else VenueBooking.objects.filter(meeting=meeting)
    )
    return list(queryset.select_related("venue__organization", "booked_by").order_by("-status", "starts_at", "pk"))


def clashing(venue_id: int, starts_at: dt.datetime, ends_at: dt.datetime, *, exclude=()) -> VenueBooking | None:
    """The first booked booking of the venue overlapping ``[starts_at, ends_at)``, other than ``exclude``."""
    return (
        _with_events(VenueBooking.objects.booked().filter(venue_id=venue_id).overlapping(starts_at, ends_at))
        .exclude(pk__in=list(exclude))
        .order_by("starts_at", "pk")
        .first()
    )


def event_span(event) -> tuple[dt.datetime, dt.datetime]:
    """The time a booking for the event starts with: an activity's own span, a meeting's start and its usual length."""
    if isinstance(event, JointMeeting):
        return event.starts_at, event.starts_at + MEETING_LENGTH
    return event.starts_at, event.ends_at


def expected_headcount(event) -> int | None:
    """How many people the event expects, when the portal knows: a meeting's attendees and listed guests, an
    activity's logged headcounts; None when there is no number yet."""
    if isinstance(event, JointMeeting):
        guests = [line for line in (event.guests or "").splitlines() if line.strip()]
        return event.attendees.count() + len(guests)
    total = sum(p.headcount for p in event.participations.all())
    return total or None
