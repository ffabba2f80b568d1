"""The other side's liaison confirms a closure with the evidence on screen (issue 13, item 3).

liaison1 (the street community's liaison) reports the community's item done with a note and a photo; 甲项目党支部's
liaison (liaison_a) opens 我的督办, sees the tabs and their counts (on a phone too: they wrap, the page never scrolls
sideways), opens the closure from 待我验收确认 (查看并确认: no list confirms in one tap), sees the note and the photo's
thumbnail, and confirms. At 1366 px and 375 px, axe-core on every main page of the flow.
"""

import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from partnerships.models import ActionItem, AgreementParty
from partnerships.services.action_items import action_item_create
from partnerships.services.agreements import agreement_activate, agreement_create
from portal.models import Membership
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import ActivityFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "社区志愿者已完成工地周边三个小区的入户宣传，居民意见已汇总。"


@pytest.fixture
def item(world):
    liaison_a = UserFactory(username="liaison_a", last_name="李", first_name="红")
    MembershipFactory(user=liaison_a, organization=world.branch_a, role=Membership.Role.LIAISON)
    today = timezone.localdate()
    agreement = agreement_create(
        actor=world.secretary1,
        number="GJ-E2E-2",
        title="地铁项目与和平街道党建联建",
        term_start=today - dt.timedelta(days=30),
        term_end=today + dt.timedelta(days=330),
        parties=[
            {"organization": world.branch_a, "role": AgreementParty.Role.INITIATOR, "liaison": liaison_a},
            {"organization": world.partner, "role": AgreementParty.Role.PARTNER, "liaison": world.liaison1},
        ],
    )
    agreement_activate(actor=world.secretary1, agreement=agreement)
    # One of branch_a's own items is overdue, so 我的督办 has more than one count to show.
    action_item_create(
        actor=world.secretary1,
        agreement=agreement,
        title="更新工地围挡宣传画",
        responsible_party=world.branch_a,
        due_on=today + dt.timedelta(days=3),
    )
    return action_item_create(
        actor=world.secretary1,
        agreement=agreement,
        title="开展入户安全宣传",
        responsible_party=world.partner,
        due_on=today + dt.timedelta(days=5),
    )


def _photo(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 22, 29)).save(buffer, format="JPEG")
    path = tmp_path / "入户宣传.jpg"
    path.write_bytes(buffer.getvalue())
    return path


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1


def test_the_other_sides_liaison_confirms_with_the_note_and_photo_in_view(page, browser, live_server, item, tmp_path):
    # The community's liaison reports the item done, at the same screen size.
    reporter_context = browser.new_context(viewport=page.viewport_size, locale="zh-CN", base_url=live_server.url)
    reporter = reporter_context.new_page()
    sign_in(reporter, "liaison1")
    reporter.goto(f"/items/{item.pk}/")
    reporter.get_by_test_id("request-close").click()
    assert_accessible(reporter)
    reporter.locator("#id_note").fill(NOTE)
    reporter.locator("#id_evidence").set_input_files(str(_photo(tmp_path)))
    reporter.locator("main form [type=submit]").first.click()
    reporter.wait_for_url(f"**/items/{item.pk}/")
    reporter_context.close()
    item.refresh_from_db()
    assert item.status == ActionItem.Status.AWAITING_CONFIRMATION

    # 甲项目党支部's liaison: 我的督办, with every tab's count in view.
    sign_in(page, "liaison_a")
    page.goto("/items/mine/")
    tabs = page.get_by_test_id("workspace-tabs")
    expect(tabs.locator("[data-count=awaiting]")).to_have_text("1")
    expect(tabs.locator("[data-count=open]")).to_have_text("1")
    for link in tabs.get_by_role("link").all():
        expect(link).to_be_in_viewport()  # wrapped, not scrolled out of sight
    _no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=f"/tmp/shots-items/workspace-{page.viewport_width}.png", full_page=True)

    # The 督办台账 offers the same way in (查看并确认), never a confirm button.
    page.goto("/items/?tab=awaiting")
    ledger_row = page.get_by_test_id("item-table").locator(f"[data-item='{item.pk}']")
    expect(ledger_row.get_by_test_id("review-closure")).to_have_text("查看并确认")
    expect(page.get_by_test_id("ledger-tabs").locator("[data-count=awaiting]")).to_have_text("1")
    _no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=f"/tmp/shots-items/ledger-{page.viewport_width}.png", full_page=True)

    page.goto("/items/mine/")
    tabs = page.get_by_test_id("workspace-tabs")
    tabs.locator("[data-tab=awaiting]").click()
    page.wait_for_url("**/items/mine/?tab=awaiting")
    row = page.get_by_test_id("workspace-items").locator(f"[data-item='{item.pk}']")
    expect(row).to_contain_text("开展入户安全宣传")
    expect(row.get_by_role("button", name="确认办结")).to_have_count(0)
    assert_accessible(page)
    row.get_by_test_id("review-closure").click()

    # The confirm page: the note and the photo's thumbnail above the controls.
    page.wait_for_url(f"**/items/{item.pk}/confirm/")
    expect(page.get_by_test_id("closure-note")).to_have_text(NOTE)
    thumbnail = page.get_by_test_id("evidence-thumbnail").locator("img")
    expect(thumbnail).to_have_attribute("alt", "入户宣传.jpg")
    expect(thumbnail).to_be_visible()
    thumbnail.scroll_into_view_if_needed()
    # The 640 × 480 photo's small JPEG (480 on its long side) is what the phone loads, not the original.
    page.wait_for_function("img => img.complete && img.naturalWidth === 480", arg=thumbnail.element_handle())
    assert "/thumb/" in thumbnail.get_attribute("src")
    box = thumbnail.bounding_box()
    assert box["width"] <= 150 and box["height"] <= 150  # a thumbnail, not the full image
    href = page.get_by_test_id("evidence-thumbnail").get_attribute("href")
    assert href.startswith("/evidence/") and "/media/" not in href
    _no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=f"/tmp/shots-items/confirm-{page.viewport_width}.png", full_page=True)

    page.locator("#id_note").fill("已电话回访两户居民，情况属实。")
    page.get_by_test_id("submit").click()
    page.wait_for_url(f"**/items/{item.pk}/")
    expect(page.get_by_test_id("item-status")).to_contain_text("已办结")
    assert_accessible(page)
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE and item.confirmed_by.username == "liaison_a"


def test_the_ledgers_open_on_what_matters(page, world, item):
    """督办台账 on the items still worked on, 活动台账 on what was held; each tab with its count, no sideways scroll."""
    now = timezone.now()
    for title, days in [("上周主题党日", -7), ("下周联合党课", 7)]:
        ActivityFactory(
            title=title,
            lead=world.branch_a,
            starts_at=now + dt.timedelta(days=days),
            hours=2,
            status="held" if days < 0 else "planned",
        )
    sign_in(page, "secretary1")
    page.goto("/items/")
    tabs = page.get_by_test_id("ledger-tabs")
    expect(tabs.locator("[aria-current=page]")).to_contain_text("未办结")
    expect(tabs.locator("[data-count=open]")).to_have_text("2")
    expect(tabs.locator("[data-count=closed]")).to_have_text("0")
    _no_sideways_scroll(page)
    assert_accessible(page)

    page.goto("/activities/")
    tabs = page.get_by_test_id("ledger-tabs")
    expect(tabs.locator("[aria-current=page]")).to_contain_text("已举办")
    expect(tabs.locator("[data-count=upcoming]")).to_have_text("1")
    expect(page.get_by_test_id("activity-table")).to_contain_text("上周主题党日")
    expect(page.get_by_test_id("activity-table")).not_to_contain_text("下周联合党课")
    _no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=f"/tmp/shots-items/activities-{page.viewport_width}.png", full_page=True)
    tabs.locator("[data-tab=upcoming]").click()
    expect(page.get_by_test_id("activity-table")).to_contain_text("下周联合党课")
    assert_accessible(page)
