"""The 资源共享 metrics: needs met through partners (``needs_met``) and resources shared (``resources_shared``) — one
statement for every subject, the same at few and many records, idempotent through the rollup, with their evidence.

The world: 甲项目党支部 (branch_a) and the street community (partner) under an agreement; in the second quarter of 2025
the community's volunteers meet one of 甲's needs (offered, accepted, the project confirmed), 甲 lends its hall for one of
the community's needs (accepted, project still open), and one offer is declined.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import metrics
from assessments.models import Indicator, IndicatorScore
from assessments.rules import AUTO
from assessments.services import rollups as rollup_services
from assessments.services import schemes as scheme_services
from partnerships.models import ActionItem, Need, Pairing
from tests.matrix.lists import make_lists_agreement, make_need, make_pairing, make_resource

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 7, 10, 12, 0, tzinfo=SH)
Y, Q = 2025, 2
D = Decimal


def _project(pairing, owner, partner, *, met_at=None, decided_at):
    item = ActionItem.objects.create(
        agreement=pairing.agreement,
        kind=ActionItem.Kind.PROJECT,
        title=pairing.need.title,
        responsible_party=owner,
        partner=partner,
        due_on=decided_at.date() + dt.timedelta(days=30),
        status=ActionItem.Status.DONE if met_at else ActionItem.Status.IN_PROGRESS,
    )
    Pairing.objects.filter(pk=pairing.pk).update(
        status=Pairing.Status.ACCEPTED, action_item=item, decided_at=decided_at
    )
    Need.objects.filter(pk=pairing.need_id).update(
        status=Need.Status.MET if met_at else Need.Status.MATCHED, met_at=met_at
    )
    return item


def _shared_world(world, suffix: str = "", month: int = 5):
    """One need of 甲 met by the community's volunteers, one of the community's matched with 甲's hall, one declined."""
    agreement = make_lists_agreement(world, number=f"GJ-RES-{suffix or '001'}")
    volunteers = make_resource(world.partner, f"和平社区志愿服务队{suffix}", kind="volunteers")
    hall = make_resource(world.branch_a, f"项目部党员活动室{suffix}")
    ours = make_need(world.branch_a, f"职工子女暑期托管{suffix}")
    theirs = make_need(world.partner, f"社区党课场地{suffix}")
    when = dt.datetime(2025, month, 12, 10, tzinfo=SH)
    met = _project(
        make_pairing(ours, world.partner, agreement, volunteers),
        world.partner,
        world.branch_a,
        decided_at=when,
        met_at=when + dt.timedelta(days=20),
    )
    _project(make_pairing(theirs, world.branch_a, agreement, hall), world.branch_a, world.partner, decided_at=when)
    declined = make_need(world.branch_a, f"夜校讲师{suffix}")
    make_pairing(declined, world.partner, agreement, status=Pairing.Status.DECLINED, decline_reason="已另行安排")
    return agreement, met


@pytest.fixture
def shared(world):
    return _shared_world(world)


def test_needs_met_counts_the_publisher_and_the_partner_that_met_it(world, shared):
    agreement, _ = shared
    org = metrics.REGISTRY["needs_met"].values(metrics.ORG, Y, Q, now=NOW)
    # 甲's need was met (甲 published it; the community met it as the project's owner); the hall project is open.
    assert org == {world.branch_a.pk: D(1), world.partner.pk: D(1)}
    assert metrics.REGISTRY["needs_met"].values(metrics.AGR, Y, Q, now=NOW) == {agreement.pk: D(1)}


def test_resources_shared_counts_the_offering_organization(world, shared):
    agreement, _ = shared
    org = metrics.REGISTRY["resources_shared"].values(metrics.ORG, Y, Q, now=NOW)
    assert org == {world.branch_a.pk: D(1), world.partner.pk: D(1)}  # the declined offer does not count
    assert metrics.REGISTRY["resources_shared"].values(metrics.AGR, Y, Q, now=NOW) == {agreement.pk: D(2)}


def test_other_quarters_are_left_out(world):
    _shared_world(world, month=8)  # the third quarter
    for key in ("needs_met", "resources_shared"):
        assert metrics.REGISTRY[key].values(metrics.ORG, Y, Q, now=NOW) == {}


def test_each_is_one_statement_at_few_and_many_records(world, shared):
    for key in ("needs_met", "resources_shared"):
        with CaptureQueriesContext(connection) as ctx:
            metrics.REGISTRY[key].values(metrics.ORG, Y, Q, now=NOW)
        assert len(ctx.captured_queries) == 1, key
    for n in range(2, 8):
        _shared_world(world, suffix=f"-{n}")
    for key in ("needs_met", "resources_shared"):
        with CaptureQueriesContext(connection) as ctx:
            values = metrics.REGISTRY[key].values(metrics.ORG, Y, Q, now=NOW)
        assert len(ctx.captured_queries) == 1, key
        assert values[world.branch_a.pk] == D(7)


def test_the_evidence_lists_the_records_behind_the_value(world, shared):
    _, met = shared
    records = metrics.REGISTRY["needs_met"].records(world.partner, Y, Q, now=NOW)
    assert [need.title for need in records] == ["职工子女暑期托管"]
    assert met.pairing.need == records[0]


def test_the_rollup_scores_them_and_a_rerun_changes_nothing(world, shared):
    scheme = scheme_services.scheme_create_default(Y)
    order = scheme.indicators.count()
    Cat = Indicator.Category
    Indicator.objects.bulk_create(
        [
            Indicator(
                scheme=scheme,
                category=Cat.RESOURCES,
                name="需求对接",
                points=D(5),
                target=D(2),
                source=AUTO,
                metric="needs_met",
                order=order,
            ),
            Indicator(
                scheme=scheme,
                category=Cat.RESOURCES,
                name="资源共享",
                points=D(5),
                target=D(1),
                source=AUTO,
                metric="resources_shared",
                order=order + 1,
            ),
        ]
    )
    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW)
    scores = IndicatorScore.objects.filter(
        rollup__subject=f"org:{world.branch_a.pk}", indicator__category=Cat.RESOURCES
    )
    first = {
        s.indicator.metric: (s.metric_value, s.points) for s in scores.select_related("indicator") if s.indicator.metric
    }
    assert first == {"needs_met": (D(1), D("2.5")), "resources_shared": (D(1), D(5))}
    before = list(IndicatorScore.objects.order_by("pk").values_list("pk", "metric_value", "points"))
    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW)
    assert list(IndicatorScore.objects.order_by("pk").values_list("pk", "metric_value", "points")) == before
