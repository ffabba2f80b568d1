"""The committee's quarterly job: its 工作台 opens on the to-do, the review queue takes it from one submitted
self-assessment to the next, and it publishes — one result from the queue, then "publish all reviewed" after
seeing exactly what that will publish. At desktop width and at 375 px, axe-core on every page of the way.

2024 Q2 results (final): 甲项目党支部 has submitted its self-assessment and waits for review; 乙机关党支部 and 丙党支部 are
reviewed already. An action item overdue for a month (督办升级) and an agreement ending next month fill the rest of
the to-do.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Indicator, IndicatorScore, QuarterRollup
from assessments.services import review as review_services
from assessments.services import rollups as rollup_services
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import ActionItemFactory, OrganizationFactory, cast_agreement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Y, Q = 2024, 2


def _manual(rollup) -> list[int]:
    return list(
        IndicatorScore.objects.filter(rollup=rollup, indicator__source=Indicator.Source.MANUAL)
        .order_by("indicator__order")
        .values_list("indicator_id", flat=True)
    )


@pytest.fixture
def waiting(world):
    branch_c = OrganizationFactory(name="丙党支部", parent=world.general_2)
    rollup_services.rollup_compute(year=Y, quarter=Q, final=True)
    rollups = {
        org: QuarterRollup.objects.get(organization=org, year=Y, quarter=Q)
        for org in (world.branch_a, world.branch_b, branch_c)
    }
    a = rollups[world.branch_a]
    review_services.self_assessment_save(
        actor=world.secretary1,
        rollup=a,
        narrative="本季度与社区党委联合开展主题党日两次，党员参与率明显提高。",
        self_points=dict.fromkeys(_manual(a), 4),
        submit=True,
    )
    for org in (world.branch_b, branch_c):
        review_services.review_save(
            actor=world.committee,
            rollup=rollups[org],
            review_points=dict.fromkeys(_manual(rollups[org]), 3),
            adjustments={},
            highlights="联学共建形成特色",
            weaknesses="台账记录不够及时",
        )
    today = timezone.localdate()
    agreement = cast_agreement(world, title="甲支部与社区党委共建协议", term_end=today + dt.timedelta(days=30))
    ActionItemFactory(agreement=agreement, title="围挡宣传栏未按期设置", due_on=today - dt.timedelta(days=30))
    return rollups[world.branch_a], rollups[world.branch_b], rollups[branch_c]


def _axe(page):
    assert_accessible(page)


def _fits(page):
    if page.viewport_width <= 400:  # nothing sticks out sideways on a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_width + 1


def test_committee_reviews_and_publishes_from_its_queue(page, world, waiting):
    a, b, c = waiting
    sign_in(page, "committee")

    # 工作台: the to-do first.
    todo = page.get_by_test_id("committee-todo")
    expect(todo).to_be_visible()
    expect(todo.locator('[data-count="submitted"]')).to_have_text("1")
    expect(todo.locator('[data-count="reviewed"]')).to_have_text("2")
    expect(todo.locator('[data-count="escalated"]')).to_have_text("1")
    expect(todo.get_by_test_id("escalated-list")).to_contain_text("围挡宣传栏未按期设置")
    expect(todo.get_by_test_id("expiring-list")).to_contain_text("甲支部与社区党委共建协议")
    expect(page.get_by_test_id("nav-review-queue")).to_have_count(1)
    _fits(page)
    _axe(page)

    # The queue, on its 已提交 tab.
    todo.get_by_test_id("todo-submitted").click()
    page.wait_for_url("**/assessments/reviews/?state=submitted")
    expect(page.locator('[data-count="submitted"]')).to_have_text("1")
    rows = page.get_by_test_id("queue-rows")
    expect(rows.locator("[data-rollup]")).to_have_count(1)
    _fits(page)
    _axe(page)

    # Review it: scores and a comment, then on to the next — none left, so back to the queue.
    rows.locator(f'[data-rollup="{a.pk}"]').get_by_test_id("review-link").click()
    page.wait_for_url(f"**/assessments/results/{a.pk}/review/?next=**")
    expect(page.get_by_test_id("self-assessment-card")).to_contain_text("党员参与率明显提高")
    scores = page.get_by_test_id("review-score")
    expect(scores).to_have_count(len(_manual(a)))
    _fits(page)
    _axe(page)
    for index in range(scores.count()):
        scores.nth(index).fill("4")
    page.get_by_label("闪光点").fill("联合主题党日组织扎实，党员参与面广。")
    page.get_by_test_id("save-review-next").click()
    page.wait_for_url("**/assessments/reviews/?state=submitted")
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    expect(page.locator('[data-count="reviewed"]')).to_have_text("3")

    # Publish 甲 from the 已评审 tab.
    page.locator('[data-tab="reviewed"]').click()
    page.wait_for_url("**/assessments/reviews/?state=reviewed")
    expect(page.get_by_test_id("queue-rows").locator("[data-rollup]")).to_have_count(3)
    _fits(page)
    _axe(page)
    page.locator(f'[data-rollup="{a.pk}"]').get_by_test_id("publish-one").click()
    page.wait_for_url("**/assessments/reviews/?state=reviewed")
    expect(page.locator('[data-count="published"]')).to_have_text("1")
    assert QuarterRollup.objects.get(pk=a.pk).status == QuarterRollup.Status.PUBLISHED

    # Publish all reviewed: first what it will publish, then the confirmation.
    page.get_by_test_id("publish-all").click()
    page.wait_for_url("**/assessments/reviews/publish/")
    listed = page.get_by_test_id("publish-all-list").locator("[data-rollup]")
    expect(listed).to_have_count(2)
    for rollup in (b, c):
        expect(page.locator(f'[data-rollup="{rollup.pk}"]')).to_have_count(1)
    _fits(page)
    _axe(page)
    page.get_by_test_id("confirm-publish-all").click()
    page.wait_for_url("**/assessments/reviews/?state=published")
    expect(page.locator('[data-count="published"]')).to_have_text("3")
    expect(page.locator('[data-count="reviewed"]')).to_have_text("0")
    _axe(page)
    assert set(QuarterRollup.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("status", flat=True)) == {
        QuarterRollup.Status.PUBLISHED
    }
