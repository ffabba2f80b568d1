"""Cursor pagination stays stable while rows are inserted; filters narrow; bad parameters are a 400 with the
reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from api.paging import encode_cursor
from tests.factories import ActionItemFactory, ActivityFactory, cast_agreement


def _walk(api, path, params) -> list[int]:
    """Every id of a list, page by page through the `next` links."""
    ids, url, query = [], path, dict(params)
    while url:
        page = api.json(url, query)
        ids += [row["id"] for row in page["results"]]
        url, query = page["next"], None
    return ids


def test_pages_follow_next_to_the_end(api_for, world):
    agreement = cast_agreement(world)
    made = [ActivityFactory(agreement=agreement, lead=world.branch_a) for _ in range(7)]
    ids = _walk(api_for(world.secretary1), "/api/v1/activities", {"limit": 3})
    assert sorted(ids) == sorted(a.pk for a in made) and len(ids) == 7


def test_pagination_is_stable_under_inserts(api_for, world):
    agreement = cast_agreement(world)
    start = timezone.now()
    old = [
        ActivityFactory(agreement=agreement, lead=world.branch_a, starts_at=start - dt.timedelta(days=n))
        for n in range(10)
    ]
    api = api_for(world.secretary1)
    first = api.json("/api/v1/activities", {"limit": 4})
    seen = [row["id"] for row in first["results"]]
    # Rows arrive between pages: newer ones (before the cursor), ones in the middle of what is left, same instants.
    ActivityFactory(agreement=agreement, lead=world.branch_a, starts_at=start + dt.timedelta(days=3))
    ActivityFactory(agreement=agreement, lead=world.branch_a, starts_at=start - dt.timedelta(days=5, hours=1))
    ActivityFactory(agreement=agreement, lead=world.branch_a, starts_at=old[6].starts_at)
    url = first["next"]
    while url:
        page = api.json(url)
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    old_ids = [a.pk for a in old]
    seen_old = [pk for pk in seen if pk in old_ids]
    assert seen_old == old_ids  # every old row once, in order: none skipped, none twice
    assert len(seen) == len(set(seen))


def test_action_items_page_in_due_order(api_for, world):
    agreement = cast_agreement(world)
    today = timezone.localdate()
    items = [ActionItemFactory(agreement=agreement, due_on=today + dt.timedelta(days=n % 3)) for n in range(6)]
    ids = _walk(api_for(world.secretary1), "/api/v1/action-items", {"limit": 2})
    expected = [i.pk for i in sorted(items, key=lambda i: (i.due_on, i.pk))]
    assert ids == expected


def test_date_filter_takes_local_days(api_for, world):
    agreement = cast_agreement(world)
    tz = timezone.get_current_timezone()
    late = ActivityFactory(
        agreement=agreement, lead=world.branch_a, starts_at=dt.datetime(2026, 5, 1, 23, 30, tzinfo=tz)
    )
    ActivityFactory(agreement=agreement, lead=world.branch_a, starts_at=dt.datetime(2026, 5, 2, 0, 30, tzinfo=tz))
    ActivityFactory(agreement=agreement, lead=world.branch_a, starts_at=dt.datetime(2026, 4, 30, 23, 59, tzinfo=tz))
    page = api_for(world.secretary1).json("/api/v1/activities", {"from": "2026-05-01", "to": "2026-05-01"})
    assert [row["id"] for row in page["results"]] == [late.pk]


def test_organization_filter(api_for, world):
    agreement = cast_agreement(world, world.branch_a, world.partner)
    mine = ActivityFactory(agreement=agreement, lead=world.branch_a)
    ActivityFactory(agreement=agreement, lead=world.partner)
    api = api_for(world.secretary1)
    page = api.json("/api/v1/activities", {"organization": world.branch_a.pk})
    assert [row["id"] for row in page["results"]] == [mine.pk]
    # An organization that does not exist is a 404, like any id the user cannot see.
    assert api.get("/api/v1/activities", {"organization": 987654}).status_code == 404


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "1999-12-31"}, "from"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "from"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": encode_cursor(["yesterday", 5])}, "cursor"),
        ({"organization": -3}, "organization"),
        ({"form": "2026-05-01"}, "form"),  # a misspelt filter is refused, never ignored
    ],
)
def test_bad_parameters_get_400_with_the_reason(api_for, world, params, parameter):
    response = api_for(world.secretary1).get("/api/v1/activities", params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert [e["parameter"] for e in body["errors"]] == [parameter]


def test_bad_parameters_speak_chinese(api_for, world):
    body = api_for(world.secretary1).get("/api/v1/activities", {"from": "2026-05-02", "to": "2026-05-01"}).json()
    assert "晚于" in body["detail"]


def test_bad_ids_and_quarters_get_400(api_for, world):
    api = api_for(world.secretary1)
    assert api.get("/api/v1/activities/abc").status_code == 400
    assert api.get("/api/v1/activities/0").status_code == 400
    assert api.get("/api/v1/results", {"quarter": 5}).status_code == 400
    assert api.get("/api/v1/dashboard", {"period": "2026Q5"}).status_code == 400
    assert api.get("/api/v1/dashboard", {"period": "1999Q1"}).status_code == 400
    assert api.get("/api/v1/dashboard", {"view": "people"}).status_code == 400
    assert api.get("/api/v1/activities/1", {"limit": 5}).status_code == 400  # a detail takes no list parameters
    assert "未知参数" in api.get("/api/v1/results", {"": "false"}).json()["detail"]
