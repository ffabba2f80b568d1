"""A data-gj-confirm action asks in the page's own dialog (a Bootstrap modal, not the browser's confirm()): the dialog
is named, takes the focus and gives it back, Cancel and Esc change nothing, and its confirm button, named after the
action, goes ahead. Here: revoking the calendar subscription address on the profile page."""

import pytest
from playwright.sync_api import expect

from activities.selectors import calendar as selectors
from activities.services import calendar as calendar_services
from tests.e2e.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_revoking_the_calendar_address_asks_in_an_accessible_dialog(page, world):
    calendar_services.calendar_token_regenerate(actor=world.secretary1)
    sign_in(page, "secretary1")
    page.goto("/me/")
    revoke = page.get_by_test_id("ical-revoke")
    dialog = page.get_by_role("dialog", name="请确认")

    revoke.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_contain_text("作废")
    confirm = dialog.get_by_test_id("confirm-ok")
    expect(confirm).to_have_text("作废")
    expect(confirm).to_be_focused()
    assert_accessible(page)
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    expect(revoke).to_be_focused()
    assert selectors.calendar_token_for(world.secretary1) is not None

    revoke.click()
    expect(confirm).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert selectors.calendar_token_for(world.secretary1) is not None

    revoke.click()
    confirm.click()
    expect(page.get_by_text("日历订阅地址已作废。")).to_be_visible()
    assert selectors.calendar_token_for(world.secretary1) is None
