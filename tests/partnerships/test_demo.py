"""``manage.py seed_demo`` with the partnerships seeder: the demo world, idempotence, the password guard."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, OutputWrapper
from django.core.management.color import no_style

from demo.engine import partnerships as demo
from demo.engine.context import DEMO_PASSWORD, DemoContext
from partnerships.models import Member, Organization
from portal.models import Membership
from tests import demo_support

Kind = Organization.Kind
Sector = Organization.Sector
Role = Membership.Role

pytestmark = pytest.mark.django_db


def seed_demo(*args: str) -> str:
    # The later apps' demo data is their tests' business; this file checks the partnerships part.
    return demo_support.seed_demo("--upto", "partnerships", *args)


def role_orgs(username: str, role: str) -> list[Organization]:
    return [m.organization for m in Membership.objects.filter(user__username=username, role=role)]


def is_under(org: Organization, ancestor: Organization) -> bool:
    return org.path.startswith(ancestor.path)


def snapshot() -> dict:
    """Everything a re-run could touch, down to timestamps, password hashes and history rows."""
    User = get_user_model()
    return {
        "organizations": list(Organization.objects.order_by("pk").values()),
        "organization_history": Organization.history.count(),
        "members": list(Member.objects.order_by("pk").values()),
        "member_history": Member.history.count(),
        "users": list(User.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
    }


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    return settings


def test_it_builds_the_demo_world(debug):
    seed_demo()

    [group] = role_orgs("committee", Role.REVIEWER)
    assert group.is_root() and group.kind == Kind.COMMITTEE and group.sector == Sector.CENTRAL_SOE
    subtree = Organization.objects.filter(path__startswith=group.path)
    assert subtree.filter(kind=Kind.GENERAL_BRANCH).count() >= 3
    assert subtree.filter(kind=Kind.BRANCH).count() >= 8
    assert subtree.filter(kind=Kind.JOINT_BRANCH).exists()
    assert subtree.filter(kind=Kind.GROUP).count() >= 2

    roots = Organization.objects.get_root_nodes()
    for sector, kind in [
        (Sector.STREET_COMMUNITY, Kind.COMMITTEE),
        (Sector.GENERAL_CONTRACTOR, Kind.BRANCH),
        (Sector.PRIVATE, Kind.BRANCH),
        (Sector.DEV_ZONE, Kind.WORKING_COMMITTEE),
    ]:
        assert roots.filter(sector=sector, kind=kind).exists(), (sector, kind)

    assert Member.objects.count() >= 150
    assert Member.objects.exclude(organization__path__startswith=group.path).exists()
    phones = list(Member.objects.values_list("phone", flat=True))
    assert all(phones) and len(set(phones)) == len(phones)

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    [branch_a] = role_orgs("secretary1", Role.SECRETARY)
    assert role_orgs("secretary1", Role.LIAISON) == [branch_a]
    [branch_b] = role_orgs("secretary2", Role.SECRETARY)
    assert is_under(branch_a, group) and is_under(branch_b, group)
    [partner] = role_orgs("liaison1", Role.LIAISON)
    assert partner.is_root() and partner.sector in (Sector.GENERAL_CONTRACTOR, Sector.STREET_COMMUNITY)
    for username, org in [("secretary1", branch_a), ("secretary2", branch_b), ("liaison1", partner)]:
        assert Member.objects.get(user__username=username).organization == org


def test_it_hands_its_world_to_later_seeders(debug):
    ctx = DemoContext(stdout=OutputWrapper(io.StringIO()), style=no_style(), create_passwords=True)

    demo.seed(ctx)

    data = ctx.data["partnerships"]
    assert data["branch_a"] == Membership.objects.get(user__username="secretary1", role=Role.SECRETARY).organization
    assert data["branch_b"] == Membership.objects.get(user__username="secretary2").organization
    assert set(data["branch_a_partners"]) == {
        data["contractor_branch"],
        data["street_committee"],
        data["dev_zone_committee"],
    }
    assert data["branch_b"] not in data["branch_a_partners"]
    assert set(data["users"]) == {"admin", "committee", "secretary1", "secretary2", "liaison1"}


def test_it_is_idempotent(debug):
    seed_demo()
    before = snapshot()

    seed_demo()

    assert snapshot() == before


def test_it_tops_up_a_partly_deleted_world(debug):
    seed_demo()
    counts = Member.objects.count(), Membership.objects.count()
    secretary1 = get_user_model().objects.get(username="secretary1")
    branch_a = Membership.objects.get(user=secretary1, role=Role.SECRETARY).organization
    Member.objects.filter(organization=branch_a).exclude(user=secretary1).delete()
    Membership.objects.filter(user=secretary1).delete()

    seed_demo()

    assert (Member.objects.count(), Membership.objects.count()) == counts


def test_secretaries_belong_to_unrelated_branches(debug):
    seed_demo()

    [branch_a] = role_orgs("secretary1", Role.SECRETARY)
    [branch_b] = role_orgs("secretary2", Role.SECRETARY)
    assert branch_a != branch_b
    assert not is_under(branch_a, branch_b) and not is_under(branch_b, branch_a)
    # Not even siblings: they sit under different 党总支.
    assert Organization.objects.get_parent(branch_a) != Organization.objects.get_parent(branch_b)


def test_it_refuses_known_passwords_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        seed_demo()
    assert not get_user_model().objects.exists()

    seed_demo("--no-passwords")

    users = get_user_model().objects.filter(username__in=[spec.username for spec in demo.USERS])
    assert users.count() == len(demo.USERS)
    assert not any(user.has_usable_password() for user in users)


def test_it_gives_new_users_the_demo_password_but_leaves_existing_ones_alone(debug):
    User = get_user_model()
    User.objects.create_user("secretary2", password="my-own-secret")

    seed_demo()

    assert User.objects.get(username="secretary1").check_password(DEMO_PASSWORD)
    assert User.objects.get(username="secretary2").check_password("my-own-secret")


def test_it_prints_progress(debug):
    output = seed_demo()

    assert "partnerships" in output
    assert f"organizations: {len(demo.ORGANIZATIONS)} created" in output
    assert "members:" in output and "roles: 5 granted" in output
    assert "[##############################]" in output
    assert "Demo data ready." in output

    output = seed_demo()

    assert "organizations: 0 created" in output and "members: 0 created" in output
