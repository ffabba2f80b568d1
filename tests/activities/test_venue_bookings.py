"""Venue bookings (场地预约): who books which venue, double bookings refused (the service on every database, the
exclusion constraint itself on PostgreSQL) with a message naming the clash, touching bookings allowed, cancelled ones
blocking nothing, bookings moving with their activity or meeting, the pages' scope and query budgets, and the
day-before reminder exactly once.

The cast: an agreement between 甲项目党支部 (secretary1) and the street community (liaison1), whose 党群服务中心会议室
(40 people) is the venue. secretary2's branch has no agreement with the community; the outsider's is unrelated.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, VenueBooking
from activities.services import activities as activity_services
from activities.services import bookings as services
from partnerships.models import Resource
from partnerships.services import meetings as meeting_services
from portal.models import Notification
from portal.sweep import sweep
from tests.conftest import FIXED_NOW
from tests.factories import ActivityFactory, JointMeetingFactory, cast_agreement

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's")


def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """``days`` after the fixed clock's day, at ``hour`` o'clock in Asia/Shanghai."""
    day = FIXED_NOW.date() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def make_venue(organization, title="党群服务中心会议室", **fields) -> Resource:
    fields.setdefault("kind", Resource.Kind.VENUE)
    fields.setdefault("capacity", 40 if fields["kind"] == Resource.Kind.VENUE else None)
    fields.setdefault("address", "和平街道建设路18号")
    return Resource.objects.create(organization=organization, title=title, **fields)


@pytest.fixture
def agreement(world):
    return cast_agreement(world, term_start=FIXED_NOW.date() - dt.timedelta(days=90))


@pytest.fixture
def venue(world, agreement):
    return make_venue(world.partner)


def make_activity(world, agreement, title="共建主题党日", start=None, hours=2, **fields):
    start = start or at(3, 10)
    return ActivityFactory(
        title=title,
        agreement=agreement,
        lead=world.branch_a,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        **fields,
    )


def book(world, activity, venue, start=None, end=None, actor=None, **kwargs):
    return services.venue_booking_create(
        actor=actor or world.secretary1,
        venue=venue,
        activity=activity,
        starts_at=start or activity.starts_at,
        ends_at=end or activity.ends_at,
        **kwargs,
    )


pytestmark = pytest.mark.usefixtures("fixed_clock")


# --- booking ----------------------------------------------------------------------------------------------------


def test_the_lead_secretary_books_a_partners_venue_for_the_activity(world, venue, agreement):
    activity = make_activity(world, agreement)
    booking = book(world, activity, venue, note="需要投影")
    assert booking.status == VenueBooking.Status.BOOKED
    assert booking.booked_by == world.branch_a and booking.created_by == world.secretary1
    assert (booking.starts_at, booking.ends_at) == (activity.starts_at, activity.ends_at)


def test_a_double_booking_is_refused_with_a_message_naming_the_clash(world, venue, agreement):
    first = make_activity(world, agreement, title="联合党课", start=at(3, 10))
    book(world, first, venue)
    second = make_activity(world, agreement, title="志愿服务", start=at(3, 11))
    with pytest.raises(ValidationError) as refused:
        book(world, second, venue)
    message = " ".join(refused.value.message_dict["starts_at"])
    assert "联合党课" in message and "10:00" in message and "12:00" in message
    assert "时间冲突" in message
    assert VenueBooking.objects.filter(activity=second).count() == 0


def test_touching_bookings_are_allowed(world, venue, agreement):
    morning = make_activity(world, agreement, title="上午", start=at(3, 10))
    afternoon = make_activity(world, agreement, title="中午", start=at(3, 12))
    book(world, morning, venue)
    book(world, afternoon, venue)
    assert VenueBooking.objects.booked().filter(venue=venue).count() == 2


def test_a_cancelled_booking_blocks_nothing(world, venue, agreement):
    first = make_activity(world, agreement, title="取消的活动")
    booking = book(world, first, venue)
    services.venue_booking_cancel(actor=world.secretary1, booking=booking)
    second = make_activity(world, agreement, title="新活动")
    assert book(world, second, venue).is_booked
    with pytest.raises(ValidationError):
        services.venue_booking_cancel(actor=world.secretary1, booking=booking)


def test_another_venue_at_the_same_time_is_free(world, venue, agreement):
    other = make_venue(world.partner, "社区党员活动室")
    first = make_activity(world, agreement, title="甲")
    second = make_activity(world, agreement, title="乙")
    book(world, first, venue)
    assert book(world, second, other).is_booked


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"kind": Resource.Kind.LECTURER, "capacity": None}, "Only a venue"),
        ({"status": Resource.Status.WITHDRAWN}, "no longer offered"),
    ],
)
def test_only_an_offered_venue_can_be_booked(world, agreement, fields, error, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        resource = make_venue(world.partner, "讲师团", **fields)
        with pytest.raises(ValidationError) as refused:
            book(world, make_activity(world, agreement), resource)
    assert error in " ".join(refused.value.message_dict["venue"])


def test_a_venue_of_an_organization_without_an_agreement_cannot_be_booked(world, agreement):
    stranger = make_venue(world.unrelated, "外单位礼堂")
    with pytest.raises(ValidationError) as refused:
        book(world, make_activity(world, agreement), stranger)
    assert "venue" in refused.value.message_dict


def test_the_own_organizations_venue_can_be_booked_for_its_own_activity(world):
    own = make_venue(world.branch_a, "项目部党建室", capacity=30)
    activity = ActivityFactory(lead=world.branch_a, starts_at=at(2, 9), ends_at=at(2, 11))
    assert book(world, activity, own).booked_by == world.branch_a


def test_a_booking_must_end_after_it_starts_and_not_in_the_past(world, venue, agreement):
    activity = make_activity(world, agreement)
    with pytest.raises(ValidationError) as backwards:
        book(world, activity, venue, start=at(3, 12), end=at(3, 10))
    assert "ends_at" in backwards.value.message_dict
    with pytest.raises(ValidationError) as past:
        book(world, activity, venue, start=at(-2, 10), end=at(-2, 12))
    assert "ends_at" in past.value.message_dict


@pytest.mark.parametrize("who", ["liaison1", "member1", "committee", "secretary2", "outsider"])
def test_only_who_may_edit_the_activity_books_for_it(world, venue, agreement, who):
    activity = make_activity(world, agreement)
    with pytest.raises(PermissionDenied):
        book(world, activity, venue, actor=world.user(who))


def test_a_cancelled_activity_cannot_be_booked(world, venue, agreement):
    activity = make_activity(world, agreement, status=Activity.Status.CANCELLED)
    with pytest.raises(ValidationError):
        book(world, activity, venue)


# --- the database's own rule (PostgreSQL) ----------------------------------------------------------------------


@on_postgresql
def test_the_database_refuses_a_raw_overlapping_insert(world, venue, agreement):
    first = make_activity(world, agreement, title="甲")
    second = make_activity(world, agreement, title="乙")
    book(world, first, venue)
    row = VenueBooking(venue=venue, activity=second, booked_by=world.branch_a, starts_at=at(3, 11), ends_at=at(3, 13))
    with pytest.raises(IntegrityError, match="venue_booking_no_overlap"), transaction.atomic():
        row.save()
    # Touching and cancelled rows pass the constraint.
    VenueBooking.objects.create(
        venue=venue, activity=second, booked_by=world.branch_a, starts_at=at(3, 12), ends_at=at(3, 13)
    )
    VenueBooking.objects.create(
        venue=venue,
        activity=second,
        booked_by=world.branch_a,
        starts_at=at(3, 10),
        ends_at=at(3, 12),
        status=VenueBooking.Status.CANCELLED,
    )


@on_postgresql
def test_a_race_past_the_check_is_refused_by_the_constraint_with_the_same_message(world, venue, agreement, monkeypatch):
    first = make_activity(world, agreement, title="联合党课")
    book(world, first, venue)
    second = make_activity(world, agreement, title="志愿服务", start=at(3, 11))
    real = services.clashing
    calls = []

    def blind_first_time(*args, **kwargs):
        # The other transaction's booking is not yet visible to the first check (it committed in between).
        calls.append(1)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(services, "clashing", blind_first_time)
    with pytest.raises(ValidationError) as refused:
        book(world, second, venue)
    assert "联合党课" in " ".join(refused.value.message_dict["starts_at"])


# --- bookings follow their event -------------------------------------------------------------------------------


def _update(world, activity, **changes):
    fields = {"starts_at": activity.starts_at, "ends_at": activity.ends_at, **changes}
    return activity_services.activity_update(actor=world.secretary1, activity=activity, **fields)


def test_moving_the_activity_moves_its_booking(world, venue, agreement):
    activity = make_activity(world, agreement)
    booking = book(world, activity, venue)
    _update(world, activity, starts_at=at(4, 14), ends_at=at(4, 17))
    booking.refresh_from_db()
    assert (booking.starts_at, booking.ends_at) == (at(4, 14), at(4, 17))


def test_a_move_onto_a_booked_time_is_refused_and_nothing_changes(world, venue, agreement):
    taken = make_activity(world, agreement, title="联合党课", start=at(4, 14))
    book(world, taken, venue)
    activity = make_activity(world, agreement, title="志愿服务")
    booking = book(world, activity, venue)
    with pytest.raises(ValidationError) as refused:
        _update(world, activity, starts_at=at(4, 15), ends_at=at(4, 17))
    assert "联合党课" in " ".join(refused.value.message_dict["starts_at"])
    activity.refresh_from_db()
    booking.refresh_from_db()
    assert activity.starts_at == at(3, 10) and booking.starts_at == at(3, 10)


def test_cancelling_the_activity_frees_the_venue(world, venue, agreement):
    activity = make_activity(world, agreement)
    booking = book(world, activity, venue)
    activity_services.activity_cancel(actor=world.secretary1, activity=activity, reason="天气原因")
    booking.refresh_from_db()
    assert booking.status == VenueBooking.Status.CANCELLED


def _meeting(world, agreement, start):
    return JointMeetingFactory(agreement=agreement, title="第二次联席会议", starts_at=start, host=world.branch_a)


def _move_meeting(world, meeting, start):
    return meeting_services.meeting_update(
        actor=world.secretary1,
        meeting=meeting,
        title=meeting.title,
        starts_at=start,
        place=meeting.place,
        host=meeting.host,
    )


def test_a_meeting_books_a_venue_and_its_booking_moves_with_it(world, venue, agreement):
    meeting = _meeting(world, agreement, at(5, 9, 30))
    booking = services.venue_booking_create(
        actor=world.secretary1, venue=venue, meeting=meeting, starts_at=at(5, 9, 30), ends_at=at(5, 11, 30)
    )
    _move_meeting(world, meeting, at(6, 14, 30))
    booking.refresh_from_db()
    assert (booking.starts_at, booking.ends_at) == (at(6, 14, 30), at(6, 16, 30))


def test_a_meeting_move_onto_a_booked_time_is_refused(world, venue, agreement):
    book(world, make_activity(world, agreement, title="联合党课", start=at(6, 14)), venue)
    meeting = _meeting(world, agreement, at(5, 9, 30))
    services.venue_booking_create(
        actor=world.secretary1, venue=venue, meeting=meeting, starts_at=at(5, 9, 30), ends_at=at(5, 11, 30)
    )
    with pytest.raises(ValidationError) as refused:
        _move_meeting(world, meeting, at(6, 15))
    assert "联合党课" in " ".join(refused.value.message_dict["starts_at"])
    meeting.refresh_from_db()
    assert meeting.starts_at == at(5, 9, 30)


def test_cancelling_the_meeting_cancels_its_booking(world, venue, agreement):
    meeting = _meeting(world, agreement, at(5, 9, 30))
    booking = services.venue_booking_create(
        actor=world.secretary1, venue=venue, meeting=meeting, starts_at=at(5, 9, 30), ends_at=at(5, 11, 30)
    )
    meeting_services.meeting_cancel(actor=world.secretary1, meeting=meeting, reason="改期")
    booking.refresh_from_db()
    assert booking.status == VenueBooking.Status.CANCELLED


# --- scope ------------------------------------------------------------------------------------------------------


def test_bookings_are_seen_by_both_organizations_and_their_reviewers_only(world, venue, agreement):
    booking = book(world, make_activity(world, agreement), venue)
    for who in ("secretary1", "member1", "liaison1", "committee"):
        assert VenueBooking.objects.visible_to(world.user(who)).filter(pk=booking.pk).exists(), who
    for who in ("secretary2", "outsider"):
        assert not VenueBooking.objects.visible_to(world.user(who)).exists(), who


def test_the_venue_owner_may_cancel_a_booking_of_its_venue(world, venue, agreement):
    booking = book(world, make_activity(world, agreement), venue)
    services.venue_booking_cancel(actor=world.liaison1, booking=booking)
    booking.refresh_from_db()
    assert booking.cancelled_by == world.liaison1


@pytest.mark.parametrize("who", ["member1", "committee", "secretary2", "outsider"])
def test_others_may_not_cancel_a_booking(world, venue, agreement, who):
    booking = book(world, make_activity(world, agreement), venue)
    with pytest.raises(PermissionDenied):
        services.venue_booking_cancel(actor=world.user(who), booking=booking)


# --- pages ------------------------------------------------------------------------------------------------------


def test_the_activity_page_shows_its_booking_and_the_book_button(client_for, world, venue, agreement):
    activity = make_activity(world, agreement)
    book(world, activity, venue)
    page = client_for(world.secretary1).get(activity.get_absolute_url()).content.decode()
    assert "党群服务中心会议室" in page and reverse("activities:activity_book_venue", args=[activity.pk]) in page
    read_only = client_for(world.liaison1).get(activity.get_absolute_url()).content.decode()
    assert "党群服务中心会议室" in read_only
    assert reverse("activities:activity_book_venue", args=[activity.pk]) not in read_only


def test_booking_through_the_form_and_a_clash_shown_next_to_the_time(client_for, world, venue, agreement):
    client = client_for(world.secretary1)
    activity = make_activity(world, agreement, title="联合党课")
    url = reverse("activities:activity_book_venue", args=[activity.pk])
    form = client.get(url)
    assert form.status_code == 200 and at(3, 10).strftime("%Y-%m-%dT%H:%M") in form.content.decode()
    post = {"venue": venue.pk, "starts_at": "", "ends_at": "", "note": ""}
    post["starts_at"] = timezone.localtime(activity.starts_at).strftime("%Y-%m-%dT%H:%M")
    post["ends_at"] = timezone.localtime(activity.ends_at).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, post)
    assert response.status_code == 302 and VenueBooking.objects.filter(activity=activity).exists()
    other = make_activity(world, agreement, title="志愿服务", start=at(3, 11))
    response = client.post(reverse("activities:activity_book_venue", args=[other.pk]), post)
    assert response.status_code == 200
    assert "联合党课" in " ".join(response.context["form"].errors["starts_at"])


def test_a_capacity_overflow_warns_but_books(client_for, world, agreement):
    small = make_venue(world.partner, "社区党员活动室", capacity=2)
    meeting = _meeting(world, agreement, at(5, 9, 30))
    meeting.attendees.set([world.secretary1, world.liaison1])
    meeting.guests = "街道办主任\n项目经理"
    meeting.save()
    client = client_for(world.secretary1)
    response = client.post(
        reverse("activities:meeting_book_venue", args=[meeting.pk]),
        {"venue": small.pk, "starts_at": "2026-11-27T09:30", "ends_at": "2026-11-27T11:30"},
        follow=True,
    )
    assert VenueBooking.objects.filter(meeting=meeting, status="booked").exists()
    text = response.content.decode()
    assert "社区党员活动室" in text and 'data-testid="capacity-warning"' in text


def test_the_venue_schedule_shows_the_coming_weeks_and_hides_other_partners_titles(client_for, world, venue, agreement):
    book(world, make_activity(world, agreement, title="联合党课"), venue)
    # The community's own activity, not under the agreement: secretary1 sees the slot as busy, not its title.
    MembershipOwn = world.partner
    own = ActivityFactory(title="社区内部会议", lead=MembershipOwn, starts_at=at(4, 9), ends_at=at(4, 10))
    VenueBooking.objects.create(
        venue=venue, activity=own, booked_by=world.partner, starts_at=at(4, 9), ends_at=at(4, 10)
    )
    url = reverse("activities:venue_schedule", args=[venue.pk])
    page = client_for(world.secretary1).get(url).content.decode()
    assert "联合党课" in page and "社区内部会议" not in page and "和平街道社区党委" in page
    owner_page = client_for(world.liaison1).get(url).content.decode()
    assert "联合党课" in owner_page and "社区内部会议" in owner_page
    later = client_for(world.secretary1).get(url + "?from=" + (FIXED_NOW.date() + dt.timedelta(weeks=4)).isoformat())
    assert "联合党课" not in later.content.decode()
    assert client_for(world.secretary1).get(url + "?from=nonsense").status_code == 200


@pytest.mark.parametrize("who", ["secretary2", "outsider"])
def test_outsiders_get_404_for_the_venue_and_its_bookings(client_for, world, venue, agreement, who):
    activity = make_activity(world, agreement)
    booking = book(world, activity, venue)
    client = client_for(world.user(who))
    assert client.get(reverse("activities:venue_schedule", args=[venue.pk])).status_code == 404
    assert client.get(reverse("activities:activity_book_venue", args=[activity.pk])).status_code == 404
    assert client.post(reverse("activities:venue_booking_cancel", args=[booking.pk])).status_code == 404


def test_read_only_users_get_403_on_the_booking_form_and_cancel(client_for, world, venue, agreement):
    activity = make_activity(world, agreement)
    booking = book(world, activity, venue)
    client = client_for(world.member1)
    assert client.get(reverse("activities:activity_book_venue", args=[activity.pk])).status_code == 403
    assert client.post(reverse("activities:venue_booking_cancel", args=[booking.pk])).status_code == 403


def test_cancel_goes_back_to_the_page_it_came_from(client_for, world, venue, agreement):
    activity = make_activity(world, agreement)
    booking = book(world, activity, venue)
    response = client_for(world.secretary1).post(
        reverse("activities:venue_booking_cancel", args=[booking.pk]), {"next": activity.get_absolute_url()}
    )
    assert response.status_code == 302 and response["Location"] == activity.get_absolute_url()
    evil = client_for(world.secretary1).post(
        reverse("activities:venue_booking_cancel", args=[booking.pk]), {"next": "https://evil.example/"}
    )
    assert evil["Location"] == reverse("activities:venue_schedule", args=[venue.pk])


def test_the_venue_search_offers_own_and_partner_venues_only(client_for, world, venue, agreement):
    make_venue(world.unrelated, "外单位礼堂")
    url = reverse("search", args=["venues"]) + "?purpose=booking&q="
    texts = [row["text"] for row in client_for(world.secretary1).get(url).json()["results"]]
    assert any("党群服务中心会议室" in text for text in texts) and not any("外单位礼堂" in text for text in texts)
    assert client_for(world.secretary2).get(url).json()["results"] == []


def _fill(world, agreement, venue, count, day0):
    activities = [
        make_activity(world, agreement, title=f"活动{day0 + n}", start=at(1 + (day0 + n) // 8, 8 + (day0 + n) % 8))
        for n in range(count)
    ]
    VenueBooking.objects.bulk_create(
        VenueBooking(
            venue=venue,
            activity=a,
            booked_by=world.branch_a,
            starts_at=a.starts_at,
            ends_at=a.starts_at + dt.timedelta(hours=1),
        )
        for a in activities
    )


def test_the_venue_schedule_costs_the_same_at_few_and_many_bookings(
    client_for, world, venue, agreement, django_assert_max_num_queries
):
    client = client_for(world.secretary1)
    url = reverse("activities:venue_schedule", args=[venue.pk])
    _fill(world, agreement, venue, 3, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _fill(world, agreement, venue, 60, 3)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert response.content.decode().count('data-testid="schedule-booking"') == 63


def test_the_activity_page_costs_the_same_with_one_booking_or_many(
    client_for, world, venue, agreement, django_assert_max_num_queries
):
    client = client_for(world.secretary1)
    activity = make_activity(world, agreement)
    book(world, activity, venue)
    with CaptureQueriesContext(connection) as few:
        assert client.get(activity.get_absolute_url()).status_code == 200
    for n in range(5):
        extra = make_venue(world.partner, f"会议室{n}")
        book(world, activity, extra)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(activity.get_absolute_url()).status_code == 200


# --- the day-before reminder ------------------------------------------------------------------------------------


def test_the_day_before_reminder_reaches_both_organizations_once(world, venue, agreement, fixed_clock):
    activity = make_activity(world, agreement, start=at(3, 10))
    booking = book(world, activity, venue)
    sweep(at(1, 9))  # two days ahead: nothing yet
    assert not Notification.objects.filter(kind="venue_booking.upcoming").exists()
    sweep(at(2, 8, 30))
    sweep(at(2, 9, 30))
    rows = Notification.objects.filter(kind="venue_booking.upcoming", target_id=booking.pk)
    assert set(rows.values_list("recipient__username", flat=True)) == {"secretary1", "liaison1"}
    assert rows.count() == 2 and set(rows.values_list("status", flat=True)) == {"sent"}
    # Both may open the venue's schedule (the activity's page may be only the booker's).
    assert rows.first().url.startswith(reverse("activities:venue_schedule", args=[venue.pk]))


def test_a_cancelled_booking_gets_no_reminder(world, venue, agreement):
    booking = book(world, make_activity(world, agreement, start=at(3, 10)), venue)
    services.venue_booking_cancel(actor=world.secretary1, booking=booking)
    sweep(at(2, 9))
    assert not Notification.objects.filter(kind="venue_booking.upcoming").exists()
