"""The rollup's scoring step (``assessments.scoring``) as pure functions: no database. Indicators are unsaved
instances; metric values, existing results and previous scores are given as ``rollup_compute`` reads them."""

from __future__ import annotations

from decimal import Decimal

from assessments import metrics
from assessments.models import Indicator, QuarterRollup
from assessments.scoring import NO_MANUAL, final_points_of, result_rows, score_subjects

D = Decimal
AUTO, MANUAL = Indicator.Source.AUTOMATIC, Indicator.Source.MANUAL
MEETINGS = Indicator(pk=1, source=AUTO, metric="joint_meetings", points=D(10), target=D(1), is_deduction=False)
PLAN = Indicator(pk=2, source=AUTO, metric="plan_completion", points=D(15), target=D(100), is_deduction=False)
OVERDUE = Indicator(pk=3, source=AUTO, metric="overdue_items", points=D(10), target=D(2), is_deduction=True)
BRAND = Indicator(pk=4, source=MANUAL, metric="", points=D(5), target=None, is_deduction=False)
INDICATORS = [MEETINGS, PLAN, OVERDUE, BRAND]
ORG_A, ORG_B, AGR_C = (metrics.ORG, 11, "org:11"), (metrics.ORG, 12, "org:12"), (metrics.AGR, 21, "agr:21")


def _values(**by_metric):
    """(metric, kind) -> {subject pk: value}, every metric of INDICATORS present (empty when not given)."""
    values = {(i.metric, kind): {} for i in INDICATORS if i.source == AUTO for kind in (metrics.ORG, metrics.AGR)}
    for metric, by_subject in by_metric.items():
        for (kind, pk), value in by_subject.items():
            values[(metric, kind)][pk] = D(value)
    return values


VALUES = _values(
    joint_meetings={(metrics.ORG, 11): 2},
    plan_completion={(metrics.ORG, 11): "50.00", (metrics.AGR, 21): "100.00"},
    overdue_items={(metrics.ORG, 12): 3},
)


def test_final_points_are_the_automatic_points_or_the_reviewers_else_the_self_points_plus_the_adjustment():
    assert final_points_of(MEETINGS, points=D(10), self_points=None, review_points=None, adjustment=D("-1.5")) == D(
        "8.5"
    )
    assert final_points_of(BRAND, points=D(0), self_points=D(4), review_points=None, adjustment=D(0)) == D(4)
    assert final_points_of(BRAND, points=D(0), self_points=D(4), review_points=D(3), adjustment=D(1)) == D(4)
    assert final_points_of(BRAND, points=D(0), self_points=None, review_points=None, adjustment=None) == D(0)


def test_a_first_run_scores_every_subject_on_every_indicator():
    totals, rows = score_subjects([ORG_A, ORG_B, AGR_C], {}, INDICATORS, {}, VALUES)

    by_key = {(key, indicator): rest for key, indicator, *rest in rows}
    assert len(rows) == 3 * 4
    # Counts capped at full marks, a rate linear to its target, a missing rate empty (None: no points).
    assert by_key[("org:11", 1)][:3] == [D(2), D(10), D(10)]
    assert by_key[("org:11", 2)][:3] == [D("50.00"), D("7.5"), D("7.5")]
    assert by_key[("org:12", 2)][:3] == [None, D(0), D(0)]
    # A deduction: target points per item, negative; a subject without records counts 0 items.
    assert by_key[("org:12", 3)][:3] == [D(3), D("-6.0"), D("-6.0")]
    assert by_key[("org:11", 3)][:3] == [D(0), D(0), D(0)]
    # A manual indicator has no value and counts 0 until scored; its manual part starts empty.
    assert by_key[("org:11", 4)] == [None, D(0), D(0), *NO_MANUAL]
    assert totals == {"org:11": D("17.5"), "org:12": D("-6.0"), "agr:21": D(15)}


def test_a_rerun_over_unchanged_values_yields_no_score_row_and_keeps_the_manual_scores():
    existing = {"org:11": (101, QuarterRollup.Status.PROVISIONAL, D("21.5"), 7)}
    old = {
        (101, 1): (D(2), D(10), D(10), None, None, D(0), ""),
        (101, 2): (D("50.00"), D("7.5"), D("7.5"), None, None, D(0), ""),
        (101, 3): (D(0), D(0), D(0), None, None, D(0), ""),
        (101, 4): (None, D(0), D(4), D(4), None, D(0), ""),
    }
    totals, rows = score_subjects([ORG_A], existing, INDICATORS, old, VALUES)
    assert rows == []
    assert totals == {"org:11": D("21.5")}


def test_a_changed_value_rewrites_that_score_only_with_its_manual_part_and_adjustment():
    existing = {"org:11": (101, QuarterRollup.Status.PROVISIONAL, D("21.5"), 7)}
    old = {
        (101, 1): (D(1), D(10), D(9), None, None, D(-1), "late minutes"),  # adjusted by the reviewer
        (101, 2): (D("50.00"), D("7.5"), D("7.5"), None, None, D(0), ""),
        (101, 3): (D(0), D(0), D(0), None, None, D(0), ""),
        (101, 4): (None, D(0), D(4), D(4), None, D(0), ""),
    }
    totals, rows = score_subjects([ORG_A], existing, INDICATORS, old, VALUES)
    assert rows == [("org:11", 1, D(2), D(10), D(9), None, None, D(-1), "late minutes")]
    assert totals == {"org:11": D("20.5")}


def test_a_subject_missing_from_a_count_takes_its_empty_value():
    totals, rows = score_subjects([ORG_B], {}, [MEETINGS], {}, _values())
    assert rows == [("org:12", 1, D(0), D(0), D(0), *NO_MANUAL)]
    assert totals == {"org:12": D(0)}


def test_result_rows_are_the_new_and_the_changed_results_with_their_subject_columns():
    existing = {
        "org:11": (101, QuarterRollup.Status.PROVISIONAL, D("17.5"), 7),  # unchanged
        "org:12": (102, QuarterRollup.Status.PROVISIONAL, D(0), 7),  # total changed
    }
    totals = {"org:11": D("17.5"), "org:12": D("-6.0"), "agr:21": D(15)}
    rows = result_rows([ORG_A, ORG_B, AGR_C], existing, totals, final=False, scheme_id=7)
    provisional = QuarterRollup.Status.PROVISIONAL
    assert rows == [("org:12", 12, None, provisional, D("-6.0")), ("agr:21", None, 21, provisional, D(15))]


def test_a_provisional_run_never_reopens_a_final_result_and_a_final_run_closes_the_others():
    final, provisional = QuarterRollup.Status.FINAL, QuarterRollup.Status.PROVISIONAL
    existing = {"org:11": (101, final, D(10), 7), "org:12": (102, provisional, D(5), 7)}
    totals = {"org:11": D(10), "org:12": D(5)}
    assert result_rows([ORG_A, ORG_B], existing, totals, final=False, scheme_id=7) == []
    assert result_rows([ORG_A, ORG_B], existing, totals, final=True, scheme_id=7) == [("org:12", 12, None, final, D(5))]
    # A new scheme rewrites every result.
    assert len(result_rows([ORG_A, ORG_B], existing, totals, final=False, scheme_id=8)) == 2
