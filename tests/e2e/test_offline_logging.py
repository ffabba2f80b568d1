"""Logging without a signal (issue 14, part 1), on a 375 px phone.

secretary1 opens the log form online (the service worker keeps it), loses the signal, fills it in with a photo and
saves: the log waits on the phone. A reload still shows the page, 待同步 lists the log; when the signal returns it
is sent once (one log, the right participants, headcounts and photo), and sending again changes nothing. A log
refused by the server stays in 待同步 with the reason until it is fixed in its form. Signing out with a log still
waiting asks first, then clears the phone's copy.
"""

import re

import pytest
from playwright.sync_api import expect

from activities.models import Activity, LogSubmission
from tests.e2e.conftest import PHONE, assert_accessible, sign_in
from tests.e2e.test_secretary_phone_logging import held_activity  # noqa: F401 (the fixture)
from tests.upload_files import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COUNT_DRAFTS = """() => new Promise((resolve) => {
  const open = indexedDB.open("gongjian", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("drafts", { keyPath: "key" });
  open.onsuccess = () => {
    const request = open.result.transaction("drafts").objectStore("drafts").count();
    request.onsuccess = () => { open.result.close(); resolve(request.result); };
  };
})"""


# The field is logged on a phone: one run at 375 px (the page fixture's desktop run is not made at all — under CI a
# skipped browser test is a failure).
pytestmark = pytest.mark.parametrize("page", [PHONE], ids=["phone-375"], indirect=True)


@pytest.fixture
def phone(page):
    assert page.viewport_size["width"] == PHONE[0]
    return page


def _online_with_worker(page, activity):
    """Signed in, the service worker in control, and the log form and 待同步 opened once online (so kept)."""
    sign_in(page, "secretary1")
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.goto("/activities/outbox/")
    page.goto(f"/activities/{activity.pk}/log/")
    expect(page.locator("input[name=client_key]")).not_to_have_value("")


def _fill(page, world, *, summary):
    branch = page.get_by_test_id(f"org-{world.branch_a.pk}")
    partner = page.get_by_test_id(f"org-{world.partner.pk}")
    page.locator("#id_summary").fill(summary)
    branch.locator("label.gj-pick", has_text="李红梅").click()
    branch.locator("label.gj-pick", has_text="王建国").click()
    branch.get_by_test_id("headcount").fill("5")
    partner.get_by_test_id("headcount").fill("3")


def test_a_log_saved_without_a_signal_waits_and_is_sent_once(phone, world, held_activity, tmp_path):  # noqa: F811
    page = phone
    photo = tmp_path / "工地合影.png"
    photo.write_bytes(png_bytes((640, 480)))
    _online_with_worker(page, held_activity)

    page.context.set_offline(True)
    _fill(page, world, summary="在项目工地开展联合主题党日，重温入党誓词。")
    page.get_by_test_id("photo-input").set_input_files(str(photo))
    expect(page.get_by_test_id("local-photo")).to_have_count(1)
    page.get_by_test_id("submit-log").click()
    expect(page.get_by_test_id("offline-notice")).to_contain_text("没有信号")
    assert page.evaluate(COUNT_DRAFTS) == 1

    page.reload()  # the worker serves the page without a signal
    expect(page.get_by_test_id("log-form")).to_be_visible()
    page.goto("/activities/outbox/")
    item = page.get_by_test_id("outbox-item")
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("outbox-state")).to_have_text("等待同步")
    expect(item).to_contain_text(held_activity.title)
    expect(item).to_contain_text("1 张照片")
    assert not LogSubmission.objects.exists()
    page.screenshot(path=str(tmp_path / "outbox-waiting.png"))

    page.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(item.get_by_test_id("outbox-state")).to_have_text("已同步")
    assert_accessible(page)

    held_activity.refresh_from_db()
    assert held_activity.status == Activity.Status.LOGGED
    assert held_activity.summary == "在项目工地开展联合主题党日，重温入党誓词。"
    assert sorted(held_activity.participants.values_list("name", flat=True)) == sorted(["李红梅", "王建国"])
    headcounts = {p.organization_id: p.headcount for p in held_activity.participations.all()}
    assert headcounts == {world.branch_a.pk: 5, world.partner.pk: 3}
    assert held_activity.photos.get().original_name == "工地合影.png"
    assert LogSubmission.objects.filter(activity=held_activity).count() == 1

    # 立即同步 again and a reload: nothing is sent twice.
    page.get_by_test_id("sync-now").click()
    page.reload()
    expect(page.get_by_test_id("outbox-item").get_by_test_id("outbox-state")).to_have_text("已同步")
    assert LogSubmission.objects.count() == 1 and held_activity.photos.count() == 1


def test_a_log_refused_by_the_server_stays_with_the_reason_until_fixed(phone, world, held_activity):  # noqa: F811
    page = phone
    _online_with_worker(page, held_activity)
    page.context.set_offline(True)
    _fill(page, world, summary="")
    page.get_by_test_id("submit-log").click()
    expect(page.get_by_test_id("offline-notice")).to_be_visible()

    page.goto("/activities/outbox/")
    page.context.set_offline(False)
    page.get_by_test_id("sync-now").click()
    item = page.get_by_test_id("outbox-item")
    expect(item.get_by_test_id("outbox-state")).to_have_text("未通过")
    expect(item.get_by_test_id("outbox-errors")).to_contain_text("活动概况：这个字段是必填项。")
    assert page.evaluate(COUNT_DRAFTS) == 1
    assert_accessible(page)
    held_activity.refresh_from_db()
    assert held_activity.status != Activity.Status.LOGGED

    # Fixed in its own form, filled from the draft, and saved: the activity is logged and the draft is sent.
    item.get_by_test_id("outbox-fix").click()
    expect(page.get_by_test_id("offline-notice")).to_contain_text("已填入本机保存的记录")
    branch = page.get_by_test_id(f"org-{world.branch_a.pk}")
    expect(branch.get_by_label("李红梅")).to_be_checked()
    expect(branch.get_by_test_id("headcount")).to_have_value("5")
    page.locator("#id_summary").fill("补记：在项目工地开展联合主题党日。")
    page.get_by_test_id("submit-log").click()
    page.wait_for_url(f"**/activities/{held_activity.pk}/")
    held_activity.refresh_from_db()
    assert held_activity.status == Activity.Status.LOGGED
    assert LogSubmission.objects.filter(activity=held_activity).count() == 1


def test_signing_out_with_a_log_waiting_asks_then_clears_the_phone(phone, world, held_activity):  # noqa: F811
    page = phone
    _online_with_worker(page, held_activity)
    page.context.set_offline(True)
    _fill(page, world, summary="")  # refused when it is sent: it stays on the phone to be fixed
    page.get_by_test_id("submit-log").click()
    expect(page.get_by_test_id("offline-notice")).to_be_visible()
    page.context.set_offline(False)
    page.goto("/activities/outbox/")
    expect(page.get_by_test_id("outbox-item").get_by_test_id("outbox-state")).to_have_text("未通过")
    page.get_by_role("button", name="菜单").click()
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="退出登录").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("1 条活动记录尚未同步")
    page.get_by_test_id("confirm-cancel").click()
    expect(dialog).to_be_hidden()
    assert page.evaluate(COUNT_DRAFTS) == 1  # cancelled: nothing lost
    expect(page).to_have_url(re.compile(r".*/activities/outbox/$"))

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="退出登录").click()
    expect(dialog).to_be_visible()
    page.get_by_test_id("confirm-ok").click()
    page.wait_for_url(re.compile(r".*/accounts/login/"))
    assert page.evaluate(COUNT_DRAFTS) == 0
    assert page.evaluate("async () => (await caches.keys()).filter((name) => name.startsWith('gj-')).length") == 0
    assert not LogSubmission.objects.exists()
