"""The shared cache, and what happens when Redis is away.

Everything this project keeps in the cache can be lost without losing anything a person wrote: the committee's roster
head counts (recomputed), the roster version (a missed bump only lets a summary live to its timeout), the API's and
the QR check-in's rate-limit counters. So an unreachable or timing-out Redis is a cache miss, never a 500: a read
answers its default, a write stores nothing, an ``incr`` raises ``ValueError`` as for a missing key (what the callers
already handle), and the rate limits let requests through (``RATELIMIT_FAIL_OPEN``: people at a meeting's door are
checked in rather than turned away while the counters are down). The first failure in each minute is logged as a
warning naming the operation, so an outage shows in the logs without a line per request.

Connecting and reading are bounded (``socket_connect_timeout``, ``socket_timeout`` in ``CACHES``'s OPTIONS, set in
settings), and after a failure the process does not ask Redis again for ``RETRY_AFTER_SECONDS``: a Redis that hangs
costs one timeout per process every few seconds, not one per operation.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import wraps

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 60
# After a failure, the process answers misses without asking Redis for this long: a Redis that hangs costs one
# timeout per process every few seconds, not one per operation.
RETRY_AFTER_SECONDS = 5.0
_last_logged = [0.0]
_down_until = [0.0]
_log_lock = threading.Lock()


def _note_failure(operation: str, error: Exception) -> None:
    now = time.monotonic()
    _down_until[0] = now + RETRY_AFTER_SECONDS
    with _log_lock:
        if now - _last_logged[0] < LOG_EVERY_SECONDS and _last_logged[0]:
            return
        _last_logged[0] = now
    logger.warning("cache unavailable (%s: %s): answering as a miss", operation, error.__class__.__name__)


def _fail_soft(miss):
    """Wrap a client operation so that a Redis error answers ``miss(*args)`` (or raises what it returns)."""

    def decorator(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            error = None
            if time.monotonic() >= _down_until[0]:
                try:
                    return method(self, *args, **kwargs)
                except RedisError as failure:
                    _note_failure(method.__name__, failure)
                    error = failure
            answer = miss(*args, **kwargs)
            if isinstance(answer, Exception):
                raise answer from error
            return answer

        return wrapper

    return decorator


class FailSoftRedisCacheClient(RedisCacheClient):
    add = _fail_soft(lambda *a, **k: False)(RedisCacheClient.add)
    get = _fail_soft(lambda key, default: default)(RedisCacheClient.get)
    set = _fail_soft(lambda *a, **k: None)(RedisCacheClient.set)
    touch = _fail_soft(lambda *a, **k: False)(RedisCacheClient.touch)
    delete = _fail_soft(lambda *a, **k: False)(RedisCacheClient.delete)
    get_many = _fail_soft(lambda *a, **k: {})(RedisCacheClient.get_many)
    has_key = _fail_soft(lambda *a, **k: False)(RedisCacheClient.has_key)
    incr = _fail_soft(lambda key, delta: ValueError(f"Key '{key}' not found (cache unavailable)."))(
        RedisCacheClient.incr
    )
    set_many = _fail_soft(lambda data, timeout: list(data))(RedisCacheClient.set_many)
    delete_many = _fail_soft(lambda *a, **k: None)(RedisCacheClient.delete_many)
    clear = _fail_soft(lambda *a, **k: False)(RedisCacheClient.clear)


class FailSoftRedisCache(RedisCache):
    """Django's Redis cache whose operations answer as misses while Redis cannot be reached (module docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailSoftRedisCacheClient
