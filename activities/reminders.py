"""What the activities app asks to be reminded of (registered with portal.reminders, discovered at start-up).

An activity coming up (two reminders: ``offset_days`` before — 3 by default — and the day before) to the lead's and
co-organizers' secretaries; an activity held but not logged ``offset_days`` (2) after its end, to the lead's
secretary; a venue booking the day before (``offset_days``, 1), to the booking organization's and the venue
organization's secretaries and liaisons.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities import notices
from activities.models import Activity, VenueBooking

# Imported for what it registers: the nightly housekeeping's expiry of photos uploaded but never attached.
from activities.services import photo_uploads  # noqa: F401
from portal.reminders import (
    LOOKBACK_DAYS,
    Candidate,
    at_local,
    register,
    register_event,
    unique_users,
    users_by_organization,
)
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY

LAST_DAY_OFFSET = 1  # the second, fixed reminder: the day before


def upcoming(now: dt.datetime, rule) -> list[Candidate]:
    today = timezone.localdate(now)
    offsets = sorted({max(rule.offset_days, LAST_DAY_OFFSET), LAST_DAY_OFFSET})
    horizon = at_local(today + dt.timedelta(days=offsets[-1] + 1), hour=0)
    activities = list(
        Activity.objects.filter(status=Activity.Status.PLANNED, starts_at__gt=now, starts_at__lt=horizon)
        .select_related("lead")
        .prefetch_related("co_organizers")
    )
    orgs = {activity.lead_id for activity in activities}
    orgs |= {org.pk for activity in activities for org in activity.co_organizers.all()}
    people = users_by_organization(orgs, (ROLE_SECRETARY,))
    candidates = []
    for activity in activities:
        start = timezone.localdate(activity.starts_at)
        days_left = (start - today).days
        # The latest threshold crossed: created two days ahead, it gets the "d-3" reminder now and "d-1" tomorrow.
        offset = min(offset for offset in offsets if offset >= days_left)
        recipients = unique_users(
            people.get(activity.lead_id, []),
            *(people.get(org.pk, []) for org in activity.co_organizers.all()),
        )
        candidates.append(
            Candidate(
                target=activity,
                occurrence=f"d-{offset}:{start.isoformat()}",
                recipients=recipients,
                due_at=at_local(start - dt.timedelta(days=offset)),
                title=_("Activity on %(date)s: %(title)s") % {"date": start, "title": activity.title},
                body=_("Activity place: %(place)s. Lead: %(lead)s.")
                % {"place": activity.place, "lead": activity.lead.name},
                url=activity.get_absolute_url(),
            )
        )
    return candidates


def not_logged(now: dt.datetime, rule) -> list[Candidate]:
    days = max(rule.offset_days, 0)
    activities = list(
        Activity.objects.filter(
            status__in=(Activity.Status.PLANNED, Activity.Status.HELD),
            ends_at__lte=now - dt.timedelta(days=days),
            ends_at__gte=now - dt.timedelta(days=days + LOOKBACK_DAYS),
        )
    )
    people = users_by_organization({activity.lead_id for activity in activities}, (ROLE_SECRETARY,))
    return [
        Candidate(
            target=activity,
            occurrence=timezone.localdate(activity.ends_at).isoformat(),
            recipients=people.get(activity.lead_id, []),
            due_at=activity.ends_at + dt.timedelta(days=days),
            title=_("Activity held on %(date)s is not logged yet: %(title)s")
            % {"date": timezone.localdate(activity.starts_at), "title": activity.title},
            url=activity.get_absolute_url(),
        )
        for activity in activities
    ]


def booking_upcoming(now: dt.datetime, rule) -> list[Candidate]:
    """A booked venue booking starting within ``offset_days`` (1): both organizations hear of it from 08:00 that day.

    The occurrence names the start, so a booking moved with its event gets a new reminder (the pending one is
    cancelled); a cancelled booking is no candidate, so its pending reminder is cancelled. Three queries at most.
    """
    today = timezone.localdate(now)
    days = max(rule.offset_days, 0)
    horizon = at_local(today + dt.timedelta(days=days + 1), hour=0)
    bookings = list(
        VenueBooking.objects.filter(status=VenueBooking.Status.BOOKED, starts_at__gt=now, starts_at__lt=horizon)
        .select_related("venue__organization", "booked_by", "activity", "meeting")
        .order_by("starts_at", "pk")
    )
    orgs = {b.booked_by_id for b in bookings} | {b.venue.organization_id for b in bookings}
    people = users_by_organization(orgs, (ROLE_SECRETARY, ROLE_LIAISON))
    candidates = []
    for booking in bookings:
        start, end = timezone.localtime(booking.starts_at), timezone.localtime(booking.ends_at)
        venue = booking.venue
        candidates.append(
            Candidate(
                target=booking,
                occurrence=f"d-{days}:{start.isoformat(timespec='minutes')}",
                recipients=unique_users(people.get(booking.booked_by_id, []), people.get(venue.organization_id, [])),
                due_at=at_local(start.date() - dt.timedelta(days=days)),
                title=_("Venue booked for %(when)s: %(venue)s")
                % {"when": f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}", "venue": venue.title},
                body=_("For: %(event)s (%(organization)s). Venue of %(owner)s%(address)s.")
                % {
                    "event": booking.event.title,
                    "organization": booking.booked_by.name,
                    "owner": venue.organization.name,
                    "address": f"，{venue.address}" if venue.address else "",
                },
                # The venue's schedule, which both organizations may open (the event's page may be only the booker's).
                url=f"{reverse('activities:venue_schedule', args=[venue.pk])}?from={start.date().isoformat()}",
            )
        )
    return candidates


register(
    "activity.upcoming",
    label=gettext_lazy("Activity coming up"),
    default_offset_days=3,
    candidates=upcoming,
)
register(
    "activity.not_logged",
    label=gettext_lazy("Activity not logged"),
    default_offset_days=2,
    candidates=not_logged,
)
register(
    "venue_booking.upcoming",
    label=gettext_lazy("Venue booking coming up"),
    default_offset_days=1,
    candidates=booking_upcoming,
)
register_event(notices.PUBLICITY_SUBMITTED, label=gettext_lazy("Publicity item awaiting your review"))
register_event(notices.PUBLICITY_RULED, label=gettext_lazy("Your publicity item approved or returned"))
