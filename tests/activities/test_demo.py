"""``manage.py seed_demo`` with the activities seeder: plans, a year and a quarter of activities, the key project's
zones, posts and teams — and that secretary1's and secretary2's worlds never meet.

Seeding the whole demo takes several seconds, so the module seeds once, inside a transaction rolled back when the
module is done (what ``TestCase.setUpClass`` does); each test runs in a savepoint of its own on top of it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import OutputWrapper
from django.core.management.color import no_style
from django.db.models import Count
from django.utils import timezone

from activities.models import (
    Activity,
    ActivityCheckIn,
    ActivityCheckInCode,
    ActivityParticipation,
    ActivityPhoto,
    ActivityPlan,
    KeyProject,
    PioneerPost,
    PlannedActivity,
    ProjectMilestone,
    ProjectMonthlyFigure,
    PublicityItem,
    ResponsibilityZone,
    Team,
    TeamMember,
    ZoneAssignment,
    ZoneCheck,
    ZoneCheckPhoto,
    ZoneDimension,
)
from demo.engine import activities as activities_demo
from demo.engine import partnerships as partnerships_demo
from demo.engine.context import DemoContext
from partnerships.models import Agreement, Organization
from portal.models import Membership
from tests.conftest import seed_reference_rows
from tests.demo_support import rolled_back, seed_demo

Status = Activity.Status

pytestmark = pytest.mark.django_db

MODELS = (
    ProjectMilestone,
    ProjectMonthlyFigure,
    ActivityCheckIn,
    ActivityCheckInCode,
    ActivityPlan,
    PlannedActivity,
    Activity,
    PublicityItem,
    ActivityParticipation,
    ActivityPhoto,
    KeyProject,
    ResponsibilityZone,
    ZoneAssignment,
    ZoneCheck,
    ZoneCheckPhoto,
    PioneerPost,
    Team,
    TeamMember,
)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo, seeded once for the module and rolled back after its last test."""
    with rolled_back(django_db_blocker):
        # Whatever ran before (a transactional test's flush empties the data migrations' rows too).
        seed_reference_rows()
        yield seed_demo()


def user(username: str):
    return get_user_model().objects.get(username=username)


def org_of(username: str) -> Organization:
    return Membership.objects.get(user__username=username, role=Membership.Role.SECRETARY).organization


def parties_of(agreement: Agreement) -> set[int]:
    return set(agreement.parties.values_list("organization_id", flat=True))


def counts() -> dict[str, int]:
    rows = {model.__name__: model.objects.count() for model in MODELS}
    rows["history"] = Activity.history.count() + ZoneCheck.history.count() + ActivityPlan.history.count()
    rows["participants"] = Activity.participants.through.objects.count()
    rows["co_organizers"] = Activity.co_organizers.through.objects.count()
    return rows


def test_it_seeds_over_two_hundred_activities_over_the_past_year_and_the_next_quarter(seeded):
    today, now = timezone.localdate(), timezone.now()
    window = Activity.objects.filter(
        starts_at__date__gte=today - dt.timedelta(days=366), starts_at__date__lte=today + dt.timedelta(days=92)
    )
    assert window.count() >= 200
    first = timezone.localdate(window.order_by("starts_at").first().starts_at)
    last = timezone.localdate(window.order_by("-starts_at").first().starts_at)
    assert first <= today - dt.timedelta(days=330) and last >= today + dt.timedelta(days=60)
    assert window.filter(ends_at__lte=now).count() >= 150
    assert window.filter(starts_at__gt=now, status=Status.PLANNED).count() >= 20
    # Every month of the window has something on the calendar.
    months = {(d.year, d.month) for d in window.dates("starts_at", "month")}
    assert len(months) >= 14
    assert "activities:" in seeded and "Demo data ready." in seeded


def test_every_agreement_in_force_has_this_years_plan_with_rotating_leads(seeded):
    year = timezone.localdate().year
    active = Agreement.objects.filter(status=Agreement.Status.ACTIVE)
    assert active.count() >= 3
    for agreement in active:
        plan = ActivityPlan.objects.get(agreement=agreement, year=year)
        rows = list(plan.rows.prefetch_related("co_organizers"))
        assert 8 <= len(rows) <= 14, (agreement.number, len(rows))
        parties = parties_of(agreement)
        assert {row.lead_id for row in rows} == parties  # every party hosts something (轮流举办)
        for row in rows:
            assert 1 <= row.month <= 12 and row.theme and row.content
            assert {org.pk for org in row.co_organizers.all()} == parties - {row.lead_id}
    # The expired agreement keeps the plans of its last year(s), within its term, one of them a full one.
    expired = Agreement.objects.get(status=Agreement.Status.EXPIRED)
    plans = ActivityPlan.objects.filter(agreement=expired).annotate(n=Count("rows"))
    assert any(8 <= plan.n <= 14 for plan in plans)
    for row in PlannedActivity.objects.filter(plan__agreement=expired).select_related("plan"):
        assert dt.date(row.plan.year, row.month, 1) <= expired.term_end
    assert not ActivityPlan.objects.filter(agreement__status=Agreement.Status.DRAFT).exists()


def test_agreement_activities_belong_to_its_parties_and_most_follow_a_plan_row(seeded):
    activities = Activity.objects.select_related("plan_row__plan").prefetch_related("co_organizers")
    parties = {agreement.pk: parties_of(agreement) for agreement in Agreement.objects.all()}
    for activity in activities.exclude(agreement=None):
        co = {org.pk for org in activity.co_organizers.all()}
        assert activity.lead_id in parties[activity.agreement_id]
        assert co == parties[activity.agreement_id] - {activity.lead_id}
        if activity.plan_row is not None:
            assert activity.plan_row.plan.agreement_id == activity.agreement_id
            assert activity.plan_row.lead_id == activity.lead_id
    assert activities.exclude(plan_row=None).count() > activities.count() / 2
    assert activities.filter(agreement=None).exists()  # branches' own activities
    for activity in activities:
        assert activity.ends_at >= activity.starts_at


def test_most_past_activities_are_logged_with_headcounts_participants_and_photos(seeded):
    past = Activity.objects.filter(ends_at__lte=timezone.now())
    statuses = Counter(past.values_list("status", flat=True))
    total = sum(statuses.values())
    assert statuses[Status.LOGGED] >= 0.75 * total
    assert statuses[Status.HELD] >= 5 and statuses[Status.CANCELLED] >= 3
    for activity in Activity.objects.filter(status=Status.CANCELLED):
        assert activity.cancel_reason

    logged = past.filter(status=Status.LOGGED).prefetch_related(
        "participations", "participants", "photos", "co_organizers"
    )
    # The publicity notes became publicity items (demo/engine/publicity.py); the log's old columns are cleared.
    assert not logged.exclude(publicity_title="").exists()
    for activity in logged:
        assert activity.summary and activity.outcomes and activity.logged_at >= activity.ends_at
        taking_part = {activity.lead_id, *(org.pk for org in activity.co_organizers.all())}
        headcounts = {p.organization_id: p.headcount for p in activity.participations.all()}
        named = Counter(member.organization_id for member in activity.participants.all())
        assert set(headcounts) == taking_part
        assert set(named) <= taking_part
        for org, how_many in named.items():
            assert how_many <= headcounts[org]
        photos = list(activity.photos.all())
        assert 1 <= len(photos) <= 3
    for photo in ActivityPhoto.objects.all()[:40]:
        assert photo.image.storage.exists(photo.image.name) and photo.thumbnail.storage.exists(photo.thumbnail.name)
        assert photo.width == 640 and photo.height == 480
    # Photos and timestamps carry the story's dates, not the seeding day.
    assert Activity.objects.filter(status=Status.LOGGED, logged_at__lt=timezone.now() - dt.timedelta(days=200)).exists()
    assert ActivityPhoto.objects.filter(created_at__lt=timezone.now() - dt.timedelta(days=200)).exists()
    assert Activity.objects.filter(created_at__lt=timezone.now() - dt.timedelta(days=200)).exists()
    assert Activity.history.filter(history_date__lt=timezone.now() - dt.timedelta(days=200)).exists()


def test_publicity_items_in_every_state_and_branch_brands(seeded):
    states = Counter(PublicityItem.objects.values_list("status", flat=True))
    assert all(states[state] >= 1 for state in PublicityItem.Status.values), states
    assert states[PublicityItem.Status.APPROVED] > states[PublicityItem.Status.SUBMITTED]
    for item in PublicityItem.objects.filter(status=PublicityItem.Status.RETURNED):
        assert item.return_reason
    assert PublicityItem.objects.filter(activity__status=Status.LOGGED).count() == PublicityItem.objects.count()
    assert Organization.objects.exclude(brand="").filter(kind=Organization.Kind.BRANCH).count() >= 2
    assert Agreement.objects.exclude(brand="").filter(publicity_items__status="approved").exists()
    secretary1 = user("secretary1")
    assert PublicityItem.objects.editable_by(secretary1).filter(status=PublicityItem.Status.RETURNED).exists()


def test_the_key_project_has_four_zones_claimed_by_at_least_two_parties(seeded):
    project = KeyProject.objects.get(code="LJGD5-TJ01")  # the metro line (the depot is 党建+业务's)
    assert project.is_joint and project.honours and project.supervision_phone
    assert project.owner == org_of("secretary1")
    parties = parties_of(project.agreement)
    assert len(parties) == 3

    zones = list(project.zones.prefetch_related("assignments__member", "checks__photos"))
    assert len(zones) == 4
    for zone in zones:
        orgs = {assignment.member.organization_id for assignment in zone.assignments.all()}
        assert len(orgs) >= 2 and orgs <= parties and zone.lead_id in parties
        roles = Counter(assignment.role for assignment in zone.assignments.all())
        assert roles[ZoneAssignment.Role.LEADER] == 1 and 3 <= sum(roles.values()) <= 8
        assert zone.dimensions and set(zone.dimensions) <= set(ZoneDimension.values) and zone.pledges
        assert zone.checks.count() >= 4

    checks = ZoneCheck.objects.filter(zone__project=project)
    today = timezone.localdate()
    open_findings = [check for check in checks if check.is_open]
    assert 2 <= len(open_findings) <= 3
    assert sum(1 for check in open_findings if check.fix_due_on < today) == 1
    fixed = checks.exclude(fixed_on=None)
    assert fixed.count() >= 5 and all(check.fix and check.fixed_by_id for check in fixed)
    for photo in ZoneCheckPhoto.objects.filter(zone_check__zone__project=project):
        assert photo.image.storage.exists(photo.image.name)
    assert checks.annotate(n=Count("photos")).filter(n__gte=1, category="safety").exists()


def test_pioneer_posts_and_teams_draw_on_several_parties(seeded):
    branch_a, contractor = org_of("secretary1"), Membership.objects.get(user__username="liaison1").organization
    posts = PioneerPost.objects.select_related("member")
    assert 6 <= posts.count() <= 10
    assert {post.organization_id for post in posts} == {branch_a.pk, contractor.pk}
    assert all(post.member.organization_id == post.organization_id for post in posts)
    assert posts.exclude(project=None).count() >= 4

    commando = Team.objects.get(kind=Team.Kind.COMMANDO)
    orgs = set(commando.memberships.values_list("member__organization", flat=True))
    assert len(orgs) >= 2 and commando.memberships.filter(role=TeamMember.Role.LEADER).count() == 1
    assert Team.objects.filter(kind=Team.Kind.VANGUARD).exists()


def test_secretary1_and_secretary2_never_see_each_others_activities(seeded):
    secretary1, secretary2 = user("secretary1"), user("secretary2")
    seen_by_1 = set(Activity.objects.visible_to(secretary1).values_list("pk", flat=True))
    seen_by_2 = set(Activity.objects.visible_to(secretary2).values_list("pk", flat=True))
    assert len(seen_by_2) >= 15 and len(seen_by_1) >= 100
    assert not seen_by_1 & seen_by_2
    branch_b = org_of("secretary2")
    assert Activity.objects.filter(lead=branch_b, agreement=None).count() >= 10
    assert Activity.objects.filter(co_organizers=branch_b).exists()  # head-office branches invite it
    assert not ActivityPlan.objects.visible_to(secretary2).exists()
    assert not KeyProject.objects.visible_to(secretary2).exists()


def test_secretary1_has_activities_to_log_and_activities_this_week(seeded):
    secretary1 = user("secretary1")
    mine = Activity.objects.editable_by(secretary1)
    now = timezone.now()
    recent = mine.awaiting_log().filter(status=Status.HELD, ends_at__gte=now - dt.timedelta(days=7))
    assert 2 <= recent.count() <= 3
    # Nothing on the list is past the 30-day edit lock.
    assert not mine.awaiting_log().filter(ends_at__lt=now - dt.timedelta(days=30)).exists()
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    this_week = mine.filter(starts_at__date__gte=monday, starts_at__date__lt=monday + dt.timedelta(days=7))
    assert this_week.count() >= 2
    assert mine.filter(status=Status.PLANNED, starts_at__gt=now).exists()


def test_the_key_projects_show_business_beside_party_work(seeded):
    """党建+业务: the metro line runs 45 days ahead, the depot lags; a year and more of monthly figures each."""
    from activities.selectors.business import project_business, schedule_overview

    metro = KeyProject.objects.get(code="LJGD5-TJ01")
    depot = KeyProject.objects.get(code="LJGD5-CL02")
    ahead, behind = project_business(metro), project_business(depot)
    assert (ahead["schedule"], ahead["deviation"]) == (ProjectMilestone.Schedule.AHEAD, -45)
    assert behind["schedule"] == ProjectMilestone.Schedule.BEHIND and behind["deviation"] >= 30
    assert len(ahead["figures"]) >= 12 and len(behind["figures"]) >= 12
    assert sum(ahead["chart"].activities) > 0 and sum(ahead["chart"].zone_checks) > 0
    overview = schedule_overview(user("committee"))
    assert overview["counts"]["ahead"] >= 1 and [p.pk for p in overview["lagging"]][:1] == [depot.pk]
    assert not KeyProject.objects.visible_to(user("secretary2")).exists()


def test_secretary1s_activities_to_log_have_check_ins_to_start_the_log_from(seeded):
    recent = Activity.objects.editable_by(user("secretary1")).filter(
        status=Status.HELD, ends_at__gte=timezone.now() - dt.timedelta(days=7)
    )
    assert recent.exists()
    for activity in recent:
        assert ActivityCheckInCode.objects.filter(activity=activity).exists()
        rows = list(ActivityCheckIn.objects.filter(activity=activity))
        members = [row for row in rows if row.member_id]
        assert members and any(row.member_id is None and row.unit for row in rows)
        assert all(row.organization_id == row.member.organization_id for row in members)
        assert all(activity.starts_at - dt.timedelta(minutes=31) <= row.created_at <= activity.ends_at for row in rows)


def test_a_second_run_creates_nothing(seeded):
    before = counts()

    output = seed_demo()

    assert counts() == before
    assert "activities: 0 created" in output and "activity plans: 0 created" in output


def test_it_hands_its_results_to_later_seeders(seeded):
    ctx = DemoContext(stdout=OutputWrapper(io.StringIO()), style=no_style(), create_passwords=False)
    partnerships_demo.seed(ctx)
    before = counts()

    activities_demo.seed(ctx)

    assert counts() == before
    data = ctx.data["activities"]
    assert data["key_project"] == KeyProject.objects.get(code="LJGD5-TJ01")
    assert len(data["zones"]) == 4 and len(data["teams"]) == 2 and data["posts"]
    year = timezone.localdate().year
    assert data["plans"][("joint", year)] == ActivityPlan.objects.get(agreement__number="HD5-LJ-001", year=year)
