"""The branch secretary books a partner's venue for an activity, then sees another booking at the same time refused
with the message naming the clash (desktop 1366 and phone 375); the venue's schedule shows the booking.

secretary1 opens the activity's page, taps 预订场地, chooses the street community's 党群服务中心会议室 (the time comes
prefilled from the activity), books it; then tries the same room for a second activity an hour later.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Activity, ActivityType, VenueBooking
from partnerships.models import AgreementParty, Resource
from partnerships.services.agreements import agreement_activate, agreement_create
from tests.e2e.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/gj-booking-shots"


@pytest.fixture
def planned(world):
    today = timezone.localdate()
    agreement = agreement_create(
        actor=world.secretary1,
        number="GJ-E2E-VENUE",
        title="地铁项目与望江社区党建联建",
        term_start=today - dt.timedelta(days=60),
        term_end=today + dt.timedelta(days=300),
        parties=[
            {"organization": world.branch_a, "role": AgreementParty.Role.INITIATOR},
            {"organization": world.partner, "role": AgreementParty.Role.PARTNER, "liaison": world.liaison1},
        ],
    )
    agreement_activate(actor=world.secretary1, agreement=agreement)
    Resource.objects.create(
        organization=world.partner,
        kind=Resource.Kind.VENUE,
        title="党群服务中心会议室",
        capacity=80,
        opening_hours="工作日 8:30–17:30",
        address="望江路88号三楼",
    )
    lecture, _ = ActivityType.objects.get_or_create(code="lecture", defaults={"name": "党课"})
    starts = timezone.localtime().replace(hour=14, minute=30, second=0, microsecond=0) + dt.timedelta(days=3)

    def make(title, start):
        return Activity.objects.create(
            title=title,
            type=lecture,
            agreement=agreement,
            lead=world.branch_a,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            place="望江社区党群服务中心",
            created_by=world.secretary1,
        )

    return make("“央地同心”联合课堂", starts), make("青年党员座谈会", starts + dt.timedelta(hours=1))


def _book(page, activity):
    page.goto(f"/activities/{activity.pk}/")
    page.get_by_role("link", name="预订场地").click()
    page.wait_for_url(f"**/activities/{activity.pk}/book-venue/")
    page.locator("#id_venue").select_option(label="党群服务中心会议室（和平街道社区党委） · 80人")
    page.get_by_test_id("book-venue-submit").click()


def test_secretary_books_a_venue_and_a_clash_is_refused_with_its_name(page, planned, request):
    first, second = planned
    suffix = request.node.callspec.id
    sign_in(page, "secretary1")

    _book(page, first)
    page.wait_for_url(f"**/activities/{first.pk}/")
    card = page.get_by_test_id("venue-card")
    expect(card).to_contain_text("党群服务中心会议室")
    expect(card).to_contain_text("已预订")
    assert_accessible(page)
    page.screenshot(path=f"{SHOTS}/activity-booked-{suffix}.png", full_page=True)

    _book(page, second)
    form = page.get_by_test_id("venue-booking-form")
    expect(form).to_contain_text("时间冲突：该场地已被「“央地同心”联合课堂」预订")
    assert_accessible(page)
    page.screenshot(path=f"{SHOTS}/clash-{suffix}.png", full_page=True)
    assert VenueBooking.objects.filter(activity=second).count() == 0

    page.goto(f"/activities/{first.pk}/")
    page.get_by_test_id("venue-card").get_by_role("link", name="党群服务中心会议室").click()
    schedule = page.get_by_test_id("venue-schedule")
    expect(schedule).to_contain_text("“央地同心”联合课堂")
    assert_accessible(page)
    page.screenshot(path=f"{SHOTS}/venue-{suffix}.png", full_page=True)
