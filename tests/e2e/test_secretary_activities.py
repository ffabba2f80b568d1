"""The branch secretary's main job: log a joint activity from a phone, with a photo, and find it on the calendar.

secretary1 starts from the home page's 记录活动 button, picks the activity that ended this morning, fills the
headcounts, ticks a participant, attaches a photo, saves, and then sees the activity (now logged) on the calendar.
"""

import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from activities.models import Activity, ActivityType
from partnerships.models import AgreementParty
from partnerships.services.agreements import agreement_activate, agreement_create
from tests.e2e.conftest import sign_in
from tests.factories import MemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def held_activity(world):
    today = timezone.localdate()
    agreement = agreement_create(
        actor=world.secretary1,
        number="GJ-E2E-ACT",
        title="地铁项目党建联建",
        term_start=today - dt.timedelta(days=60),
        term_end=today + dt.timedelta(days=300),
        parties=[
            {"organization": world.branch_a, "role": AgreementParty.Role.INITIATOR},
            {"organization": world.partner, "role": AgreementParty.Role.PARTNER, "liaison": world.liaison1},
        ],
    )
    agreement_activate(actor=world.secretary1, agreement=agreement)
    MemberFactory(organization=world.branch_a, name="王建国")
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


def _photo(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 22, 29)).save(buffer, format="JPEG")
    path = tmp_path / "活动照片.jpg"
    path.write_bytes(buffer.getvalue())
    return path


def test_secretary_logs_a_held_activity_with_a_photo_and_sees_it_on_the_calendar(page, held_activity, tmp_path):
    sign_in(page, "secretary1")
    page.goto("/activities/to-log/")
    page.get_by_test_id("log-button").first.click()
    page.wait_for_url(f"**/activities/{held_activity.pk}/log/")

    page.locator("#id_summary").fill("两家支部共32名党员参观红色教育基地，重温入党誓词。")
    headcounts = page.get_by_test_id("headcount")
    expect(headcounts).to_have_count(2)
    headcounts.nth(0).fill("20")
    headcounts.nth(1).fill("12")
    page.get_by_test_id("participant-fields").get_by_text("王建国").click()
    page.get_by_test_id("photo-input").set_input_files(str(_photo(tmp_path)))
    page.get_by_test_id("submit-log").click()
    page.wait_for_url(f"**/activities/{held_activity.pk}/")

    held_activity.refresh_from_db()
    assert held_activity.status == Activity.Status.LOGGED
    assert held_activity.photos.count() == 1
    assert list(held_activity.participants.values_list("name", flat=True)) == ["王建国"]
    expect(page.get_by_test_id("total-headcount")).to_have_text("32")
    expect(page.get_by_test_id("photo-link")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1

    page.goto(f"/calendar/?date={timezone.localdate(held_activity.starts_at).isoformat()}")
    event = page.locator(".fc-event", has_text="联合主题党日").first
    expect(event).to_be_visible()
    event.click()
    page.wait_for_url(f"**/activities/{held_activity.pk}/")
