"""The liaisons' main job: an action item moves from progress with evidence to closure confirmed by the other side.

secretary1 (the responsible branch) posts progress with a photo from a phone and submits for closure; liaison1
(the other party's liaison) finds it under 我的督办 → awaiting confirmation and confirms it, the closure note and its
photo in view.
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
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def item(world):
    today = timezone.localdate()
    agreement = agreement_create(
        actor=world.secretary1,
        number="GJ-E2E-1",
        title="地铁项目党建联建",
        term_start=today - dt.timedelta(days=30),
        term_end=today + dt.timedelta(days=330),
        parties=[
            {"organization": world.branch_a, "role": AgreementParty.Role.INITIATOR},
            {"organization": world.partner, "role": AgreementParty.Role.PARTNER, "liaison": world.liaison1},
        ],
    )
    agreement_activate(actor=world.secretary1, agreement=agreement)
    return action_item_create(
        actor=world.secretary1,
        agreement=agreement,
        title="协调施工围挡夜间降噪",
        responsible_party=world.branch_a,
        due_on=today + dt.timedelta(days=5),
    )


def _photo(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 22, 29)).save(buffer, format="PNG")
    path = tmp_path / "现场照片.png"
    path.write_bytes(buffer.getvalue())
    return path


def test_progress_closure_and_confirmation(page, browser, live_server, world, item, tmp_path):
    sign_in(page, "secretary1")
    page.goto(f"/items/{item.pk}/")
    page.get_by_test_id("post-progress").click()
    page.locator("#id_note").fill("已与施工方协商，22点后停止高噪声作业。")
    page.locator("#id_percent").fill("60")
    page.locator("#id_evidence").set_input_files(str(_photo(tmp_path)))
    page.locator("main form [type=submit]").first.click()
    expect(page.get_by_test_id("evidence-link").first).to_contain_text("现场照片.png")
    item.refresh_from_db()
    assert item.status == ActionItem.Status.IN_PROGRESS and item.progress == 60

    page.get_by_test_id("request-close").click()
    page.locator("#id_note").fill("围挡降噪措施全部落实，居民回访满意。")
    page.locator("#id_evidence").set_input_files(str(_photo(tmp_path)))
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url(f"**/items/{item.pk}/")
    item.refresh_from_db()
    assert item.status == ActionItem.Status.AWAITING_CONFIRMATION
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1

    # The other side's liaison confirms, on a fresh session at the same screen size.
    other = browser.new_context(viewport=page.viewport_size, locale="zh-CN", base_url=live_server.url)
    liaison = other.new_page()
    sign_in(liaison, "liaison1")
    liaison.goto("/items/mine/?tab=awaiting")
    liaison.get_by_role("link", name="协调施工围挡夜间降噪").first.click()
    liaison.get_by_test_id("confirm").click()
    # The confirm page shows what is being accepted: the closure note and the photo's thumbnail.
    expect(liaison.get_by_test_id("closure-note")).to_have_text("围挡降噪措施全部落实，居民回访满意。")
    expect(liaison.get_by_test_id("evidence-thumbnail")).to_have_count(1)
    expect(liaison.get_by_test_id("earlier-evidence")).to_contain_text("现场照片.png")
    liaison.locator("main form [type=submit]").first.click()
    liaison.wait_for_url(f"**/items/{item.pk}/")
    other.close()
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE and item.confirmed_by == world.liaison1
