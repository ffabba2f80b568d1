"""How the quarterly rollup writes: only new or changed rows, a history row for each of them and no other, manual
scores carried into the history, every result stamped with the run's time; and a record reaching a subject by two
links (a lead also listed as co-organizer) counted once. Runs on SQLite and PostgreSQL (two write paths)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from activities.models import PublicityItem
from assessments import metrics
from assessments.models import IndicatorScore, QuarterRollup
from assessments.services import rollups as services
from tests.assessments.test_rollups import NOW, Q, Y, at, joint_meeting
from tests.assessments.test_rollups import assess as rollup_world  # noqa: F401 (a fixture)
from tests.factories import ActivityFactory

D = Decimal
LATER = NOW + dt.timedelta(days=1)
SCORE_FIELDS = ("id", "rollup_id", "indicator_id", "metric_value", "points", "self_points", "review_points")
SCORE_FIELDS += ("adjustment", "adjustment_reason", "final_points", "computed_at")
ROLLUP_FIELDS = ("id", "organization_id", "agreement_id", "subject", "year", "quarter", "scheme_id", "status")
ROLLUP_FIELDS += ("total", "computed_at")


@pytest.fixture
def assess(rollup_world):  # noqa: F811 (the imported fixture, by name)
    """The hand-computed world of test_rollups.py."""
    return rollup_world


def _history(model, fields, **filters):
    return sorted(
        model.history.filter(**filters).values_list(*fields, "history_type", "history_change_reason", "history_date")
    )


def _rows(model, fields):
    return sorted(model.objects.values_list(*fields))


def _score(subject, metric_key):
    return IndicatorScore.objects.get(rollup__subject=subject, rollup__year=Y, indicator__metric=metric_key)


def test_the_first_run_writes_one_history_row_per_result_and_score_with_its_values(assess):
    services.rollup_compute(year=Y, quarter=Q, now=NOW)

    assert IndicatorScore.objects.count() == 3 * 12
    changed = ("~", "rollup", NOW)
    assert _history(IndicatorScore, SCORE_FIELDS) == [(*row, *changed) for row in _rows(IndicatorScore, SCORE_FIELDS)]
    assert _history(QuarterRollup, ROLLUP_FIELDS) == [(*row, *changed) for row in _rows(QuarterRollup, ROLLUP_FIELDS)]


def test_a_rerun_rewrites_and_records_only_what_changed(assess):
    w = assess.world
    services.rollup_compute(year=Y, quarter=Q, now=NOW)
    before = {row[0]: row for row in _rows(IndicatorScore, SCORE_FIELDS)}
    a, b, agr = (f"org:{w.branch_a.pk}", f"org:{w.branch_b.pk}", f"agr:{assess.agreement.pk}")
    total_b = QuarterRollup.objects.get(subject=b).total
    # New evidence: a published joint meeting hosted by branch_b, under the agreement (whose party branch_a is).
    joint_meeting(assess.agreement, w.branch_b)

    services.rollup_compute(year=Y, quarter=Q, now=LATER)

    after = {row[0]: row for row in _rows(IndicatorScore, SCORE_FIELDS)}
    changed = {pk for pk in after if after[pk] != before[pk]}
    expected = {_score(s, "joint_meetings").pk for s in (a, b, agr)}
    assert changed == expected
    assert (_score(a, "joint_meetings").metric_value, _score(a, "joint_meetings").points) == (D(2), D("10.0"))
    assert (_score(b, "joint_meetings").metric_value, _score(b, "joint_meetings").points) == (D(1), D("10.0"))
    # Unchanged scores keep the time they were computed at; changed ones and every result get the new time.
    assert {row[-1] for pk, row in after.items() if pk not in expected} == {NOW}
    assert {after[pk][-1] for pk in expected} == {LATER}
    assert set(QuarterRollup.objects.values_list("computed_at", flat=True)) == {LATER}
    assert QuarterRollup.objects.get(subject=b).total == total_b + D("10.0")
    # History: one row per changed score and the one changed result, as written.
    assert _history(IndicatorScore, SCORE_FIELDS, history_date=LATER) == [
        (*after[pk], "~", "rollup", LATER) for pk in sorted(expected)
    ]
    (result,) = _history(QuarterRollup, ROLLUP_FIELDS, history_date=LATER)
    assert result[3] == b and result[8] == total_b + D("10.0")


def test_the_history_of_a_recomputed_score_keeps_its_manual_points(assess):
    w = assess.world
    services.rollup_compute(year=Y, quarter=Q, now=NOW)
    a = f"org:{w.branch_a.pk}"
    score = _score(a, "joint_meetings")
    IndicatorScore.objects.filter(pk=score.pk).update(adjustment=D("-1.0"), adjustment_reason="会议记录不全")
    joint_meeting(assess.agreement, w.branch_a)

    services.rollup_compute(year=Y, quarter=Q, now=LATER)

    score.refresh_from_db()
    assert (score.metric_value, score.final_points, score.adjustment) == (D(2), D("9.0"), D("-1.0"))
    (row,) = IndicatorScore.history.filter(id=score.pk, history_date=LATER)
    assert (row.metric_value, row.final_points, row.adjustment, row.adjustment_reason) == (
        D(2),
        D("9.0"),
        D("-1.0"),
        "会议记录不全",
    )


def test_a_lead_also_listed_as_co_organizer_counts_once(assess):
    w = assess.world
    before = metrics.REGISTRY["joint_study"].values(metrics.ORG, Y, Q, now=NOW)
    x7 = ActivityFactory(
        title="X7",
        type_code="study",
        lead=w.branch_b,
        starts_at=at(5, 8),
        ends_at=at(5, 8, 11),
        place="项目部",
        status="logged",
        summary="小结",
        logged_at=at(5, 9),
        co_organizers=[w.branch_b, w.branch_a],
    )
    PublicityItem.objects.create(
        activity=x7,
        title="X7 报道",
        text="报道正文",
        branch=w.branch_b,
        reviewer_org=w.branch_b,
        status=PublicityItem.Status.APPROVED,
        reviewed_at=at(5, 9),
    )

    study = metrics.REGISTRY["joint_study"].values(metrics.ORG, Y, Q, now=NOW)
    publicity = metrics.REGISTRY["publicity"].values(metrics.ORG, Y, Q, now=NOW)

    assert study[w.branch_b.pk] == before[w.branch_b.pk] + 1 == D(2)
    assert study[w.branch_a.pk] == before[w.branch_a.pk] + 1 == D(2)
    assert (publicity[w.branch_b.pk], publicity[w.branch_a.pk]) == (D(1), D(3))
