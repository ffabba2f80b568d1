"""ETag / If-None-Match on the reads, and the per-token rate limit."""

from __future__ import annotations

import pytest

from tests.factories import ActivityFactory, cast_agreement


def test_an_unchanged_list_is_304(api_for, world):
    agreement = cast_agreement(world)
    ActivityFactory(agreement=agreement, lead=world.branch_a)
    api = api_for(world.secretary1)
    first = api.get("/api/v1/activities")
    etag = first["ETag"]
    assert etag and "private" in first["Cache-Control"]
    again = api.get("/api/v1/activities", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    # A weak form of the tag (as the gzip middleware writes it) matches too.
    assert api.get("/api/v1/activities", HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304


def test_a_change_gives_a_new_etag(api_for, world):
    agreement = cast_agreement(world)
    ActivityFactory(agreement=agreement, lead=world.branch_a)
    api = api_for(world.secretary1)
    etag = api.get("/api/v1/activities")["ETag"]
    ActivityFactory(agreement=agreement, lead=world.branch_a)
    changed = api.get("/api/v1/activities", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_another_users_etag_is_no_match(api_for, world):
    agreement = cast_agreement(world)
    ActivityFactory(agreement=agreement, lead=world.branch_a)
    etag = api_for(world.secretary1).get("/api/v1/activities")["ETag"]
    response = api_for(world.secretary2, "他的系统").get("/api/v1/activities", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response.json()["results"] == []


def test_the_dashboard_series_are_etagged(api_for, world):
    api = api_for(world.committee)
    etag = api.get("/api/v1/dashboard")["ETag"]
    assert api.get("/api/v1/dashboard", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_token_over_its_rate_gets_429_with_retry_after(api_for, world, settings):
    settings.API_RATE_LIMIT = 5
    api = api_for(world.secretary1)
    statuses = [api.get("/api/v1/organizations").status_code for _ in range(5)]
    assert statuses == [200] * 5
    refused = api.get("/api/v1/organizations")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert refused.json()["detail"]
    # The limit is per token: the same user's other token still reads.
    assert api_for(world.secretary1, "另一个系统").get("/api/v1/organizations").status_code == 200


@pytest.mark.usefixtures("fixed_clock")
def test_the_window_opens_again(api_for, world, settings, fixed_clock):
    settings.API_RATE_LIMIT = 2
    api = api_for(world.secretary1)
    assert [api.get("/api/v1/zones").status_code for _ in range(3)] == [200, 200, 429]
    fixed_clock.shift(61)
    assert api.get("/api/v1/zones").status_code == 200
