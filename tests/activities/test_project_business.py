"""党建+业务 on key projects: milestones ahead of / behind plan (Asia/Shanghai dates, the midnight edge included),
the project's schedule status, the branch's entries and their refusals, the project page with its chart data, the
committee's schedule panel, the Excel ledger — scoped, and in a fixed number of queries.

The cast of tests/matrix/projects.py: branch_a (secretary1) owns the project under its agreement with the street
community (liaison1); the committee reviews branch_a's tree; secretary2 (乙机关党支部) is no party.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, KeyProject, ProjectMilestone, ProjectMonthlyFigure, ZoneCheck
from activities.selectors import business as selectors
from activities.services import business as services
from partnerships.models import ActionItem
from tests.factories import ActionItemFactory, ActivityFactory, ZoneCheckFactory
from tests.matrix.business import figure, milestone
from tests.matrix.projects import days, make_agreement, make_project, make_zone, months_ago
from tests.xlsx_checks import assert_print_ready

SHANGHAI = ZoneInfo("Asia/Shanghai")
Timing = ProjectMilestone.Timing
Schedule = ProjectMilestone.Schedule


@pytest.fixture
def project(world):
    return make_project(world)


def refused(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


# --- days ahead / behind ------------------------------------------------------------------------------------------


def test_a_reached_milestone_counts_actual_minus_plan(project):
    today = dt.date(2026, 11, 22)
    early = milestone(project, "主体结构封顶", planned_on=dt.date(2026, 10, 31), actual_on=dt.date(2026, 9, 16))
    late = milestone(project, "盾构贯通", planned_on=dt.date(2026, 6, 1), actual_on=dt.date(2026, 6, 4))
    exact = milestone(project, "桩基完成", planned_on=dt.date(2026, 3, 1), actual_on=dt.date(2026, 3, 1))
    assert selectors.milestone_days(early, today) == -45
    assert selectors.milestone_timing(early, today) == Timing.AHEAD
    assert selectors.milestone_days(late, today) == 3
    assert selectors.milestone_timing(late, today) == Timing.LATE
    assert selectors.milestone_days(exact, today) == 0
    assert selectors.milestone_timing(exact, today) == Timing.ON_TIME


def test_an_unreached_milestone_is_overdue_after_its_date_and_upcoming_until(project):
    today = dt.date(2026, 11, 22)
    overdue = milestone(project, "站台层施工", planned_on=dt.date(2026, 11, 12))
    due_today = milestone(project, "设备安装", planned_on=today)
    assert selectors.milestone_days(overdue, today) == 10
    assert selectors.milestone_timing(overdue, today) == Timing.OVERDUE
    assert selectors.milestone_days(due_today, today) is None
    assert selectors.milestone_timing(due_today, today) == Timing.UPCOMING


def test_today_is_the_shanghai_date_a_2330_utc_instant_is_the_next_day(world, project):
    """At 2026-11-22 23:30 UTC it is already 11-23 07:30 in Shanghai: a milestone planned on 11-22 and not reached
    is one day overdue (by the UTC date it would still be due today)."""
    milestone(project, "主体验收", planned_on=dt.date(2026, 11, 22))
    instant = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)
    with time_machine.travel(instant, tick=False):
        assert timezone.localdate() == dt.date(2026, 11, 23)
        data = selectors.project_business(project)
        (row,) = data["milestones"]
        assert (row.days, row.timing) == (1, Timing.OVERDUE)
    # Half an hour earlier (23:00 UTC = 07:00 Shanghai of the 23rd) too; at 15:30 UTC (23:30 Shanghai, the 22nd) not.
    with time_machine.travel(dt.datetime(2026, 11, 22, 15, 30, tzinfo=dt.UTC), tick=False):
        (row,) = selectors.project_business(project)["milestones"]
        assert (row.days, row.timing) == (None, Timing.UPCOMING)


def test_the_overview_reads_today_in_shanghai_too(world, project):
    milestone(project, "主体验收", planned_on=dt.date(2026, 11, 16))  # 7 days overdue on the 23rd, 6 on the 22nd
    with time_machine.travel(dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC), tick=False):
        overview = selectors.schedule_overview(world.committee)
        assert overview["counts"]["behind"] == 1
        assert [p.days_behind for p in overview["lagging"]] == [7]
    with time_machine.travel(dt.datetime(2026, 11, 22, 15, 30, tzinfo=dt.UTC), tick=False):
        assert selectors.schedule_overview(world.committee)["counts"]["on_schedule"] == 1


@pytest.mark.parametrize(
    ("milestones", "deviation", "schedule"),
    [
        ([], None, None),
        ([("a", 30, None)], 0, Schedule.ON_SCHEDULE),  # nothing due yet
        ([("a", -60, -105)], -45, Schedule.AHEAD),  # reached 45 days early
        ([("a", -60, -54)], 6, Schedule.ON_SCHEDULE),  # within the week's tolerance
        ([("a", -60, -53)], 7, Schedule.BEHIND),
        ([("a", -60, -67)], -7, Schedule.AHEAD),
        # The latest reached milestone (by plan date) speaks, not an earlier one
        ([("a", -200, -180), ("b", -60, -70)], -10, Schedule.AHEAD),
        # An overdue milestone: the larger of its days and the latest reached one's
        ([("a", -60, -105), ("b", -12, None)], 12, Schedule.BEHIND),
        ([("a", -60, -40), ("b", -3, None)], 20, Schedule.BEHIND),
        ([("a", -60, -105), ("b", -3, None)], 3, Schedule.ON_SCHEDULE),
    ],
)
def test_project_deviation_and_status(world, project, milestones, deviation, schedule):
    today = timezone.localdate()
    rows = [
        milestone(
            project,
            name,
            planned_on=today + dt.timedelta(days=plan),
            actual_on=None if actual is None else today + dt.timedelta(days=actual),
        )
        for name, plan, actual in milestones
    ]
    assert selectors.project_deviation(rows, today) == deviation
    assert selectors.schedule_of(deviation) == schedule
    # The committee's overview computes the same in SQL.
    overview = selectors.schedule_overview(world.committee)
    key = {None: "unplanned", Schedule.AHEAD: "ahead", Schedule.ON_SCHEDULE: "on_schedule", Schedule.BEHIND: "behind"}
    assert overview["counts"][key[schedule]] == 1
    assert sum(overview["counts"].values()) == 1
    if schedule == Schedule.BEHIND:
        assert [p.days_behind for p in overview["lagging"]] == [deviation]
    # The project list's schedule filter puts it under the same status, and under no other.
    for status, _label in selectors.SCHEDULE_CHOICES:
        found = list(selectors.projects_by_schedule(KeyProject.objects.all(), status, today))
        assert found == ([project] if status == key[schedule] else []), status


# --- the branch's entries -----------------------------------------------------------------------------------------


def test_the_branch_secretary_adds_a_milestone_and_records_its_date(world, project):
    made = services.project_milestone_create(
        actor=world.secretary1, project=project, name="  主体结构封顶 ", planned_on=days(20)
    )
    assert made.name == "主体结构封顶" and made.actual_on is None
    saved = services.project_milestone_update(
        actor=world.secretary1, milestone=made, name=made.name, planned_on=days(20), actual_on=days(-1)
    )
    assert saved.actual_on == days(-1)
    assert saved.history.first().history_user == world.secretary1


def stored_schedule(project: KeyProject) -> dict:
    project.refresh_from_db()
    return {name: getattr(project, name) for name in ("has_milestones", "reached_delay", "open_from")}


def test_every_milestone_write_keeps_what_the_project_stores_for_the_panel(world, project):
    """The committee's panel reads the project's stored schedule fields: each write through the services leaves them
    as the milestones give them, and the overview follows."""
    nothing = {"has_milestones": False, "reached_delay": None, "open_from": None}
    assert stored_schedule(project) == nothing
    first = services.project_milestone_create(actor=world.secretary1, project=project, name="桩基", planned_on=days(-9))
    assert stored_schedule(project) == {"has_milestones": True, "reached_delay": None, "open_from": days(-9)}
    assert selectors.schedule_overview(world.committee)["counts"]["behind"] == 1  # 9 days overdue
    second = services.project_milestone_create(
        actor=world.secretary1, project=project, name="封顶", planned_on=days(-30), actual_on=days(-40)
    )
    assert stored_schedule(project)["reached_delay"] == dt.timedelta(days=-10)
    services.project_milestone_update(
        actor=world.secretary1, milestone=first, name="桩基", planned_on=days(-9), actual_on=days(-8)
    )
    # The latest reached milestone by plan date speaks now: one day late, on schedule.
    assert stored_schedule(project) == {
        "has_milestones": True,
        "reached_delay": dt.timedelta(days=1),
        "open_from": None,
    }
    assert selectors.schedule_overview(world.committee)["counts"]["on_schedule"] == 1
    services.project_milestone_delete(actor=world.secretary1, milestone=first)
    assert stored_schedule(project)["reached_delay"] == dt.timedelta(days=-10)
    assert selectors.schedule_overview(world.committee)["counts"]["ahead"] == 1
    services.project_milestone_delete(actor=world.secretary1, milestone=second)
    assert stored_schedule(project) == nothing
    assert selectors.schedule_overview(world.committee)["counts"]["unplanned"] == 1
    assert stored_schedule(project) == selectors.schedule_fields(list(project.milestones.all()))


@pytest.mark.parametrize("who", ["committee", "liaison1", "member1", "secretary2", "outsider"])
def test_only_the_project_branch_writes_business_figures(world, project, who):
    actor = world.user(who)
    with pytest.raises(PermissionDenied):
        services.project_milestone_create(actor=actor, project=project, name="封顶", planned_on=days(20))
    with pytest.raises(PermissionDenied):
        services.project_monthly_figure_save(actor=actor, project=project, month=days(0), progress=10)
    assert not ProjectMilestone.objects.exists() and not ProjectMonthlyFigure.objects.exists()


def test_a_milestone_is_not_reached_in_the_future_and_its_name_is_unique(world, project):
    errors = refused(
        services.project_milestone_create,
        actor=world.secretary1,
        project=project,
        name="封顶",
        planned_on=days(5),
        actual_on=days(1),
    )
    assert "actual_on" in errors
    milestone(project, "封顶")
    errors = refused(
        services.project_milestone_create, actor=world.secretary1, project=project, name="封顶", planned_on=days(5)
    )
    assert errors


def test_a_month_is_entered_once_and_corrected_in_place(world, project):
    first = services.project_monthly_figure_save(
        actor=world.secretary1, project=project, month=days(0).replace(day=17), progress=40, civilized_checks=4
    )
    assert first.month == days(0).replace(day=1)
    again = services.project_monthly_figure_save(
        actor=world.secretary1, project=project, month=days(0), progress=42, safety_incidents=1
    )
    assert again.pk == first.pk and (again.progress, again.safety_incidents) == (42, 1)
    assert ProjectMonthlyFigure.objects.count() == 1


def test_monthly_figures_are_checked_field_by_field(world, project):
    next_month = (days(0).replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    errors = refused(
        services.project_monthly_figure_save, actor=world.secretary1, project=project, month=next_month, progress=5
    )
    assert "month" in errors
    errors = refused(
        services.project_monthly_figure_save,
        actor=world.secretary1,
        project=project,
        month=days(0),
        progress=101,
        civilized_checks=2,
        civilized_passed=3,
    )
    assert {"progress", "civilized_passed"} <= set(errors) or "civilized_passed" in errors


@pytest.mark.django_db
def test_the_database_refuses_what_the_forms_refuse(world, project):
    from django.db import IntegrityError, transaction

    for bad in (
        {"progress": 120},
        {"progress": 10, "civilized_checks": 1, "civilized_passed": 2},
        {"progress": 10, "month": dt.date(2026, 5, 2)},
    ):
        fields = {"project": project, "month": dt.date(2026, 5, 1), **bad}
        with pytest.raises(IntegrityError), transaction.atomic():
            ProjectMonthlyFigure.objects.create(**fields)
    figure(project, dt.date(2026, 5, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        figure(project, dt.date(2026, 5, 1))


# --- the pages ----------------------------------------------------------------------------------------------------


def test_the_branch_enters_a_month_through_the_page_with_errors_in_chinese(client_for, world, project):
    client = client_for(world.secretary1)
    url = reverse("activities:project_figures", args=[project.pk])
    month = days(0).strftime("%Y-%m")
    bad = {"month": month, "progress": 130, "safety_incidents": -1, "quality_findings": 0}
    bad |= {"civilized_checks": 2, "civilized_passed": 3}
    response = client.post(url, bad, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    page = response.content.decode()
    assert "进度须为0到100之间的百分比。" in page
    assert "通过的检查次数多于检查次数。" in page
    good = {**bad, "progress": 64, "safety_incidents": 0, "civilized_passed": 2, "notes": "二衬施工"}
    response = client.post(url, good)
    assert response.status_code == 302 and response["Location"].endswith("#business")
    assert ProjectMonthlyFigure.objects.get().progress == 64
    # Opening the month again shows its figures, to correct them.
    assert 'value="64"' in client.get(url + f"?month={month}").content.decode()


def test_the_project_page_shows_days_and_the_chart(client_for, world, project):
    milestone(project, "主体结构封顶", planned_on=days(-50), actual_on=days(-95))
    milestone(project, "盾构贯通", planned_on=days(-5))
    figure(project, days(-31), progress=55)
    figure(project, days(0), progress=63, safety_incidents=1)
    page = client_for(world.liaison1).get(project.get_absolute_url()).content.decode()
    assert 'data-testid="project-business"' in page
    assert 'data-days="-45"' in page and 'data-days="5"' in page
    assert "gj-project-business-data" in page and 'data-chart="project-business"' in page
    assert 'data-testid="figures-enter"' not in page  # the other party reads
    owner_page = client_for(world.secretary1).get(project.get_absolute_url()).content.decode()
    assert 'data-testid="figures-enter"' in owner_page and 'data-testid="milestone-edit"' in owner_page


def test_outsiders_get_404_and_readers_403_on_every_business_page(client_for, world, project):
    made = milestone(project)
    urls = [
        reverse("activities:milestone_create", args=[project.pk]),
        reverse("activities:milestone_update", args=[made.pk]),
        reverse("activities:project_figures", args=[project.pk]),
    ]
    for url in urls:
        assert client_for(world.secretary2).get(url).status_code == 404, url
        assert client_for(world.committee).get(url).status_code == 403, url
        assert client_for(world.liaison1).post(url, {}).status_code == 403, url
    export = reverse("activities:project_business_export", args=[project.pk])
    assert client_for(world.secretary2).get(export).status_code == 404
    assert client_for(world.committee).get(export).status_code == 200


def test_the_ledger_exports_milestones_and_figures_print_ready(client_for, world, project):
    milestone(project, "主体结构封顶", planned_on=days(-50), actual_on=days(-95))
    figure(project, days(-31), progress=55, notes="=1+1")
    response = client_for(world.committee).get(reverse("activities:project_business_export", args=[project.pk]))
    assert response.status_code == 200
    sheets = assert_print_ready(response.content, project.name)
    assert len(sheets) == 2
    values = [cell.value for row in sheets[0].iter_rows(min_row=3) for cell in row]
    assert "主体结构封顶" in values and -45 in values
    notes = [cell for row in sheets[1].iter_rows(min_row=3) for cell in row if cell.value == "=1+1"]
    assert notes and notes[0].data_type == "s"


# --- the chart's data -----------------------------------------------------------------------------------------------


def _joint_work(world, project, months: int):
    """Per month going back ``months``: a held activity under the agreement, a zone check, a closed item."""
    zone = make_zone(project, world, name=f"责任区{months}")
    now = timezone.now()
    for back in range(months):
        # This month: now; each month before: its first day at noon (Shanghai), one per calendar month on any date.
        when = now if back == 0 else dt.datetime.combine(months_ago(back), dt.time(12), tzinfo=SHANGHAI)
        ActivityFactory(lead=world.branch_a, agreement=project.agreement, starts_at=when, status=Activity.Status.HELD)
        ZoneCheckFactory(zone=zone, checked_on=timezone.localdate(when), category=ZoneCheck.Category.NONE)
        ActionItemFactory(
            agreement=project.agreement, status=ActionItem.Status.DONE, closed_at=when, due_on=timezone.localdate(when)
        )
        figure(project, timezone.localdate(when), progress=min(100, 90 - back * 5))


def test_the_chart_counts_joint_work_by_shanghai_month(world, project):
    zone = make_zone(project, world)
    # 2026-10-31 17:00 UTC is 11-01 01:00 in Shanghai: November's.
    instant = dt.datetime(2026, 10, 31, 17, 0, tzinfo=dt.UTC)
    ActivityFactory(lead=world.branch_a, agreement=project.agreement, starts_at=instant, status=Activity.Status.LOGGED)
    ActivityFactory(lead=world.branch_a, agreement=project.agreement, starts_at=instant, status=Activity.Status.PLANNED)
    other = make_agreement(world, number="GJ-OTHER-1")
    ActivityFactory(lead=world.branch_a, agreement=other, starts_at=instant, status=Activity.Status.HELD)
    ZoneCheckFactory(zone=zone, checked_on=dt.date(2026, 10, 20))
    ActionItemFactory(agreement=project.agreement, status=ActionItem.Status.DONE, closed_at=instant)
    figure(project, dt.date(2026, 10, 1), progress=40)
    chart = selectors.project_chart(project, list(project.monthly_figures.all()), dt.date(2026, 11, 22))
    assert chart.months == ["2026-10", "2026-11"]
    assert chart.activities == [0, 1]
    assert chart.zone_checks == [1, 0]
    assert chart.items_closed == [0, 1]
    assert chart.progress == [40, None]


def test_the_chart_costs_the_same_at_few_and_many_months(world, django_assert_max_num_queries):
    few = make_project(world, agreement=make_agreement(world, number="GJ-FEW"), name="少量数据工程")
    many = make_project(world, agreement=make_agreement(world, number="GJ-MANY"), name="大量数据工程")
    _joint_work(world, few, 1)
    _joint_work(world, many, 14)
    with CaptureQueriesContext(connection) as small:
        data = selectors.project_business(few)
    assert len(data["chart"].months) >= 1
    with django_assert_max_num_queries(len(small.captured_queries)):
        data = selectors.project_business(many)
    assert len(data["chart"].months) >= 14 and sum(data["chart"].activities) == 14


def test_the_project_page_costs_the_same_at_few_and_many_rows(client_for, world, django_assert_max_num_queries):
    few = make_project(world, agreement=make_agreement(world, number="GJ-FEW"), name="少量数据工程")
    many = make_project(world, agreement=make_agreement(world, number="GJ-MANY"), name="大量数据工程")
    _joint_work(world, few, 1)
    _joint_work(world, many, 12)
    for n in range(8):
        milestone(many, f"节点{n}", planned_on=days(-100 + 20 * n), actual_on=days(-101 + 20 * n) if n < 4 else None)
    milestone(few, "节点", planned_on=days(10))
    client = client_for(world.secretary1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(few.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(many.get_absolute_url()).status_code == 200


# --- the committee's overview -------------------------------------------------------------------------------------


def test_the_committee_panel_lists_lagging_projects_scoped(client_for, world, django_assert_max_num_queries):
    ahead = make_project(world, agreement=make_agreement(world, number="GJ-A"), name="提前工程")
    milestone(ahead, "封顶", planned_on=days(-50), actual_on=days(-95))
    behind = make_project(world, agreement=make_agreement(world, number="GJ-B"), name="滞后工程")
    milestone(behind, "贯通", planned_on=days(-30))
    page = client_for(world.committee).get(reverse("home")).content.decode()
    assert 'data-testid="lagging-projects"' in page and "滞后工程" in page and "提前工程" not in page
    overview = selectors.schedule_overview(world.committee)
    assert overview["counts"] == {"ahead": 1, "behind": 1, "on_schedule": 0, "unplanned": 0}
    assert [(p.name, p.days_behind) for p in overview["lagging"]] == [("滞后工程", 30)]
    # secretary2 sees nothing of secretary1's agreements; the outsider neither.
    for who in (world.secretary2, world.outsider):
        assert not any(selectors.schedule_overview(who)["counts"].values())
    # The same two queries at many projects.
    with CaptureQueriesContext(connection) as small:
        selectors.schedule_overview(world.committee)
    for n in range(12):
        more = make_project(world, agreement=ahead.agreement, name=f"滞后工程{n}")
        milestone(more, "贯通", planned_on=days(-10 - n))
    with django_assert_max_num_queries(len(small.captured_queries)):
        overview = selectors.schedule_overview(world.committee)
    assert overview["counts"]["behind"] == 13 and len(overview["lagging"]) == selectors.LAGGING_TOP


def test_the_milestone_page_opens_with_the_milestone_filled_in(client_for, world, project):
    made = milestone(project, "主体结构封顶", planned_on=days(-10))
    page = client_for(world.secretary1).get(reverse("activities:milestone_update", args=[made.pk])).content.decode()
    assert 'value="主体结构封顶"' in page and f'value="{days(-10).isoformat()}"' in page
