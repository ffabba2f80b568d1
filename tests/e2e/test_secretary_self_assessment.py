"""The secretaries' quarterly job: the self-assessment (自评) of the quarter that has just closed.

secretary1 finds last quarter's self-assessment on the home page (本季度自评), writes the narrative, gives a self
score on each manual indicator, attaches a photo and submits; the page then shows it submitted and read-only.
Run at desktop width and at 375 px.
"""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from assessments import metrics
from assessments.models import QuarterRollup, SelfAssessment
from assessments.services import rollups as services
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def last_quarter(world):
    year, quarter = metrics.previous_quarter(*metrics.current_quarter())
    services.rollup_compute(year=year, quarter=quarter, final=True)
    return QuarterRollup.objects.get(organization=world.branch_a, year=year, quarter=quarter)


def _photo(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 22, 29)).save(buffer, format="PNG")
    path = tmp_path / "主题党日现场.png"
    path.write_bytes(buffer.getvalue())
    return path


def test_secretary_submits_last_quarters_self_assessment(page, live_server, world, last_quarter, tmp_path):
    sign_in(page, "secretary1")
    panel = page.get_by_test_id("self-assessment-panel")
    expect(panel).to_be_visible()
    panel.locator(f'[data-rollup="{last_quarter.pk}"] a').click()
    page.wait_for_url(f"**/assessments/results/{last_quarter.pk}/self-assessment/")

    page.get_by_test_id("narrative").fill("本季度与社区党委联合开展主题党日两次，党员参与率明显提高。")
    scores = page.get_by_test_id("self-score")
    expect(scores).to_have_count(2)
    for index in range(scores.count()):
        scores.nth(index).fill("4.5")
    page.get_by_test_id("attachments-input").set_input_files(_photo(tmp_path))
    if page.viewport_width <= 400:  # nothing sticks out sideways on a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_width + 1
    page.get_by_test_id("submit-self-assessment").click()

    expect(page.get_by_test_id("self-assessment-status")).to_have_attribute("data-status", "submitted")
    expect(page.get_by_test_id("narrative-read")).to_contain_text("党员参与率明显提高")
    expect(page.get_by_test_id("attachments")).to_contain_text("主题党日现场.png")
    expect(page.get_by_test_id("self-assessment-form")).to_have_count(0)
    sa = SelfAssessment.objects.get(rollup=last_quarter)
    assert sa.status == SelfAssessment.Status.SUBMITTED and sa.attachments.count() == 1
