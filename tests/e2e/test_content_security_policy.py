"""The Content-Security-Policy holds on the real pages: the browser reports no violation (no inline script or style
blocked, FullCalendar's stylesheet admitted by its nonce, ECharts' tooltips drawn) and no script error, for the
main pages of a secretary, the committee's dashboard and the Django admin."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partnerships.services.meetings import meeting_schedule
from tests.e2e.conftest import sign_in
from tests.e2e.test_committee_dashboard import quarter_results  # noqa: F401 - fixture
from tests.e2e.test_liaison_action_items import item  # noqa: F401 - fixture
from tests.e2e.test_secretary_activities import held_activity  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline") + " "
                              + (event.sample || "") + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""


@pytest.fixture
def watched_page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.add_init_script(COLLECT_VIOLATIONS)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda message: _note_console(page, message))
    page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
    yield page
    context.close()


def _note_console(page, message):
    if message.type == "error" and ("Content Security Policy" in message.text or "Refused to" in message.text):
        page.problems.append(f"console: {message.text}")


def _visit(page, url):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    problems = page.evaluate("window.__cspViolations") + page.problems
    assert problems == [], f"{url}: {problems}"
    page.problems.clear()


def test_a_secretarys_main_pages_report_no_csp_violation(watched_page, world, held_activity, item):  # noqa: F811
    page = watched_page
    sign_in(page, "secretary1")
    assert "script-src 'self'" in page.request.get("/").headers["content-security-policy"]
    for url in ("/", "/me/", "/notifications/", "/agreements/", "/activities/", "/organizations/tree/"):
        _visit(page, url)

    # The calendar: FullCalendar's run-time stylesheet carries the page's nonce and is applied.
    _visit(page, "/calendar/")
    expect(page.locator(".fc-toolbar").first).to_be_visible()
    assert page.locator("style[data-fullcalendar]").count() == 1
    assert page.evaluate("getComputedStyle(document.querySelector('.fc-toolbar')).display") == "flex"
    page.locator(".fc-list-button, .fc-listMonth-button, .fc-listWeek-button").first.click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__cspViolations") + page.problems == []

    # The progress form's slider, moved from an inline script to static/js/gongjian.js, still mirrors the number.
    _visit(page, f"/items/{item.pk}/")
    page.get_by_test_id("post-progress").click()
    page.locator("#gj-percent-range").fill("40")
    expect(page.locator("#id_percent")).to_have_value("40")
    expect(page.locator("#gj-percent-out")).to_have_text("40%")
    assert page.evaluate("window.__cspViolations") + page.problems == []


def test_the_dashboard_draws_its_charts_and_tooltips_without_a_csp_violation(watched_page, quarter_results):  # noqa: F811
    page = watched_page
    sign_in(page, "committee")
    url = f"/assessments/?year={quarter_results.year}&quarter={quarter_results.quarter}"
    _visit(page, url)
    page.get_by_test_id("chart-ranking").scroll_into_view_if_needed()  # charts are drawn once on screen
    canvas = page.locator("[data-testid=chart-ranking] canvas").first
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    # Hover along the bars: ECharts writes its tooltip as HTML with style attributes.
    for fraction in (0.3, 0.5, 0.7):
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.5)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__cspViolations") + page.problems == []


def test_the_admin_works_under_the_policy(watched_page, world):
    page = watched_page
    sign_in(page, "admin")
    for url in (
        "/admin/",
        "/admin/partnerships/organization/",
        "/admin/portal/membership/",
        "/admin/portal/membership/add/",
        f"/admin/auth/user/{world.secretary1.pk}/change/",
    ):
        _visit(page, url)
    expect(page.locator("#user_form, #content-main form").first).to_be_visible()


def test_the_minutes_form_adds_decision_rows_without_a_csp_violation(watched_page, world, item):  # noqa: F811
    meeting = meeting_schedule(
        actor=world.secretary1,
        agreement=item.agreement,
        title="联席会议",
        starts_at=timezone.now() - dt.timedelta(hours=2),
        place="项目部会议室",
        host=world.branch_a,
    )
    page = watched_page
    sign_in(page, "secretary1")
    _visit(page, f"/meetings/{meeting.pk}/minutes/")
    page.get_by_test_id("add-decision").click()
    expect(page.get_by_test_id("decision-row")).to_have_count(2)
    page.get_by_test_id("decision-row").last.get_by_test_id("remove-decision").click()
    expect(page.get_by_test_id("decision-row")).to_have_count(1)
    assert page.evaluate("window.__cspViolations") + page.problems == []
