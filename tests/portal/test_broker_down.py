"""A committed write never turns into an error page because the Celery broker is down (issue 10, item 2b).

The app is pointed at a Redis broker on a local port that refuses connections, with tasks really sent (not eager),
and the pages that enqueue after their commit are driven through the test client in real transactions, so the
``on_commit`` sends run inside the request as in production. Each write must answer with its redirect, log a
warning, and leave its work in rows that the beat's tasks pick up: the published notices are delivered by the next
sweep on every channel exactly once, a requested rollup run is run by ``rollup_recover``, housekeeping waits for its
nightly run. ``reminders.notify`` (the rows API behind the published notices) is tested at the end.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments import rules
from assessments import tasks as assessment_tasks
from assessments.models import Indicator, IndicatorScore, QuarterRollup, RollupRun
from assessments.services import review as review_services
from assessments.services import rollups as rollup_services
from partnerships.models import Organization
from portal import reminders, sweep
from portal.celery import app
from portal.models import Notification, ReminderRule, TaskRun, WebhookDelivery
from portal.reminders import Candidate
from tests.portal.test_webhooks import endpoint

Y, Q = 2024, 2
PUBLISHED = "assessment.published"


def _reset_connections():
    """Forget the app's connection pools so the next send uses the broker now configured (kombu keeps one pool per
    broker URL, so the original one is found again afterwards, untouched)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """The app's broker is a Redis URL on a bound, never-listening local port (every connection is refused), and
    tasks go through the broker instead of running eagerly. Restored afterwards."""
    keys = ("broker_url", "broker_write_url", "broker_transport_options", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
        _reset_connections()
        app.conf.update(
            broker_url=url,
            broker_write_url=url,
            broker_transport_options={"socket_connect_timeout": 1, "socket_timeout": 2, "max_retries": 1},
            task_always_eager=False,
        )
        try:
            yield url
        finally:
            _reset_connections()
            app.conf.update(saved)


def warnings_about(caplog, task_name: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "portal.celery" and r.levelno == logging.WARNING and task_name in r.getMessage()
    ]


def reviewed_result(world) -> QuarterRollup:
    rollup_services.rollup_compute(year=Y, quarter=Q, final=True)
    rollup = QuarterRollup.objects.get(organization=world.branch_a, year=Y, quarter=Q)
    manual = IndicatorScore.objects.filter(rollup=rollup, indicator__source=Indicator.Source.MANUAL)
    review_services.review_save(
        actor=world.committee,
        rollup=rollup,
        review_points={score.indicator_id: 4 for score in manual},
        adjustments={},
        highlights="",
        weaknesses="",
    )
    return rollup


# --- the pages, with the broker down ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_publishing_with_the_broker_down_redirects_and_the_next_sweep_delivers_the_notice_once(
    broker_down, client_for, world, robot, caplog
):
    rollup = reviewed_result(world)
    endpoint(world.branch_a, robot.url("/ok"))
    caplog.set_level(logging.WARNING, logger="portal.celery")

    response = client_for(world.committee).post(reverse("assessments:rollup_publish", args=[rollup.pk]))

    assert response.status_code == 302
    assert QuarterRollup.objects.get(pk=rollup.pk).status == QuarterRollup.Status.PUBLISHED
    # The notices were committed with the publication, waiting for a sweep; the failed kick was only logged.
    row = Notification.objects.get(kind=PUBLISHED)
    assert row.recipient == world.secretary1 and row.status == Notification.Status.PENDING
    assert WebhookDelivery.objects.get(kind=PUBLISHED).status == WebhookDelivery.Status.PENDING
    assert warnings_about(caplog, "portal.tasks.sweep_reminders")
    assert not mail.outbox and not robot.requests

    # The beat's next sweep (the broker is back) delivers it on every channel, and a later one sends nothing more.
    summary = sweep.sweep(timezone.now() + dt.timedelta(seconds=1))
    assert summary["created"] == 0 and summary["sent"] == 1
    assert Notification.objects.get(kind=PUBLISHED).status == Notification.Status.SENT
    assert [message.to for message in mail.outbox] == [[world.secretary1.email]]
    assert len(robot.to("/ok")) == 1
    sweep.sweep(timezone.now() + dt.timedelta(minutes=5))
    assert len(mail.outbox) == 1 and len(robot.to("/ok")) == 1


@pytest.mark.django_db(transaction=True)
def test_publishing_a_quarter_with_the_broker_down_redirects_with_its_notices_committed(
    broker_down, client_for, world, caplog
):
    rollup = reviewed_result(world)
    caplog.set_level(logging.WARNING, logger="portal.celery")

    response = client_for(world.committee).post(reverse("assessments:rollup_publish_quarter", args=[Y, Q]))

    assert response.status_code == 302
    assert QuarterRollup.objects.get(pk=rollup.pk).status == QuarterRollup.Status.PUBLISHED
    assert list(Notification.objects.filter(kind=PUBLISHED).values_list("recipient", flat=True)) == [
        world.secretary1.pk
    ]
    assert warnings_about(caplog, "portal.tasks.sweep_reminders")


@pytest.mark.django_db(transaction=True)
def test_a_rollup_requested_with_the_broker_down_stays_queued_and_the_beat_runs_it(
    broker_down, client_for, world, caplog
):
    caplog.set_level(logging.WARNING, logger="portal.celery")

    response = client_for(world.committee).post(reverse("assessments:rollup_request"), {"year": Y, "quarter": Q})

    assert response.status_code == 302
    run = RollupRun.objects.get()
    assert run.status == RollupRun.Status.QUEUED
    assert warnings_about(caplog, "assessments.tasks.rollup_quarter")
    # Right away the recovery leaves it to its own message; once that is overdue, the beat's task runs it.
    assert rollup_services.rollup_recover(now=timezone.now())["done"] == 0
    assert RollupRun.objects.get().status == RollupRun.Status.QUEUED
    later = timezone.now() + rules.ROLLUP_RECOVER_AFTER + dt.timedelta(seconds=1)
    assert rollup_services.rollup_recover(now=later) == {"done": 1, "failed": 0, "dead": 0}
    run.refresh_from_db()
    assert run.status == RollupRun.Status.DONE and run.final and run.summary
    assert QuarterRollup.objects.filter(year=Y, quarter=Q, status=QuarterRollup.Status.FINAL).exists()
    assert rollup_services.rollup_recover(now=later)["done"] == 0  # never twice


@pytest.mark.django_db(transaction=True)
def test_housekeeping_requested_with_the_broker_down_redirects_and_waits_for_the_nightly_run(
    broker_down, client_for, world, caplog
):
    caplog.set_level(logging.WARNING, logger="portal.celery")

    response = client_for(world.admin).post(reverse("housekeeping_run_now"))

    assert response.status_code == 302
    assert TaskRun.objects.get(name="housekeeping").status == TaskRun.Status.QUEUED
    assert warnings_about(caplog, "portal.tasks.housekeeping")


def test_every_task_sends_after_commit_through_the_logging_helper():
    """One rule for every task of the project: its after-commit send is the one that logs a down broker."""
    from portal.celery import Task

    project = [task for name, task in app.tasks.items() if not name.startswith("celery.")]
    assert {"portal.tasks.housekeeping", "assessments.tasks.rollup_quarter"} <= {task.name for task in project}
    assert all(isinstance(task, Task) for task in project)


# --- recovering rollup runs ---------------------------------------------------------------------------------------


def test_a_run_whose_worker_died_is_recorded_failed_by_the_recovery(world):
    started = timezone.now() - rules.ROLLUP_DEAD_AFTER - dt.timedelta(minutes=1)
    dead = RollupRun.objects.create(year=Y, quarter=Q, status=RollupRun.Status.RUNNING, started_at=started)
    alive = RollupRun.objects.create(year=Y, quarter=Q, status=RollupRun.Status.RUNNING, started_at=timezone.now())

    assert assessment_tasks.rollup_recover.delay().get() == {"done": 0, "failed": 0, "dead": 1}

    dead.refresh_from_db(), alive.refresh_from_db()
    assert dead.status == RollupRun.Status.FAILED and dead.finished_at and dead.error
    assert alive.status == RollupRun.Status.RUNNING


# --- reminders.notify: "send this kind of notice to these people about this object now", as rows ----------------

EVENT = "test.event_notice"


@pytest.fixture
def event_kind(monkeypatch):
    """A notice kind sent only through notify() (no candidates function), registered for the test only."""
    monkeypatch.setitem(
        reminders._KINDS,
        EVENT,
        reminders.Kind(EVENT, "测试通知", 0, False, None, None),
    )
    return EVENT


def notice(world, recipients, occurrence="created"):
    return Candidate(
        target=world.branch_a,
        occurrence=occurrence,
        recipients=recipients,
        due_at=timezone.now(),
        title="新的共建事项已分派给你",
        url="/",
    )


def test_notify_creates_the_rows_in_the_writes_transaction_and_the_sweep_sends_them_once(
    world, event_kind, robot, django_capture_on_commit_callbacks
):
    endpoint(world.branch_a, robot.url("/ok"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            created = sweep.notify(event_kind, [notice(world, [world.secretary1, world.member1])])
            assert created == 2
    assert len(callbacks) == 1  # the sweep is only asked for after commit
    assert WebhookDelivery.objects.filter(kind=event_kind).count() == 1
    # The sweep never cancels an event kind's rows (they are no candidates of any plan) and sends each once.
    summary = sweep.sweep(timezone.now() + dt.timedelta(seconds=1))
    assert summary["cancelled"] == 0 and summary["sent"] == 2
    assert set(Notification.objects.filter(kind=event_kind).values_list("status", flat=True)) == {"sent"}
    assert WebhookDelivery.objects.get(kind=event_kind).status == WebhookDelivery.Status.SENT
    assert len(robot.to("/ok")) == 1
    # The same notice again (a retried request) adds nothing; a new occurrence is a new notice.
    assert sweep.notify(event_kind, [notice(world, [world.secretary1])]) == 0
    assert sweep.notify(event_kind, [notice(world, [world.secretary1], occurrence="again")]) == 1


def test_notify_rolls_back_with_the_write(world, event_kind):
    with pytest.raises(RuntimeError), transaction.atomic():
        sweep.notify(event_kind, [notice(world, [world.secretary1])])
        raise RuntimeError("the write failed")
    assert not Notification.objects.filter(kind=event_kind).exists()


def test_notify_respects_the_rule_and_refuses_unknown_kinds(world, event_kind):
    ReminderRule.objects.update_or_create(kind=event_kind, defaults={"enabled": False})
    assert sweep.notify(event_kind, [notice(world, [world.secretary1])]) == 0
    assert not Notification.objects.filter(kind=event_kind).exists()
    with pytest.raises(ValueError):
        sweep.notify("no.such_kind", [notice(world, [world.secretary1])])


def test_the_plan_leaves_pending_deliveries_of_kinds_it_does_not_plan_alone(world, event_kind, robot):
    hook = endpoint(world.branch_a, robot.url("/ok"))
    target_type = ContentType.objects.get_for_model(Organization)
    delivery = WebhookDelivery.objects.create(
        endpoint=hook,
        kind=event_kind,
        target_type=target_type,
        target_id=world.branch_a.pk,
        occurrence="created",
        title="新的共建事项",
        body="### 新的共建事项",
        due_at=timezone.now() + dt.timedelta(hours=1),  # not due yet: only the plan step touches it
    )
    sweep.plan(timezone.now())
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
