"""The rollup's two ways of computing the scores give the same results: the PostgreSQL path (values, points, manual
scores and totals computed in SQL, ``rollup_sql_services.scores_in_sql``) and the portable Python path
(``scoring.score_subjects``). Each step below runs twice from the same state — once per path, the first rolled
back — and the rows and history rows written must be the same; then the SQL rules are checked value by value against
``Metric._value``, ``Metric.empty_value`` and ``metrics.points_for``. PostgreSQL only (SQLite has the Python path)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction

from assessments import metrics
from assessments.models import CATEGORY_FIELDS, Indicator, IndicatorScore, QuarterRollup
from assessments.services import rollup_sql as rollup_sql_services
from assessments.services import rollups as rollup_services
from assessments.services import schemes as scheme_services
from tests.assessments.test_rollups import NOW, Q, Y, joint_meeting
from tests.assessments.test_rollups import assess as rollup_world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's")

D = Decimal
LATER = NOW + dt.timedelta(days=1)
LATEST = NOW + dt.timedelta(days=2)
SCORE_FIELDS = ("metric_value", "points", "self_points", "review_points", "adjustment", "adjustment_reason")
SCORE_FIELDS += ("final_points", "computed_at")
ROLLUP_FIELDS = ("organization_id", "agreement_id", "scheme_id", "status", "total", "computed_at")
# What a result stores for the dashboard (no history): the SQL path inserts it with the result, from its scores'
# temporary table; the Python path refreshes it from the score table.
STORED_FIELDS = (*CATEGORY_FIELDS.values(), "overdue_items", "manual_unscored")


@pytest.fixture
def assess(rollup_world):  # noqa: F811 (the imported fixture, by name)
    """The hand-computed world of test_rollups.py."""
    return rollup_world


def _state():
    """Results and scores by subject (and indicator), and the history rows, ids replaced by subjects: the ids of
    the rows a step creates differ between two runs of the step (sequences are not rolled back)."""
    subject_of = dict(QuarterRollup.objects.values_list("pk", "subject"))
    rollups = {
        row[0]: row[1:] for row in QuarterRollup.objects.values_list("subject", "year", *ROLLUP_FIELDS, *STORED_FIELDS)
    }
    scores = {
        (subject_of[rollup_id], indicator_id): tuple(rest)
        for rollup_id, indicator_id, *rest in IndicatorScore.objects.values_list(
            "rollup_id", "indicator_id", *SCORE_FIELDS
        )
    }
    extra = ("history_type", "history_change_reason", "history_date", "history_user_id")
    score_history = sorted(
        [
            (subject_of[rollup_id], indicator_id, *rest)
            for rollup_id, indicator_id, *rest in IndicatorScore.history.values_list(
                "rollup_id", "indicator_id", *SCORE_FIELDS, *extra
            )
        ],
        key=repr,  # values may be None
    )
    rollup_history = sorted(
        QuarterRollup.history.values_list("subject", "year", "quarter", *ROLLUP_FIELDS, *extra), key=repr
    )
    return rollups, scores, score_history, rollup_history


def _both_paths(monkeypatch, **kwargs):
    """Run the rollup with the Python path (rolled back), then with the SQL path (kept); assert the same state."""
    with transaction.atomic():
        monkeypatch.setattr(rollup_services, "_scores_in_database", lambda: False)
        python_summary = rollup_services.rollup_compute(year=Y, quarter=Q, **kwargs)
        python = _state()
        transaction.set_rollback(True)
    monkeypatch.setattr(rollup_services, "_scores_in_database", lambda: True)
    sql_summary = rollup_services.rollup_compute(year=Y, quarter=Q, **kwargs)
    sql = _state()
    assert sql_summary == python_summary
    for python_part, sql_part in zip(python, sql, strict=True):
        assert sql_part == python_part
    return sql


def test_both_paths_write_the_same_results_scores_and_history_run_after_run(assess, monkeypatch):
    w = assess.world
    # Varied rules: a target that does not divide the values (rounding), a deduction of 1.5 points per item.
    scheme_indicators = Indicator.objects.filter(scheme=scheme_services.scheme_create_default(Y))
    _both_paths(monkeypatch, now=NOW)  # every result and score
    scheme_indicators.filter(metric="logged_in_time").update(points=D("7.5"), target=D("70"))
    scheme_indicators.filter(metric="overdue_items").update(target=D("1.5"))
    scheme_indicators.filter(metric="participation").update(target=D("33"))

    rollups, scores, history, _rollup_history = _both_paths(monkeypatch, now=NOW)
    assert len(rollups) == 3 and len(scores) == 3 * 12
    assert len(history) > len(scores)  # the rescored indicators were written again

    # Manual scores, an adjustment, new evidence, a published result, then the final run.
    a, b = f"org:{w.branch_a.pk}", f"org:{w.branch_b.pk}"
    a_scores = IndicatorScore.objects.filter(rollup__subject=a)
    a_scores.filter(indicator__name="品牌特色").update(self_points=D("4.0"), review_points=D("3.5"))
    a_scores.filter(indicator__name="工作创新").update(self_points=D("2.5"))
    a_scores.filter(indicator__metric="joint_meetings").update(adjustment=D("-1.0"), adjustment_reason="记录不全")
    QuarterRollup.objects.filter(subject=b).update(status=QuarterRollup.Status.PUBLISHED, total=D("88.0"))
    joint_meeting(assess.agreement, w.branch_a)
    rollups, scores, history, _rollup_history = _both_paths(monkeypatch, final=True, now=LATER)
    assert rollups[b][4:6] == (QuarterRollup.Status.PUBLISHED, D("88.0"))
    assert rollups[a][4] == QuarterRollup.Status.FINAL
    joint = next(key for key in scores if key[0] == a and scores[key][4] == D("-1.0"))
    assert scores[joint][0] == D(2) and scores[joint][6] == D("9.0") and scores[joint][7] == LATER

    # A quiet rerun writes nothing new (and the provisional run does not reopen the final results).
    before = len(history)
    _rollups, _scores, history, _rollup_history = _both_paths(monkeypatch, now=LATEST)
    assert len(history) == before

    # An indicator moved to another category behind the services' back: no total changes, yet both paths store the
    # new subtotals of every result they compute (the SQL path from its temporary table, none left stale).
    QuarterRollup.objects.filter(subject=b).update(status=QuarterRollup.Status.FINAL)
    moved = scheme_indicators.get(metric="joint_meetings")
    other = next(key for key in CATEGORY_FIELDS if key != moved.category)
    scheme_indicators.filter(pk=moved.pk).update(category=other)
    rollups, _scores, history, _rollup_history = _both_paths(monkeypatch, now=LATEST)
    stored = dict(zip(STORED_FIELDS, rollups[a][-len(STORED_FIELDS) :], strict=True))
    in_other = IndicatorScore.objects.filter(rollup__subject=a, indicator__category=other)
    expected = sum(in_other.values_list("final_points", flat=True), D(0))
    assert stored[CATEGORY_FIELDS[other]] == expected and moved.pk in in_other.values_list("indicator_id", flat=True)
    assert len(history) == before  # subtotals have no history


def _sql_values(rows: list[tuple], expression: str, columns: str, types: tuple[str, ...]) -> list:
    """``expression`` evaluated by PostgreSQL on each row (typed columns ``columns``), in order."""
    row_sql = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {expression} FROM (VALUES {', '.join([row_sql] * len(rows))}) AS t ({columns})",  # noqa: S608
            [value for row in rows for value in row],
        )
        return [value for (value,) in cursor.fetchall()]


def test_the_sql_value_of_a_metric_is_the_python_one(db):
    rows, expected = [], []
    counts = [(None, None), (0, 0), (3, 0), (0, 7), (1, 3), (2, 3), (5, 8), (1, 8), (7, 7), (10, 9), (1, 6), (2, 7)]
    keys = ("joint_meetings", "logged_in_time", "plan_completion", "items_on_time", "overdue_items")
    for key in (*keys, "milestones_on_time", "zero_safety_incidents"):
        metric = metrics.REGISTRY[key]
        for n, d in counts:
            python = metric._value(n, d) if n is not None else None  # no record at all: not in the aggregate
            expected.append(metric.empty_value() if python is None else python)
            rows.append((metric.kind, metric.empty_value(), n, d))
    assert {metrics.REGISTRY[k].empty_value() for k in ("logged_in_time", "items_on_time")} == {None, D(100)}

    expression = rollup_sql_services._value_sql(n="n", d="d", kind="kind", empty="empty_value")
    got = _sql_values(rows, expression, "kind, empty_value, n, d", ("text", "numeric", "numeric", "numeric"))
    assert got == expected


def test_the_sql_points_are_the_python_ones(db):
    grid = []
    for points in (D("10.0"), D("15.0"), D("7.5"), D("5.0")):
        for target in (None, D(1), D(2), D(3), D(7), D(33), D(70), D(80), D(90), D(100), D("1.5"), D("0.3")):
            for value in (None, D(0), D(1), D(2), D(3), D("33.33"), D("66.67"), D("14.29"), D("85.71"), D(100)):
                grid.extend((value, points, target, deduction) for deduction in (False, True))
    expected = [
        metrics.points_for(value=value, points=points, target=target, is_deduction=deduction)
        for value, points, target, deduction in grid
    ]
    # Half-up cases are in the grid (e.g. 7.5 × 1 / 2 = 3.75, 15 × 1 / 2 = 7.5 → 7.5, 5 × 33.33 / 70 = 2.3807…).
    assert any(p * v / t % D("0.1") == D("0.05") for v, p, t, _d in grid if v and t and p * v / t < p)

    expression = rollup_sql_services._points_sql(value="v", points="p", target="t")
    got = _sql_values(grid, expression, "v, p, t, is_deduction", ("numeric", "numeric", "numeric", "boolean"))
    assert got == expected
