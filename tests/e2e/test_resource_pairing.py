"""资源对接 in the browser: a partner offers a resource against a need, the need's organization accepts, and the joint
project (共建项目) appears in the 项目清单 — at 1366 px and at 375 px.

liaison1 (the street community) offers its volunteer team against 甲项目党支部's need for summer childcare; secretary1
accepts on a fresh session at the same screen size and lands on the new project.
"""

import os

import pytest
from playwright.sync_api import expect

from partnerships.models import Need, Pairing
from tests.e2e.conftest import assert_accessible, sign_in
from tests.matrix.lists import make_lists_agreement, make_need, make_resource

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lists(world):
    make_lists_agreement(world)
    need = make_need(world.branch_a, "项目部职工子女暑期托管")
    volunteers = make_resource(world.partner, "和平社区巾帼志愿服务队", kind="volunteers", terms="无偿")
    return need, volunteers


def _shot(page, name):
    os.makedirs("test-artifacts", exist_ok=True)
    page.screenshot(path=f"test-artifacts/lists-{name}-{page.viewport_width}.png", full_page=True)


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1


def test_a_partner_offers_a_resource_the_owner_accepts_and_the_project_appears(
    page, browser, live_server, world, lists
):
    need, volunteers = lists
    sign_in(page, "liaison1")
    page.goto("/needs/")
    expect(page.get_by_role("link", name="项目部职工子女暑期托管")).to_be_visible()
    assert_accessible(page)
    _fits(page)
    _shot(page, "need-list")
    page.get_by_role("link", name="项目部职工子女暑期托管").click()
    page.get_by_test_id("offer").click()
    page.locator("#id_resource").select_option(str(volunteers.pk))
    page.locator("#id_note").fill("每周一、三、五下午派4名志愿者到项目部看护辅导。")
    assert_accessible(page)
    _fits(page)
    _shot(page, "offer")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url(f"**/needs/{need.pk}/")
    expect(page.get_by_test_id("pairings")).to_contain_text("和平社区巾帼志愿服务队")
    pairing = Pairing.objects.get()
    assert pairing.status == Pairing.Status.PROPOSED

    other = browser.new_context(viewport=page.viewport_size, locale="zh-CN", base_url=live_server.url)
    owner = other.new_page()
    owner.viewport_width = page.viewport_width
    sign_in(owner, "secretary1")
    owner.goto(f"/needs/{need.pk}/")
    assert_accessible(owner)
    _fits(owner)
    _shot(owner, "need-detail")
    owner.get_by_test_id("accept").click()
    owner.locator("#id_due_on").fill("2030-08-31")
    assert_accessible(owner)
    _shot(owner, "accept")
    owner.locator("main form [type=submit]").first.click()
    pairing.refresh_from_db()
    owner.wait_for_url(f"**/items/{pairing.action_item_id}/")
    expect(owner.get_by_test_id("project-partner")).to_have_text(world.branch_a.name)
    _shot(owner, "project")

    owner.goto("/joint-projects/")
    expect(owner.get_by_role("link", name="项目部职工子女暑期托管")).to_be_visible()
    assert_accessible(owner)
    _fits(owner)
    _shot(owner, "project-list")
    other.close()
    need.refresh_from_db()
    assert need.status == Need.Status.MATCHED
