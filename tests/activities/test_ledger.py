"""The activity ledger (活动台账): filters, scope, the Excel export read back with openpyxl, the 记录活动 landing,
the secretary's home panel, the agreement page's latest activities, and query budgets at 5 and 100 activities.

The cast: an agreement between 甲项目党支部 (secretary1) and the street community (liaison1); 乙机关党支部
(secretary2) keeps its own activities, which 甲 never sees.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from activities.models import (
    Activity,
    ActivityParticipation,
    ActivityPhoto,
    ActivityType,
)
from activities.selectors.activities import week_bounds
from activities.services import activities as services
from partnerships.models import Member
from tests.activities.test_activities import at, jpeg, make_activity, make_agreement, png, theme_day
from tests.factories import ActivityPlanFactory, MemberFactory, PlannedActivityFactory
from tests.xlsx_checks import FORMULA_TITLE, assert_print_ready, table, text_cells


@pytest.fixture
def agreement(world):
    return make_agreement(world)


def titles(client, query=None, url_name="activities:activity_list"):
    # The 全部 tab: the ledger opens on the held activities (see the tab tests below).
    query = {"tab": "all", **(query or {})} if url_name == "activities:activity_list" else query
    response = client.get(reverse(url_name), query or {})
    assert response.status_code == 200
    return {activity.title for activity in response.context["object_list"]}


# --- the list -----------------------------------------------------------------------------------------------


@pytest.fixture
def spread(world, agreement):
    """Activities of several kinds, dates, leads and states."""
    volunteer = ActivityType.objects.get(code="volunteer")
    return {
        "joint": make_activity(world, agreement=agreement, title="共建主题党日", starts=at(-10)),
        "partner_led": make_activity(
            world,
            agreement=agreement,
            lead=world.partner,
            co=[world.branch_a],
            title="社区牵头志愿服务",
            type=volunteer,
            starts=at(-3),
            place="和平街道广场",
        ),
        "own": make_activity(world, title="支部自学", starts=at(2), co=[]),
        "cancelled": make_activity(
            world, agreement=agreement, title="取消的活动", starts=at(-20), status="cancelled", cancel_reason="下雨"
        ),
        "b_own": make_activity(world, lead=world.branch_b, title="乙支部自己的活动", starts=at(-5), co=[]),
    }


def test_the_ledger_lists_only_what_the_user_may_see(client_for, world, spread):
    mine = {"共建主题党日", "社区牵头志愿服务", "支部自学", "取消的活动"}
    assert titles(client_for(world.secretary1)) == mine
    assert titles(client_for(world.member1)) == mine
    assert titles(client_for(world.liaison1)) == {"共建主题党日", "社区牵头志愿服务", "取消的活动"}
    assert titles(client_for(world.secretary2)) == {"乙支部自己的活动"}
    assert titles(client_for(world.committee)) == mine | {"乙支部自己的活动"}
    assert titles(client_for(world.outsider)) == set()


def test_the_ledger_filters_by_dates_organization_agreement_type_status_and_text(client_for, world, agreement, spread):
    client = client_for(world.secretary1)
    day = lambda days: timezone.localdate(at(days)).isoformat()  # noqa: E731
    assert titles(client, {"date_from": day(-11), "date_to": day(-3)}) == {"共建主题党日", "社区牵头志愿服务"}
    assert titles(client, {"date_from": day(-3), "date_to": day(-3)}) == {"社区牵头志愿服务"}
    # Lead or co-organizer.
    assert titles(client, {"organization": world.partner.pk}) == {"共建主题党日", "社区牵头志愿服务", "取消的活动"}
    assert titles(client, {"agreement": agreement.pk}) == {"共建主题党日", "社区牵头志愿服务", "取消的活动"}
    assert titles(client, {"type": ActivityType.objects.get(code="volunteer").pk}) == {"社区牵头志愿服务"}
    assert titles(client, {"status": "cancelled"}) == {"取消的活动"}
    assert titles(client, {"q": "广场"}) == {"社区牵头志愿服务"}
    assert titles(client, {"q": "自学"}) == {"支部自学"}


def test_the_ledger_is_paginated(client_for, world):
    _bulk(world, 30)
    response = client_for(world.secretary1).get(reverse("activities:activity_list"))
    assert response.context["is_paginated"] and len(response.context["object_list"]) == 25


# --- the Excel ledger ---------------------------------------------------------------------------------------


def _read(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert_print_ready(response.content, timezone.localdate().isoformat())
    rows = table(workbook.worksheets[0])
    return rows[0], rows[1:]


def test_the_export_has_one_row_per_activity_with_headcounts_participants_photos_and_plan_row(
    client_for, world, agreement, member_a
):
    plan = ActivityPlanFactory(agreement=agreement, title="年度计划")
    row = PlannedActivityFactory(plan=plan, month=6, theme="七一联合党课", lead=world.branch_a)
    activity = make_activity(world, agreement=agreement, plan_row=row, title="七一联合党课", starts=at(-4, 14))
    partner_member = MemberFactory(organization=world.partner, name="社区党员")
    services.activity_log(
        actor=world.secretary1,
        activity=activity,
        summary="书记讲授专题党课",
        headcounts={world.branch_a.pk: 15, world.partner.pk: 7},
        participants=[member_a, partner_member],
        photos=[png(), jpeg()],
    )
    make_activity(world, title="支部自学", starts=at(3), co=[])
    header, rows = _read(client_for(world.secretary1).get(reverse("activities:activity_export")))
    assert len(header) == 17 and len(rows) == 2
    by_title = {row[3]: row for row in rows}
    line = by_title["七一联合党课"]
    local = timezone.localtime(activity.starts_at)
    assert line[0].date() == local.date() and line[1] == local.replace(tzinfo=None)
    assert line[2] == theme_day().name and line[6] == world.branch_a.name and line[7] == world.partner.name
    assert line[8] == f"{world.branch_a.name} 15；{world.partner.name} 7"
    assert line[9] == 22 and line[10] == 2 and line[14] == 2
    assert line[12] == "书记讲授专题党课"
    assert "七一联合党课" in line[15] and str(plan.year) in line[15]
    own = by_title["支部自学"]
    assert own[5] in ("", None) and own[9] == 0 and own[14] == 0 and own[15] in ("", None)
    activity.refresh_from_db()
    with translation.override(settings.LANGUAGE_CODE):  # the status in the export's language, not its stored value
        assert line[11] == activity.get_status_display() != activity.status
        assert own[11] == str(Activity.Status.PLANNED.label) != Activity.Status.PLANNED


def test_the_export_applies_the_lists_filters_and_scope(client_for, world, spread):
    url = reverse("activities:activity_export")
    _, rows = _read(client_for(world.secretary1).get(url, {"status": "cancelled"}))
    assert [row[3] for row in rows] == ["取消的活动"]
    _, rows = _read(client_for(world.secretary2).get(url))
    assert [row[3] for row in rows] == ["乙支部自己的活动"]
    _, rows = _read(client_for(world.outsider).get(url))
    assert rows == []


# --- 记录活动 -----------------------------------------------------------------------------------------------


def test_the_to_log_page_lists_my_ended_unlogged_activities(client_for, world, agreement, spread):
    ended_planned = make_activity(world, title="刚结束仍是计划", starts=at(-1), status="planned", co=[])
    make_activity(world, title="已记录", starts=at(-1), status="logged", summary="好", co=[])
    old = make_activity(world, title="太久之前", starts=at(-40), co=[])
    client = client_for(world.secretary1)
    response = client.get(reverse("activities:activity_to_log"))
    listed = {activity.title for activity in response.context["activities"]}
    # The partner-led one is the community's to log; the future, logged, cancelled and 乙's ones are not due.
    assert listed == {"共建主题党日", "刚结束仍是计划", "太久之前"}
    body = response.content.decode()
    assert reverse("activities:activity_log", args=[ended_planned.pk]) in body
    assert reverse("activities:activity_log", args=[old.pk]) not in body  # locked: ask an admin
    assert 'data-testid="locked"' in body and 'data-testid="new-activity"' in body
    assert titles(client_for(world.liaison1), url_name="activities:activity_to_log") == set()


# --- home panel and agreement section -----------------------------------------------------------------------


def test_the_home_panel_shows_this_weeks_activities_and_what_waits_to_be_logged(client_for, world, agreement):
    start, end = week_bounds()
    now = timezone.now()
    inside = start + dt.timedelta(days=2, hours=9)
    make_activity(world, agreement=agreement, title="本周共建活动", starts=inside, co=[world.partner])
    make_activity(
        world, lead=world.partner, agreement=agreement, co=[world.branch_a], title="本周社区活动", starts=inside
    )
    make_activity(world, title="下周活动", starts=end + dt.timedelta(hours=9), co=[])
    make_activity(world, title="上周之前", starts=start - dt.timedelta(days=2), co=[])
    make_activity(world, lead=world.branch_b, title="乙支部本周", starts=inside, co=[])
    response = client_for(world.secretary1).get(reverse("home"))
    panel = next(s for s in response.context["panels"] if s["template"] == "activities/home/activities.html")
    assert {a.title for a in panel["week"]} == {"本周共建活动", "本周社区活动"}
    expected_awaiting = {"上周之前"} | ({"本周共建活动"} if inside + dt.timedelta(hours=2) <= now else set())
    assert {a.title for a in panel["awaiting"]} == expected_awaiting
    assert panel["awaiting_count"] == len(expected_awaiting)
    body = response.content.decode()
    assert 'data-testid="log-an-activity"' in body and reverse("activities:activity_to_log") in body


def test_the_home_panel_is_for_secretaries_only(client_for, world):
    for user in (world.member1, world.committee, world.liaison1):
        assert 'data-testid="activity-panel"' not in client_for(user).get(reverse("home")).content.decode()
    assert 'data-testid="activity-panel"' in client_for(world.secretary2).get(reverse("home")).content.decode()


def test_the_agreement_page_shows_its_latest_activities_and_the_filtered_ledger(client_for, world, agreement, spread):
    for i in range(12):
        make_activity(world, agreement=agreement, title=f"共建活动{i:02d}", starts=at(-30 + i))
    url = reverse("partnerships:agreement_detail", args=[agreement.pk])
    response = client_for(world.liaison1).get(url)
    section = next(s for s in response.context["sections"] if s["template"] == "activities/activities/section.html")
    assert len(section["activities"]) == 10
    assert section["activities"][0].title == "社区牵头志愿服务"  # newest first
    body = response.content.decode()
    assert f"{reverse('activities:activity_list')}?agreement={agreement.pk}" in body
    create = f"{reverse('activities:activity_create')}?agreement={agreement.pk}"
    assert create not in body  # liaison1 is not a secretary
    assert create in client_for(world.secretary1).get(url).content.decode()


# --- query budgets ------------------------------------------------------------------------------------------


def _bulk(world, n, agreement=None):
    """``n`` ended activities of 甲项目党支部 with a co-organizer, two headcounts, a participant and a photo each."""
    starts = at(-2)
    activities = Activity.objects.bulk_create(
        Activity(
            title=f"活动{i}",
            type=theme_day(),
            agreement=agreement,
            lead=world.branch_a,
            starts_at=starts - dt.timedelta(hours=i),
            ends_at=starts,
            place="活动室",
            status=Activity.Status.HELD,
        )
        for i in range(n)
    )
    member = Member.objects.filter(organization=world.branch_a).first() or Member.objects.create(
        organization=world.branch_a, name="固定党员"
    )
    Activity.co_organizers.through.objects.bulk_create(
        Activity.co_organizers.through(activity_id=a.pk, organization_id=world.partner.pk) for a in activities
    )
    Activity.participants.through.objects.bulk_create(
        Activity.participants.through(activity_id=a.pk, member_id=member.pk) for a in activities
    )
    ActivityParticipation.objects.bulk_create(
        ActivityParticipation(activity=a, organization=org, headcount=5)
        for a in activities
        for org in (world.branch_a, world.partner)
    )
    ActivityPhoto.objects.bulk_create(
        ActivityPhoto(activity=a, image="photos/x.jpg", thumbnail="photos/t.jpg", original_name="x.jpg", size=1)
        for a in activities
    )
    return activities


@pytest.mark.parametrize(
    "url_name,query",
    [
        ("activities:activity_list", ""),
        ("activities:activity_list", "?q=活动&status=held"),
        ("activities:activity_export", ""),
        ("activities:activity_to_log", ""),
        ("home", ""),
    ],
)
def test_ledger_pages_queries_do_not_grow_with_the_activities(
    client_for, world, agreement, url_name, query, django_assert_max_num_queries
):
    client = client_for(world.secretary1)
    url = reverse(url_name) + query
    _bulk(world, 5, agreement)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _bulk(world, 95, agreement)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(url)
        assert response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    if url_name == "activities:activity_export":
        assert len(_read(response)[1]) == 100


def test_the_agreement_page_sections_take_a_fixed_number_of_queries(
    client_for, world, agreement, django_assert_max_num_queries
):
    client = client_for(world.secretary1)
    url = reverse("partnerships:agreement_detail", args=[agreement.pk])
    _bulk(world, 5, agreement)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _bulk(world, 95, agreement)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_formula_title_reads_back_from_the_activity_ledger_as_text(client_for, world):
    make_activity(world, title=FORMULA_TITLE)
    text_cells(client_for(world.secretary1).get(reverse("activities:activity_export")).content, FORMULA_TITLE)
