"""A token sees exactly what its user's pages show: secretary2's token sees none of secretary1's rows, ids out of
scope are 404, unpublished minutes never leave the portal."""

from __future__ import annotations

import pytest

from partnerships.models import JointMeeting
from tests.factories import DecisionFactory, JointMeetingFactory

LISTS = ["agreements", "meetings", "action-items", "activities", "zones", "results"]
DETAILS = {
    "agreements": "agreement",
    "meetings": "meeting",
    "action-items": "item",
    "activities": "activity",
    "zones": "zone",
    "results": "result",
}


@pytest.mark.parametrize("name", LISTS)
def test_secretary1_sees_her_rows(api_for, world, records_a, name):
    ids = [row["id"] for row in api_for(world.secretary1).json(f"/api/v1/{name}")["results"]]
    assert records_a[DETAILS[name]].pk in ids


@pytest.mark.parametrize("name", LISTS)
def test_secretary2s_token_sees_none_of_secretary1s_rows(api_for, world, records_a, name):
    api = api_for(world.secretary2)
    assert api.json(f"/api/v1/{name}")["results"] == []
    response = api.get(f"/api/v1/{name}/{records_a[DETAILS[name]].pk}")
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize("name", LISTS)
def test_outsider_gets_404_for_ids_and_unknown_ids_too(api_for, world, records_a, name):
    api = api_for(world.outsider)
    assert api.get(f"/api/v1/{name}/{records_a[DETAILS[name]].pk}").status_code == 404
    assert api.get(f"/api/v1/{name}/999999").status_code == 404


def test_the_committee_reads_its_subtree(api_for, world, records_a):
    api = api_for(world.committee)
    assert [a["id"] for a in api.json("/api/v1/agreements")["results"]] == [records_a["agreement"].pk]
    assert api.get(f"/api/v1/activities/{records_a['activity'].pk}").status_code == 200


def test_the_directory_is_every_signed_in_users(api_for, world):
    names = {o["name"] for o in api_for(world.outsider).json("/api/v1/organizations", {"limit": 200})["results"]}
    assert {world.branch_a.name, world.unrelated.name} <= names


def test_published_minutes_and_decisions_are_shown(api_for, world, records_a):
    meeting = api_for(world.secretary1).json(f"/api/v1/meetings/{records_a['meeting'].pk}")
    assert meeting["minutes_published"] is True
    assert meeting["minutes"] == "会议纪要正文"
    assert [d["text"] for d in meeting["decisions"]] == ["设置共建宣传栏"]
    assert meeting["decisions"][0]["action_item_ids"] == [records_a["item"].pk]


def test_draft_minutes_and_their_decisions_stay_in_the_portal(api_for, world, records_a):
    draft = JointMeetingFactory(agreement=records_a["agreement"], minutes="草稿：尚未发布", minutes_status="draft")
    DecisionFactory(meeting=draft, text="草稿里的决定")
    response = api_for(world.secretary1).get(f"/api/v1/meetings/{draft.pk}")
    assert response.json()["minutes_published"] is False
    assert response.json()["minutes"] is None and response.json()["decisions"] == []
    assert "草稿" not in str(response.json())


def test_a_correction_in_draft_leaves_the_published_version(api_for, world, records_a):
    meeting = records_a["meeting"]
    JointMeeting.objects.filter(pk=meeting.pk).update(minutes="更正草稿", minutes_status="draft")
    shown = api_for(world.secretary1).json(f"/api/v1/meetings/{meeting.pk}")
    assert shown["minutes"] == "会议纪要正文"


def test_headcounts_come_with_the_activity(api_for, world, records_a):
    activity = api_for(world.secretary1).json(f"/api/v1/activities/{records_a['activity'].pk}")
    assert activity["total_headcount"] == 12
    assert activity["headcounts"] == [
        {"organization_id": world.branch_a.pk, "organization_name": world.branch_a.name, "headcount": 12}
    ]


def test_zones_come_with_their_checks(api_for, world, records_a):
    zone = api_for(world.secretary1).json(f"/api/v1/zones/{records_a['zone'].pk}")
    assert [c["id"] for c in zone["checks"]] == [records_a["check"].pk]


def test_the_dashboard_series_are_the_users(api_for, world, records_a):
    result = records_a["result"]
    mine = api_for(world.secretary1).json("/api/v1/dashboard", {"period": f"{result.year}Q{result.quarter}"})
    assert mine["count"] == 1
    assert [r["full"] for r in mine["charts"]["ranking"]] == [world.branch_a.display_name]
    theirs = api_for(world.secretary2).json("/api/v1/dashboard", {"period": f"{result.year}Q{result.quarter}"})
    assert theirs["count"] == 0 and theirs["charts"]["ranking"] == []
