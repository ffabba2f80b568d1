"""Claiming rows for delivery, shared by notifications (portal/sweep.py) and group-robot deliveries
(portal/webhooks/).

A deliverable model has ``status`` (``Status.PENDING`` / ``SENDING`` / ``FAILED``), ``due_at``, ``retry_at``,
``claimed_at``, ``claim_token`` and ``attempts``. Rows are claimed in batches: ``SELECT … FOR UPDATE SKIP LOCKED``
where the database has it, then a conditional ``UPDATE … WHERE status='pending'`` stamped with a claim token, so only
the rows this call really claimed are sent. Rows stuck in ``sending`` longer than ``STALE_AFTER`` (their worker
died) go back to ``pending``. A failed send is retried after 5, 10, 20, 40 minutes, then the row is failed.

A send loop catches a transport's errors to carry on with the next row, but never ``INTERRUPTIONS``: Celery's time
limits (raised inside the task when it runs too long) must stop the loop and end the task. The loop gives the rows it
has not tried back with ``release`` on the way out; the row in flight stays ``sending`` and is recovered as stale.

States are written per batch, not per message: right after each message leaves, the loop appends the ids it carried
to the claim's ``SentLog`` (a Redis list per claim token when ``REDIS_URL`` is set, else an append-only file per
token in ``SENT_LOG_DIR``: either survives the worker process, neither costs a database round trip), and the batch's
final states go to the database in a few statements at the end. Recovery reads the log of every stale claim first:
rows in it were sent and are finished as such, only the others go back to ``pending``. So a worker killed mid-batch
costs at most the one message that was in flight when it died, however large the batch.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import redis
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q

STALE_AFTER = dt.timedelta(minutes=15)
MAX_ATTEMPTS = 5
RETRY_BASE = dt.timedelta(minutes=5)  # then 10, 20, 40 minutes
# Control flow that looks like an ``Exception`` but must never be handled as a failed send: re-raise it first.
INTERRUPTIONS = (SoftTimeLimitExceeded, TimeLimitExceeded)


class SentLog:
    """Ids sent under one claim token, recorded right after each message leaves and before the database knows.

    ``add`` appends (id, tag) pairs — the tag is what finishing the row needs, e.g. whether it shows in the portal —
    ``read`` returns them for several tokens at once, ``discard`` forgets tokens whose rows are written. Redis when
    ``REDIS_URL`` is set (shared by every worker host); otherwise one append-only file per token in ``SENT_LOG_DIR``
    (a single host, like the filesystem broker that goes with it). A write that reaches the kernel survives the
    worker being killed; a lost log (the Redis server or the host crashed) only means the batch may go out again.
    """

    # A stale claim is recovered after STALE_AFTER; its log is kept well beyond, in case recovery is late.
    KEEP = dt.timedelta(days=2)

    def add(self, token: str, entries: Iterable[tuple[int, str]]) -> None:
        raise NotImplementedError

    def read(self, tokens: Iterable[str]) -> dict[int, str]:
        raise NotImplementedError

    def discard(self, tokens: Iterable[str]) -> None:
        raise NotImplementedError

    def prune(self) -> None:
        """Forget logs older than ``KEEP`` whose batch never got to ``discard`` (Redis expires them itself)."""

    @staticmethod
    def _line(pk: int, tag: str) -> str:
        return f"{pk}:{tag}"

    @staticmethod
    def _parse(lines: Iterable[str]) -> dict[int, str]:
        found = {}
        for line in lines:
            pk, _, tag = line.strip().partition(":")
            if pk.isdigit():
                found[int(pk)] = tag
        return found


class RedisSentLog(SentLog):
    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url)
        self._expiring: set[str] = set()  # tokens whose key already has its expiry (set once, with the first add)

    @staticmethod
    def _key(token: str) -> str:
        return f"gongjian:sent:{token}"

    def add(self, token, entries):
        key = self._key(token)
        lines = [self._line(pk, tag) for pk, tag in entries]
        if token in self._expiring:
            self.client.rpush(key, *lines)
            return
        with self.client.pipeline(transaction=True) as pipe:
            pipe.rpush(key, *lines)
            pipe.expire(key, int(self.KEEP.total_seconds()))
            pipe.execute()
        if len(self._expiring) > 10_000:
            self._expiring.clear()
        self._expiring.add(token)

    def read(self, tokens):
        tokens = [token for token in set(tokens) if token]
        if not tokens:
            return {}
        with self.client.pipeline(transaction=False) as pipe:
            for token in tokens:
                pipe.lrange(self._key(token), 0, -1)
            lists = pipe.execute()
        return self._parse(item.decode() for items in lists for item in items)

    def discard(self, tokens):
        tokens = {token for token in tokens if token}
        self._expiring -= tokens
        if tokens:
            self.client.delete(*[self._key(token) for token in tokens])


class FileSentLog(SentLog):
    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _path(self, token: str) -> Path:
        if not token.isalnum():
            raise ValueError(f"not a claim token: {token!r}")
        return self.directory / token

    def add(self, token, entries):
        data = "".join(self._line(pk, tag) + "\n" for pk, tag in entries).encode()
        path = self._path(token)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except FileNotFoundError:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)  # one write with O_APPEND: whole lines, never interleaved
        finally:
            os.close(fd)

    def read(self, tokens):
        lines: list[str] = []
        for token in {token for token in tokens if token}:
            try:
                lines += self._path(token).read_text().splitlines()
            except FileNotFoundError:
                continue
        return self._parse(lines)

    def discard(self, tokens):
        for token in {token for token in tokens if token}:
            self._path(token).unlink(missing_ok=True)

    def prune(self):
        oldest = time.time() - self.KEEP.total_seconds()
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return
        for entry in entries:
            try:
                if entry.is_file() and entry.stat().st_mtime < oldest:
                    os.unlink(entry.path)
            except FileNotFoundError:
                continue


_logs: dict[tuple, SentLog] = {}


def sent_log() -> SentLog:
    """The log for this configuration (one client per process)."""
    key = (settings.REDIS_URL, str(settings.SENT_LOG_DIR))
    if key not in _logs:
        _logs[key] = RedisSentLog(settings.REDIS_URL) if settings.REDIS_URL else FileSentLog(settings.SENT_LOG_DIR)
    return _logs[key]


_finishers: dict[type, Callable[[dict[int, str], dt.datetime], int]] = {}


def on_logged_recovery(model, finish: Callable[[dict[int, str], dt.datetime], int]) -> None:
    """Name how ``recover_stale`` finishes rows of ``model`` that a dead worker had sent: ``finish({id: tag}, now)``
    writes them as sent and returns how many it wrote (portal/notifications.py, portal/webhooks/deliver.py)."""
    _finishers[model] = finish


def recover_stale(model, now: dt.datetime) -> int:
    """Rows a dead worker left in ``sending``: those its ``SentLog`` says were sent are finished (the model's
    ``on_logged_recovery``); the others go back to ``pending`` to be claimed again. Returns how many rows were
    recovered either way. A few statements, however many rows."""
    finish = _finishers.get(model)
    stale = model.objects.filter(status=model.Status.SENDING, claimed_at__lt=now - STALE_AFTER)
    rows = list(stale.values_list("pk", "claim_token"))
    if not rows:
        return 0
    log = sent_log()
    tokens = {token for _pk, token in rows}
    logged = log.read(tokens)
    done = {pk: logged[pk] for pk, _token in rows if pk in logged}
    finished = finish(done, now) if done and finish else 0
    back = stale.filter(pk__in=[pk for pk, _token in rows if pk not in done or not finish]).update(
        status=model.Status.PENDING, claim_token=""
    )
    log.discard(tokens)
    log.prune()
    return finished + back


def claim_ids(model, ids: list[int], now: dt.datetime) -> list[int]:
    """Claim the given rows if they are still pending; returns only the ids this call won.

    The conditional update is what makes the claim exclusive: a concurrent claimer that read the same ids finds
    them no longer pending and updates none, so it never sees its token on them.
    """
    if not ids:
        return []
    token = uuid.uuid4().hex
    won = model.objects.filter(pk__in=ids, status=model.Status.PENDING).update(
        status=model.Status.SENDING, claimed_at=now, claim_token=token
    )
    if not won:
        return []
    return list(model.objects.filter(claim_token=token, status=model.Status.SENDING).values_list("pk", flat=True))


def claim_batch(model, now: dt.datetime, size: int) -> list[int]:
    """Lock (skipping rows another worker holds) and claim up to ``size`` due pending rows."""
    with transaction.atomic():
        due = (
            model.objects.filter(status=model.Status.PENDING, due_at__lte=now)
            .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
            .order_by("due_at", "pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:size])
        return claim_ids(model, ids, now)


def process_due(model, now: dt.datetime, send: Callable[..., dict[str, int]], *, size: int) -> dict[str, int]:
    """Claim and ``send(ids, now=now)`` every due row, batch by batch; the summed ``sent`` / ``failed`` counts."""
    summary = {"sent": 0, "failed": 0}
    while True:
        ids = claim_batch(model, now, size)
        if not ids:
            break
        result = send(ids, now=now)
        summary["sent"] += result["sent"]
        summary["failed"] += result["failed"]
        if len(ids) < size:
            break
    return summary


def release(model, ids, **match) -> int:
    """Give claimed rows that were not tried back to ``pending`` (a send loop stopped early), without spending an
    attempt. ``match`` narrows which claim may be released."""
    if not ids:
        return 0
    return model.objects.filter(pk__in=list(ids), status=model.Status.SENDING, **match).update(
        status=model.Status.PENDING, claim_token=""
    )


def record_failure(model, row, exc: Exception | str, now: dt.datetime, *, final: bool = False, **match) -> None:
    """A send of the claimed ``row`` failed: back to ``pending`` with the next retry time, or ``failed`` after
    ``MAX_ATTEMPTS`` (at once when ``final``). ``match`` narrows which claim may be released (e.g.
    ``claim_token=row.claim_token``)."""
    attempts = row.attempts + 1
    final = final or attempts >= MAX_ATTEMPTS
    model.objects.filter(pk=row.pk, status=model.Status.SENDING, **match).update(
        status=model.Status.FAILED if final else model.Status.PENDING,
        attempts=F("attempts") + 1,
        last_error=str(exc)[:2000],
        retry_at=None if final else now + RETRY_BASE * (2 ** (attempts - 1)),
        claim_token="",
    )
