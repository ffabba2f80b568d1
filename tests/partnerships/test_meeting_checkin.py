"""扫码签到 at joint meetings: members of the parties with an account join the attendees, others and guests appear in
the meeting's check-in list; the window runs from an hour before the start to three hours after it; the code pages
are the host's.

The clock is fixed (``fixed_clock``: 2026-11-22 10:00 Shanghai); the meeting starts at 10:30.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from partnerships.models import JointMeeting, MeetingCheckIn, MeetingCheckInCode
from partnerships.services.checkins import meeting_checkin_code
from tests.conftest import FIXED_NOW
from tests.factories import JointMeetingFactory, MemberFactory, UserFactory, cast_agreement

pytestmark = pytest.mark.usefixtures("fixed_clock")

START = FIXED_NOW + dt.timedelta(minutes=30)


@pytest.fixture
def meeting(world):
    agreement = cast_agreement(world, number="GJ-MEET-CHECKIN", title="会议签到测试协议")
    return JointMeetingFactory(
        agreement=agreement, title="第二次联席会议", host=world.branch_a, starts_at=START, place="项目部会议室"
    )


@pytest.fixture
def token(world, meeting):
    return meeting_checkin_code(actor=world.secretary1, meeting=meeting).token


def _check_in(client, token, name, last_four, unit="", address="10.2.2.2"):
    return client.post(
        reverse("activities:checkin", args=[token]),
        {"name": name, "last_four": last_four, "unit": unit},
        REMOTE_ADDR=address,
    )


def test_a_member_with_an_account_joins_the_attendees(client, world, meeting, token):
    MemberFactory(organization=world.partner, name="刘联络", phone="13711112222", user=world.liaison1)
    response = _check_in(client, token, "刘联络", "2222")
    assert 'data-testid="checkin-done"' in response.content.decode()
    assert list(meeting.attendees.all()) == [world.liaison1]
    assert MeetingCheckIn.objects.get(meeting=meeting).member.user == world.liaison1


def test_members_without_an_account_and_guests_are_listed_on_the_meeting_page(
    client, client_for, world, meeting, token
):
    MemberFactory(organization=world.branch_a, name="李红梅", phone="13912345678")
    _check_in(client, token, "李红梅", "5678")
    _check_in(client, token, "周来宾", "9999", unit="市住建局")
    assert not meeting.attendees.exists()
    html = client_for(world.liaison1).get(meeting.get_absolute_url()).content.decode()
    assert 'data-testid="checkin-list"' in html
    assert "李红梅" in html and "周来宾" in html and "市住建局" in html


def test_an_account_that_may_not_attend_is_only_listed(client, world, meeting, token):
    # A member of a party whose account holds no role there is not an eligible attendee: listed, not added.
    MemberFactory(organization=world.branch_a, name="张无岗", phone="13600007777", user=UserFactory(username="zhang"))
    _check_in(client, token, "张无岗", "7777")
    assert not meeting.attendees.exists()
    assert MeetingCheckIn.objects.filter(meeting=meeting, member__name="张无岗").exists()


def test_published_minutes_keep_their_attendance(client, world, meeting, token):
    MemberFactory(organization=world.partner, name="刘联络", phone="13711112222", user=world.liaison1)
    JointMeeting.objects.filter(pk=meeting.pk).update(minutes_status=JointMeeting.MinutesStatus.PUBLISHED)
    _check_in(client, token, "刘联络", "2222")
    assert not meeting.attendees.exists()
    assert MeetingCheckIn.objects.filter(meeting=meeting).count() == 1


def test_the_window_closes_three_hours_after_the_start(client, meeting, token):
    with time_machine.travel(START + dt.timedelta(hours=2, minutes=59), tick=False):
        assert 'data-testid="checkin-done"' in _check_in(client, token, "周来宾", "9999", "某单位").content.decode()
    with time_machine.travel(START + dt.timedelta(hours=3, minutes=1), tick=False):
        assert 'data-testid="checkin-ended"' in _check_in(client, token, "吴来宾", "8888", "某单位").content.decode()
    with time_machine.travel(START - dt.timedelta(hours=1, minutes=1), tick=False):
        assert (
            'data-testid="checkin-not-open"' in client.get(reverse("activities:checkin", args=[token])).content.decode()
        )
    assert MeetingCheckIn.objects.count() == 1


def test_a_cancelled_meeting_takes_no_check_ins(client, meeting, token):
    JointMeeting.objects.filter(pk=meeting.pk).update(cancelled_at=FIXED_NOW, cancel_reason="改期")
    assert 'data-testid="checkin-cancelled"' in _check_in(client, token, "周来宾", "9999", "某单位").content.decode()
    assert not MeetingCheckIn.objects.exists()


def test_the_code_pages_are_the_hosts(client_for, client, world, meeting):
    url = reverse("activities:meeting_checkin_code", args=[meeting.pk])
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.liaison1).get(url).status_code == 403  # the partner's liaison: a party, not the host
    response = client_for(world.secretary1).get(url)
    assert response.status_code == 200
    token = MeetingCheckInCode.objects.get(meeting=meeting).token
    assert f"/c/{token}/" in response.content.decode()
    regenerate = reverse("activities:meeting_checkin_regenerate", args=[meeting.pk])
    assert client_for(world.liaison1).post(regenerate).status_code == 403
    assert client_for(world.secretary1).post(regenerate).status_code == 302
    client.logout()
    assert client.get(reverse("activities:checkin", args=[token])).status_code == 404


def test_the_meeting_page_shows_the_code_button_to_the_host_only(client_for, world, meeting):
    assert 'data-testid="checkin-code"' in client_for(world.secretary1).get(meeting.get_absolute_url()).content.decode()
    assert (
        'data-testid="checkin-code"' not in client_for(world.liaison1).get(meeting.get_absolute_url()).content.decode()
    )


def test_the_meeting_page_costs_the_same_at_few_and_many_check_ins(
    client_for, world, meeting, django_assert_max_num_queries
):
    client = client_for(world.secretary1)
    MeetingCheckIn.objects.create(meeting=meeting, name="来宾甲", unit="某单位")
    client.get(meeting.get_absolute_url())
    with django_assert_max_num_queries(80) as few:
        client.get(meeting.get_absolute_url())
    members = MemberFactory.create_batch(15, organization=world.branch_a)
    MeetingCheckIn.objects.bulk_create(
        MeetingCheckIn(meeting=meeting, member=m, name=m.name, organization=world.branch_a) for m in members
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(meeting.get_absolute_url())
