"""secretary1's main job of this release: keep the branch roster, from a desktop and from a 375 px phone."""

import pytest
from playwright.sync_api import expect

from partnerships.models import Member
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secretary_adds_a_member_after_fixing_a_bad_phone(page, world):
    sign_in(page, "secretary1")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    expect(page.get_by_text(world.branch_a.name).first).to_be_visible()

    if page.viewport_width < 992:
        page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="党员名册").click()
    expect(page.get_by_role("heading", name="党员名册")).to_be_visible()

    page.get_by_test_id("add-member").click()
    page.get_by_label("姓名").fill("郑海涛")
    page.get_by_label("职务/岗位").fill("盾构机长")
    page.get_by_label("电话").fill("1380013800")  # ten digits: one short
    page.get_by_role("button", name="保存").click()

    error = page.locator("#error_1_id_phone")
    expect(error).to_contain_text("请输入11位手机号")
    # The error sits with its field, and what was typed is still there.
    expect(page.locator("#div_id_phone")).to_contain_text("请输入11位手机号")
    expect(page.get_by_label("姓名")).to_have_value("郑海涛")
    assert not Member.objects.filter(name="郑海涛").exists()

    page.get_by_label("电话").fill("13800138000")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已将郑海涛加入名册")).to_be_visible()

    page.get_by_label("搜索").fill("郑海涛")
    page.get_by_role("button", name="筛选").click()
    table = page.get_by_test_id("member-table")
    expect(table).to_contain_text("郑海涛")
    expect(table).to_contain_text("13800138000")
    assert Member.objects.get(name="郑海涛").organization == world.branch_a
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_width + 1
