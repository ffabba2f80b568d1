"""With Redis away, the cache answers as misses: no page turns into a 500 (portal/cache.py).

The cache is pointed at a Redis URL on a bound, never-listening local port (every connection is refused), through the
backend production uses. The committee's 工作台 (cached roster head counts), the roster, the API (per-token rate
counter) and the public QR check-in (rate limits, failing open) are driven through the test client; each answers as
with a working cache, and the outage is logged once, not per request.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

import pytest
from django.core.cache import cache
from django.urls import reverse

from activities.models import ActivityCheckIn
from activities.services.checkins import activity_checkin_code
from api.services.tokens import api_token_create
from partnerships import roster_cache
from portal import cache as fail_soft
from tests.conftest import FIXED_NOW
from tests.factories import ActivityFactory, cast_agreement

BACKEND = "portal.cache.FailSoftRedisCache"
OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1}


def _cache_at(settings, url: str) -> None:
    settings.CACHES = {"default": {"BACKEND": BACKEND, "LOCATION": url, "OPTIONS": OPTIONS}}
    fail_soft._last_logged[0] = fail_soft._down_until[0] = 0.0


@pytest.fixture
def cache_down(settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        _cache_at(settings, f"redis://127.0.0.1:{closed.getsockname()[1]}/0")
        yield


def test_every_operation_answers_as_a_miss_and_the_outage_is_logged_once(cache_down, caplog):
    caplog.set_level(logging.WARNING, logger="portal.cache")
    assert cache.get("k") is None
    assert cache.get("k", "default") == "default"
    assert cache.add("k", 1) is False
    cache.set("k", 1)
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    cache.set_many({"a": 1, "b": 2})
    cache.delete("k")
    with pytest.raises(ValueError):
        cache.incr("k")
    assert cache.get_or_set("k", lambda: 7) == 7
    # The roster version (the committee's cached head counts) still answers, and a bump does not fail.
    assert roster_cache.roster_version() == 1
    roster_cache.roster_changed()
    outage = [r for r in caplog.records if r.name == "portal.cache"]
    assert len(outage) == 1
    assert "cache unavailable" in outage[0].getMessage()


def test_a_hanging_redis_is_asked_once_per_pause_not_per_operation(settings):
    """A server that accepts connections and never answers: the first operation waits out its timeout, the next ones
    in the pause answer without connecting, and after the pause the cache asks again."""
    accepted = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(0.2)
        stop = threading.Event()

        def accept():
            while not stop.is_set():
                try:
                    accepted.append(server.accept()[0])
                except OSError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            _cache_at(settings, f"redis://127.0.0.1:{server.getsockname()[1]}/0")
            assert cache.get("k", "miss") == "miss"
            assert len(accepted) == 1
            for _ in range(10):
                assert cache.get("k", "miss") == "miss"
                assert cache.add("k", 1) is False
            assert len(accepted) == 1
            fail_soft._down_until[0] = 0.0  # the pause is over
            assert cache.get("k", "miss") == "miss"
            assert len(accepted) == 2
        finally:
            stop.set()
            thread.join()
            for connection in accepted:
                connection.close()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the REDIS_URL server (set under CI)")
def test_with_redis_up_the_backend_is_a_plain_redis_cache(settings):
    _cache_at(settings, os.environ["REDIS_URL"])
    cache.delete("gj-fail-soft")
    assert cache.add("gj-fail-soft", 1) is True
    assert cache.incr("gj-fail-soft") == 2
    assert cache.get("gj-fail-soft") == 2
    cache.delete("gj-fail-soft")
    assert cache.get("gj-fail-soft") is None


def test_the_committee_home_and_roster_answer_while_the_cache_is_down(cache_down, client_for, world):
    client = client_for(world.committee)
    home = client.get(reverse("home"))
    assert home.status_code == 200
    # The roster head counts are computed (not cached) and shown.
    assert 'data-testid="stat-subtree-members"' in home.content.decode()
    assert client.get(reverse("partnerships:member_list")).status_code == 200


def test_the_api_answers_while_the_cache_is_down(cache_down, client, world):
    _token, secret = api_token_create(actor=world.secretary1, name="对接系统")
    response = client.get("/api/v1/organizations", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200, response.content[:300]


@pytest.mark.usefixtures("fixed_clock")
def test_people_at_the_door_are_checked_in_while_the_limit_counters_are_down(cache_down, client, world):
    activity = ActivityFactory(
        title="联合主题党日",
        agreement=cast_agreement(world, number="GJ-CACHE-01", title="缓存测试共建协议"),
        lead=world.branch_a,
        starts_at=FIXED_NOW + dt.timedelta(minutes=30),
        hours=2,
    )
    token = activity_checkin_code(actor=world.secretary1, activity=activity).token
    url = reverse("activities:checkin", args=[token])
    for n in range(3):
        response = client.post(url, {"name": f"来宾{n}", "last_four": "1234", "unit": "某单位"}, REMOTE_ADDR="10.1.1.1")
        assert response.status_code == 200
        assert 'data-testid="checkin-done"' in response.content.decode()
    assert ActivityCheckIn.objects.filter(activity=activity).count() == 3
