"""``manage.py seed_demo`` with the assessments seeder: five quarters of results, self-assessments and reviews, the
three oldest closed quarters published and the latest left for the committee to review; a second run changes
nothing."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum

from assessments.models import (
    CATEGORY_FIELDS,
    OVERDUE_METRIC,
    Indicator,
    IndicatorScore,
    QuarterRollup,
    Review,
    SelfAssessment,
)
from assessments.selectors import dashboard as dashboard_selectors
from assessments.selectors import dashboard_export as export_selectors
from assessments.selectors import ranking as ranking_selectors
from assessments.selectors import review_queue as queue_selectors
from assessments.selectors import subjects as subject_selectors
from assessments.services import rollup_totals as services
from demo.clock import DemoClock
from demo.engine.assessments import REVIEWED_WAITING
from partnerships.models import Organization
from tests.demo_support import rolled_back, seed_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo, seeded once for the module and rolled back after its last test."""
    with rolled_back(django_db_blocker):
        yield seed_demo()


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
    assert not Review.objects.filter(rollup__year=year, rollup__quarter=quarter, published_at__isnull=False).exists()
    # The committee's queue has results to review, a few reviewed waiting to be published, and unscored ones.
    committee = get_user_model().objects.get(username="committee")
    counts = queue_selectors.queue_counts(committee, (year, quarter))
    assert counts["reviewed"] == REVIEWED_WAITING and counts["submitted"] > 0 and counts["unscored"] > 0
    assert counts["published"] == 0
    narrative = submitted.first().narrative
    assert f"{year}年第{quarter}季度" in narrative and "%" in narrative


def test_a_second_run_changes_nothing(seeded):
    before = snapshot()
    output = seed_demo()
    assert snapshot() == before
    assert "quarter results: 0 quarters computed" in output
    assert "self-assessments and reviews: 0 created" in output


# --- the dashboard's stored subtotals against the scores --------------------------------------------------------
#
# The dashboard reads each result's points by category and overdue items from the result row (``CATEGORY_FIELDS``,
# ``overdue_items``). The references below compute them the way the dashboard did before, from the indicator scores;
# on the demo's five quarters, for the committee and a branch secretary, in both views, the numbers are the same.


def _scored(rollup_ids) -> tuple[dict, dict]:
    """(rollup → {category: points}, rollup → overdue metric value), summed from the scores."""
    subtotals = defaultdict(dict)
    rows = (
        IndicatorScore.objects.filter(rollup_id__in=rollup_ids)
        .order_by()
        .values_list("rollup_id", "indicator__category")
        .annotate(points=Sum("final_points"))
    )
    for rollup_id, category, points in rows:
        subtotals[rollup_id][category] = points
    overdue = dict(
        IndicatorScore.objects.filter(rollup_id__in=rollup_ids, indicator__metric=OVERDUE_METRIC).values_list(
            "rollup_id", "metric_value"
        )
    )
    return subtotals, overdue


def _reference(user, year, quarter, view) -> dict:
    """What the dashboard showed when it summed the scores: category full marks and averages, overdue ranking."""
    selected = QuarterRollup.objects.visible_to(user).filter(year=year, quarter=quarter)
    selected = (
        selected.filter(organization__isnull=False)
        if view == "organizations"
        else selected.filter(agreement__isnull=False)
    )
    ids = list(selected.values_list("pk", flat=True))
    subtotals, overdue = _scored(ids)
    scored = Indicator.objects.filter(pk__in=IndicatorScore.objects.filter(rollup_id__in=ids).values("indicator_id"))
    full = defaultdict(Decimal)
    for indicator in scored:
        full[indicator.category] += Decimal(0) if indicator.is_deduction else indicator.points
    averages = {}
    for key in full:
        values = [s[key] for s in subtotals.values() if key in s]
        averages[key] = (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    names = {r.pk: subject_selectors.subject_name(r) for r in selected.select_related("organization", "agreement")}
    late = sorted(
        ((value, names[pk], QuarterRollup.objects.get(pk=pk).subject) for pk, value in overdue.items() if value > 0),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    return {
        "categories": [(k, full[k]) for k in Indicator.Category.values if k in full],
        "averages": averages,
        "subtotals": subtotals,
        "overdue": [(name, value) for value, name, _subject in late[: ranking_selectors.OVERDUE_TOP]],
        "overdue_count": len(late),
    }


def test_every_result_stores_the_subtotals_its_scores_add_up_to(seeded):
    rollups = list(QuarterRollup.objects.all())
    assert len(rollups) > 50
    subtotals, overdue = _scored([r.pk for r in rollups])
    for rollup in rollups:
        stored = {key: getattr(rollup, column) for key, column in CATEGORY_FIELDS.items()}
        assert {k: v for k, v in stored.items() if v is not None} == subtotals[rollup.pk], rollup
        assert rollup.overdue_items == overdue.get(rollup.pk)
    assert services.rollup_subtotals_refresh(QuarterRollup.objects.all()) == 0  # nothing stale to write


@pytest.mark.parametrize("username", ["committee", "secretary1"])
def test_the_dashboard_shows_the_same_numbers_as_summing_the_scores(seeded, username):
    user = get_user_model().objects.get(username=username)
    compared = 0
    for year, quarter in quarters():
        for view in subject_selectors.VIEWS:
            reference = _reference(user, year, quarter, view)
            dashboard = dashboard_selectors.dashboard_data(user, year=year, quarter=quarter, view=view)
            if not dashboard.count:
                assert reference["categories"] == []
                continue
            compared += 1
            assert [(c["key"], c["full"]) for c in dashboard.categories] == reference["categories"]
            assert dashboard.average_categories == reference["averages"]
            for row in (*dashboard.rows, *dashboard.top, *dashboard.bottom):
                assert row.categories == reference["subtotals"][row.rollup_id], row.name
            assert [(r.name, r.overdue) for r in dashboard.overdue_rows] == reference["overdue"]
            assert dashboard.overdue_count == reference["overdue_count"]
    assert compared >= len(quarters())


def test_the_export_shows_the_same_subtotals_as_summing_the_scores(seeded):
    user = get_user_model().objects.get(username="committee")
    *_closed, (year, quarter) = quarters()
    sheets = export_selectors.dashboard_sheets(user, year=year, quarter=quarter)
    reference = _reference(user, year, quarter, "organizations")
    (_t, ranking_headers, ranking), _trend, (_c, _h, radar), (_o, _oh, overdue) = sheets[:4]
    keys = [k for k, _full in reference["categories"]]
    by_name = {
        subject_selectors.subject_name(r): reference["subtotals"][r.pk]
        for r in QuarterRollup.objects.visible_to(user)
        .filter(year=year, quarter=quarter, organization__isnull=False)
        .select_related("organization")
    }
    rows = list(ranking)
    assert len(rows) == len(by_name) and len(ranking_headers) == 6 + len(keys)
    for row in rows:
        expected = [float(by_name[row[1]][k]) if k in by_name[row[1]] else None for k in keys]
        assert row[6:] == expected
    assert [(r[0], r[2]) for r in radar] == [
        (str(label), float(reference["averages"][k])) for k, label in Indicator.Category.choices if k in keys
    ]
    listed = [(name, value) for name, value in overdue if value]
    assert listed[: ranking_selectors.OVERDUE_TOP] == [(n, float(v)) for n, v in reference["overdue"]]
