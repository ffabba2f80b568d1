"""Every endpoint costs a fixed number of queries: the same with one row of each kind as with many (DESIGN §9)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import publish_minutes
from tests.factories import (
    ActionItemFactory,
    ActionItemUpdateFactory,
    ActivityFactory,
    ActivityParticipationFactory,
    DecisionFactory,
    JointMeetingFactory,
    OrganizationFactory,
    QuarterRollupFactory,
    ResponsibilityZoneFactory,
    ZoneCheckFactory,
    cast_agreement,
)

# The ceiling per endpoint (token, scope, the page's reads); the test's point is that few and many rows cost the same.
BUDGETS = {
    "organizations": 5,
    "agreements": 6,
    "meetings": 4,
    "action-items": 4,
    "activities": 6,
    "zones": 5,
    "results": 5,
    "dashboard": 16,
}


def _grow(world, n: int) -> dict:
    """``n`` of every record on a fresh agreement of secretary1's branch, each with its children."""
    agreement = cast_agreement(world)
    made = {}
    for _ in range(n):
        OrganizationFactory(parent=world.general_1)
        meeting = JointMeetingFactory(agreement=agreement)
        for _ in range(2):
            decision = DecisionFactory(meeting=meeting)
            ActionItemFactory(agreement=agreement, decision=decision)
        publish_minutes(meeting, world.secretary1)
        item = ActionItemFactory(agreement=agreement)
        ActionItemUpdateFactory(item=item)
        activity = ActivityFactory(agreement=agreement, lead=world.branch_a)
        ActivityParticipationFactory(activity=activity, organization=world.branch_a)
        ActivityParticipationFactory(activity=activity, organization=world.partner)
        zone = ResponsibilityZoneFactory(project__agreement=agreement)
        ZoneCheckFactory(zone=zone)
        ZoneCheckFactory(zone=zone)
        made.update(meeting=meeting, item=item, activity=activity, zone=zone)
    QuarterRollupFactory(organization=world.branch_a, quarter=n % 4 + 1)
    made["agreement"] = agreement
    return made


def _count(api, path, params=None) -> int:
    api.json(path, params)  # warm: the token's last use is stamped on the first request only
    with CaptureQueriesContext(connection) as ctx:
        api.json(path, params)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", sorted(BUDGETS))
def test_a_list_costs_the_same_at_few_and_many_rows(api_for, world, name):
    api = api_for(world.secretary1)
    path = f"/api/v1/{name}"
    params = {} if name == "dashboard" else {"limit": 200}
    _grow(world, 1)
    few = _count(api, path, params)
    _grow(world, 6)
    many = _count(api, path, params)
    assert few == many, (few, many)
    assert many <= BUDGETS[name], many


@pytest.mark.parametrize("name", sorted(set(BUDGETS) - {"dashboard"}))
def test_a_list_narrowed_to_an_organization_costs_the_same_at_few_and_many_rows(api_for, world, name):
    """The ``organization`` filter (by a field, a subtree or a party of the agreement) adds one lookup, never one per
    row."""
    api = api_for(world.secretary1)
    org = world.general_1 if name == "organizations" else world.branch_a
    path, params = f"/api/v1/{name}", {"limit": 200, "organization": org.pk}
    _grow(world, 1)
    shown = len(api.json(path, params)["results"])
    few = _count(api, path, params)
    _grow(world, 6)
    assert len(api.json(path, params)["results"]) > shown > 0
    many = _count(api, path, params)
    assert few == many, (few, many)
    assert many <= BUDGETS[name] + 1, many


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("meetings", "meeting"),
        ("action-items", "item"),
        ("activities", "activity"),
        ("zones", "zone"),
        ("agreements", "agreement"),
    ],
)
def test_a_detail_costs_the_same_however_many_rows_there_are(api_for, world, name, key):
    api = api_for(world.secretary1)
    small = _grow(world, 1)
    few = _count(api, f"/api/v1/{name}/{small[key].pk}")
    big = _grow(world, 6)
    many = _count(api, f"/api/v1/{name}/{big[key].pk}")
    assert few == many, (few, many)
    assert many <= 7, many
