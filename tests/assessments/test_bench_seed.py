"""The benchmark's seeding command at a tiny scale, so bench/ cannot rot: the rows it promises, usable by the rollup,
and its refusal to mix synthetic data into a real database."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from activities.models import (
    Activity,
    ActivityPlan,
    KeyProject,
    PlannedActivity,
    ProjectMilestone,
    PublicityItem,
    ResponsibilityZone,
    ZoneCheck,
)
from activities.selectors.business import schedule_fields
from assessments import metrics
from assessments.services import rollups as services
from partnerships.models import ActionItem, Agreement, AgreementParty, JointMeeting, Member, Organization

Y, Q = 2025, 2


def _seed(**options):
    out = io.StringIO()
    call_command(
        "seed_scale",
        orgs=options.pop("orgs", 4),
        activities=options.pop("activities", 200),
        year=Y,
        quarter=Q,
        chunk=options.pop("chunk", 64),  # several chunks even at this size
        no_progress=True,
        stdout=out,
        stderr=io.StringIO(),
        **options,
    )
    return out.getvalue()


def test_it_seeds_the_promised_rows(db):
    output = _seed(items=30, zone_checks=40, members_per_org=5)

    assert Organization.objects.count() == 5 and Organization.objects.filter(kind="branch").count() == 4
    assert Agreement.objects.count() == 4 and AgreementParty.objects.count() == 8
    assert Activity.objects.count() == 200
    joint = Activity.objects.filter(agreement__isnull=False)
    assert 0 < joint.count() < 200
    assert Activity.co_organizers.through.objects.count() == joint.count()
    assert Activity.participants.through.objects.exists()
    assert ActionItem.objects.count() == 30 and ZoneCheck.objects.count() == 40
    assert Member.objects.count() == 20
    assert ActivityPlan.objects.count() == 4 and PlannedActivity.objects.count() == 12
    assert JointMeeting.objects.count() == 8 and KeyProject.objects.count() == 4
    assert ResponsibilityZone.objects.count() == 8
    # A publicity item for each logged report, credited to one brand; some approved, some waiting.
    reported = Activity.objects.exclude(publicity_title="")
    assert PublicityItem.objects.count() == reported.count() > 0
    assert PublicityItem.objects.filter(status="approved", reviewed_at__isnull=False).exists()
    assert PublicityItem.objects.filter(status="submitted", reviewed_at__isnull=True).exists()
    for item in PublicityItem.objects.select_related("activity"):
        assert (item.agreement_id, item.branch_id) == (
            (item.activity.agreement_id, None) if item.activity.agreement_id else (None, item.activity.lead_id)
        )
    # Two milestones per project, and on each project what its milestones give (as every milestone write stores).
    assert ProjectMilestone.objects.count() == 8
    for project in KeyProject.objects.prefetch_related("milestones"):
        stored = {name: getattr(project, name) for name in ("has_milestones", "reached_delay", "open_from")}
        assert stored == schedule_fields(list(project.milestones.all()))
    assert KeyProject.objects.filter(reached_delay__isnull=False).exists()
    start, end = metrics.quarter_datetimes(Y, Q)
    assert not Activity.objects.exclude(starts_at__gte=start, ends_at__lt=end).exists()  # all in the quarter
    for model in (
        Organization,
        Activity,
        ActionItem,
        ZoneCheck,
        PublicityItem,
        ProjectMilestone,
    ):  # rows the models themselves accept
        for row in model.objects.order_by("pk")[:25]:
            row.full_clean(exclude=["checked_by"], validate_unique=False)
    assert "activities 200" in output


def test_the_rollup_runs_on_the_seeded_quarter(db):
    _seed()

    summary = services.rollup_compute(year=Y, quarter=Q, final=True, now=metrics.quarter_datetimes(Y, Q + 1)[0])

    assert summary["organizations"] == 4 and summary["agreements"] == 4
    logged = metrics.REGISTRY["logged_in_time"].values(metrics.ORG, Y, Q, now=metrics.quarter_datetimes(Y, Q + 1)[0])
    assert len(logged) == 4 and all(0 < value < 100 for value in logged.values())


def test_it_refuses_a_database_with_real_data(world):
    with pytest.raises(CommandError, match="not bench data"):
        _seed()
    assert not Activity.objects.exists()


def test_it_refuses_to_seed_twice(db):
    _seed(activities=10)
    with pytest.raises(CommandError, match="already present"):
        _seed(activities=10)
