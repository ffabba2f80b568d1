"""The committee's big screen (大屏) in Chromium at 1920×1080: opened by a display link in the committee room, and by
the committee's reviewer from the dashboard. The numbers shown are the data's; a change shows up by itself at the
next poll, without reloading; a failed poll keeps the screen and says so until the next one answers.

The world is tests/assessments/test_screen.py's small world on 2026-05-20 (the clock ticks on from there).
"""

from __future__ import annotations

import os

import pytest
import time_machine
from playwright.sync_api import expect

from assessments.services import screen as services
from tests.assessments.test_screen import NOW, _logged, small_world  # noqa: F401 (the fixture)
from tests.e2e.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BIG = (1920, 1080)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def screen_page(browser, live_server):
    context = browser.new_context(
        viewport={"width": BIG[0], "height": BIG[1]}, locale="zh-CN", base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def _shot(page, name):
    os.makedirs("test-artifacts", exist_ok=True)
    page.screenshot(path=f"test-artifacts/{name}.png")


def _no_scrollbars(page):
    sizes = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
        " window.innerWidth, window.innerHeight]"
    )
    assert sizes[0] <= sizes[2] and sizes[1] <= sizes[3], sizes


def test_the_display_link_shows_the_committees_numbers_and_refreshes_them_live(screen_page, world, small_world):  # noqa: F811
    page = screen_page
    _link, token = services.display_link_create(actor=world.committee, committee=world.group, name="党委会议室")
    page.goto(f"/assessments/display/{token}/?refresh=2")

    expect(page.get_by_test_id("screen-committee")).to_have_text("测试集团党委")
    expect(page.get_by_test_id("screen-quarter")).to_have_text("2026年第1季度")
    ranking = page.get_by_test_id("screen-ranking").locator("li")
    expect(ranking).to_have_count(2)
    expect(ranking.nth(0)).to_contain_text("甲项目党支部")
    expect(ranking.nth(0)).to_contain_text("91.5")
    expect(ranking.nth(1)).to_contain_text("78.0")
    expect(page.get_by_test_id("count-activities")).to_have_text("2")
    expect(page.get_by_test_id("count-people")).to_have_text("20")
    expect(page.get_by_test_id("count-zones")).to_have_text("1")
    expect(page.get_by_test_id("heat-total")).to_have_text("2")
    expect(page.locator("[data-chart=trend] canvas").first).to_be_visible()
    photo = page.get_by_test_id("screen-photos").locator("img")
    expect(photo).to_have_count(1)
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.get_by_text("外单位")).to_have_count(0)
    _no_scrollbars(page)
    assert_accessible(page)
    _shot(page, "big-screen-1920")

    # A poll that fails keeps the numbers and says so (the data is changed meanwhile: on SQLite no request reads
    # while the test writes); the next poll that answers clears it and shows the change, with no reload (the marker
    # set in the page survives).
    page.evaluate("() => { window.gjMarker = 'still here'; }")
    page.route("**/data.json", lambda route: route.abort())
    expect(page.get_by_test_id("screen-offline")).to_be_visible(timeout=10_000)
    _logged(world, world.branch_b, headcount=7, title="新开展的党课")
    expect(page.get_by_test_id("count-activities")).to_have_text("2")
    page.unroute("**/data.json")
    expect(page.get_by_test_id("count-activities")).to_have_text("3", timeout=10_000)
    expect(page.get_by_test_id("count-people")).to_have_text("27")
    expect(page.get_by_test_id("screen-offline")).to_be_hidden()
    assert page.evaluate("() => window.gjMarker") == "still here"


def test_the_reviewer_opens_the_screen_from_the_dashboard_and_a_revoked_link_stops(
    screen_page,
    world,
    small_world,  # noqa: F811
):
    page = screen_page
    sign_in(page, "committee")
    page.goto("/assessments/")
    page.get_by_test_id("dashboard-screen").click()
    expect(page.get_by_test_id("count-people")).to_have_text("20")
    _no_scrollbars(page)
    assert_accessible(page)

    # The committee makes a display link, opens it, then revokes it: the screen stops at once.
    page.goto(f"/assessments/screen/{world.group.pk}/links/")
    page.get_by_label("大屏所在位置").fill("一楼大厅")
    page.get_by_role("button", name="生成展示链接").click()
    url = page.get_by_test_id("new-link-url").input_value()
    assert_accessible(page)
    _shot(page, "big-screen-links")
    page.goto(url)
    expect(page.get_by_test_id("count-activities")).to_have_text("2")
    page.goto(f"/assessments/screen/{world.group.pk}/links/")
    page.get_by_test_id("revoke-link").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_text("已作废", exact=True)).to_have_count(1)
    assert page.goto(url).status == 404
