"""The nightly housekeeping job: what it cleans, how it records itself, and a run through a real worker."""

import datetime as dt
import os
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from portal import services
from portal.celery import app
from portal.models import Membership, TaskRun
from tests.conftest import require


def _old_session():
    return Session.objects.create(
        session_key="x" * 32, session_data="", expire_date=timezone.now() - dt.timedelta(days=1)
    )


def test_it_cleans_expired_sessions_stale_failures_and_inactive_members(world):
    _old_session()
    Session.objects.create(session_key="y" * 32, session_data="", expire_date=timezone.now() + dt.timedelta(days=1))
    attempt = AccessAttempt.objects.create(username="x", ip_address="127.0.0.1", failures_since_start=3, user_agent="t")
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - dt.timedelta(days=2))
    world.member1.is_active = False
    world.member1.save()

    summary = services.housekeeping_run()

    assert summary == {"expired_sessions": 1, "stale_login_failures": 1, "inactive_user_memberships": 1}
    assert Session.objects.count() == 1
    assert not Membership.objects.filter(user=world.member1).exists()
    run = TaskRun.objects.get(name="housekeeping")
    assert run.status == TaskRun.Status.DONE and run.run_count == 1 and run.finished_at


def test_running_it_twice_is_harmless(world):
    _old_session()
    services.housekeeping_run()
    assert services.housekeeping_run()["expired_sessions"] == 0
    assert TaskRun.objects.get(name="housekeeping").run_count == 2


def test_it_is_scheduled_once_in_settings(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    tasks = [entry["task"] for entry in schedule.values()]
    assert sorted(tasks) == [
        "activities.tasks.mark_held",
        "assessments.tasks.rollup_close_quarter",
        "assessments.tasks.rollup_open_quarter",
        "partnerships.tasks.expire_agreements",
        "portal.tasks.housekeeping",
        "portal.tasks.send_digests",
        "portal.tasks.sweep_reminders",
    ]
    assert all(task in app.tasks for task in tasks)


def test_the_admin_queues_it_after_commit(client_for, world, django_capture_on_commit_callbacks):
    client = client_for(world.admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("housekeeping_run_now"))
    assert response.status_code == 302
    assert len(callbacks) == 1  # nothing is sent until the transaction commits
    assert TaskRun.objects.get(name="housekeeping").status == TaskRun.Status.QUEUED
    for callback in callbacks:
        callback()  # eager in unit tests: runs the task now
    assert TaskRun.objects.get(name="housekeeping").status == TaskRun.Status.DONE


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_housekeeping_through_the_broker(settings):
    """Through a real Celery worker; under CI (REDIS_URL set) the broker is the local Redis."""
    from celery.contrib.testing.worker import start_worker

    require(bool(os.environ.get("REDIS_URL")) or os.environ.get("CI") != "true", "REDIS_URL must be set under CI")
    _old_session()
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=30):
            app.send_task("portal.tasks.housekeeping")
            # Results are not kept (task_ignore_result); the task's own record is what we wait for.
            deadline = time.monotonic() + 60
            while not TaskRun.objects.filter(name="housekeeping", status=TaskRun.Status.DONE).exists():
                assert time.monotonic() < deadline, "the worker never ran the task"
                time.sleep(0.1)
    finally:
        app.conf.task_always_eager = True
    run = TaskRun.objects.get(name="housekeeping")
    assert run.status == TaskRun.Status.DONE and run.summary["expired_sessions"] == 1
    assert not Session.objects.exists()
