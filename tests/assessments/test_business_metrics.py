"""The business indicators of 党建+业务 (``milestones_on_time``, ``zero_safety_incidents``): each metric checked
against a small world computed by hand, in the same set-based rollup (one statement per metric and subject kind),
idempotent, with evidence that links to the project page, and a query count that does not grow with projects.

The quarter is 2025 Q2 (1 April – 30 June, Asia/Shanghai), measured on 10 July 2025 (closed: the cutoff is 1 July).
branch_a (secretary1) owns 甲项目 under its agreement with the street community; branch_b (secretary2) owns 乙项目
under another agreement.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import ProjectMilestone, ProjectMonthlyFigure
from assessments import metrics
from assessments.models import IndicatorScore, QuarterRollup
from assessments.selectors.evidence import evidence_columns
from assessments.services import rollups as rollup_services
from tests.factories import AgreementFactory, AssessmentSchemeFactory, KeyProjectFactory, cast_agreement
from tests.matrix.business import figure, milestone

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 7, 10, 12, 0, tzinfo=SH)
Y, Q = 2025, 2
D = Decimal
BUSINESS = [
    {"metric": "milestones_on_time", "points": D("10"), "target": D("100"), "name": "里程碑按期完成率"},
    {"metric": "zero_safety_incidents", "points": D("5"), "target": D("1"), "name": "安全零事故"},
]


def _agreement(parties, number):
    return AgreementFactory(
        parties=parties, number=number, term_start=dt.date(2025, 1, 1), term_end=dt.date(2027, 12, 31)
    )


@pytest.fixture
def business(world):
    agreement_a = cast_agreement(
        world, number="GJ-2025-A", term_start=dt.date(2025, 1, 1), term_end=dt.date(2027, 12, 31)
    )
    agreement_b = _agreement([world.branch_b, world.partner], "GJ-2025-B")
    ours = KeyProjectFactory(agreement=agreement_a, owner=world.branch_a, name="甲项目")
    theirs = KeyProjectFactory(agreement=agreement_b, owner=world.branch_b, name="乙项目")
    # 甲项目: one on time (early), one late, one due in the quarter and not reached; one outside the quarter.
    milestone(ours, "桩基完成", planned_on=dt.date(2025, 4, 15), actual_on=dt.date(2025, 4, 10))
    milestone(ours, "主体封顶", planned_on=dt.date(2025, 5, 20), actual_on=dt.date(2025, 6, 1))
    milestone(ours, "二次结构", planned_on=dt.date(2025, 6, 25))
    milestone(ours, "开工", planned_on=dt.date(2025, 3, 1), actual_on=dt.date(2025, 3, 5))
    # 乙项目: one on time in the quarter; one planned after it (reached early — not yet counted in Q2).
    milestone(theirs, "基坑开挖", planned_on=dt.date(2025, 6, 30), actual_on=dt.date(2025, 6, 30))
    milestone(theirs, "盾构始发", planned_on=dt.date(2025, 7, 20), actual_on=dt.date(2025, 6, 28))
    # Figures: 甲项目 had one incident in May; 乙项目 none in the quarter (March's is another quarter's).
    for month, incidents in ((4, 0), (5, 1), (6, 0)):
        figure(ours, dt.date(2025, month, 1), progress=15 * month, safety_incidents=incidents)
    for month, incidents in ((3, 2), (4, 0), (5, 0)):
        figure(theirs, dt.date(2025, month, 1), progress=10 * month, safety_incidents=incidents)
    AssessmentSchemeFactory(year=Y, indicators=BUSINESS)
    return world, agreement_a, agreement_b, ours, theirs


EXPECTED = {
    # 1 of 3 due in the quarter met on time; 乙: 1 of 1; an organization without milestones: nothing was late.
    "milestones_on_time": {"a": D("33.33"), "b": D("100.00"), "agr_a": D("33.33"), "agr_b": D("100.00")},
    "zero_safety_incidents": {"a": D("0"), "b": D("1"), "agr_a": D("0"), "agr_b": D("1")},
}


def _subjects(world, agreement_a, agreement_b):
    return {"a": world.branch_a, "b": world.branch_b, "agr_a": agreement_a, "agr_b": agreement_b}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_business_metric_matches_the_hand_computed_value(business, key):
    world, agreement_a, agreement_b, _ours, _theirs = business
    metric = metrics.REGISTRY[key]
    org_values = metric.values(metrics.ORG, Y, Q, now=NOW)
    agr_values = metric.values(metrics.AGR, Y, Q, now=NOW)
    for name, subject in _subjects(world, agreement_a, agreement_b).items():
        values = agr_values if name.startswith("agr") else org_values
        assert values.get(subject.pk, metric.empty_value()) == EXPECTED[key][name], (key, name)
    # An organization that owns no project: nothing late, no incident reported.
    assert org_values.get(world.general_1.pk, metric.empty_value()) == metric.empty_value()
    assert metric.empty_value() in (D(100), D(1))


def test_each_business_metric_is_one_statement_for_all_subjects(business):
    for key in EXPECTED:
        for kind in (metrics.ORG, metrics.AGR):
            with CaptureQueriesContext(connection) as ctx:
                metrics.REGISTRY[key].values(kind, Y, Q, now=NOW)
            assert len(ctx.captured_queries) == 1, key


def test_while_the_quarter_is_open_a_milestone_not_yet_due_is_not_held_against_anyone(business):
    _world, _a, _b, ours, _theirs = business
    mid_june = dt.datetime(2025, 6, 10, 12, 0, tzinfo=SH)
    values = metrics.REGISTRY["milestones_on_time"].values(metrics.ORG, Y, Q, now=mid_june)
    # 桩基完成 on time, 主体封顶 not reached by 1 June… (reached on 1 June: late); 二次结构 not due yet.
    assert values[ours.owner_id] == D("50.00")


def _scores(world):
    rows = IndicatorScore.objects.filter(rollup__year=Y, rollup__quarter=Q).select_related("indicator", "rollup")
    return {(s.rollup.subject, s.indicator.metric): (s.metric_value, s.points) for s in rows}


def test_the_rollup_scores_the_business_indicators_idempotently(business):
    world, agreement_a, agreement_b, _ours, _theirs = business
    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW)
    scores = _scores(world)
    a, b = f"org:{world.branch_a.pk}", f"org:{world.branch_b.pk}"
    assert scores[(a, "milestones_on_time")] == (D("33.33"), D("3.3"))
    assert scores[(a, "zero_safety_incidents")] == (D("0"), D("0"))
    assert scores[(b, "milestones_on_time")] == (D("100"), D("10"))
    assert scores[(b, "zero_safety_incidents")] == (D("1"), D("5"))
    assert scores[(f"agr:{agreement_a.pk}", "zero_safety_incidents")] == (D("0"), D("0"))
    totals = dict(QuarterRollup.objects.filter(year=Y, quarter=Q).values_list("subject", "total"))
    assert (totals[a], totals[b]) == (D("3.3"), D("15"))
    history = IndicatorScore.history.count()
    # Again: the same rows, no score written.
    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW + dt.timedelta(hours=1))
    assert _scores(world) == scores and IndicatorScore.history.count() == history
    # A correction moves only what it touches.
    ProjectMonthlyFigure.objects.filter(project__owner=world.branch_a, safety_incidents=1).update(safety_incidents=0)
    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW + dt.timedelta(hours=2))
    assert _scores(world)[(a, "zero_safety_incidents")] == (D("1"), D("5"))
    assert IndicatorScore.history.count() == history + 2  # the branch's and its agreement's score


def test_the_evidence_lists_the_records_and_links_to_the_project(business):
    world, _a, _b, ours, _theirs = business
    records = metrics.REGISTRY["milestones_on_time"].records(world.branch_a, Y, Q, now=NOW)
    assert sorted(records.values_list("name", flat=True)) == ["主体封顶", "二次结构", "桩基完成"]
    related, columns, url_of = evidence_columns(ProjectMilestone)
    record = records.select_related(*related).get(name="桩基完成")
    assert url_of(record) == ours.get_absolute_url() + "#business"
    assert [c.value(record) for c in columns] == ["甲项目", "桩基完成", "2025-04-15", "2025-04-10"]
    figures = metrics.REGISTRY["zero_safety_incidents"].records(world.branch_a, Y, Q, now=NOW)
    assert figures.count() == 3 and sum(f.n for f in figures) == 2


def test_the_scheme_editor_offers_the_business_metrics(db):
    keys = dict(metrics.metric_choices())
    assert {"milestones_on_time", "zero_safety_incidents"} <= set(keys)


def _rollup_statements(quarter: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        rollup_services.rollup_compute(year=Y, quarter=quarter, now=NOW)
    # SQLite splits a big upsert into batches of 999 parameters: count each upsert once.
    shapes = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        shape = sql.split(" VALUES ")[0] if sql.startswith("INSERT") else sql.split(" ")[0] + str(len(shapes))
        if not shapes or shapes[-1] != shape:
            shapes.append(shape)
    return len(shapes)


def test_the_rollup_costs_the_same_at_few_and_many_projects(business):
    world, agreement_a, _b, _ours, _theirs = business
    few = _rollup_statements(1)  # Q1: the fixture's few records (a first run, like the one below)
    for n in range(15):
        project = KeyProjectFactory(agreement=agreement_a, owner=world.branch_a, name=f"扩建项目{n}")
        milestone(project, "节点", planned_on=dt.date(2025, 7, 1 + n), actual_on=dt.date(2025, 7, 1 + n % 3))
        figure(project, dt.date(2025, 7, 1), progress=70, safety_incidents=n % 2)
    many = _rollup_statements(3)  # Q3: fifteen more projects' milestones and figures
    assert few == many
    values = metrics.REGISTRY["zero_safety_incidents"].values(metrics.ORG, Y, 3, now=NOW)
    assert values[world.branch_a.pk] == D("0")
