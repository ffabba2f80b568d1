"""Claiming rows for delivery, shared by notifications (portal/reminders.py) and group-robot deliveries
(portal/webhooks.py).

A deliverable model has ``status`` (``Status.PENDING`` / ``SENDING`` / ``FAILED``), ``due_at``, ``retry_at``,
``claimed_at``, ``claim_token`` and ``attempts``. Rows are claimed in batches: ``SELECT … FOR UPDATE SKIP LOCKED``
where the database has it, then a conditional ``UPDATE … WHERE status='pending'`` stamped with a claim token, so only
the rows this call really claimed are sent. Rows stuck in ``sending`` longer than ``STALE_AFTER`` (their worker
died) go back to ``pending``. A failed send is retried after 5, 10, 20, 40 minutes, then the row is failed.

A send loop catches a transport's errors to carry on with the next row, but never ``INTERRUPTIONS``: Celery's time
limits (raised inside the task when it runs too long) must stop the loop and end the task. The loop gives the rows it
has not tried back with ``release`` on the way out; the row in flight stays ``sending`` and is recovered as stale.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.db import connection, transaction
from django.db.models import F, Q

STALE_AFTER = dt.timedelta(minutes=15)
MAX_ATTEMPTS = 5
RETRY_BASE = dt.timedelta(minutes=5)  # then 10, 20, 40 minutes
# Control flow that looks like an ``Exception`` but must never be handled as a failed send: re-raise it first.
INTERRUPTIONS = (SoftTimeLimitExceeded, TimeLimitExceeded)


def recover_stale(model, now: dt.datetime) -> int:
    """Rows a dead worker left in ``sending`` go back to ``pending`` to be claimed again."""
    return model.objects.filter(status=model.Status.SENDING, claimed_at__lt=now - STALE_AFTER).update(
        status=model.Status.PENDING, claim_token=""
    )


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
