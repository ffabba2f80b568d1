"""The iCal feed written as text (``portal.ics``, ``selectors.ical_text``): on the demo it is byte for byte what the
icalendar library wrote for the same activities before (the library's builder is kept here as the reference), in one
query; and the text helpers fold and escape as RFC 5545 says.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from icalendar import Calendar, Event, vDuration

from activities.models import Activity
from activities.selectors import calendar as selectors
from portal import ics
from portal.names import display_name
from tests.activities.test_calendar import at, make_activity


def absolute(path: str) -> str:
    return f"https://gongjian.example.org{path}"


def reference_feed(user, now: dt.datetime) -> bytes:
    """The feed as the icalendar library built it (the code this replaced, co-organizers in the order they were
    added): the same window, cap and order, one ``Event`` object per activity."""
    limit = selectors.FEED_MAX_EVENTS
    base = Activity.objects.visible_to(user).select_related("type", "lead", "agreement")
    coming = list(
        base.filter(starts_at__gte=now, starts_at__lte=now + dt.timedelta(days=selectors.FEED_FUTURE_DAYS)).order_by(
            "starts_at", "pk"
        )[: limit + 1]
    )
    past = list(
        base.filter(starts_at__lt=now, starts_at__gte=now - dt.timedelta(days=selectors.FEED_PAST_DAYS)).order_by(
            "-starts_at", "-pk"
        )[: limit + 1]
    )
    kept = coming[:limit]
    kept = past[: limit - len(kept)][::-1] + kept
    truncated = len(coming) + len(past) > limit
    joined: dict[int, list[str]] = {}
    for activity_id, name in (
        Activity.co_organizers.through.objects.filter(activity__in=kept)
        .order_by("pk")
        .values_list("activity_id", "organization__name")
    ):
        joined.setdefault(activity_id, []).append(name)

    name = _("Joint activities — %(name)s") % {"name": display_name(user)}
    calendar = Calendar()
    calendar.add("prodid", "-//Gongjian//Joint activities//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    about = selectors.feed_window_text()
    if truncated:
        about = f"{selectors.feed_truncated_text()} {about}"
    calendar.add("description", about)
    calendar.add("x-wr-caldesc", about)
    calendar.add("refresh-interval", vDuration(selectors.FEED_REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(selectors.FEED_REFRESH))
    for activity in kept:
        cancelled = activity.status == Activity.Status.CANCELLED
        lines = [
            _("Type: %(type)s") % {"type": activity.type.name},
            _("Lead organization: %(lead)s") % {"lead": activity.lead.name},
        ]
        if joined.get(activity.pk):
            lines.append(_("Co-organizers: %(names)s") % {"names": "、".join(joined[activity.pk])})
        if activity.agreement_id:
            lines.append(_("Agreement: %(agreement)s") % {"agreement": activity.agreement.title})
        lines.append(_("Status: %(status)s") % {"status": activity.get_status_display()})
        if cancelled and activity.cancel_reason:
            lines.append(_("Reason for cancellation: %(reason)s") % {"reason": activity.cancel_reason})
        if activity.description:
            lines += ["", activity.description]
        event = Event()
        event.add("uid", f"activity-{activity.pk}@gongjian")
        event.add("dtstamp", now)
        event.add("created", activity.created_at)
        event.add("last-modified", activity.updated_at)
        event.add("dtstart", activity.starts_at.astimezone(dt.UTC))
        event.add("dtend", activity.ends_at.astimezone(dt.UTC))
        event.add("summary", _("[Cancelled] %(title)s") % {"title": activity.title} if cancelled else activity.title)
        event.add("location", activity.place)
        event.add("description", "\n".join(lines))
        event.add("categories", [activity.type.name])
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("url", absolute(reverse("activities:activity_detail", args=[activity.pk])))
        calendar.add_component(event)
    return calendar.to_ical()


def written_feed(user, now: dt.datetime) -> bytes:
    rows, truncated = selectors.feed_activities(user, now=now)
    return selectors.ical_text(user, rows, absolute_url=absolute, now=now, truncated=truncated).encode()


def test_the_feed_is_what_the_icalendar_library_wrote(world, monkeypatch):
    co_organized = make_activity(
        "甲支部主题党日, 第一期; 续", world.branch_a, start=at(1), co_organizers=[world.partner]
    )
    make_activity(
        "取消的活动" + "很长的标题" * 12,
        world.branch_a,
        start=at(-3),
        status=Activity.Status.CANCELLED,
        cancel_reason="天气原因",
        description="第一行\n第二行\\ 反斜杠",
        co_organizers=[world.branch_b, world.partner],
    )
    make_activity("Plain ASCII title " * 6, world.branch_a, start=at(100), place="Room 101, Building A")
    now = timezone.now()
    for language in ("zh-hans", "en"):
        with override(language):
            assert written_feed(world.secretary1, now) == reference_feed(world.secretary1, now)
    monkeypatch.setattr(selectors, "FEED_MAX_EVENTS", 2)  # truncated: the note before the window
    assert written_feed(world.secretary1, now) == reference_feed(world.secretary1, now)
    assert co_organized.title not in written_feed(world.secretary2, now).decode()


# --- one query, the cap ---------------------------------------------------------------------------------------


def test_the_feed_is_one_query_for_any_number_of_activities(world, django_assert_num_queries):
    for i in range(3):
        make_activity(f"活动{i}", world.branch_a, start=at(i + 1), co_organizers=[world.partner, world.branch_b])
    with django_assert_num_queries(2):  # the user's scope, then the feed
        rows, _truncated = selectors.feed_activities(world.secretary1)
    assert len(rows) == 3
    world.secretary1 = get_user_model().objects.get(pk=world.secretary1.pk)
    for i in range(20):
        make_activity(f"更多活动{i}", world.branch_a, start=at(-i - 1), co_organizers=[world.partner])
        make_activity(f"太早的活动{i}", world.branch_a, start=at(-i - 45))
    with CaptureQueriesContext(connection) as captured:
        rows, _truncated = selectors.feed_activities(world.secretary1)
    assert len(captured.captured_queries) == 2
    assert len(rows) == 3 + 20  # not those from more than 30 days back
    names = {row.title: selectors._names(row.co_organizer_names) for row in rows}
    in_order = Activity.co_organizers.through.objects.filter(activity__title="活动0").order_by("pk")
    assert names["活动0"] == list(in_order.values_list("organization__name", flat=True))
    assert sorted(names["活动0"]) == sorted([world.partner.name, world.branch_b.name])
    assert names["更多活动1"] == [world.partner.name]
    assert names["活动1"] != [] and "太早的活动1" not in names


def test_the_cap_keeps_the_coming_ones_then_the_most_recent_past(world, monkeypatch):
    monkeypatch.setattr(selectors, "FEED_MAX_EVENTS", 4)
    past = [make_activity(f"过去{i}", world.branch_a, start=at(-i - 1)) for i in range(3)]
    coming = [make_activity(f"将来{i}", world.branch_a, start=at(i + 1)) for i in range(3)]
    rows, truncated = selectors.feed_activities(world.secretary1)
    assert truncated
    assert [row.pk for row in rows] == [past[0].pk, *[a.pk for a in coming]]
    monkeypatch.setattr(selectors, "FEED_MAX_EVENTS", 6)
    rows, truncated = selectors.feed_activities(world.secretary1)
    assert not truncated
    assert [row.pk for row in rows] == [a.pk for a in reversed(past)] + [a.pk for a in coming]


# --- the text helpers -----------------------------------------------------------------------------------------


def test_text_escapes_what_rfc_5545_reserves():
    assert ics.text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


@pytest.mark.parametrize("value", ["x" * 200, "中" * 80, "a" + "中文" * 40 + "b" * 100, "ü" * 90, "😀" * 50, "短"])
def test_folded_lines_stay_within_75_octets_and_never_split_a_character(value):
    folded = ics.line("SUMMARY", ics.text(value))
    assert folded.endswith("\r\n")
    physical = folded[:-2].split("\r\n")
    assert all(len(part.encode()) <= 75 for part in physical)
    assert all(part.startswith(" ") for part in physical[1:])
    assert "".join([physical[0], *(part[1:] for part in physical[1:])]) == f"SUMMARY:{value}"


def test_a_written_event_reads_back_through_the_icalendar_parser(world):
    activity = make_activity(
        "标题, 带; 符号\\与换行", world.branch_a, start=at(2), description="第一行\n第二行" + "很长" * 60
    )
    rows, _truncated = selectors.feed_activities(world.secretary1)
    text = selectors.ical_text(world.secretary1, rows, absolute_url=absolute)
    event = Calendar.from_ical(text.encode()).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == activity.title
    assert str(event["DESCRIPTION"]).endswith("第一行\n第二行" + "很长" * 60)
    assert event["DTSTART"].dt == activity.starts_at
    assert str(event["URL"]) == absolute(f"/activities/{activity.pk}/")
