"""Every main page of each role passes axe-core (WCAG 2.1 A/AA and axe's best practices) with 0 violations, at
desktop width and on a 375 px phone: the committee (reviewer), a branch secretary and the partner's liaison; and
none of them scrolls sideways. One browser session per role and width visits the role's pages in a loop and collects
every page's violations, so a failure lists them all at once. The world is the test cast with an agreement, a held activity, an open action item,
a meeting and a quarter's results (the fixtures of the other browser tests).
"""

import json

import pytest
from django.urls import reverse

from tests.e2e.conftest import axe_violations, sign_in
from tests.e2e.test_committee_dashboard import quarter_results  # noqa: F401 - fixture
from tests.e2e.test_liaison_action_items import item  # noqa: F401 - fixture
from tests.e2e.test_secretary_activities import held_activity  # noqa: F401 - fixture
from tests.factories import JointMeetingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Pages every signed-in role has.
COMMON = [
    "home",
    "profile",
    "notifications",
    "notification_preferences",
    "export_jobs",
    "password_change",
    "partnerships:organization_tree",
    "partnerships:organization_list",
    "partnerships:agreement_list",
    "partnerships:action_item_list",
    "partnerships:my_action_items",
    "activities:calendar",
    "activities:activity_list",
    "activities:plan_list",
    "activities:project_list",
    "assessments:scheme_list",
]
PAGES = {
    "committee": COMMON + ["partnerships:member_list", "webhook_list", "assessments:dashboard"],
    "secretary1": COMMON
    + [
        "partnerships:member_list",
        "partnerships:member_create",
        "partnerships:agreement_create",
        "activities:activity_to_log",
        "activities:activity_create",
        "activities:plan_create",
        "assessments:self_assessment_list",
        "assessments:dashboard",
        "webhook_list",
        "webhook_create",
    ],
    "liaison1": COMMON,
}


@pytest.fixture
def sweep_world(world, quarter_results, held_activity, item):  # noqa: F811
    meeting = JointMeetingFactory(agreement=item.agreement, title="第三季度联席会议")
    objects = {
        "partnerships:agreement_detail": item.agreement,
        "partnerships:action_item_detail": item,
        "partnerships:meeting_detail": meeting,
        "activities:activity_detail": held_activity,
        "partnerships:organization_detail": world.branch_a,
    }
    return world, objects, quarter_results


def _urls(role, objects, rollup):
    urls = [reverse(name) for name in PAGES[role]]
    dashboard = reverse("assessments:dashboard")
    urls = [f"{url}?year={rollup.year}&quarter={rollup.quarter}" if url == dashboard else url for url in urls]
    urls += [reverse(name, args=[obj.pk]) for name, obj in objects.items()]
    if role != "liaison1":
        urls.append(reverse("assessments:rollup_detail", args=[rollup.pk]))
    return urls


@pytest.mark.parametrize("role", ["committee", "secretary1", "liaison1"])
def test_every_main_page_of_the_role_has_no_axe_violation(page, sweep_world, role):
    _, objects, rollup = sweep_world
    found = {}
    page.goto(reverse("login"))
    page.wait_for_load_state("networkidle")
    found.update(_check(page))
    sign_in(page, role)
    for url in _urls(role, objects, rollup):
        response = page.goto(url)
        assert response.ok, f"{url}: {response.status}"
        found.update(_check(page))
    assert not found, f"axe-core violations for {role}:\n" + json.dumps(found, ensure_ascii=False, indent=1)


def _check(page):
    page.wait_for_load_state("networkidle")
    violations = axe_violations(page)
    # A phone page does not scroll sideways (tables scroll inside their own box).
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > page.viewport_width + 1:
        violations.append({"id": "scrolls-sideways", "help": f"{width} px wide in a {page.viewport_width} px window"})
    return {page.url: violations} if violations else {}
