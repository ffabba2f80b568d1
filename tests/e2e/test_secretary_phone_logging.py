"""The branch secretary logs a joint activity at the venue, one-handed on a phone (and at 1366 px).

secretary1 opens the log form of the activity that ended half an hour ago, ticks all of 甲项目党支部 with 全选 (its
members listed by 党小组), watches the headcount follow, raises the partner's headcount for a guest, picks a photo
(uploaded at once), saves with the summary left empty, sees the error and the photo still there, writes the summary
and saves: the activity shows the participants and the photo. Then the 安排活动 form: the single lead organization is
preselected and the date-time inputs fit the phone.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Activity, ActivityType
from partnerships.models import AgreementParty, Organization
from partnerships.services.agreements import agreement_activate, agreement_create
from tests.e2e.conftest import PHONE, assert_accessible, sign_in
from tests.factories import MemberFactory, OrganizationFactory
from tests.upload_files import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BRANCH_MEMBERS = ["李红梅", "王建国", "刘芳", "张伟"]


@pytest.fixture
def held_activity(world):
    today = timezone.localdate()
    agreement = agreement_create(
        actor=world.secretary1,
        number="GJ-E2E-PHONE",
        title="地铁项目党建联建",
        term_start=today - dt.timedelta(days=60),
        term_end=today + dt.timedelta(days=300),
        parties=[
            {"organization": world.branch_a, "role": AgreementParty.Role.INITIATOR},
            {"organization": world.partner, "role": AgreementParty.Role.PARTNER, "liaison": world.liaison1},
        ],
    )
    agreement_activate(actor=world.secretary1, agreement=agreement)
    first = OrganizationFactory(name="第一党小组", kind=Organization.Kind.GROUP, parent=world.branch_a)
    second = OrganizationFactory(name="第二党小组", kind=Organization.Kind.GROUP, parent=world.branch_a)
    MemberFactory(organization=world.branch_a, name="李红梅")
    MemberFactory(organization=first, name="王建国")
    MemberFactory(organization=first, name="刘芳")
    MemberFactory(organization=second, name="张伟")
    MemberFactory(organization=world.partner, name="陈秀英")
    # Transactional tests flush the data migration's rows, so the type may have to be made again.
    theme_day, _ = ActivityType.objects.get_or_create(code="theme_day", defaults={"name": "主题党日"})
    ends = timezone.now() - dt.timedelta(minutes=30)
    activity = Activity.objects.create(
        title="联合主题党日：走进红色教育基地",
        type=theme_day,
        agreement=agreement,
        lead=world.branch_a,
        starts_at=ends - dt.timedelta(hours=2),
        ends_at=ends,
        place="项目部党员活动室",
        status=Activity.Status.HELD,
        created_by=world.secretary1,
    )
    activity.co_organizers.add(world.partner)
    return activity


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1


def test_secretary_logs_on_a_phone_with_select_all_and_a_photo_that_survives_an_error(
    page, world, held_activity, tmp_path
):
    photo = tmp_path / "现场合影.png"
    photo.write_bytes(png_bytes((640, 480)))
    sign_in(page, "secretary1")
    tab_bar = page.get_by_test_id("tab-bar")
    if page.viewport_size["width"] == PHONE[0]:
        # On the phone, the bottom tab bar: 活动 opens the activities waiting to be logged.
        expect(tab_bar).to_be_visible()
        expect(tab_bar.get_by_test_id("tab-home")).to_have_attribute("aria-current", "page")
        tab_bar.get_by_test_id("tab-activities").click()
        page.wait_for_url("**/activities/to-log/")
        expect(tab_bar.get_by_test_id("tab-activities")).to_have_attribute("aria-current", "page")
    else:
        expect(tab_bar).to_be_hidden()
        page.goto("/activities/to-log/")
    assert_accessible(page)
    _no_sideways_scroll(page)
    page.get_by_test_id("log-button").first.click()
    page.wait_for_url(f"**/activities/{held_activity.pk}/log/")
    assert_accessible(page)
    _no_sideways_scroll(page)

    branch = page.get_by_test_id(f"org-{world.branch_a.pk}")
    partner = page.get_by_test_id(f"org-{world.partner.pk}")
    expect(branch.get_by_test_id("party-group")).to_have_text(["第一党小组", "第二党小组"])
    # Large touch targets: every name is a whole-row label at least 44 px tall.
    first_row = branch.locator("label.gj-pick", has_text="王建国")
    assert first_row.bounding_box()["height"] >= 44

    branch.get_by_test_id("select-all").click()
    for name in BRANCH_MEMBERS:
        expect(branch.get_by_label(name)).to_be_checked()
    expect(branch.get_by_test_id("headcount")).to_have_value("4")
    branch.locator("label.gj-pick", has_text="张伟").click()  # untick one: the headcount follows
    expect(branch.get_by_test_id("headcount")).to_have_value("3")
    expect(branch.get_by_test_id("select-all").locator("input")).not_to_be_checked()
    first_group = branch.get_by_test_id("select-group").filter(has_text="第一党小组")
    first_group.click()  # the 党小组's own 全选: off, then on again
    expect(branch.get_by_label("王建国")).not_to_be_checked()
    expect(branch.get_by_label("刘芳")).not_to_be_checked()
    expect(branch.get_by_test_id("headcount")).to_have_value("1")
    first_group.click()
    branch.locator("label.gj-pick", has_text="张伟").click()
    expect(branch.get_by_test_id("headcount")).to_have_value("4")
    expect(branch.get_by_test_id("select-all").locator("input")).to_be_checked()

    partner.locator("label.gj-pick", has_text="陈秀英").click()
    expect(partner.get_by_test_id("headcount")).to_have_value("1")
    partner.get_by_test_id("headcount").fill("2")  # a guest came along

    page.get_by_test_id("photo-input").set_input_files(str(photo))
    expect(page.get_by_test_id("pending-photo")).to_have_count(1)
    expect(page.get_by_test_id("photo-input")).to_have_value("")

    # Saved with the summary left empty: refused, next to the field, and the photo is still there.
    page.get_by_test_id("submit-log").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#id_summary")).to_have_class(re.compile("is-invalid"))
    expect(page.get_by_test_id("pending-photo")).to_have_count(1)
    expect(page.get_by_test_id("pending-photo").locator("img")).to_have_attribute("alt", "现场合影.png")
    expect(page.get_by_test_id("photos-again")).to_have_count(0)
    expect(branch.get_by_test_id("headcount")).to_have_value("4")
    expect(partner.get_by_test_id("headcount")).to_have_value("2")
    expect(branch.get_by_label("刘芳")).to_be_checked()
    assert_accessible(page)
    _no_sideways_scroll(page)

    page.locator("#id_summary").fill("两家单位共6人参观红色教育基地，重温入党誓词。")
    page.get_by_test_id("submit-log").click()
    page.wait_for_url(f"**/activities/{held_activity.pk}/")

    held_activity.refresh_from_db()
    assert held_activity.status == Activity.Status.LOGGED
    assert sorted(held_activity.participants.values_list("name", flat=True)) == sorted([*BRANCH_MEMBERS, "陈秀英"])
    assert held_activity.photos.get().original_name == "现场合影.png"
    expect(page.get_by_test_id("total-headcount")).to_have_text("6")
    expect(page.get_by_test_id("photo-link")).to_have_count(1)
    participants = page.get_by_test_id("participants")
    for name in [*BRANCH_MEMBERS, "陈秀英", "第一党小组"]:
        expect(participants).to_contain_text(name)
    expect(page.get_by_text("活动地点")).to_be_visible()
    assert_accessible(page)
    _no_sideways_scroll(page)


def test_secretary_schedules_from_the_menu_with_the_lead_preselected(page, world, held_activity):
    sign_in(page, "secretary1")
    if page.viewport_size["width"] == PHONE[0]:
        page.get_by_role("button", name="菜单").click()
    page.get_by_test_id("nav-activities").click()
    page.get_by_test_id("nav-schedule-activity").click()
    page.wait_for_url("**/activities/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("安排活动")
    expect(page.get_by_label("牵头单位")).to_have_value(str(world.branch_a.pk))
    expect(page.get_by_label("活动地点")).to_be_visible()
    for field in ("#id_starts_at", "#id_ends_at"):
        box = page.locator(field).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    assert_accessible(page)
    _no_sideways_scroll(page)

    # Co-organizers are searchable chips: type, pick, and the chip can be removed again.
    chips = page.locator(".ts-wrapper.multi")
    expect(chips).to_be_visible()
    chips.locator("input").fill("和平")
    page.locator(".ts-dropdown .option", has_text="和平街道社区党委").click()
    expect(chips.locator(".item", has_text="和平街道社区党委")).to_be_visible()
    page.keyboard.press("Escape")

    starts = timezone.localtime() + dt.timedelta(days=3)
    page.get_by_label("标题").fill("共建志愿服务：清理河道")
    page.get_by_label("类型").select_option(label="主题党日")
    page.locator("#id_starts_at").fill(starts.strftime("%Y-%m-%dT09:00"))
    page.locator("#id_ends_at").fill(starts.strftime("%Y-%m-%dT11:30"))
    page.get_by_label("活动地点").fill("和平街道滨河公园")
    page.get_by_test_id("save-activity").click()
    page.wait_for_url(re.compile(r".*/activities/\d+/$"))
    activity = Activity.objects.get(title="共建志愿服务：清理河道")
    assert activity.lead == world.branch_a and list(activity.co_organizers.all()) == [world.partner]
    assert activity.place == "和平街道滨河公园"
