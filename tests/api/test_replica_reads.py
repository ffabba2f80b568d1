"""The read API's reads take the read replica when one is configured (portal/replica.py), its token check and the
token's last-used mark the primary. Transactional, as in tests/portal/test_replica.py: inside a test transaction
every read stays on ``default`` by design."""

from __future__ import annotations

import pytest

from tests.activities.test_activities import at, make_activity, make_agreement
from tests.factories import ActionItemFactory
from tests.portal.test_replica import Captured

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.mark.parametrize(
    ("name", "table"),
    [("activities", "activities_activity"), ("action-items", "partnerships_actionitem")],
)
def test_api_lists_read_from_the_replica(world, settings, api_for, name, table):
    settings.READ_REPLICA = "replica"
    agreement = make_agreement(world)
    make_activity(world, agreement=agreement, title="副本上的活动", starts=at(-3))
    ActionItemFactory(agreement=agreement, title="副本上的督办")
    api = api_for(world.secretary1)
    with Captured() as sql:
        body = api.json(f"/api/v1/{name}")
    assert [row["title"] for row in body["results"]] in (["副本上的活动"], ["副本上的督办"])
    assert sql.reads_of("replica", table) and not sql.reads_of("default", table)
    # The token is looked up and marked used on the primary; nothing is written to the replica.
    assert sql.reads_of("default", "api_apitoken") and not sql.reads_of("replica", "api_apitoken")
    assert sql.writes_on("replica") == []
