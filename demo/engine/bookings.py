"""The venue bookings story (``demo/stories/bookings.toml``): the partners' shared venues, booked for the demo's
activities and joint meetings held there.

Runs after the activities story (``demo.engine.activities.seed``), so both the meetings (partnerships story) and the
activities exist. Idempotent: a venue is found again by its organization and title, an event already booked is left
as it is. Writes in bulk (a handful of queries whatever the number), keeping the rule the service keeps: no two
booked bookings of one venue overlap, and the booking organization is the venue's or one of its partners.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from activities.models import Activity, VenueBooking
from activities.selectors.bookings import partner_ids
from demo.engine.context import DemoContext
from demo.engine.stories import build, story
from demo.engine.world import FUTURE_DAYS, World, at
from partnerships.models import JointMeeting, Resource
from partnerships.selectors.meetings import MEETING_LENGTH

STORY = story("bookings")


@dataclass(frozen=True)
class VenueSpec:
    org: str
    title: str
    capacity: int
    opening_hours: str
    address: str
    details: str
    places: tuple[str, ...]
    contact_name: str = ""


VENUES: tuple[VenueSpec, ...] = build(tuple[VenueSpec, ...], STORY["venues"])


def ensure_venues(world: World) -> list[tuple[VenueSpec, Resource]]:
    """The story's venues, created the first time (found again by organization, kind and title)."""
    found = []
    for spec in VENUES:
        org = world.orgs.get(spec.org)
        if org is None:
            continue
        venue = Resource.objects.filter(organization=org, kind=Resource.Kind.VENUE, title=spec.title).first()
        if venue is None:
            venue = Resource(
                organization=org,
                kind=Resource.Kind.VENUE,
                title=spec.title,
                details=spec.details,
                capacity=spec.capacity,
                opening_hours=spec.opening_hours,
                address=spec.address,
                contact_name=spec.contact_name,
                created_by=world.keepers.get(org.pk),
            )
            venue.full_clean(exclude=["created_by", "dimension"])
            venue.save()
        found.append((spec, venue))
    return found


def _events(world: World, places: set[str]) -> list[tuple[object, dt.datetime, dt.datetime, int]]:
    """(event, from, until, organizer id) of the not-cancelled activities and meetings held at ``places`` in the
    window, earliest first."""
    first = at(world.today - dt.timedelta(days=STORY["since_days"]), 0)
    last = at(world.today + dt.timedelta(days=FUTURE_DAYS), 0)
    activities = Activity.objects.filter(place__in=places, starts_at__gte=first, starts_at__lt=last).exclude(
        status=Activity.Status.CANCELLED
    )
    meetings = JointMeeting.objects.filter(
        place__in=places, starts_at__gte=first, starts_at__lt=last, cancelled_at__isnull=True
    )
    rows = [(a, a.starts_at, a.ends_at, a.lead_id) for a in activities]
    rows += [(m, m.starts_at, m.starts_at + MEETING_LENGTH, m.host_id) for m in meetings]
    return sorted(rows, key=lambda row: (row[1], row[0].pk))


def seed_bookings(ctx: DemoContext, world: World) -> dict:
    venues = ensure_venues(world)
    booked_events = {
        ("a", a) for a in VenueBooking.objects.filter(activity__isnull=False).values_list("activity_id", flat=True)
    } | {("m", m) for m in VenueBooking.objects.filter(meeting__isnull=False).values_list("meeting_id", flat=True)}
    taken: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for row in VenueBooking.objects.booked().values_list("venue_id", "starts_at", "ends_at"):
        taken.setdefault(row[0], []).append((row[1], row[2]))
    new: list[VenueBooking] = []
    for spec, venue in venues:
        allowed = {
            venue.organization_id,
            *partner_ids([venue.organization_id]).values_list("organization_id", flat=True),
        }
        for event, starts, ends, organizer in _events(world, set(spec.places)):
            is_meeting = isinstance(event, JointMeeting)
            if (("m" if is_meeting else "a"), event.pk) in booked_events or organizer not in allowed:
                continue
            if any(s < ends and starts < e for s, e in taken.get(venue.pk, [])):
                continue
            taken.setdefault(venue.pk, []).append((starts, ends))
            booked_events.add((("m" if is_meeting else "a"), event.pk))
            new.append(
                VenueBooking(
                    venue=venue,
                    activity=None if is_meeting else event,
                    meeting=event if is_meeting else None,
                    booked_by_id=organizer,
                    starts_at=starts,
                    ends_at=ends,
                    created_by=world.keepers.get(organizer),
                )
            )
    VenueBooking.objects.bulk_create(new)
    ctx.step(f"venues: {len(venues)}; venue bookings: {len(new)} created")
    return {"venues": [venue for _spec, venue in venues]}
