"""Delivery of group-robot messages: claim due deliveries, post them robot by robot within each robot's pace, and
record the outcome per batch (portal/claims.py). Called by the reminder sweep (``deliver_due``) and by the
test-message task (``deliver_test``)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.utils import timezone

from portal import claims
from portal.claims import RETRY_BASE
from portal.models import WebhookDelivery, WebhookEndpoint
from portal.webhooks import client
from portal.webhooks.plan import TEST_KIND, as_message, plan_posts

logger = logging.getLogger(__name__)

BATCH_SIZE = 100


def claim_ids(ids: list[int], now: dt.datetime) -> list[int]:
    """Claim the given deliveries if still pending; only the ids this call won (portal/claims.py)."""
    return claims.claim_ids(WebhookDelivery, ids, now)


@dataclass
class _Batch:
    """What one batch did, robot by robot; written to the rows at the end (``_write_outcomes``)."""

    cancelled: list[int]
    posted: list[tuple[list[WebhookDelivery], str]] = field(default_factory=list)
    deferred: dict[dt.datetime, list[int]] = field(default_factory=dict)
    later: list[int] = field(
        default_factory=list
    )  # their robot did not answer: at the next retry time, no attempt spent
    failures: list[tuple[WebhookDelivery, Exception, bool]] = field(default_factory=list)
    succeeded: set[int] = field(default_factory=set)
    errors: dict[int, str] = field(default_factory=dict)
    tried: set[int] = field(default_factory=set)

    def tokens(self) -> set[str]:
        return {message[0].claim_token for message, _reply in self.posted}


def send(ids: list[int], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Post claimed deliveries (status ``sending``), robot by robot, paced and batched.

    Each robot posts at most ``WEBHOOK_POSTS_PER_MINUTE`` messages per rolling minute (``plan_posts``). Its rows
    go one message each when they fit in what it may still post; otherwise they are packed into digests
    (``pack``), and the digests beyond its budget go back to ``pending``, due when its window frees — never dropped,
    never failed. After each post the ids it carried go to the claim's ``SentLog``; the states are written per batch
    at the end, so a worker dying mid-batch re-posts at most the message in flight.

    A test message (kind ``webhook.test``) is posted whatever the robot's kinds and switch, and is never retried:
    its failure is final, the person who asked for it is watching.
    """
    now = now or timezone.now()
    rows = list(
        WebhookDelivery.objects.filter(pk__in=ids, status=WebhookDelivery.Status.SENDING)
        .select_related("endpoint")
        .order_by("due_at", "pk")
    )
    batch = _Batch(cancelled=[])
    by_endpoint: dict[int, list[WebhookDelivery]] = {}
    for row in rows:
        if row.kind != TEST_KIND and (not row.endpoint.enabled or not row.endpoint.posts_kind(row.kind)):
            batch.cancelled.append(row.pk)
        else:
            by_endpoint.setdefault(row.endpoint_id, []).append(row)
    log = claims.sent_log()
    try:
        for endpoint_rows in by_endpoint.values():
            _post_robot(endpoint_rows, batch, log, now)
    except claims.INTERRUPTIONS:
        # Out of time (Celery's limit): what went out is written, the rows not tried go back now; the message in
        # flight stays ``sending`` and is recovered as stale (from the log if it went).
        tokens = batch.tokens()
        _write_outcomes(batch, now)
        claims.release(
            WebhookDelivery,
            [row.pk for row in rows if row.pk not in batch.tried],
            claim_token__in={row.claim_token for row in rows},
        )
        log.discard(tokens)
        raise
    finally:
        if batch.succeeded:
            WebhookEndpoint.objects.filter(pk__in=batch.succeeded).update(last_success_at=now)
        for endpoint_id, error in batch.errors.items():
            WebhookEndpoint.objects.filter(pk=endpoint_id).update(last_error=error[:2000], last_error_at=now)
    tokens = batch.tokens()
    failed = len(batch.failures)  # counted before the outcomes are written (writing clears them)
    sent = _write_outcomes(batch, now)
    log.discard(tokens)  # the states are written: the log is no longer needed
    return {"sent": sent, "failed": failed}


def _post_robot(rows: list[WebhookDelivery], batch: _Batch, log, now: dt.datetime) -> None:
    """One robot's rows: the messages it may post now go out, the others wait for its window to free. Once the
    robot does not answer, its remaining messages wait for the next retry (a test message fails at once)."""
    endpoint = rows[0].endpoint
    messages, budget, frees_at = plan_posts(endpoint.pk, rows, now)
    for message in messages[budget:]:
        batch.deferred.setdefault(frees_at, []).extend(row.pk for row in message)
        batch.tried.update(row.pk for row in message)
    unreachable = ""
    for message in messages[:budget]:
        batch.tried.update(row.pk for row in message)
        if unreachable:
            for row in message:
                if row.kind == TEST_KIND:
                    batch.failures.append((row, client.WebhookError(unreachable), True))
                else:
                    batch.later.append(row.pk)
            continue
        title, markdown = as_message(message)
        try:
            reply = client.post(endpoint, client.payload(endpoint, title, markdown))
        except client.WebhookError as exc:
            logger.warning("webhook message to robot %s (%d rows) failed: %s", endpoint.pk, len(message), exc)
            batch.failures += [(row, exc, row.kind == TEST_KIND) for row in message]
            batch.errors[endpoint.pk] = str(exc)
            if exc.unreachable:
                unreachable = str(exc)
            continue
        log.add(message[0].claim_token, [(row.pk, "") for row in message])
        batch.posted.append((message, reply))
        batch.succeeded.add(endpoint.pk)


def _write_outcomes(batch: _Batch, now: dt.datetime) -> int:
    """The batch's states in a few statements: sent (one per distinct reply), cancelled, deferred to when the robot's
    window frees, retried later; a failure is recorded per row (a failure is the exception). The written outcomes
    are cleared, so a second call writes nothing twice."""
    sent = 0
    by_reply: dict[str, list[int]] = {}
    for message, reply in batch.posted:
        by_reply.setdefault(reply, []).extend(row.pk for row in message)
    sending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.SENDING)
    for reply, pks in by_reply.items():
        sent += sending.filter(pk__in=pks).update(
            status=WebhookDelivery.Status.SENT, sent_at=now, response=reply, last_error="", retry_at=None
        )
    if batch.cancelled:
        sending.filter(pk__in=batch.cancelled).update(status=WebhookDelivery.Status.CANCELLED, claim_token="")
    for due_at, pks in batch.deferred.items():
        sending.filter(pk__in=pks).update(status=WebhookDelivery.Status.PENDING, due_at=due_at, claim_token="")
    if batch.later:
        sending.filter(pk__in=batch.later).update(
            status=WebhookDelivery.Status.PENDING, retry_at=now + RETRY_BASE, claim_token=""
        )
    for row, exc, final in batch.failures:
        claims.record_failure(WebhookDelivery, row, exc, now, final=final, claim_token=row.claim_token)
    batch.posted.clear()
    batch.cancelled.clear()
    batch.deferred.clear()
    batch.later.clear()
    batch.failures.clear()
    return sent


def finish_logged(logged: dict[int, str], now: dt.datetime) -> int:
    """Recovery of deliveries a dead worker had already posted (its ``SentLog`` says so): sent, never re-posted."""
    return WebhookDelivery.objects.filter(pk__in=list(logged), status=WebhookDelivery.Status.SENDING).update(
        status=WebhookDelivery.Status.SENT, sent_at=now, last_error="", retry_at=None
    )


claims.on_logged_recovery(WebhookDelivery, finish_logged)


def deliver_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Recover, then claim and post every due delivery, batch by batch. Safe to run in several workers."""
    now = now or timezone.now()
    recovered = claims.recover_stale(WebhookDelivery, now)
    return {"recovered": recovered, **claims.process_due(WebhookDelivery, now, send, size=BATCH_SIZE)}


def deliver_test(delivery_id: int, *, now: dt.datetime | None = None) -> dict[str, int]:
    """The task's work: claim the test message if it is still pending and post it once (``send``)."""
    now = now or timezone.now()
    ids = claim_ids(
        list(WebhookDelivery.objects.filter(pk=delivery_id, kind=TEST_KIND).values_list("pk", flat=True)), now
    )
    if not ids:
        return {"sent": 0, "failed": 0}  # already taken by the sweep, or gone with its robot
    return send(ids, now=now)
