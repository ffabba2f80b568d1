"""Search-as-you-type on a big scope: the committee filters the roster by one of 60 branches from the keyboard,
on a desktop and on a 375 px phone; the page never held 60 options."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.factories import OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_committee_finds_a_branch_by_typing(page, world):
    for i in range(60):
        OrganizationFactory(name=f"测试第{i}党支部", parent=world.general_1)
    sign_in(page, "committee")
    page.goto("/members/")
    select = page.locator("select#id_organization")
    assert select.locator("option").count() <= 2  # the empty choice (and nothing else) until the user types
    field = page.get_by_role("combobox", name="组织")  # the label still names the field
    field.focus()  # from the keyboard (Tab lands here)
    field.press_sequentially("测试第42")
    option = page.get_by_role("option", name="测试第42党支部")
    expect(option).to_be_visible()
    field.press("Enter")
    expect(select).to_have_value(str(world.general_1.get_children().get(name="测试第42党支部").pk))
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**organization=*")
    expect(page.locator(".ts-control")).to_contain_text("测试第42党支部")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_width + 1
