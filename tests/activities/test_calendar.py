"""The activity calendar: its JSON event feed (scope, filters, bad input, query budget), the page, and the personal
iCal feed (parsed with the icalendar library; token revoked, regenerated, of a deactivated user; scope).

The cast: an agreement between 甲项目党支部 (secretary1) and the street community (liaison1); activities are made
with the factories (tests/factories.py) — one of 甲项目党支部's own, one the partner leads under the agreement with
甲项目党支部 co-organizing, one of 乙机关党支部 (secretary2) that 甲 must never see.
"""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from activities.models import Activity, ActivityType, CalendarToken
from activities.selectors import calendar as selectors
from activities.services import calendar as services
from tests.factories import ActivityFactory, cast_agreement


def at(days: float, hour: int = 9) -> dt.datetime:
    """An aware local time ``days`` from today at ``hour`` o'clock."""
    base = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + dt.timedelta(days=days)


def make_activity(title, lead, *, start=None, hours=2, type_code="theme_day", co_organizers=(), **extra):
    return ActivityFactory(
        title=title,
        type_code=type_code,
        lead=lead,
        starts_at=start or at(1),
        hours=hours,
        place=extra.pop("place", "党员活动室"),
        co_organizers=co_organizers,
        **extra,
    )


@pytest.fixture
def agreement(world):
    today = timezone.localdate()
    return cast_agreement(
        world,
        number="GJ-CAL-001",
        title="甲项目与和平街道结对共建协议",
        term_start=today - dt.timedelta(days=90),
        term_end=today + dt.timedelta(days=270),
    )


@pytest.fixture
def acts(world, agreement):
    return SimpleNamespace(
        a_own=make_activity("甲支部主题党日", world.branch_a, start=at(1)),
        a_partner=make_activity(
            "和平街道联合志愿服务",
            world.partner,
            start=at(2, hour=14),
            type_code="volunteer",
            agreement=agreement,
            co_organizers=[world.branch_a],
            place="和平街道社区服务中心",
        ),
        a_lecture=make_activity("甲支部联合党课", world.branch_a, start=at(3), type_code="lecture"),
        b_own=make_activity("乙支部理论学习", world.branch_b, start=at(1, hour=15), type_code="study"),
    )


def window(days_before=7, days_after=14) -> dict:
    today = timezone.localdate()
    return {
        "start": (today - dt.timedelta(days=days_before)).isoformat(),
        "end": (today + dt.timedelta(days=days_after)).isoformat(),
    }


def fetch_events(client, **params):
    response = client.get(reverse("activities:calendar_events"), {**window(), **params})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/json"
    return response.json()


def titles(events) -> set[str]:
    return {event["title"] for event in events}


# --- the JSON event feed: scope -----------------------------------------------------------------------------


def test_a_secretary_sees_their_branch_and_their_agreements_activities(client_for, world, acts):
    events = fetch_events(client_for(world.secretary1))
    assert titles(events) == {acts.a_own.title, acts.a_partner.title, acts.a_lecture.title}


def test_a_secretary_of_another_branch_sees_only_their_own(client_for, world, acts):
    assert titles(fetch_events(client_for(world.secretary2))) == {acts.b_own.title}


def test_the_outsider_sees_no_activity(client_for, world, acts):
    assert fetch_events(client_for(world.outsider)) == []


def test_a_partner_liaison_sees_only_what_the_agreement_touches(client_for, world, acts):
    assert titles(fetch_events(client_for(world.liaison1))) == {acts.a_partner.title}


def test_the_committee_reviewer_sees_its_subtree(client_for, world, acts):
    assert titles(fetch_events(client_for(world.committee))) == {
        acts.a_own.title,
        acts.a_partner.title,
        acts.a_lecture.title,
        acts.b_own.title,
    }


def test_an_event_carries_what_the_calendar_shows(client_for, world, acts):
    events = {e["id"]: e for e in fetch_events(client_for(world.secretary1))}
    event = events[str(acts.a_partner.pk)]
    volunteer = ActivityType.objects.get(code="volunteer")
    assert event["url"] == f"/activities/{acts.a_partner.pk}/"
    assert event["backgroundColor"] == event["borderColor"] == volunteer.color
    assert dt.datetime.fromisoformat(event["start"]) == acts.a_partner.starts_at
    assert dt.datetime.fromisoformat(event["end"]) == acts.a_partner.ends_at
    assert event["classNames"] == []
    assert event["extendedProps"] == {
        "typeName": volunteer.name,
        "status": "planned",
        "statusLabel": event["extendedProps"]["statusLabel"],
        "lead": world.partner.name,
        "place": "和平街道社区服务中心",
    }


def test_events_come_in_start_order_and_only_inside_the_window(client_for, world, acts):
    make_activity("上个月的活动", world.branch_a, start=at(-40))
    make_activity("下下个月的活动", world.branch_a, start=at(60))
    events = fetch_events(client_for(world.secretary1))
    assert [e["title"] for e in events] == [acts.a_own.title, acts.a_partner.title, acts.a_lecture.title]


def test_an_activity_spanning_the_window_start_is_included(client_for, world, agreement):
    long_one = make_activity("跨周集中学习", world.branch_a, start=at(-9), hours=24 * 4)
    assert titles(fetch_events(client_for(world.secretary1))) == {long_one.title}


def test_a_cancelled_activity_is_shown_greyed(client_for, world, acts):
    cancelled = make_activity(
        "取消的活动", world.branch_a, start=at(4), status=Activity.Status.CANCELLED, cancel_reason="天气原因"
    )
    event = next(e for e in fetch_events(client_for(world.secretary1)) if e["id"] == str(cancelled.pk))
    assert event["classNames"] == ["gj-event-cancelled"]
    assert event["backgroundColor"] == selectors.CANCELLED_COLOR
    assert event["extendedProps"]["status"] == "cancelled"


# --- the JSON event feed: filters and bad parameters --------------------------------------------------------


def test_the_agreement_filter(client_for, world, acts, agreement):
    assert titles(fetch_events(client_for(world.secretary1), agreement=agreement.pk)) == {acts.a_partner.title}


def test_the_organization_filter_matches_lead_and_co_organizers(client_for, world, acts):
    client = client_for(world.secretary1)
    assert titles(fetch_events(client, organization=world.partner.pk)) == {acts.a_partner.title}
    assert titles(fetch_events(client, organization=world.branch_a.pk)) == {
        acts.a_own.title,
        acts.a_partner.title,
        acts.a_lecture.title,
    }


def test_the_type_filter_and_filters_combine(client_for, world, acts, agreement):
    client = client_for(world.secretary1)
    lecture = ActivityType.objects.get(code="lecture")
    assert titles(fetch_events(client, type=lecture.pk)) == {acts.a_lecture.title}
    assert fetch_events(client, type=lecture.pk, agreement=agreement.pk) == []


def test_fullcalendar_offsets_are_understood_even_when_the_plus_is_not_encoded(client_for, world, acts):
    start = timezone.localtime(at(-1)).replace(hour=0)
    end = start + dt.timedelta(days=7)
    # A raw "+08:00" in a query string decodes as " 08:00".
    url = reverse("activities:calendar_events") + f"?start={start.isoformat()}&end={end.isoformat()}"
    response = client_for(world.secretary1).get(url)
    assert response.status_code == 200
    assert acts.a_own.title in titles(response.json())
    encoded = client_for(world.secretary1).get(
        reverse("activities:calendar_events"), {"start": start.isoformat(), "end": end.isoformat()}
    )
    assert encoded.json() == response.json()


def _bad(world, agreement, case):
    today = timezone.localdate()
    good = window()
    return {
        "missing": ({}, {"start", "end"}),
        "garbage_start": ({**good, "start": "yesterday"}, {"start"}),
        "end_before_start": ({"start": today.isoformat(), "end": (today - dt.timedelta(days=1)).isoformat()}, {"end"}),
        "window_too_long": (
            {"start": today.isoformat(), "end": (today + dt.timedelta(days=101)).isoformat()},
            {"end"},
        ),
        "agreement_not_a_number": ({**good, "agreement": "abc"}, {"agreement"}),
        "organization_out_of_reach": ({**good, "organization": world.unrelated.pk}, {"organization"}),
        "unknown_type": ({**good, "type": 999999}, {"type"}),
    }[case]


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "garbage_start",
        "end_before_start",
        "window_too_long",
        "agreement_not_a_number",
        "organization_out_of_reach",
        "unknown_type",
    ],
)
def test_bad_parameters_get_400_with_a_message(client_for, world, agreement, case):
    params, fields = _bad(world, agreement, case)
    response = client_for(world.secretary1).get(reverse("activities:calendar_events"), params)
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == fields
    assert body["error"]


def test_an_agreement_the_user_cannot_see_is_not_a_valid_filter(client_for, world, acts, agreement):
    response = client_for(world.secretary2).get(
        reverse("activities:calendar_events"), {**window(), "agreement": agreement.pk}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"agreement"}


# --- query budgets ------------------------------------------------------------------------------------------


def _many(world, agreement, n, offset=0):
    theme_day = ActivityType.objects.get(code="theme_day")
    created = Activity.objects.bulk_create(
        Activity(
            title=f"批量活动{offset + i}",
            type=theme_day,
            lead=world.branch_a if i % 2 else world.partner,
            agreement=None if i % 2 else agreement,
            starts_at=at(i % 10, hour=8 + i % 9),
            ends_at=at(i % 10, hour=8 + i % 9) + dt.timedelta(hours=1),
            place="活动室",
            status=Activity.Status.CANCELLED if i % 7 == 0 else Activity.Status.PLANNED,
            cancel_reason="改期" if i % 7 == 0 else "",
        )
        for i in range(n)
    )
    through = Activity.co_organizers.through
    through.objects.bulk_create(through(activity_id=a.pk, organization_id=world.branch_a.pk) for a in created[::2])


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("params", [{}, {"organization": "branch_a", "type": "theme_day"}])
def test_the_event_feed_queries_do_not_grow_with_the_activities(client_for, world, agreement, params):
    client = client_for(world.secretary1)
    url = reverse("activities:calendar_events")
    query = {**window(days_after=20)}
    if params:
        query["organization"] = world.branch_a.pk
        query["type"] = ActivityType.objects.get(code="theme_day").pk
    _many(world, agreement, 5)
    at_five, response = _queries(client, url, query)
    assert len(response.json()) == 5
    _many(world, agreement, 95, offset=5)
    at_hundred, response = _queries(client, url, query)
    assert len(response.json()) == 100
    assert at_five == at_hundred
    assert at_hundred <= 7  # the window in two halves: already on at its start, starting inside it


def test_the_calendar_page_queries_do_not_grow_with_the_activities(client_for, world, agreement):
    client = client_for(world.secretary1)
    _many(world, agreement, 5)
    at_five, _ = _queries(client, reverse("activities:calendar"))
    _many(world, agreement, 95, offset=5)
    at_hundred, _ = _queries(client, reverse("activities:calendar"))
    assert at_five == at_hundred
    assert at_hundred <= 10


def test_the_ical_feed_queries_do_not_grow_with_the_activities(client, world, agreement):
    token = services.calendar_token_regenerate(actor=world.secretary1)
    url = reverse("activities:ical_feed", args=[token.token])
    _many(world, agreement, 5)
    CalendarToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())  # no touch write in either run
    at_five, response = _queries(client, url)
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 5
    _many(world, agreement, 95, offset=5)
    at_hundred, response = _queries(client, url)
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 100
    assert at_five == at_hundred
    assert at_hundred <= 5


# --- the calendar page --------------------------------------------------------------------------------------


def test_the_page_offers_only_filters_the_user_may_see(client_for, world, acts, agreement):
    response = client_for(world.secretary1).get(reverse("activities:calendar"))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["agreement"].queryset) == [agreement]
    assert set(form.fields["organization"].queryset) == {world.branch_a, world.partner}
    content = response.content.decode()
    assert 'data-testid="calendar"' in content
    assert f'data-events-url="{reverse("activities:calendar_events")}"' in content
    assert 'data-testid="calendar-legend"' in content

    other = client_for(world.secretary2).get(reverse("activities:calendar")).context["form"]
    assert list(other.fields["agreement"].queryset) == []
    assert set(other.fields["organization"].queryset) == {world.branch_b}


def test_the_page_uses_the_chinese_calendar_locale_for_chinese(client_for, world):
    content = client_for(world.secretary1).get(reverse("activities:calendar")).content.decode()
    assert 'data-locale="zh-cn"' in content
    assert "vendor/fullcalendar/locales/zh-cn.min.js" in content
    assert "vendor/fullcalendar/list.min.js" in content


def test_the_page_uses_the_english_calendar_for_english(client_for, world):
    client = client_for(world.secretary1)
    content = client.get(reverse("activities:calendar"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-locale="en"' in content
    assert "locales/zh-cn.min.js" not in content


def test_a_stale_filter_in_the_page_address_is_shown_next_to_its_select(client_for, world, agreement):
    response = client_for(world.secretary2).get(reverse("activities:calendar"), {"agreement": agreement.pk})
    assert response.status_code == 200
    assert "agreement" in response.context["form"].errors


# --- the personal iCal feed ---------------------------------------------------------------------------------


def _feed(client, token: str):
    return client.get(reverse("activities:ical_feed", args=[token]))


def _events_by_uid(response) -> dict:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_is_a_calendar_of_the_users_activities(client, world, acts):
    token = services.calendar_token_regenerate(actor=world.secretary1)
    response = _feed(client, token.token)  # no sign-in: the token is the credential
    events = _events_by_uid(response)
    assert set(events) == {
        f"activity-{acts.a_own.pk}@gongjian",
        f"activity-{acts.a_partner.pk}@gongjian",
        f"activity-{acts.a_lecture.pk}@gongjian",
    }
    event = events[f"activity-{acts.a_partner.pk}@gongjian"]
    assert event["DTSTART"].dt == acts.a_partner.starts_at
    assert event["DTEND"].dt == acts.a_partner.ends_at
    assert event["DTSTART"].to_ical().endswith(b"Z")  # UTC: no VTIMEZONE needed
    assert str(event["SUMMARY"]) == acts.a_partner.title
    assert str(event["LOCATION"]) == "和平街道社区服务中心"
    assert str(event["URL"]) == f"http://testserver/activities/{acts.a_partner.pk}/"
    assert str(event["STATUS"]) == "CONFIRMED"
    description = str(event["DESCRIPTION"])
    assert world.partner.name in description and world.branch_a.name in description
    assert ActivityType.objects.get(code="volunteer").name in description

    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"])
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.content
    assert response["Cache-Control"].startswith("max-age=0") and "private" in response["Cache-Control"]


def test_uids_are_stable_between_fetches(client, world, acts):
    token = services.calendar_token_regenerate(actor=world.secretary1)
    first = set(_events_by_uid(_feed(client, token.token)))
    acts.a_own.title = "改名后的主题党日"
    acts.a_own.save()
    assert set(_events_by_uid(_feed(client, token.token))) == first


def test_the_feed_covers_thirty_days_back_and_half_a_year_ahead(client, world, agreement):
    inside = [
        make_activity("二十天前", world.branch_a, start=at(-20)),
        make_activity("一百七十天后", world.branch_a, start=at(170)),
    ]
    make_activity("四十天前", world.branch_a, start=at(-40))
    make_activity("二百天后", world.branch_a, start=at(200))
    token = services.calendar_token_regenerate(actor=world.secretary1)
    assert set(_events_by_uid(_feed(client, token.token))) == {f"activity-{a.pk}@gongjian" for a in inside}


def test_a_cancelled_activity_is_marked_cancelled_in_the_feed(client, world, agreement):
    cancelled = make_activity(
        "取消的活动", world.branch_a, start=at(5), status=Activity.Status.CANCELLED, cancel_reason="天气原因"
    )
    token = services.calendar_token_regenerate(actor=world.secretary1)
    event = _events_by_uid(_feed(client, token.token))[f"activity-{cancelled.pk}@gongjian"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert cancelled.title in str(event["SUMMARY"])
    assert "天气原因" in str(event["DESCRIPTION"])


def test_the_feed_applies_the_token_owners_scope(client, world, acts):
    token = services.calendar_token_regenerate(actor=world.secretary2)
    assert set(_events_by_uid(_feed(client, token.token))) == {f"activity-{acts.b_own.pk}@gongjian"}


def test_an_unknown_token_gets_a_bare_404(client, world, acts):
    response = _feed(client, "not-a-token")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"Not found.\n"


def test_a_revoked_token_gets_404(client, world, acts):
    token = services.calendar_token_regenerate(actor=world.secretary1)
    assert _feed(client, token.token).status_code == 200
    assert services.calendar_token_revoke(actor=world.secretary1) is True
    response = _feed(client, token.token)
    assert response.status_code == 404
    assert response.content == _feed(client, "not-a-token").content  # nothing tells revoked from unknown


def test_a_regenerated_token_ends_the_old_address(client, world, acts):
    old = services.calendar_token_regenerate(actor=world.secretary1)
    new = services.calendar_token_regenerate(actor=world.secretary1)
    assert new.token != old.token
    assert CalendarToken.objects.filter(user=world.secretary1).count() == 1
    assert _feed(client, old.token).status_code == 404
    assert _feed(client, new.token).status_code == 200


def test_a_deactivated_users_token_gets_404(client, world, acts):
    token = services.calendar_token_regenerate(actor=world.secretary1)
    world.secretary1.is_active = False
    world.secretary1.save(update_fields=["is_active"])
    assert _feed(client, token.token).status_code == 404


def test_the_feed_only_answers_reads(client, world, acts):
    token = services.calendar_token_regenerate(actor=world.secretary1)
    assert client.post(reverse("activities:ical_feed", args=[token.token])).status_code == 405
    assert client.head(reverse("activities:ical_feed", args=[token.token])).status_code == 200


def test_last_use_is_recorded_at_most_once_an_hour(client, world, acts):
    token = services.calendar_token_regenerate(actor=world.secretary1)
    assert token.last_used_at is None
    _feed(client, token.token)
    token.refresh_from_db()
    assert token.last_used_at is not None

    half_an_hour_ago = timezone.now() - dt.timedelta(minutes=30)
    CalendarToken.objects.filter(pk=token.pk).update(last_used_at=half_an_hour_ago)
    with CaptureQueriesContext(connection) as ctx:
        _feed(client, token.token)
    assert not any(q["sql"].startswith("UPDATE") for q in ctx.captured_queries)
    token.refresh_from_db()
    assert token.last_used_at == half_an_hour_ago

    two_hours_ago = timezone.now() - dt.timedelta(hours=2)
    CalendarToken.objects.filter(pk=token.pk).update(last_used_at=two_hours_ago)
    _feed(client, token.token)
    token.refresh_from_db()
    assert token.last_used_at > two_hours_ago + dt.timedelta(hours=1)


def test_touch_writes_once_when_two_readers_race(world):
    token = services.calendar_token_regenerate(actor=world.secretary1)
    stale_copy = CalendarToken.objects.get(pk=token.pk)
    now = timezone.now()
    assert services.calendar_token_touch(token=token, now=now) is True
    assert services.calendar_token_touch(token=stale_copy, now=now) is False


# --- token services and views -------------------------------------------------------------------------------


def test_regenerate_creates_a_long_random_token(world):
    token = services.calendar_token_regenerate(actor=world.secretary1)
    assert len(token.token) >= 43
    assert services.calendar_token_regenerate(actor=world.secretary2).token != token.token


def test_revoke_without_a_token_changes_nothing(world):
    assert services.calendar_token_revoke(actor=world.secretary1) is False
    assert not CalendarToken.objects.exists()


def test_an_anonymous_actor_cannot_hold_a_token(db):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.calendar_token_regenerate(actor=AnonymousUser())
    assert not CalendarToken.objects.exists()


def test_the_regenerate_button_creates_the_address_and_returns_to_the_profile(client_for, world):
    client = client_for(world.secretary1)
    response = client.post(reverse("activities:ical_token_regenerate"))
    assert response.status_code == 302 and response["Location"] == reverse("profile")
    first = CalendarToken.objects.get(user=world.secretary1).token
    client.post(reverse("activities:ical_token_regenerate"))
    assert CalendarToken.objects.get(user=world.secretary1).token != first


def test_the_revoke_button_deletes_only_the_users_own_token(client_for, world):
    services.calendar_token_regenerate(actor=world.secretary1)
    services.calendar_token_regenerate(actor=world.secretary2)
    response = client_for(world.secretary1).post(reverse("activities:ical_token_revoke"))
    assert response.status_code == 302 and response["Location"] == reverse("profile")
    assert list(CalendarToken.objects.values_list("user__username", flat=True)) == ["secretary2"]


def test_token_buttons_refuse_get(client_for, world):
    client = client_for(world.secretary1)
    assert client.get(reverse("activities:ical_token_regenerate")).status_code == 405
    assert client.get(reverse("activities:ical_token_revoke")).status_code == 405
    assert not CalendarToken.objects.exists()


# --- the profile section ------------------------------------------------------------------------------------


def test_the_profile_offers_to_create_an_address(client_for, world):
    content = client_for(world.secretary1).get(reverse("profile")).content.decode()
    assert 'data-testid="calendar-feed-section"' in content
    assert 'data-testid="ical-create"' in content
    assert 'data-testid="ical-url"' not in content


def test_the_profile_shows_the_absolute_address_and_its_actions(client_for, world):
    token = services.calendar_token_regenerate(actor=world.secretary1)
    content = client_for(world.secretary1).get(reverse("profile")).content.decode()
    path = reverse("activities:ical_feed", args=[token.token])
    assert f'value="http://testserver{path}"' in content
    assert f'href="webcal://testserver{path}"' in content
    for testid in ("ical-copy", "ical-regenerate", "ical-revoke", "ical-last-used"):
        assert f'data-testid="{testid}"' in content
    assert "data-gj-confirm=" in content
    assert "js/calendar.js" in content


def test_the_profile_never_shows_someone_elses_address(client_for, world):
    token = services.calendar_token_regenerate(actor=world.secretary1)
    content = client_for(world.secretary2).get(reverse("profile")).content.decode()
    assert token.token not in content


def test_the_event_json_keeps_chinese_readable(client_for, world, acts):
    response = client_for(world.secretary1).get(reverse("activities:calendar_events"), window())
    assert acts.a_own.title in response.content.decode()
    assert json.loads(response.content)  # still valid JSON


# --- bounded by count (DESIGN.md §9) ------------------------------------------------------------------------


def test_the_event_feed_is_capped_and_says_so(client_for, world, agreement, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_EVENTS", 3)
    client = client_for(world.secretary1)
    # Already on when the window opens: first in start order, found by the "spanning" half.
    running = make_activity("跨窗口开始的活动", world.branch_a, start=at(-8), hours=48)
    make_activity("窗口外的活动", world.branch_a, start=at(-30))
    first = [make_activity(f"活动{i}", world.branch_a, start=at(i + 1)) for i in range(2)]
    response = client.get(reverse("activities:calendar_events"), window())
    assert [e["title"] for e in response.json()] == [running.title] + [a.title for a in first]
    assert response["X-Events-Truncated"] == "0" and response["X-Events-Limit"] == "3"

    make_activity("第四项", world.branch_a, start=at(5))
    response = client.get(reverse("activities:calendar_events"), window())
    assert [e["title"] for e in response.json()] == [running.title] + [a.title for a in first]
    assert response["X-Events-Truncated"] == "1"


def test_an_activity_spanning_the_whole_window_is_included(client_for, world, agreement):
    long = make_activity("跨越整个窗口", world.branch_a, start=at(-10), hours=24 * 30)
    assert long.title in titles(fetch_events(client_for(world.secretary1)))
    assert long.title not in titles(fetch_events(client_for(world.secretary2)))


def test_the_event_json_carries_only_what_the_calendar_needs(client_for, world, acts):
    event = fetch_events(client_for(world.secretary1))[0]
    assert set(event) == {
        "id", "title", "start", "end", "url", "backgroundColor", "borderColor", "textColor", "classNames",
        "extendedProps",
    }  # fmt: skip
    assert set(event["extendedProps"]) == {"typeName", "status", "statusLabel", "lead", "place"}


def test_the_page_says_what_the_feed_carries_and_has_the_truncation_notice(client_for, world):
    content = client_for(world.secretary1).get(reverse("activities:calendar")).content.decode()
    assert 'data-testid="feed-window"' in content
    assert str(selectors.FEED_MAX_EVENTS) in content and str(selectors.FEED_PAST_DAYS) in content
    assert 'id="gj-calendar-truncated"' in content


def test_the_ical_feed_is_capped_coming_first_and_says_so(client, world, agreement, monkeypatch):
    monkeypatch.setattr(selectors, "FEED_MAX_EVENTS", 3)
    token = services.calendar_token_regenerate(actor=world.secretary1)
    recent = make_activity("五天前", world.branch_a, start=at(-5))
    coming = [make_activity(f"即将{i}", world.branch_a, start=at(i + 1)) for i in range(2)]
    response = _feed(client, token.token)
    events = _events_by_uid(response)
    assert set(events) == {f"activity-{a.pk}@gongjian" for a in [recent, *coming]}
    description = str(Calendar.from_ical(response.content)["X-WR-CALDESC"])
    assert "3" in description and str(selectors.FEED_PAST_DAYS) in description

    make_activity("十天前", world.branch_a, start=at(-10))
    make_activity("即将3", world.branch_a, start=at(4))
    make_activity("即将4", world.branch_a, start=at(5))
    response = _feed(client, token.token)
    uids = set(_events_by_uid(response))
    assert len(uids) == 3 and f"activity-{recent.pk}@gongjian" not in uids  # the coming ones first
    truncated = str(Calendar.from_ical(response.content)["X-WR-CALDESC"])
    assert truncated.endswith(description) and len(truncated) > len(description)  # a note before the window


def test_the_capped_ical_feed_keeps_the_scope(client, world, acts, monkeypatch):
    monkeypatch.setattr(selectors, "FEED_MAX_EVENTS", 1)
    token = services.calendar_token_regenerate(actor=world.secretary2)
    for i in range(3):
        make_activity(f"甲支部私有{i}", world.branch_a, start=at(i + 1))
    events = _events_by_uid(_feed(client, token.token))
    assert set(events) == {f"activity-{acts.b_own.pk}@gongjian"}
