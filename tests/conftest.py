"""The fixed cast (DESIGN.md §8) and the CI rule that nothing core may be skipped.

The world:

    集团党委 (committee: reviewer)                      社区党委 (partner root)
    ├── 第一党总支                                        └─ liaison1 (liaison)
    │   └── 甲党支部 (secretary1 secretary, member1 member)
    └── 第二党总支                                      外单位党委 (unrelated root)
        └── 乙党支部 (secretary2 secretary)               └─ outsider (secretary)
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine

from partnerships.models import Organization
from portal.models import Membership
from tests.factories import MemberFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.robot_support import Robot

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip a test whose real part is missing here — except under CI, where that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI: {reason}", pytrace=False)
    pytest.skip(reason)


# ``GJ_TEST_NOW=2027-03-31T23:30+08:00 pytest …`` runs the whole suite on that date (the clock ticks on from it): a
# test whose outcome depends on the date shows up, and gets a fixed clock or its code a fix.
_travel = None


def pytest_configure(config):
    global _travel
    when = os.environ.get("GJ_TEST_NOW")
    if when:
        destination = dt.datetime.fromisoformat(when)
        # The real Celery workers the suite starts (tests/worker_settings.py) live on the same clock: they inherit
        # how far it is from the real one.
        os.environ["GJ_TEST_CLOCK_OFFSET"] = str(destination.timestamp() - time.time())
        _travel = time_machine.travel(destination, tick=True)
        _travel.start()


def pytest_unconfigure(config):
    if _travel is not None:
        _travel.stop()


# The day a test with ``@pytest.mark.usefixtures("fixed_clock")`` runs on (the clock ticks on from it): for tests whose
# expectations are worked out from the date (``TODAY = FIXED_NOW.date()``), so they mean the same on every date.
FIXED_NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def fixed_clock():
    with time_machine.travel(FIXED_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()


# The rows the data migrations seed (activity types, co-construction dimensions). A transactional test ends with a
# flush that empties every table, so each transactional test seeds them again first (idempotent get_or_create).
# Django's serialized_rollback is no substitute: the flush re-creates content types under new keys, and restoring the
# serialized ones then collides with them.
_REFERENCE_MIGRATIONS = ("activities.migrations.0002_activity_types", "partnerships.migrations.0003_dimensions")


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


def seed_reference_rows() -> None:
    """The rows the data migrations seed, again where a flush removed them (idempotent)."""
    from django.apps import apps

    for module in _REFERENCE_MIGRATIONS:
        importlib.import_module(module).forwards(apps, None)


@pytest.fixture(autouse=True)
def _reference_rows(request):
    if not _is_transactional(request):
        return
    request.getfixturevalue("_django_db_helper")
    seed_reference_rows()


def pytest_sessionfinish(session, exitstatus):
    """Under CI a skipped test fails the run: browser and real-worker tests must really run."""
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        reporter.write_line(f"CI: {skipped} test(s) skipped; under CI that is a failure.", red=True)
        session.exitstatus = 1


@dataclass
class World:
    group: Organization
    general_1: Organization
    general_2: Organization
    branch_a: Organization
    branch_b: Organization
    partner: Organization
    unrelated: Organization
    admin: object
    committee: object
    secretary1: object
    secretary2: object
    liaison1: object
    member1: object
    outsider: object

    def user(self, name: str):
        return getattr(self, name)


@pytest.fixture
def world(db) -> World:
    group = OrganizationFactory(
        name="测试集团党委", kind=Organization.Kind.COMMITTEE, sector=Organization.Sector.CENTRAL_SOE
    )
    general_1 = OrganizationFactory(name="第一党总支", kind=Organization.Kind.GENERAL_BRANCH, parent=group)
    general_2 = OrganizationFactory(name="第二党总支", kind=Organization.Kind.GENERAL_BRANCH, parent=group)
    branch_a = OrganizationFactory(name="甲项目党支部", parent=general_1)
    branch_b = OrganizationFactory(name="乙机关党支部", parent=general_2)
    partner = OrganizationFactory(
        name="和平街道社区党委", kind=Organization.Kind.COMMITTEE, sector=Organization.Sector.STREET_COMMUNITY
    )
    unrelated = OrganizationFactory(
        name="外单位党委", kind=Organization.Kind.COMMITTEE, sector=Organization.Sector.PRIVATE
    )

    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    committee = UserFactory(username="committee")
    secretary1 = UserFactory(username="secretary1")
    secretary2 = UserFactory(username="secretary2")
    liaison1 = UserFactory(username="liaison1")
    member1 = UserFactory(username="member1")
    outsider = UserFactory(username="outsider")
    Role = Membership.Role
    MembershipFactory(user=committee, organization=group, role=Role.REVIEWER)
    MembershipFactory(user=secretary1, organization=branch_a, role=Role.SECRETARY)
    MembershipFactory(user=secretary2, organization=branch_b, role=Role.SECRETARY)
    MembershipFactory(user=liaison1, organization=partner, role=Role.LIAISON)
    MembershipFactory(user=member1, organization=branch_a, role=Role.MEMBER)
    MembershipFactory(user=outsider, organization=unrelated, role=Role.SECRETARY)
    return World(
        group=group,
        general_1=general_1,
        general_2=general_2,
        branch_a=branch_a,
        branch_b=branch_b,
        partner=partner,
        unrelated=unrelated,
        admin=admin,
        committee=committee,
        secretary1=secretary1,
        secretary2=secretary2,
        liaison1=liaison1,
        member1=member1,
        outsider=outsider,
    )


@pytest.fixture
def member_a(world):
    return MemberFactory(organization=world.branch_a, name="李红梅", phone="13912345678")


@pytest.fixture
def member_b(world):
    return MemberFactory(organization=world.branch_b, name="赵志强", phone="13987654321")


@pytest.fixture
def client_for(client):
    """Log the test client in as one of the cast: ``client_for(world.secretary1)``."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def robot():
    """A local group-robot server (tests/robot_support.py), closed after the test."""
    server = Robot()
    yield server
    server.close()
