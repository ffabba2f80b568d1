"""``manage.py seed_demo`` with the assessments seeder: five quarters of results, self-assessments and reviews, the
three oldest closed quarters published and the latest left for the committee to review; a second run changes
nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from assessments.models import Indicator, IndicatorScore, QuarterRollup, Review, SelfAssessment
from partnerships.models import Organization
from portal.demo import DemoClock

pytestmark = pytest.mark.django_db


def seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo, seeded once for the module and rolled back after its last test."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield seed_demo()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def quarters() -> list[tuple[int, int]]:
    return DemoClock.current().quarters  # oldest first, the open quarter last


def company_branches(year, quarter):
    group = Organization.objects.get(name="中衡建工集团华东建设有限公司党委")
    return QuarterRollup.objects.filter(year=year, quarter=quarter, organization__path__startswith=group.path)


def snapshot() -> dict:
    return {
        "rollups": sorted(QuarterRollup.objects.values_list("pk", "status", "total", "computed_at")),
        "scores": IndicatorScore.objects.count(),
        "manual": sorted(IndicatorScore.objects.values_list("pk", "self_points", "review_points", "final_points")),
        "self_assessments": SelfAssessment.objects.count(),
        "reviews": Review.objects.count(),
        "history": QuarterRollup.history.count() + SelfAssessment.history.count() + Review.history.count(),
    }


def test_results_exist_for_four_closed_quarters_and_the_open_one(seeded):
    *closed, current = quarters()
    assert "quarter results: 5 quarters computed" in seeded
    for year, quarter in closed:
        statuses = set(QuarterRollup.objects.filter(year=year, quarter=quarter).values_list("status", flat=True))
        assert statuses and statuses <= {QuarterRollup.Status.FINAL, QuarterRollup.Status.PUBLISHED}
    assert set(QuarterRollup.objects.filter(year=current[0], quarter=current[1]).values_list("status", flat=True)) == {
        QuarterRollup.Status.PROVISIONAL
    }


def test_totals_differ_believably_between_branches_and_quarters(seeded):
    *closed, _current = quarters()
    for year, quarter in closed:
        totals = list(company_branches(year, quarter).values_list("total", flat=True))
        # The quarter awaiting review has no manual points yet (10 of the 100): its best may score a little lower.
        best = 85 if (year, quarter) != closed[-1] else 78
        assert len(totals) >= 8
        assert max(totals) >= best and max(totals) - min(totals) >= 20, totals
        assert len(set(totals)) >= 6
    # Trends differ: the branches' order is not the same every quarter.
    orders = [
        list(company_branches(y, q).order_by("-total", "subject").values_list("organization_id", flat=True))
        for y, q in closed
    ]
    assert len({tuple(order) for order in orders}) > 1


def test_the_three_oldest_closed_quarters_are_published_with_reviews(seeded):
    *closed, _current = quarters()
    for year, quarter in closed[:3]:
        rollups = company_branches(year, quarter)
        assert set(rollups.values_list("status", flat=True)) == {QuarterRollup.Status.PUBLISHED}
        reviews = Review.objects.filter(rollup__in=rollups)
        assert reviews.count() == rollups.count()
        for review in reviews:
            assert review.published_at and review.highlights and review.weaknesses
        assert not IndicatorScore.objects.filter(
            rollup__in=rollups, indicator__source=Indicator.Source.MANUAL, review_points__isnull=True
        ).exists()


def test_the_latest_closed_quarter_is_submitted_but_not_yet_published(seeded):
    *closed, _current = quarters()
    year, quarter = closed[-1]
    rollups = company_branches(year, quarter)
    assert set(rollups.values_list("status", flat=True)) == {QuarterRollup.Status.FINAL}
    submitted = SelfAssessment.objects.filter(rollup__in=rollups, status=SelfAssessment.Status.SUBMITTED)
    assert submitted.count() >= rollups.count() // 2
    assert not Review.objects.filter(rollup__in=rollups).exists()
    narrative = submitted.first().narrative
    assert f"{year}年第{quarter}季度" in narrative and "%" in narrative


def test_a_second_run_changes_nothing(seeded):
    before = snapshot()
    output = seed_demo()
    assert snapshot() == before
    assert "quarter results: 0 quarters computed" in output
    assert "self-assessments and reviews: 0 created" in output
