"""The 变更记录 tab: a liaison reads who changed an action item, field by field, on a desktop and on a phone, and
finds the Excel export there."""

import os

import pytest
from playwright.sync_api import expect

from partnerships.models import ActionItem
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import ActionItemFactory, cast_agreement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def item(world):
    agreement = cast_agreement(world, number="GJ-E2E-HIST", title="地铁项目党建联建")
    item = ActionItemFactory(agreement=agreement, title="设置共建宣传栏", responsible_party=world.branch_a)
    item.status, item.responsible_party, item.progress = ActionItem.Status.IN_PROGRESS, world.partner, 40
    item._history_user = world.secretary1
    item.save()
    return item


def test_the_history_tab_shows_each_change_by_name(page, world, item):
    sign_in(page, "liaison1")
    page.goto(f"/items/{item.pk}/")
    page.get_by_role("tab", name="变更记录").click()
    history = page.get_by_test_id("history")
    expect(history).to_be_visible()
    changes = history.get_by_test_id("history-change")
    expect(changes.filter(has_text=f"{world.branch_a.name} → {world.partner.name}")).to_have_count(1)
    expect(changes.filter(has_text="推进中")).to_have_count(1)
    expect(history.get_by_test_id("history-export")).to_have_attribute(
        "href", f"/history/partnerships.actionitem/{item.pk}.xlsx"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_width
    if os.environ.get("GJ_SHOTS"):
        page.wait_for_timeout(600)
        page.screenshot(path=f"{os.environ['GJ_SHOTS']}/history-{page.viewport_width}.png", full_page=True)
    # The item's progress bar (outside the tab) is named by the a11y lane's sweep of progress bars (issue 13, item 8).
    assert_accessible(page)
