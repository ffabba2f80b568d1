"""品牌联创 in the browser, at 1366 px and on a 375 px phone: the branch secretary turns a logged activity into a
publicity item and submits it, the host's secretary approves it, and the agreement's brand page shows it.
"""

import datetime as dt
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from activities.models import Activity, ActivityParticipation, ActivityPhoto, ActivityType, PublicityItem
from activities.photos import check_photos, store_photo
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import cast_agreement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "test-artifacts"


@pytest.fixture
def logged_activity(world):
    agreement = cast_agreement(
        world, world.branch_b, world.branch_a, number="GJ-E2E-PUB", title="机关与项目党建联建", brand="红色引擎"
    )
    theme_day, _ = ActivityType.objects.get_or_create(code="theme_day", defaults={"name": "主题党日"})
    starts = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
    activity = Activity.objects.create(
        title="联合主题党日：走进红色教育基地",
        type=theme_day,
        agreement=agreement,
        lead=world.branch_a,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        place="项目部党员活动室",
        status=Activity.Status.LOGGED,
        summary="两家支部共32名党员参观红色教育基地，重温入党誓词。",
        outcomes="确定下季度共建清单三项。",
        logged_at=starts + dt.timedelta(hours=3),
        logged_by=world.secretary1,
        created_by=world.secretary1,
    )
    ActivityParticipation.objects.create(activity=activity, organization=world.branch_a, headcount=32)
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 22, 29)).save(buffer, format="JPEG")
    upload = SimpleUploadedFile("合影.jpg", buffer.getvalue(), content_type="image/jpeg")
    store_photo(ActivityPhoto, upload=check_photos([upload])[0], uploaded_by=world.secretary1, activity=activity)
    return activity


def _shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/publicity-{name}-{page.viewport_width}.png", full_page=True)


def test_a_logged_activity_becomes_an_approved_item_on_the_brand_page(page, logged_activity):
    sign_in(page, "secretary1")
    page.goto(f"/activities/{logged_activity.pk}/")
    page.get_by_test_id("make-publicity").click()
    item = PublicityItem.objects.get(activity=logged_activity)
    page.wait_for_url(f"**/publicity/{item.pk}/edit/")
    expect(page.locator("#id_title")).to_have_value("联合主题党日：走进红色教育基地")
    expect(page.get_by_test_id("photo-choices").locator("input[type=checkbox]")).to_have_count(1)
    assert_accessible(page)
    _shot(page, "edit")
    page.locator("#id_title").fill("两支部党员走进红色教育基地")
    page.get_by_test_id("publicity-save").click()
    page.wait_for_url(f"**/publicity/{item.pk}/")
    assert_accessible(page)
    page.get_by_test_id("publicity-submit").click()
    expect(page.get_by_test_id("publicity-status")).to_contain_text("待审核")

    page.context.clear_cookies()
    sign_in(page, "secretary2")
    page.goto("/publicity/")
    expect(page.get_by_test_id("publicity-table")).to_contain_text("两支部党员走进红色教育基地")
    assert_accessible(page)
    page.get_by_text("两支部党员走进红色教育基地").click()
    page.get_by_test_id("publicity-approve").click()
    expect(page.get_by_test_id("publicity-status")).to_contain_text("已通过")
    _shot(page, "approved")

    page.goto(f"/brands/agreements/{logged_activity.agreement_id}/")
    expect(page.get_by_test_id("brand-name")).to_contain_text("红色引擎")
    expect(page.get_by_test_id("brand-item")).to_have_count(1)
    expect(page.get_by_test_id("brand-items")).to_contain_text("两支部党员走进红色教育基地")
    expect(page.get_by_test_id("brand-chart").locator("canvas")).to_have_count(1)
    assert_accessible(page)
    _shot(page, "brand")
    item.refresh_from_db()
    assert item.status == PublicityItem.Status.APPROVED and item.reviewed_by.username == "secretary2"
