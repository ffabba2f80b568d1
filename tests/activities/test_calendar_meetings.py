"""Joint meetings on the activity calendar (the JSON feed) and in the personal iCal feed: scoped like the meeting
pages, told apart from activities, linking to the meeting, one query for meetings per request however many."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from activities.models import ActivityType, CalendarToken
from activities.selectors import meeting_events
from activities.services import calendar as calendar_services
from partnerships.models import JointMeeting
from partnerships.services import meetings as meeting_services
from tests.activities.test_calendar import at, fetch_events, window
from tests.factories import cast_agreement


@pytest.fixture
def agreement(world):
    today = timezone.localdate()
    return cast_agreement(
        world,
        number="GJ-CAL-M01",
        title="甲项目与和平街道结对共建协议",
        term_start=today - dt.timedelta(days=90),
        term_end=today + dt.timedelta(days=270),
    )


@pytest.fixture
def other_agreement(world):
    """乙机关党支部's agreement with the outside organization: 甲's people never see its meetings."""
    today = timezone.localdate()
    return cast_agreement(
        world,
        world.branch_b,
        world.unrelated,
        number="GJ-CAL-M02",
        title="乙机关结对协议",
        term_start=today - dt.timedelta(days=90),
        term_end=today + dt.timedelta(days=270),
    )


def meet(actor, agreement, title, host, start) -> JointMeeting:
    return meeting_services.meeting_schedule(
        actor=actor, agreement=agreement, title=title, starts_at=start, place="项目部会议室", host=host
    )


def meetings_of(events) -> dict[str, dict]:
    return {event["title"]: event for event in events if event["extendedProps"].get("kind") == "meeting"}


def test_the_calendar_feed_shows_the_meetings_the_user_may_see(client_for, world, agreement, other_agreement):
    ours = meet(world.secretary1, agreement, "第一次联席会议", world.branch_a, at(2, hour=9))
    meet(world.secretary2, other_agreement, "乙机关联席会议", world.branch_b, at(2, hour=10))

    events = meetings_of(fetch_events(client_for(world.secretary1)))
    assert set(events) == {"【联席会议】第一次联席会议"}
    event = events["【联席会议】第一次联席会议"]
    assert event["url"] == reverse("partnerships:meeting_detail", args=[ours.pk])
    assert event["backgroundColor"] == meeting_events.MEETING_COLOR and "gj-event-meeting" in event["classNames"]
    assert event["extendedProps"]["typeName"] == "联席会议"
    assert event["start"] == timezone.localtime(ours.starts_at).isoformat() and event["start"].endswith("+08:00")
    assert dt.datetime.fromisoformat(event["end"]) - dt.datetime.fromisoformat(event["start"]) == dt.timedelta(hours=2)

    assert set(meetings_of(fetch_events(client_for(world.liaison1)))) == {"【联席会议】第一次联席会议"}
    assert set(meetings_of(fetch_events(client_for(world.secretary2)))) == {"【联席会议】乙机关联席会议"}
    assert set(meetings_of(fetch_events(client_for(world.outsider)))) == {"【联席会议】乙机关联席会议"}
    assert meetings_of(fetch_events(client_for(world.member1))).keys() <= {"【联席会议】第一次联席会议"}


def test_the_filters_apply_to_meetings(client_for, world, agreement, other_agreement):
    meet(world.secretary1, agreement, "第一次联席会议", world.branch_a, at(2))
    meet(world.secretary2, other_agreement, "乙机关联席会议", world.branch_b, at(2, hour=10))
    client = client_for(world.committee)
    assert set(meetings_of(fetch_events(client))) == {"【联席会议】第一次联席会议", "【联席会议】乙机关联席会议"}
    assert set(meetings_of(fetch_events(client, agreement=agreement.pk))) == {"【联席会议】第一次联席会议"}
    # The committee's own organization neither hosts nor is a party of either agreement.
    assert meetings_of(fetch_events(client, organization=world.group.pk)) == {}
    # A party that does not host sees its agreement's meetings under its name.
    secretary2 = client_for(world.secretary2)
    assert set(meetings_of(fetch_events(secretary2, organization=world.branch_b.pk))) == {"【联席会议】乙机关联席会议"}
    # A meeting has no activity type: choosing one shows activities only.
    theme_day = ActivityType.objects.get(code="theme_day")
    assert meetings_of(fetch_events(client, type=theme_day.pk)) == {}


def test_meetings_outside_the_window_and_cancelled_ones(client_for, world, agreement):
    meet(world.secretary1, agreement, "下个季度的会", world.branch_a, at(60))
    called_off = meet(world.secretary1, agreement, "取消的会", world.branch_a, at(3))
    meeting_services.meeting_cancel(actor=world.secretary1, meeting=called_off, reason="与上级会议冲突")
    events = meetings_of(fetch_events(client_for(world.secretary1)))
    assert set(events) == {"【已取消】【联席会议】取消的会"}
    (event,) = events.values()
    assert "gj-event-cancelled" in event["classNames"] and event["extendedProps"]["status"] == "cancelled"


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_one_query_for_meetings_however_many(client_for, world, agreement):
    client = client_for(world.secretary1)
    url = reverse("activities:calendar_events")
    query = window(days_after=20)
    meet(world.secretary1, agreement, "会议0", world.branch_a, at(1))
    few, response = _count(client, url, query)
    for number in range(1, 15):
        meet(world.secretary1, agreement, f"会议{number}", world.branch_a, at(number % 10, hour=9 + number % 8))
    many, response = _count(client, url, query)
    assert len(meetings_of(response.json())) == 15
    assert few == many


def test_the_meetings_are_capped_by_count_and_say_so(client_for, world, agreement, monkeypatch):
    for number in range(4):
        meet(world.secretary1, agreement, f"会议{number}", world.branch_a, at(number + 1))
    monkeypatch.setattr("activities.selectors.calendar.MAX_EVENTS", 3)
    response = client_for(world.secretary1).get(reverse("activities:calendar_events"), window())
    assert len(meetings_of(response.json())) == 3
    assert response["X-Events-Truncated"] == "1"


def test_the_ical_feed_carries_the_meetings_in_scope(client, world, agreement, other_agreement):
    ours = meet(world.secretary1, agreement, "第一次联席会议", world.branch_a, at(2, hour=9))
    meet(world.secretary2, other_agreement, "乙机关联席会议", world.branch_b, at(2, hour=10))
    token = calendar_services.calendar_token_regenerate(actor=world.secretary1)
    url = reverse("activities:ical_feed", args=[token.token])
    CalendarToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    few, response = _count(client, url)
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(event["SUMMARY"]) for event in events] == ["【联席会议】第一次联席会议"]
    (event,) = events
    assert str(event["UID"]) == f"joint-meeting-{ours.pk}@gongjian"  # the invitation's UID: one entry in the app
    assert event.decoded("DTSTART") == ours.starts_at
    assert str(event["URL"]).endswith(reverse("partnerships:meeting_detail", args=[ours.pk]))
    assert "联席会议" in [str(c) for c in event["CATEGORIES"].cats]
    for number in range(10):
        meet(world.secretary1, agreement, f"会议{number}", world.branch_a, at(number + 3))
    many, response = _count(client, url)
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 11
    assert few == many
