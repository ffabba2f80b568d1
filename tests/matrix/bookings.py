"""Access-matrix rows for venue bookings: the booking forms of an activity and a meeting, a venue's schedule, and
cancelling a booking.

An agreement between 甲项目党支部 (secretary1) and the street community (liaison1), whose 党群服务中心会议室 is the
venue; an activity led by 甲项目党支部 the day after tomorrow (booked there) and a joint meeting it hosts next week.
secretary1 books and cancels; liaison1 reads the activity and meeting but may not book for them, yet may cancel a
booking of the community's own venue; the committee and member1 only read; the outsider and secretary2 get 404.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from activities.services import bookings as services
from partnerships.models import Resource
from tests.factories import ActivityFactory, JointMeetingFactory, cast_agreement
from tests.matrix import Case

READ_ONLY = ("committee", "member1", "liaison1")


def objects(world) -> dict:
    today = timezone.localdate()
    agreement = cast_agreement(
        world,
        number="GJ-BOOKING-M01",
        title="场地共享矩阵协议",
        term_start=today - dt.timedelta(days=30),
        term_end=today + dt.timedelta(days=700),
    )
    venue = Resource.objects.create(
        organization=world.partner, kind=Resource.Kind.VENUE, title="矩阵党群服务中心会议室", capacity=60
    )
    starts = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=2)
    activity = ActivityFactory(
        title="矩阵场地活动", agreement=agreement, lead=world.branch_a, starts_at=starts, co_organizers=[world.partner]
    )
    meeting = JointMeetingFactory(
        agreement=agreement, title="矩阵场地联席会议", starts_at=starts + dt.timedelta(days=5), host=world.branch_a
    )
    booking = services.venue_booking_create(
        actor=world.secretary1, venue=venue, activity=activity, starts_at=activity.starts_at, ends_at=activity.ends_at
    )
    return {"bk_venue": venue, "bk_activity": activity, "bk_meeting": meeting, "bk_booking": booking}


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _activity_post(w, o):
    # The activity's own slot is taken by its first booking: the owner books the hour after it.
    ends = o["bk_activity"].ends_at
    return {"venue": o["bk_venue"].pk, "starts_at": _local(ends), "ends_at": _local(ends + dt.timedelta(hours=1))}


def _meeting_post(w, o):
    starts = o["bk_meeting"].starts_at
    return {"venue": o["bk_venue"].pk, "starts_at": _local(starts), "ends_at": _local(starts + dt.timedelta(hours=2))}


CASES: dict[str, Case] = {
    "activities:activity_book_venue": Case(
        lambda w, o: reverse("activities:activity_book_venue", args=[o["bk_activity"].pk]),
        owner="secretary1",
        owner_post=_activity_post,
        read_only=READ_ONLY,
    ),
    "activities:meeting_book_venue": Case(
        lambda w, o: reverse("activities:meeting_book_venue", args=[o["bk_meeting"].pk]),
        owner="secretary1",
        owner_post=_meeting_post,
        read_only=READ_ONLY,
    ),
    "activities:venue_schedule": Case(
        lambda w, o: reverse("activities:venue_schedule", args=[o["bk_venue"].pk]), owner="secretary1"
    ),
    # The venue's own organization may cancel too (liaison1): only the committee and member1 are read-only here.
    "activities:venue_booking_cancel": Case(
        lambda w, o: reverse("activities:venue_booking_cancel", args=[o["bk_booking"].pk]),
        owner="secretary1",
        owner_post=lambda w, o: {},
        read_only=("committee", "member1"),
        get_ok=False,
        outsider_status=405,
    ),
}
