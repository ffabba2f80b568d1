"""Exactly once, never lost — proved through real Celery worker processes on Redis and PostgreSQL (issue 5).

Each test starts ``celery -A portal worker`` subprocesses (tests/workers_support.py) on the test database and on
Redis, under a queue and key prefix of its own, and publishes the tasks the beat would. Every email the workers
send is appended to a file (``begin`` before handing it over, ``sent`` after), so "exactly once" is counted, not
assumed: one ``sent`` line per notification, and every row ``sent`` in the database.

The unit-level halves of the issue (editing a due date moves the reminder, closing an item stops it, two claims on
one row) are in tests/portal/test_reminders.py. These tests need PostgreSQL and Redis: they skip without them
locally and fail under CI (``require``). Run them locally with
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/gj_workers REDIS_URL=redis://127.0.0.1:6379/5``.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
from collections import Counter

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.utils import timezone

from assessments import metrics
from assessments.models import RollupRun
from partnerships.models import Organization
from portal import claims
from portal.claims import STALE_AFTER
from portal.models import Notification
from tests.factories import ActionItemFactory, cast_agreement
from tests.workers_support import (
    notification_key,
    process_gone,
    sent_counts,
    wait_until,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SWEEP = "portal.tasks.sweep_reminders"
PING = "worker_proof.ping"  # not a registered kind: the sweep's plan() neither creates nor cancels these rows
SENT, SENDING, PENDING = Notification.Status.SENT, Notification.Status.SENDING, Notification.Status.PENDING


def due_notifications(world, count: int) -> None:
    """``count`` reminders already due, pending, each for a recipient with an email address."""
    people = [world.secretary1, world.secretary2, world.liaison1, world.member1, world.committee]
    target_type = ContentType.objects.get_for_model(Organization)
    due_at = timezone.now() - dt.timedelta(hours=1)
    Notification.objects.bulk_create(
        Notification(
            kind=PING,
            target_type=target_type,
            target_id=world.branch_a.pk,
            occurrence=f"wp-n{i}",
            recipient=people[i % len(people)],
            title=f"共建工作提醒 wp-n{i}",
            due_at=due_at,
        )
        for i in range(count)
    )


def items_due_soon(world, count: int) -> None:
    """Action items due in two days: the sweep's plan() creates their "due soon" reminders (due since yesterday)."""
    today = timezone.localdate()
    agreement = cast_agreement(
        world,
        number="GJ-WRK-01",
        title="并发提醒共建协议",
        term_start=today - dt.timedelta(days=200),
        term_end=today + dt.timedelta(days=200),
    )
    for i in range(count):
        ActionItemFactory(
            agreement=agreement,
            title=f"清理施工围挡周边垃圾 wp-i{i}",
            responsible_party=world.branch_a,
            responsible_person=world.secretary1,
            due_on=today + dt.timedelta(days=2),
        )


def expected_keys() -> Counter:
    return Counter(notification_key(row) for row in Notification.objects.select_related("recipient"))


def test_two_workers_sweeping_at_once_send_each_reminder_exactly_once(harness, world):
    due_notifications(world, 1000)  # two batches of 500 (reminders.BATCH_SIZE): one for each sweep
    items_due_soon(world, 10)
    # A short pause per email keeps the first sweep busy while the second one claims its share.
    a = harness.start_worker("a", wait=False, GJ_MAIL_DELAY=0.01)
    b = harness.start_worker("b", wait=False, GJ_MAIL_DELAY=0.01)
    a.wait_ready(), b.wait_ready()

    sweeps = [harness.send(SWEEP), harness.send(SWEEP)]  # what two beats firing at once would publish

    wait_until(
        lambda: all(a.task_done(task) or b.task_done(task) for task in sweeps), 60, "the sweeps did not finish", [a, b]
    )
    rows = Notification.objects.all()
    assert rows.count() == 1010
    assert rows.filter(kind="action_item.due_soon").count() == 10  # both sweeps planned them: created once
    assert set(rows.values_list("status", flat=True)) == {SENT}
    assert set(rows.values_list("attempts", flat=True)) == {0}
    records = harness.records()
    assert sent_counts(records) == expected_keys()  # every reminder emailed, none twice

    # Both sweeps really ran side by side: one in each worker, each sending part of the batch.
    summaries = [*(r for t in sweeps for r in a.task_results(t)), *(r for t in sweeps for r in b.task_results(t))]
    assert len(a.task_results(sweeps[0]) + a.task_results(sweeps[1])) == 1
    assert len(b.task_results(sweeps[0]) + b.task_results(sweeps[1])) == 1
    assert sum(s["sent"] for s in summaries) == 1010
    assert all(s["sent"] > 0 for s in summaries), summaries
    assert len({record.pid for record in records if record.event == "sent"}) == 2


@pytest.mark.parametrize("moment", ["while_sending", "after_handing_over"])
@pytest.mark.parametrize("kill", ["worker", "pool_process"])
def test_a_worker_killed_mid_sweep_loses_no_reminder_and_doubles_none(harness, world, kill, moment):
    """SIGKILL in the middle of a sweep, then recovery: every reminder is sent, and none twice — with one exception,
    measured here rather than hidden.

    ``worker``: the whole worker (main and pool process) dies; its unacknowledged sweep message is taken back by
    the restarted worker (here after a 2-second visibility timeout; in production after CELERY_VISIBILITY_TIMEOUT,
    and meanwhile the beat's next sweeps do the work). ``pool_process``: only the process running the task dies;
    with acks_late and reject_on_worker_lost the worker requeues the message and runs it again.

    The mail backend stops the sending process at an exact point for the kill: ``while_sending`` (the 9th email
    begun, not handed over) or ``after_handing_over`` (the 8th email accepted, its row not yet marked sent). The
    second is the at-least-once gap between an SMTP "250 OK" and its record, which no claim can close: that one
    email goes out again after recovery. ``deliver()`` logs each row right after its own email (claims.SentLog) and
    recovery finishes the logged rows, so the gap never holds more than the one row the killed process was sending;
    every other row is sent exactly once.
    """
    count = 40
    due_notifications(world, count)
    hang = "before:9" if moment == "while_sending" else "after:8"
    first = harness.start_worker("first", GJ_MAIL_HANG=hang)
    sweep = harness.send(SWEEP)
    (hung,) = wait_until(
        lambda: [r for r in harness.records() if r.event == "hang"], 30, "the sweep did not get there", [first]
    )

    if kill == "worker":
        first.kill()
        survivor = harness.start_worker("restarted", GJ_VISIBILITY_TIMEOUT=2)
    else:
        os.kill(hung.pid, signal.SIGKILL)  # the pool process that is sending
        wait_until(lambda: process_gone(hung.pid), 10, "the pool process did not die")
        survivor = first
    before = harness.records()

    # Killed mid-sweep, and nothing lost: the rows the dead process had claimed are stuck in "sending" — all of
    # them, since states are written per batch — and its claim's SentLog holds what it had handed over, except the
    # message in flight.
    handed_over = sent_counts(before)
    assert len(handed_over) == 8 and set(handed_over.values()) == {1}
    in_gap = {hung.key} if moment == "after_handing_over" else set()
    stuck = Notification.objects.filter(status=SENDING).select_related("recipient")
    logged = claims.sent_log().read(set(stuck.values_list("claim_token", flat=True)))
    assert {notification_key(row) for row in stuck if row.pk in logged} == set(handed_over) - in_gap
    stuck_count = stuck.count()
    assert stuck_count == count
    assert not Notification.objects.filter(status=PENDING).exists()

    # The killed task comes back and runs to its end — but a claim younger than STALE_AFTER may belong to a live
    # worker, so it sends nothing: a redelivery never doubles what another worker is doing.
    wait_until(lambda: survivor.task_done(sweep), 30, "the killed sweep was not run again", [survivor])
    assert survivor.received(sweep) >= (2 if kill == "pool_process" else 1)
    assert all(result["sent"] == 0 for result in survivor.task_results(sweep))
    assert harness.records() == before

    # STALE_AFTER later (the clock moved on: the claims got older), the next sweep takes the stuck rows back.
    Notification.objects.filter(status=SENDING).update(
        claimed_at=F("claimed_at") - STALE_AFTER - dt.timedelta(minutes=1)
    )
    recovery = harness.send(SWEEP)
    wait_until(lambda: survivor.task_done(recovery), 30, "the recovery sweep did not finish", [survivor])
    assert sum(result["recovered"] for result in survivor.task_results(recovery)) == stuck_count

    assert set(Notification.objects.values_list("status", flat=True)) == {SENT}  # none lost
    assert set(Notification.objects.values_list("attempts", flat=True)) == {0}
    counts = sent_counts(harness.records())
    assert set(counts) == set(expected_keys())
    assert {key for key, n in counts.items() if n > 1} == in_gap  # only the row in the gap went out twice
    assert max(counts.values()) <= 2


def test_a_requested_rollup_runs_through_a_real_worker(harness, world):
    """The dashboard's "compute now" button: a queued RollupRun and the task message rollup_request sends."""
    year, quarter = metrics.current_quarter()
    run = RollupRun.objects.create(year=year, quarter=quarter, final=False, requested_by=world.committee)
    assert run.status == RollupRun.Status.QUEUED
    worker = harness.start_worker("rollup")

    task = harness.send("assessments.tasks.rollup_quarter", year, quarter, run_id=run.pk)

    wait_until(lambda: worker.task_done(task), 60, "the rollup did not finish", [worker])
    run.refresh_from_db()
    assert run.status == RollupRun.Status.DONE, run.error
    assert run.started_at and run.finished_at and run.summary
    assert worker.task_results(task) == [run.summary]
