"""党建+业务 in the browser, at 1366 px and on a 375 px phone: the project branch's secretary enters this month's
business figures and the date a milestone was reached; the project page shows the milestone's days ahead of plan,
the project's 超前 status and the month-by-month chart (drawn, on a canvas); the committee reads it and gets no
entry buttons. Screenshots go to test-artifacts/ to be looked at."""

import os

import pytest
from django.utils import timezone

from activities.models import ProjectMilestone, ProjectMonthlyFigure
from tests.e2e.conftest import assert_accessible, sign_in
from tests.matrix.business import figure, milestone
from tests.matrix.projects import days, make_project, make_zone, months_ago, open_finding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_branch_enters_figures_and_a_milestone_and_the_page_shows_days_and_chart(page, world):
    project = make_project(world, name="地铁三号线共建工程")
    zone = make_zone(project, world)
    open_finding(zone, checked_on=days(-35))
    for back, progress in ((5, 20), (4, 27), (3, 33), (2, 41), (1, 48)):
        figure(project, months_ago(back), progress=progress, civilized_checks=4, civilized_passed=4)
    made = milestone(project, "一号站主体结构封顶", planned_on=days(-10), order=1)
    milestone(project, "区间盾构贯通", planned_on=days(90), order=2)

    sign_in(page, "secretary1")
    page.goto(f"/projects/{project.pk}/")
    section = page.get_by_test_id("project-business")
    section.scroll_into_view_if_needed()
    assert "逾期 10 天" in section.get_by_test_id("milestone-days").first.inner_text()

    # This month's figures.
    section.get_by_test_id("figures-enter").click()
    page.locator("#id_progress").fill("130")
    page.locator("#id_civilized_checks").fill("4")
    page.locator("#id_civilized_passed").fill("5")
    page.get_by_test_id("figure-save").click()
    assert page.get_by_text("进度须为0到100之间的百分比。").is_visible()
    assert page.get_by_text("通过的检查次数多于检查次数。").is_visible()
    assert_accessible(page)
    page.locator("#id_progress").fill("56")
    page.locator("#id_civilized_passed").fill("4")
    page.get_by_test_id("figure-save").click()
    page.wait_for_url(f"**/projects/{project.pk}/#business")
    month = timezone.localdate().replace(day=1)
    assert ProjectMonthlyFigure.objects.get(project=project, month=month).progress == 56

    # The milestone was reached 45 days before its plan date.
    page.get_by_test_id("milestone-edit").first.click()
    page.locator("#id_actual_on").fill(days(-55).isoformat())
    assert_accessible(page)
    page.get_by_test_id("milestone-save").click()
    page.wait_for_url(f"**/projects/{project.pk}/#business")
    made.refresh_from_db()
    assert made.actual_on == days(-55)

    section = page.get_by_test_id("project-business")
    assert "提前 45 天" in section.get_by_test_id("milestone-days").first.inner_text()
    assert section.get_by_test_id("project-schedule").inner_text() == "超前"
    chart = page.locator('[data-chart="project-business"]')
    chart.scroll_into_view_if_needed()
    page.wait_for_selector('[data-chart="project-business"][data-chart-drawn="true"]')
    assert chart.locator("canvas").count() >= 1
    box = chart.bounding_box()
    assert box and box["width"] <= page.viewport_width and box["height"] >= 250
    # Nothing runs off the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_width + 1
    assert_accessible(page)
    os.makedirs("test-artifacts", exist_ok=True)
    section.screenshot(path=f"test-artifacts/project-business-{page.viewport_width}.png")

    # The committee reads the same page, without the branch's buttons.
    page.context.clear_cookies()
    sign_in(page, "committee")
    page.goto(f"/projects/{project.pk}/")
    section = page.get_by_test_id("project-business")
    assert section.get_by_test_id("figures-enter").count() == 0
    assert section.get_by_test_id("milestone-edit").count() == 0
    assert ProjectMilestone.objects.filter(project=project).count() == 2
