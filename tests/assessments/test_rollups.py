"""Quarterly rollups: every metric checked against a small world computed by hand, idempotence, kept manual
scores, published results untouched, a query count that does not grow with the data, and who sees which result.

The quarter is 2025 Q2 (1 April – 30 June, Asia/Shanghai), measured on 10 July 2025 (closed: the cutoff is 1 July).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import (
    Activity,
    ActivityType,
    PublicityItem,
)
from assessments import metrics, rules
from assessments.models import AssessmentScheme, IndicatorScore, QuarterRollup, RollupRun
from assessments.services import rollup_totals as totals_services
from assessments.services import rollups as rollup_services
from assessments.services import schemes as scheme_services
from partnerships.models import ActionItem, Agreement, Member
from tests.factories import (
    ActionItemFactory,
    ActivityFactory,
    ActivityPlanFactory,
    AgreementFactory,
    AgreementPartyFactory,
    JointMeetingFactory,
    KeyProjectFactory,
    MemberFactory,
    OrganizationFactory,
    PlannedActivityFactory,
    ResponsibilityZoneFactory,
    ZoneCheckFactory,
    cast_agreement,
)

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 7, 10, 12, 0, tzinfo=SH)
Y, Q = 2025, 2
D = Decimal


def at(month, day, hour=9, minute=0, year=2025):
    return dt.datetime(year, month, day, hour, minute, tzinfo=SH)


def joint_meeting(agreement, host, starts_at=None, *, title="补充会议", minutes_status="published"):
    """A joint meeting of the agreement; by default new evidence: a published one on 28 June, late in the quarter."""
    return JointMeetingFactory(
        agreement=agreement,
        title=title,
        starts_at=starts_at or at(6, 28),
        place="会议室",
        host=host,
        minutes_status=minutes_status,
    )


@dataclass
class Assess:
    world: object
    agreement: Agreement
    activities: dict
    rows: dict


def _activity(
    key, store, *, lead, type_code, start, status, agreement=None, plan_row=None, logged_after=None, publicity=0, **kw
):
    """An activity; ``publicity`` approved publicity items of it, approved when it was logged."""
    ends = start + dt.timedelta(hours=2)
    extra = {}
    if status == Activity.Status.LOGGED:
        extra = {"summary": "活动小结", "logged_at": ends + logged_after}
    if status == Activity.Status.CANCELLED:
        extra = {"cancel_reason": "天气原因"}
    activity = ActivityFactory(
        title=key,
        type_code=type_code,
        lead=lead,
        agreement=agreement,
        plan_row=plan_row,
        starts_at=start,
        ends_at=ends,
        place="项目部",
        status=status,
        **extra,
        **kw,
    )
    for n in range(publicity):
        PublicityItem.objects.create(
            activity=activity,
            title=f"{key} 报道{n}",
            text="报道正文",
            agreement=agreement,
            branch=None if agreement else lead,
            reviewer_org=lead,
            status=PublicityItem.Status.APPROVED,
            reviewed_at=activity.logged_at,
        )
    store[key] = activity
    return activity


def _item(agreement, party, due, status=ActionItem.Status.OPEN, confirmed=None):
    extra = {}
    if status == ActionItem.Status.DONE:
        extra = {"confirmed_at": confirmed, "closed_at": confirmed}
    if status == ActionItem.Status.CANCELLED:
        extra = {"cancel_reason": "不再需要", "closed_at": at(6, 1)}
    return ActionItemFactory(
        agreement=agreement, title=f"事项{due}", responsible_party=party, due_on=due, status=status, **extra
    )


@pytest.fixture
def assess(world) -> Assess:
    w = world
    agreement = cast_agreement(
        w,
        number="GJ-ASSESS-01",
        title="考核测试共建协议",
        term_start=dt.date(2025, 1, 1),
        term_end=dt.date(2026, 12, 31),
    )
    # A draft agreement is not assessed.
    AgreementFactory(
        number="GJ-ASSESS-00",
        title="草稿",
        term_start=dt.date(2025, 1, 1),
        term_end=dt.date(2025, 12, 31),
        status=Agreement.Status.DRAFT,
    )

    m = {f"m{i}": MemberFactory(organization=w.branch_a) for i in range(1, 5)}
    MemberFactory(organization=w.branch_a, status=Member.Status.TRANSFERRED_OUT)
    n1, _n2 = MemberFactory(organization=w.branch_b), MemberFactory(organization=w.branch_b)
    p1, _p2 = MemberFactory(organization=w.partner), MemberFactory(organization=w.partner)

    # Joint meetings: one published in the quarter counts; a draft and one after the quarter do not.
    for start, status in [(at(4, 15), "published"), (at(5, 10), "draft"), (at(7, 5), "published")]:
        joint_meeting(agreement, w.branch_a, start, title="联席会议", minutes_status=status)

    plan = ActivityPlanFactory(agreement=agreement, year=2025, title="2025年计划")
    volunteer = ActivityType.objects.get(code="volunteer")
    rows = {}
    for key, month, lead in [("R1", 4, w.branch_a), ("R2", 5, w.partner), ("R3", 6, w.branch_a), ("R4", 7, w.branch_a)]:
        rows[key] = PlannedActivityFactory(plan=plan, month=month, theme=key, type=volunteer, lead=lead)
    rows["R2"].co_organizers.add(w.branch_a)

    # Activities: key, lead, type, start, status, plan row (rows are the agreement's), logged how long after, extra.
    acts: dict = {}
    for key, lead, type_code, start, status, row, logged_days, extra in [
        ("X1", w.branch_a, "study", at(4, 10), "logged", "R1", 3, {"publicity": 1}),
        ("X2", w.partner, "volunteer", at(5, 20), "held", "R2", None, {}),
        ("X3", w.branch_a, "volunteer", at(6, 10), "cancelled", "R3", None, {}),
        ("X4", w.branch_a, "volunteer", at(6, 20), "logged", None, 10, {"publicity": 1}),
        ("X5", w.branch_b, "study", at(5, 5), "logged", None, 1, {}),
        ("X6", w.branch_a, "study", at(7, 2), "logged", None, 1, {}),
    ]:
        _activity(
            key,
            acts,
            lead=lead,
            type_code=type_code,
            start=start,
            status=status,
            agreement=agreement if row else None,
            plan_row=rows.get(row),
            logged_after=dt.timedelta(days=logged_days) if logged_days else None,
            **extra,
        )
    acts["X1"].participants.add(m["m1"], m["m2"], p1)
    acts["X2"].co_organizers.add(w.branch_a)
    acts["X2"].participants.add(m["m3"])
    acts["X4"].participants.add(m["m1"])
    acts["X5"].participants.add(n1)
    acts["X6"].participants.add(m["m4"])

    done, cancelled, in_progress = ActionItem.Status.DONE, ActionItem.Status.CANCELLED, ActionItem.Status.IN_PROGRESS
    _item(agreement, w.branch_a, dt.date(2025, 4, 30), done, at(4, 28))  # on time
    _item(agreement, w.branch_a, dt.date(2025, 5, 31), done, at(6, 5))  # late
    _item(agreement, w.branch_a, dt.date(2025, 6, 15))  # still open: late and overdue
    _item(agreement, w.partner, dt.date(2025, 6, 20), cancelled)  # ignored
    _item(agreement, w.branch_a, dt.date(2025, 3, 10), in_progress)  # last quarter's, still overdue
    _item(agreement, w.branch_a, dt.date(2025, 8, 1))  # not due yet
    # Confirmed at 07:00 on 16 May in Shanghai, still 15 May in UTC: late, because the quarter is in Shanghai time.
    _item(agreement, w.partner, dt.date(2025, 5, 15), done, at(5, 16, 7))
    _item(agreement, w.branch_b, dt.date(2025, 6, 1), done, at(7, 3))  # closed after the cutoff: late and overdue

    project = KeyProjectFactory(agreement=agreement, owner=w.branch_a, name="考核测试工程")
    z1 = ResponsibilityZoneFactory(project=project, name="一区", area="1号站", lead=w.branch_a)
    z2 = ResponsibilityZoneFactory(project=project, name="二区", area="2号站", lead=w.partner)
    ZoneCheckFactory(zone=z1, checked_on=dt.date(2025, 4, 5))
    # Findings: zone, checked, category, finding, fix due, fixed (fixed in time, fixed late, still open).
    for zone, checked, category, finding, due, fixed in [
        (z1, (5, 5), "safety", "护栏缺失", (5, 20), (5, 18)),
        (z1, (6, 1), "quality", "渗水", (6, 10), (6, 15)),
        (z2, (6, 2), "safety", "临边防护", (6, 25), None),
    ]:
        ZoneCheckFactory(
            zone=zone,
            checked_on=dt.date(2025, *checked),
            category=category,
            finding=finding,
            fix_due_on=dt.date(2025, *due),
            fixed_on=dt.date(2025, *fixed) if fixed else None,
        )
    ZoneCheckFactory(zone=z1, checked_on=dt.date(2025, 3, 20))
    return Assess(world=w, agreement=agreement, activities=acts, rows=rows)


# Hand-computed (see the fixture's comments): metric value per subject, then points with the default scheme.
EXPECTED_VALUES = {
    "joint_meetings": {"a": D(1), "b": D(0), "agr": D(1)},
    "plan_completion": {"a": D("66.67"), "b": None, "agr": D("66.67")},
    "logged_in_time": {"a": D(50), "b": D(100), "agr": D(50)},
    "items_on_time": {"a": D("33.33"), "b": D(0), "agr": D(20)},
    "overdue_items": {"a": D(2), "b": D(1), "agr": D(3)},
    "participation": {"a": D(75), "b": D(50), "agr": D("66.67")},
    "zone_checks": {"a": D(3), "b": D(0), "agr": D(4)},
    "findings_fixed": {"a": D(50), "b": D(100), "agr": D("33.33")},
    "publicity": {"a": D(2), "b": D(0), "agr": D(1)},
    "joint_study": {"a": D(1), "b": D(1), "agr": D(1)},
}
EXPECTED_POINTS = {
    "joint_meetings": {"a": "10.0", "b": "0.0", "agr": "10.0"},
    "plan_completion": {"a": "10.0", "b": "0.0", "agr": "10.0"},
    "logged_in_time": {"a": "5.6", "b": "10.0", "agr": "5.6"},
    "items_on_time": {"a": "5.6", "b": "0.0", "agr": "3.3"},
    "overdue_items": {"a": "-4.0", "b": "-2.0", "agr": "-6.0"},
    "participation": {"a": "14.1", "b": "9.4", "agr": "12.5"},
    "zone_checks": {"a": "5.0", "b": "0.0", "agr": "5.0"},
    "findings_fixed": {"a": "5.6", "b": "10.0", "agr": "3.7"},
    "publicity": {"a": "5.0", "b": "0.0", "agr": "2.5"},
    "joint_study": {"a": "5.0", "b": "5.0", "agr": "5.0"},
}
EXPECTED_TOTALS = {"a": D("61.9"), "b": D("32.4"), "agr": D("51.6")}


def _subjects(assess):
    return {"a": assess.world.branch_a, "b": assess.world.branch_b, "agr": assess.agreement}


@pytest.mark.parametrize("key", sorted(EXPECTED_VALUES))
def test_each_metric_matches_the_hand_computed_value(assess, key):
    metric = metrics.REGISTRY[key]
    org_values = metric.values(metrics.ORG, Y, Q, now=NOW)
    agr_values = metric.values(metrics.AGR, Y, Q, now=NOW)
    for name, subject in _subjects(assess).items():
        values = agr_values if name == "agr" else org_values
        assert values.get(subject.pk, metric.empty_value()) == EXPECTED_VALUES[key][name], name


def test_each_metric_is_one_query_for_all_subjects(assess):
    for metric in metrics.REGISTRY.values():
        with CaptureQueriesContext(connection) as ctx:
            metric.values(metrics.ORG, Y, Q, now=NOW)
        assert len(ctx.captured_queries) == 1, metric.key


def test_the_rollup_scores_every_indicator_as_computed_by_hand(assess):
    summary = rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW)

    assert summary["organizations"] == 2 and summary["agreements"] == 1  # the draft agreement is left out
    rollups = {r.subject: r for r in QuarterRollup.objects.filter(year=Y, quarter=Q)}
    keys = {
        "a": f"org:{assess.world.branch_a.pk}",
        "b": f"org:{assess.world.branch_b.pk}",
        "agr": f"agr:{assess.agreement.pk}",
    }
    assert set(rollups) == set(keys.values())
    for name, key in keys.items():
        rollup = rollups[key]
        assert rollup.status == QuarterRollup.Status.PROVISIONAL
        scores = {s.indicator.metric: s for s in rollup.scores.select_related("indicator") if s.indicator.metric}
        for metric_key, expected in EXPECTED_POINTS.items():
            assert scores[metric_key].metric_value == EXPECTED_VALUES[metric_key][name], (name, metric_key)
            assert scores[metric_key].points == D(expected[name]), (name, metric_key)
            assert scores[metric_key].final_points == D(expected[name]), (name, metric_key)
        assert rollup.total == EXPECTED_TOTALS[name], name


def test_the_evidence_lists_exactly_the_records_behind_a_value(assess):
    a = assess.world.branch_a
    acts = assess.activities
    logged = metrics.REGISTRY["logged_in_time"].records(a, Y, Q, now=NOW)
    assert {x.title: x.n for x in logged} == {"X1": 1, "X4": 0}
    plan = metrics.REGISTRY["plan_completion"].records(a, Y, Q, now=NOW)
    assert {r.theme: r.n for r in plan} == {"R1": 1, "R2": 1, "R3": 0}
    publicity = metrics.REGISTRY["publicity"].records(assess.agreement, Y, Q, now=NOW)
    assert [item.activity for item in publicity] == [acts["X1"]]


def _snapshot():
    rollups = list(
        QuarterRollup.objects.order_by("subject", "year", "quarter").values_list(
            "pk", "subject", "status", "total", "computed_at", "scheme_id"
        )
    )
    scores = list(
        IndicatorScore.objects.order_by("pk").values_list(
            "pk", "rollup_id", "indicator_id", "metric_value", "points", "self_points", "review_points", "final_points"
        )
    )
    return rollups, scores


def test_running_it_twice_leaves_identical_rows_and_no_new_history(assess):
    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW)
    first = _snapshot()
    history = (QuarterRollup.history.count(), IndicatorScore.history.count())

    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW)

    assert _snapshot() == first
    assert (QuarterRollup.history.count(), IndicatorScore.history.count()) == history


def test_manual_scores_and_adjustments_survive_a_recomputation(assess):
    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW)
    rollup = QuarterRollup.objects.get(organization=assess.world.branch_a, year=Y, quarter=Q)
    scores = {s.indicator.name: s for s in rollup.scores.select_related("indicator")}
    IndicatorScore.objects.filter(pk=scores["品牌特色"].pk).update(review_points=D("4.0"), self_points=D("5.0"))
    IndicatorScore.objects.filter(pk=scores["工作创新"].pk).update(self_points=D("3.0"))
    IndicatorScore.objects.filter(pk=scores["联席会议召开"].pk).update(
        adjustment=D("-1.0"), adjustment_reason="会议记录不全"
    )

    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW)

    refreshed = {s.indicator.name: s for s in rollup.scores.select_related("indicator")}
    assert refreshed["品牌特色"].review_points == D("4.0") and refreshed["品牌特色"].final_points == D("4.0")
    assert refreshed["工作创新"].self_points == D("3.0") and refreshed["工作创新"].final_points == D("3.0")
    assert refreshed["联席会议召开"].adjustment == D("-1.0") and refreshed["联席会议召开"].final_points == D("9.0")
    rollup.refresh_from_db()
    assert rollup.total == EXPECTED_TOTALS["a"] + D("4.0") + D("3.0") - D("1.0")
    # The set-based refresh used after manual edits agrees with the rollup's own total.
    QuarterRollup.objects.filter(pk=rollup.pk).update(total=0)
    totals_services.rollup_totals_refresh([rollup.pk])
    rollup.refresh_from_db()
    assert rollup.total == EXPECTED_TOTALS["a"] + D("6.0")


def test_a_published_result_is_never_overwritten(assess):
    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW)
    QuarterRollup.objects.filter(organization=assess.world.branch_b).update(
        status=QuarterRollup.Status.PUBLISHED, total=D("88.0")
    )
    published = _snapshot()
    b_scores = [
        row for row in published[1] if row[1] == QuarterRollup.objects.get(organization=assess.world.branch_b).pk
    ]
    # New evidence for branch_b after publication.
    joint_meeting(assess.agreement, assess.world.branch_b)

    summary = rollup_services.rollup_compute(year=Y, quarter=Q, final=True, now=NOW)

    assert summary["published_skipped"] == 1
    b = QuarterRollup.objects.get(organization=assess.world.branch_b)
    assert b.status == QuarterRollup.Status.PUBLISHED and b.total == D("88.0")
    assert [row for row in _snapshot()[1] if row[1] == b.pk] == b_scores
    assert QuarterRollup.objects.get(organization=assess.world.branch_a).status == QuarterRollup.Status.FINAL


def test_a_nightly_provisional_run_does_not_reopen_a_final_result(assess):
    rollup_services.rollup_compute(year=Y, quarter=Q, final=True, now=NOW)
    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW)
    assert set(QuarterRollup.objects.values_list("status", flat=True)) == {QuarterRollup.Status.FINAL}


def _grow(world, count: int, start: int):
    """Branches with a member, a logged activity with a participant and an overdue item each."""
    agreement = AgreementFactory(
        number=f"GJ-GROW-{start}", title="扩容协议", term_start=dt.date(2025, 1, 1), term_end=dt.date(2026, 12, 31)
    )
    study = ActivityType.objects.get(code="study")
    for i in range(start, start + count):
        org = OrganizationFactory(name=f"扩容第{i}党支部", parent=world.general_1)
        AgreementPartyFactory(agreement=agreement, organization=org)
        member = MemberFactory(organization=org)
        ActivityFactory(
            title=f"活动{i}",
            type=study,
            lead=org,
            agreement=agreement,
            starts_at=at(4, 10),
            ends_at=at(4, 10, 11),
            place="现场",
            status="logged",
            summary="小结",
            logged_at=at(4, 11),
            participants=[member],
        )
        _item(agreement, org, dt.date(2025, 5, 1))


def _rollup_queries(quarter):
    """The statements of one rollup, with the INSERT batches of one upsert counted once: SQLite caps a statement
    at 999 parameters, so Django splits big upserts into batches (PostgreSQL sends each upsert as one)."""
    with CaptureQueriesContext(connection) as ctx:
        rollup_services.rollup_compute(year=Y, quarter=quarter, now=NOW)
    shapes = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        shape = sql.split(" VALUES ")[0] if sql.startswith("INSERT") else sql.split(" ")[0] + str(len(shapes))
        if not shapes or shapes[-1] != shape:
            shapes.append(shape)
    return shapes


def test_the_number_of_queries_does_not_grow_with_organizations(world):
    scheme_services.scheme_create_default(Y)
    _grow(world, 3, 0)
    few = _rollup_queries(1)
    _grow(world, 27, 3)
    many = _rollup_queries(2)
    assert QuarterRollup.objects.filter(quarter=2, organization__isnull=False).count() == 32
    assert len(few) == len(many)
    assert len(few) < 40


# --- scope ------------------------------------------------------------------------------------------------------


def _visible_subjects(user):
    return set(QuarterRollup.objects.visible_to(user).values_list("subject", flat=True))


def test_people_see_the_results_of_their_organization_their_agreements_and_reviewed_subtree(assess):
    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW)
    w = assess.world
    a, b, agr = f"org:{w.branch_a.pk}", f"org:{w.branch_b.pk}", f"agr:{assess.agreement.pk}"
    assert _visible_subjects(w.secretary1) == {a, agr}
    assert _visible_subjects(w.member1) == {a, agr}
    assert _visible_subjects(w.secretary2) == {b}
    assert _visible_subjects(w.liaison1) == {agr}
    assert _visible_subjects(w.committee) == {a, b, agr}
    assert _visible_subjects(w.outsider) == set()
    assert not IndicatorScore.objects.visible_to(w.outsider).exists()
    assert IndicatorScore.objects.visible_to(w.secretary2).count() == 12
    # Only reviewers (and admins) may score: secretaries read.
    assert set(QuarterRollup.objects.editable_by(w.committee).values_list("subject", flat=True)) == {a, b, agr}
    assert not QuarterRollup.objects.editable_by(w.secretary1).exists()


# --- runs -------------------------------------------------------------------------------------------------------


def test_a_reviewer_requests_a_run_that_is_done_after_commit(assess, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = rollup_services.rollup_request(actor=assess.world.committee, year=Y, quarter=Q)
    run.refresh_from_db()
    assert run.status == RollupRun.Status.DONE and run.final and run.started_at and run.finished_at
    assert run.summary["organizations"] == 2
    assert QuarterRollup.objects.filter(year=Y, quarter=Q, status=QuarterRollup.Status.FINAL).count() == 3


@pytest.mark.parametrize("user", ["secretary1", "liaison1", "outsider"])
def test_only_reviewers_and_admins_may_request_a_run(world, user):
    with pytest.raises(PermissionDenied):
        rollup_services.rollup_request(actor=world.user(user), year=Y, quarter=Q)
    assert not RollupRun.objects.exists()


def test_a_quarter_not_started_cannot_be_requested(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        rollup_services.rollup_request(actor=world.admin, year=2099, quarter=1)
    assert "year" in error.value.message_dict
    assert not RollupRun.objects.exists()


def test_a_failed_run_is_recorded_as_failed(world, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(rollup_services, "rollup_compute", boom)
    with pytest.raises(RuntimeError):
        rollup_services.rollup_run(year=Y, quarter=Q)
    run = RollupRun.objects.get()
    assert run.status == RollupRun.Status.FAILED and "database went away" in run.error and run.finished_at


def test_the_scheduled_tasks_compute_the_open_and_the_just_closed_quarter(world, monkeypatch):
    from assessments import tasks

    monkeypatch.setattr(rollup_services.timezone, "localdate", lambda *a: dt.date(2025, 7, 3))
    monkeypatch.setattr(metrics.timezone, "localdate", lambda *a: dt.date(2025, 7, 3))
    tasks.rollup_open_quarter.delay()
    tasks.rollup_close_quarter.delay()
    runs = {(r.year, r.quarter, r.final, r.status) for r in RollupRun.objects.all()}
    assert runs == {(2025, 3, False, "done"), (2025, 2, True, "done")}
    assert AssessmentScheme.objects.filter(year=2025).exists()


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2025, 7, 1), (2025, 2)),
        (dt.date(2025, 7, 8), (2025, 2)),
        (dt.date(2025, 7, 9), None),
        (dt.date(2025, 1, 2), (2024, 4)),
        (dt.date(2025, 5, 15), None),
    ],
)
def test_the_close_task_acts_only_in_the_first_days_of_a_quarter(today, expected):
    assert rules.rollup_close_due(today) == expected


def test_quarters_are_measured_in_shanghai_time():
    assert metrics.quarter_bounds(2025, 4) == (dt.date(2025, 10, 1), dt.date(2026, 1, 1))
    start, end = metrics.quarter_datetimes(2025, 1)
    assert start == dt.datetime(2024, 12, 31, 16, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2025, 3, 31, 16, 0, tzinfo=dt.UTC)
    assert metrics.current_quarter(dt.date(2025, 12, 31)) == (2025, 4)
    with pytest.raises(ValueError):
        metrics.quarter_bounds(2025, 5)
