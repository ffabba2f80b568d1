"""A secretary's minutes that make action items, in the browser at 1366 px and on a 375 px phone.

secretary1 (甲项目党支部, the host) records the minutes of a held joint meeting: removes the blank row, adds two
decisions with the "添加决议" button — one with 责任单位/责任人/时限/优先级, one plain — forgets the due date once and
sees the error summary (its link lands on the field, the typed rows are still there), fixes it, saves, publishes,
and finds the new action item under 我的督办. A second flow: a browser in New York sees the meeting on the activity
calendar at Beijing time.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partnerships.models import ActionItem, AgreementParty, Decision
from partnerships.services.agreements import agreement_activate, agreement_create
from partnerships.services.meetings import meeting_schedule
from tests.e2e.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agreement(world):
    today = timezone.localdate()
    agreement = agreement_create(
        actor=world.secretary1,
        number="GJ-E2E-M1",
        title="地铁项目党建联建",
        term_start=today - dt.timedelta(days=30),
        term_end=today + dt.timedelta(days=330),
        parties=[
            {"organization": world.branch_a, "role": AgreementParty.Role.INITIATOR},
            {"organization": world.partner, "role": AgreementParty.Role.PARTNER, "liaison": world.liaison1},
        ],
    )
    agreement_activate(actor=world.secretary1, agreement=agreement)
    return agreement


def _held_meeting(world, agreement):
    return meeting_schedule(
        actor=world.secretary1,
        agreement=agreement,
        title="第一次党建联席会议",
        starts_at=timezone.now() - dt.timedelta(hours=3),
        place="项目部会议室",
        host=world.branch_a,
        attendees=[world.secretary1, world.liaison1],
    )


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1


def _confirm_publish(page):
    """Publishing asks first: a native confirm() today, an accessible modal perhaps tomorrow; accept either."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("publish-minutes").click()
    modal = page.locator(".modal.show")
    try:
        modal.wait_for(state="visible", timeout=1500)
    except Exception:  # noqa: BLE001 - no modal: the native dialog was accepted
        return
    modal.locator(".btn-primary, .btn-success, .btn-danger").last.click()


def test_a_secretary_publishes_minutes_whose_decisions_become_items(page, world, agreement):
    meeting = _held_meeting(world, agreement)
    due_on = timezone.localdate() + dt.timedelta(days=14)
    sign_in(page, "secretary1")
    page.goto(f"/meetings/{meeting.pk}/")
    page.get_by_test_id("record-minutes").click()
    page.wait_for_url(f"**/meetings/{meeting.pk}/minutes/")
    rows = page.get_by_test_id("decision-row")
    expect(rows).to_have_count(1)
    expect(page.locator("input[name$='-DELETE']")).to_have_count(0)  # no "删除" box on a blank row
    assert_accessible(page)

    page.locator("#id_minutes").fill("会议通报了共建计划落实情况，研究了下一阶段工作。")
    # The blank row goes (its own remove button); two decisions come with the add-row button.
    rows.first.get_by_test_id("remove-decision").click()
    expect(rows).to_have_count(0)
    page.get_by_test_id("add-decision").click()
    page.get_by_test_id("add-decision").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#id_decisions-2-text")).to_be_focused()  # the row just added
    page.locator("#id_decisions-1-text").fill("联合开展“红色工地”志愿服务")
    page.locator("#id_decisions-1-responsible_party").select_option(label="甲项目党支部")
    page.locator("#id_decisions-1-responsible_person").select_option(value=str(world.secretary1.pk))
    page.locator("#id_decisions-1-priority").select_option(value="1")
    page.locator("#id_decisions-2-text").fill("每季度召开一次联席会议")
    _no_sideways_scroll(page)

    # The due date is forgotten: one error, summarised at the top and shown at the field; the rows stay.
    page.get_by_test_id("save-draft").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.locator("li")).to_have_count(1)
    expect(summary).to_contain_text("决定事项 1：完成时限")
    expect(summary).to_be_focused()
    assert_accessible(page)
    expect(page.locator("#id_decisions-1-text")).to_have_value("联合开展“红色工地”志愿服务")
    expect(page.locator("#id_decisions-2-text")).to_have_value("每季度召开一次联席会议")
    expect(page.locator("#id_decisions-1-priority")).to_have_value("1")
    summary.get_by_role("link").click()
    expect(page.locator("#id_decisions-1-due_on")).to_be_focused()
    expect(page.locator("#id_decisions-1-due_on")).to_have_class(re.compile("is-invalid"))
    assert not Decision.objects.filter(meeting=meeting).exists()

    page.locator("#id_decisions-1-due_on").fill(due_on.isoformat())
    page.get_by_test_id("save-draft").click()
    # (the redirect keeps the fragment of the summary's link)
    page.wait_for_url(re.compile(rf"/meetings/{meeting.pk}/(#.*)?$"))
    expect(page.get_by_test_id("decision-assignment")).to_contain_text("甲项目党支部")
    assert_accessible(page)

    _confirm_publish(page)
    expect(page.get_by_test_id("minutes-status")).to_contain_text("已发布")
    item = ActionItem.objects.get(decision__meeting=meeting)
    assert (item.title, item.responsible_party, item.responsible_person) == (
        "联合开展“红色工地”志愿服务",
        world.branch_a,
        world.secretary1,
    )
    assert item.due_on == due_on and item.priority == ActionItem.Priority.HIGH
    assert ActionItem.objects.count() == 1  # the plain decision stays a decision
    expect(page.get_by_test_id("decisions").get_by_role("link", name="联合开展“红色工地”志愿服务")).to_be_visible()
    _no_sideways_scroll(page)

    page.goto("/items/mine/")
    expect(page.get_by_role("main")).to_contain_text("联合开展“红色工地”志愿服务")
    assert_accessible(page)
    _no_sideways_scroll(page)


@pytest.mark.parametrize("width", [1366, 375], ids=["desktop", "phone-375"])
def test_a_browser_abroad_sees_the_meeting_at_beijing_time(browser, live_server, world, agreement, width):
    starts = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=3), dt.time(9, 30))
    meeting = meeting_schedule(
        actor=world.secretary1,
        agreement=agreement,
        title="季度联席会议",
        starts_at=timezone.make_aware(starts),
        place="项目部会议室",
        host=world.branch_a,
    )
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        locale="zh-CN",
        timezone_id="America/New_York",
        base_url=live_server.url,
    )
    try:
        page = context.new_page()
        sign_in(page, "secretary1")
        assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/New_York"
        page.goto(f"/calendar/?date={starts.date().isoformat()}")
        expect(page.get_by_test_id("legend-meeting")).to_contain_text("联席会议")
        event = page.locator("[data-testid=calendar-event][data-kind=meeting]")
        expect(event).to_have_count(1)
        expect(event).to_contain_text("【联席会议】季度联席会议")
        expect(event).to_contain_text("09:30")
        page.evaluate("document.getElementById('gj-calendar').gjCalendar.changeView('listMonth')")
        expect(event).to_contain_text("09:30")
        event.get_by_role("link").first.click()
        page.wait_for_url(f"**/meetings/{meeting.pk}/")
    finally:
        context.close()
