"""The committee's main job on the assessment: open the dashboard, see the charts drawn, and drill from the ranking
into a branch's result and then into an indicator's evidence — at desktop width and on a 375 px phone.

Three branches with different 2025 Q3 results (the reviewer's points on 品牌特色 set them apart); 甲项目党支部 is
first, and its 活动按时记录率 rests on two logged activities.
"""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assessments.models import IndicatorScore, QuarterRollup
from assessments.services import rollups as services
from partnerships.models import AgreementParty
from tests.assessments.test_dashboard import NOW, Q, Y, _branch_work, _review_points
from tests.e2e.conftest import sign_in
from tests.factories import OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quarter_results(world):
    from partnerships.models import Agreement

    agreement = Agreement.objects.create(
        number="GJ-E2E-DASH",
        title="看板共建协议",
        term_start=dt.date(2025, 1, 1),
        term_end=dt.date(2026, 12, 31),
        status=Agreement.Status.ACTIVE,
    )
    AgreementParty.objects.create(agreement=agreement, organization=world.branch_a, role=AgreementParty.Role.INITIATOR)
    AgreementParty.objects.create(agreement=agreement, organization=world.partner, liaison=world.liaison1)
    branch_c = OrganizationFactory(name="丙党支部", parent=world.general_2)
    _branch_work(world.branch_a, agreement, month=7, done=True, title="甲支部七月志愿服务")
    _branch_work(world.branch_a, agreement, month=8, done=True, title="甲支部八月志愿服务")
    _branch_work(world.branch_b, agreement, month=7, done=True)
    _branch_work(branch_c, agreement, month=8, done=False)
    for quarter in (2, 3):
        services.rollup_compute(year=Y, quarter=quarter, final=True, now=NOW)
    _review_points(Y, Q, {world.branch_a: Decimal(5), world.branch_b: Decimal(3), branch_c: Decimal(1)})
    return QuarterRollup.objects.get(organization=world.branch_a, year=Y, quarter=Q)


def test_committee_opens_the_dashboard_and_drills_into_a_branch_s_evidence(page, world, quarter_results):
    sign_in(page, "committee")
    page.goto(f"/assessments/?year={Y}&quarter={Q}")

    for chart in ("ranking", "trend", "radar", "heat"):
        # A chart is drawn when it comes near the screen.
        page.get_by_test_id(f"chart-{chart}").scroll_into_view_if_needed()
        expect(page.locator(f"[data-testid=chart-{chart}] canvas").first).to_be_visible()
    ranking = page.get_by_test_id("ranking-table")
    expect(ranking.get_by_test_id("ranking-link")).to_have_count(3)
    expect(ranking.get_by_test_id("ranking-link").first).to_have_text(world.branch_a.name)

    ranking.get_by_test_id("ranking-link").first.click()
    page.wait_for_url(f"**/assessments/results/{quarter_results.pk}/")
    expect(page.get_by_test_id("rollup-total")).to_have_text(str(quarter_results.total))

    row = page.locator('tr[data-indicator="活动按时记录率"]')
    row.get_by_test_id("evidence-link").click()
    score = IndicatorScore.objects.get(rollup=quarter_results, indicator__metric="logged_in_time")
    page.wait_for_url(f"**/assessments/scores/{score.pk}/evidence/")
    expect(page.get_by_test_id("evidence-title")).to_have_text("活动按时记录率")
    expect(page.get_by_test_id("evidence-row")).to_have_count(2)
    expect(page.get_by_test_id("evidence-table")).to_contain_text("甲支部七月志愿服务")
    # The page fits the phone: nothing wider than the viewport but the tables' own scrolling.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_width + 1
