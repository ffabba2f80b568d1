"""扫码签到 on a 375 px phone: the secretary opens the activity's check-in code (full screen, printable), a participant
with no account opens the code's address in another browser and checks in, a guest too; the code page's count
follows, and the secretary's log form shows the member ticked and the headcount filled in."""

import datetime as dt
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Activity, ActivityType
from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, sign_in
from tests.factories import MemberFactory, cast_agreement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("GJ_SCREENSHOTS", "test-artifacts")


@pytest.fixture
def activity(world):
    agreement = cast_agreement(world, number="GJ-E2E-CHECKIN", title="地铁项目党建联建")
    MemberFactory(organization=world.branch_a, name="李红梅", phone="13912345678")
    MemberFactory(organization=world.branch_a, name="王建国", phone="13800004321")
    MemberFactory(organization=world.partner, name="陈秀英", phone="13700001111")
    theme_day, _ = ActivityType.objects.get_or_create(code="theme_day", defaults={"name": "主题党日"})
    starts = timezone.now() - dt.timedelta(minutes=10)
    activity = Activity.objects.create(
        title="联合主题党日：重温入党誓词",
        type=theme_day,
        agreement=agreement,
        lead=world.branch_a,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        place="项目部党员活动室",
        created_by=world.secretary1,
    )
    activity.co_organizers.add(world.partner)
    return activity


def _context(browser, live_server, size):
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15_000)
    return context


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1


def test_a_participant_checks_in_by_the_code_and_the_log_form_shows_them(browser, live_server, world, activity):
    os.makedirs(SHOTS, exist_ok=True)
    secretary = _context(browser, live_server, PHONE)
    page = secretary.new_page()
    sign_in(page, "secretary1")
    page.goto(activity.get_absolute_url())
    page.get_by_test_id("checkin-code").click()
    page.wait_for_url(f"**/activities/{activity.pk}/checkin/")
    expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
    box = page.get_by_test_id("qr").bounding_box()
    assert box["width"] >= 300  # big enough to scan from a few steps away
    _no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=f"{SHOTS}/checkin-code-375.png", full_page=True)
    address = page.get_by_test_id("checkin-link").get_attribute("href")
    assert address.startswith(live_server.url + "/c/")
    expect(page.get_by_test_id("checkin-count")).to_have_text("0")

    participant = _context(browser, live_server, PHONE)
    phone = participant.new_page()
    phone.goto(address)
    expect(phone.get_by_test_id("event-title")).to_have_text("联合主题党日：重温入党誓词")
    assert_accessible(phone)
    _no_sideways_scroll(phone)
    phone.get_by_label("姓名").fill("李红梅")
    phone.get_by_label("手机号后四位").fill("5678")
    phone.screenshot(path=f"{SHOTS}/checkin-form-375.png", full_page=True)
    phone.get_by_test_id("checkin-submit").click()
    expect(phone.get_by_test_id("checkin-done")).to_contain_text("签到成功")
    assert_accessible(phone)
    member_answer = phone.get_by_test_id("checkin-done").inner_text().replace("李红梅", "X")

    phone.goto(address)
    phone.get_by_label("姓名").fill("周来宾")
    phone.get_by_label("手机号后四位").fill("9999")
    phone.get_by_label("单位（非名单人员填写）").fill("市住建局")
    phone.get_by_test_id("checkin-submit").click()
    expect(phone.get_by_test_id("checkin-done")).to_contain_text("签到成功")
    # The guest's answer is the member's, word for word (the time aside): nothing tells them apart.
    guest_answer = phone.get_by_test_id("checkin-done").inner_text().replace("周来宾", "X")
    assert member_answer.splitlines()[:2] == guest_answer.splitlines()[:2]
    phone.screenshot(path=f"{SHOTS}/checkin-done-375.png", full_page=True)
    participant.close()

    # The code page's count follows (polled every ten seconds).
    expect(page.get_by_test_id("checkin-count")).to_have_text("2", timeout=25_000)

    page.goto(f"/activities/{activity.pk}/log/")
    expect(page.get_by_test_id("checkin-note")).to_be_visible()
    branch = page.get_by_test_id(f"org-{world.branch_a.pk}")
    expect(branch.get_by_label("李红梅")).to_be_checked()
    expect(branch.get_by_label("王建国")).not_to_be_checked()
    expect(branch.get_by_test_id("headcount")).to_have_value("2")  # 李红梅 and the guest, counted to the lead
    assert_accessible(page)
    page.screenshot(path=f"{SHOTS}/checkin-log-form-375.png", full_page=True)

    page.goto(activity.get_absolute_url())
    expect(page.get_by_test_id("checkin-list")).to_contain_text("李红梅")
    expect(page.get_by_test_id("checkin-list")).to_contain_text("市住建局")
    secretary.close()


def test_the_code_page_and_its_print_at_1366(browser, live_server, world, activity):
    os.makedirs(SHOTS, exist_ok=True)
    context = _context(browser, live_server, DESKTOP)
    page = context.new_page()
    sign_in(page, "secretary1")
    page.goto(f"/activities/{activity.pk}/checkin/")
    expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=f"{SHOTS}/checkin-code-1366.png", full_page=True)
    page.goto(f"/activities/{activity.pk}/checkin/print/")
    expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=f"{SHOTS}/checkin-print-1366.png", full_page=True)
    # 重新生成 asks first, then the shown code changes.
    page.goto(f"/activities/{activity.pk}/checkin/")
    old = page.get_by_test_id("checkin-link").get_attribute("href")
    dialog = page.get_by_role("dialog", name="请确认")
    page.get_by_test_id("regenerate").click()
    expect(dialog).to_be_visible()
    with page.expect_navigation():
        dialog.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("checkin-link")).not_to_have_attribute("href", old)
    expect(page.get_by_role("alert")).to_contain_text("已生成新的签到码")
    context.close()


def test_the_code_stays_on_screen_when_the_session_ends_and_the_count_resumes_after_signing_in(
    browser, live_server, world, activity
):
    """At the door the organizer's session ends (cookies gone): the next poll of the live count is refused, the QR
    code and the count stay as they were, a notice says the page no longer updates and links to the sign-in page.
    Signed in again in another tab, the next poll succeeds and the notice goes."""
    os.makedirs(SHOTS, exist_ok=True)
    context = _context(browser, live_server, PHONE)
    page = context.new_page()
    sign_in(page, "secretary1")
    page.goto(f"/activities/{activity.pk}/checkin/")
    expect(page.get_by_test_id("checkin-count")).to_have_text("0")
    notice = page.get_by_test_id("session-ended")
    expect(notice).to_be_hidden()

    context.clear_cookies()
    expect(notice).to_be_visible(timeout=25_000)  # the poll runs every 10 s
    expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("checkin-count")).to_have_text("0")
    assert page.get_by_test_id("live-count").locator("form").count() == 0  # no sign-in page inside the count
    assert "next=" in notice.get_by_role("link").get_attribute("href")
    _no_sideways_scroll(page)
    page.screenshot(path=f"{SHOTS}/checkin-session-ended-375.png", full_page=True)

    other = context.new_page()
    sign_in(other, "secretary1")
    other.close()
    expect(notice).to_be_hidden(timeout=25_000)
    expect(page.get_by_test_id("checkin-count")).to_have_text("0")
    context.close()
