"""The nightly housekeeping job: what it cleans, how it records itself, and a run through a real worker."""

import datetime as dt
import os
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal import services
from portal.celery import app
from portal.models import Membership, TaskRun
from tests.conftest import require
from tests.factories import AgreementFactory


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

    assert summary == {
        "expired_sessions": 1,
        "stale_login_failures": 1,
        "inactive_user_memberships": 1,
        "expired_temporary_uploads": 0,
        "orphan_files_removed": 0,
        "expired_exports_removed": 0,
    }
    assert Session.objects.count() == 1
    assert not Membership.objects.filter(user=world.member1).exists()
    run = TaskRun.objects.get(name="housekeeping")
    assert run.status == TaskRun.Status.DONE and run.run_count == 1 and run.finished_at


def test_running_it_twice_is_harmless(world):
    _old_session()
    services.housekeeping_run()
    assert services.housekeeping_run()["expired_sessions"] == 0
    assert TaskRun.objects.get(name="housekeeping").run_count == 2


def test_a_service_is_the_outermost_transaction_and_refuses_to_run_inside_a_callers(world):
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.housekeeping_request(actor=world.admin)
    assert not TaskRun.objects.filter(name="housekeeping").exists()


def test_it_is_scheduled_once_in_settings(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    tasks = [entry["task"] for entry in schedule.values()]
    assert sorted(tasks) == [
        "activities.tasks.mark_held",
        "assessments.tasks.rollup_close_quarter",
        "assessments.tasks.rollup_open_quarter",
        "assessments.tasks.rollup_recover",
        "partnerships.tasks.expire_agreements",
        "portal.tasks.housekeeping",
        "portal.tasks.requeue_exports",
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


# --- Orphaned uploads -------------------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    """A media folder of the test's own, so files of other tests are never in play."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _put(media, name, *, days_old=0):
    path = media / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    # Always stamped from the clock the run uses (the suite may run on another date: GJ_TEST_NOW), never the disk's.
    stamp = time.time() - days_old * 86400
    os.utime(path, (stamp, stamp))
    return path


def _agreement(document):
    from partnerships.models import Agreement

    return AgreementFactory(
        number="GJ-2020-001",
        title="共建协议",
        term_start=dt.date(2020, 1, 1),
        term_end=dt.date(2022, 12, 31),
        status=Agreement.Status.DRAFT,
        document=document,
    )


def test_a_referenced_upload_stays_however_old(world, media):
    _agreement("agreements/2020/signed.pdf")
    kept = _put(media, "agreements/2020/signed.pdf", days_old=400)

    assert services.housekeeping_run()["orphan_files_removed"] == 0
    assert kept.exists()


def test_an_unreferenced_old_upload_is_removed_in_any_upload_folder(world, media, caplog):
    agreement_scan = _put(media, "agreements/2020/dropped.pdf", days_old=2)
    thumbnail = _put(media, "photos/2020/05/thumbs/replaced.jpg", days_old=2)  # abstract Photo's subclasses
    attachment = _put(media, "self-assessments/2020/05/removed.pdf", days_old=2)
    evidence = _put(media, "evidence/2020/05/deleted-row.png", days_old=2)

    with caplog.at_level("INFO", logger="portal.housekeeping_files"):
        summary = services.housekeeping_run()

    assert summary["orphan_files_removed"] == 4
    assert not any(path.exists() for path in (agreement_scan, thumbnail, attachment, evidence))
    assert "photos/2020/05/thumbs/replaced.jpg" in caplog.text
    assert TaskRun.objects.get(name="housekeeping").summary["orphan_files_removed"] == 4


def test_a_fresh_unreferenced_upload_stays_as_its_row_may_not_be_committed_yet(world, media):
    fresh = _put(media, "evidence/2020/05/in-progress.png")
    almost_a_day = _put(media, "evidence/2020/05/twenty-three-hours.png", days_old=23 / 24)

    assert services.housekeeping_run()["orphan_files_removed"] == 0
    assert fresh.exists() and almost_a_day.exists()


def test_files_outside_the_upload_folders_stay(world, media):
    outside = [
        _put(media, "stray.txt", days_old=30),
        _put(media, "exports/2020/report.xlsx", days_old=30),
        _put(media, "agreementsX/old.pdf", days_old=30),  # a look-alike prefix is not the upload folder
    ]

    assert services.housekeeping_run()["orphan_files_removed"] == 0
    assert all(path.exists() for path in outside)


def test_a_file_named_only_by_a_history_row_stays(world, media):
    agreement = _agreement("agreements/2020/first-scan.pdf")
    agreement.document = "agreements/2020/second-scan.pdf"
    agreement.save()
    assert agreement.history.filter(document="agreements/2020/first-scan.pdf").exists()
    first = _put(media, "agreements/2020/first-scan.pdf", days_old=10)
    second = _put(media, "agreements/2020/second-scan.pdf", days_old=10)

    assert services.housekeeping_run()["orphan_files_removed"] == 0
    assert first.exists() and second.exists()


def test_the_workbench_shows_the_orphan_count_of_the_last_run(client_for, world, media):
    _put(media, "agreements/2020/dropped.pdf", days_old=2)
    services.housekeeping_run()

    response = client_for(world.admin).get(reverse("home"))

    assert "orphan_files_removed=1" in response.content.decode()
