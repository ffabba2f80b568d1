"""A yearly ledger archive built by a real Celery worker on the ``exports`` queue (PostgreSQL + Redis), as in
production: the job is published by task name and routed by ``CELERY_TASK_ROUTES``. The test opens the ZIP the worker
wrote, reads its PDFs (pypdf) and workbooks (openpyxl), and sees the progress and the notice. Skips locally without
PostgreSQL and Redis, fails under CI. Run it with
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/gj_archive REDIS_URL=redis://127.0.0.1:6379/13``.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from portal import exports
from portal.models import ExportJob, Notification
from tests.archive.ledger_world import build_ledger, check_bundle
from tests.workers_support import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_builds_the_branch_archive_with_every_section(harness, world, settings, tmp_path):
    settings.EXPORTS_DIR = tmp_path / "exports"
    settings.MEDIA_ROOT = tmp_path / "media"
    ledger = build_ledger(world)
    # The job as the service records it (the service's own send is eager in this process: the test publishes it).
    params = {"organization": [str(world.branch_a.pk)], "year": [str(ledger.year)]}
    job = ExportJob.objects.create(requester=world.secretary1, kind=ExportJob.Kind.ARCHIVE, params=params)
    seen = set()

    assert django_settings.CELERY_TASK_ROUTES["portal.tasks.run_export"]["queue"] == "exports"
    worker = harness.start_worker(
        "exports", queues="exports", EXPORTS_DIR=str(settings.EXPORTS_DIR), GJ_TEST_MEDIA_ROOT=str(settings.MEDIA_ROOT)
    )
    harness.producer.conf.task_routes = django_settings.CELERY_TASK_ROUTES
    task_id = harness.producer.send_task("portal.tasks.run_export", args=[job.pk]).id

    def done() -> bool:
        seen.add(ExportJob.objects.values_list("rows_done", flat=True).get(pk=job.pk))
        return worker.task_done(task_id)

    wait_until(done, 180, "the archive was never written", [worker])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.rows_done == job.rows_total == 7
    assert len(seen) > 2  # the progress moved section by section while the page polled
    assert worker.task_results(task_id) == [{"job": job.pk, "rows": 7}]
    with exports.job_file_open(job) as stored:
        check_bundle(stored.read(), ledger, world)
    assert Notification.objects.filter(kind=exports.EXPORT_READY, recipient=world.secretary1).count() == 1
