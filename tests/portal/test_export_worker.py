"""A big export written by a real Celery worker listening on the ``exports`` queue (PostgreSQL + Redis).

The job is published the way the portal publishes it: by task name, routed by ``CELERY_TASK_ROUTES`` — so a worker
consuming ``exports`` only (as in the README's production layout) picks it up, streams the rows from a server-side
cursor into the file, records its progress and its end, and notifies the requester. Skips locally without
PostgreSQL and Redis, fails under CI (``require``). Run it with
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/gj_exports REDIS_URL=redis://127.0.0.1:6379/13``.
"""

from __future__ import annotations

import io

import pytest
from django.conf import settings as django_settings
from openpyxl import load_workbook

from portal import exports
from portal.models import ExportJob, Notification
from tests.activities.test_activities import at, make_activity, make_agreement
from tests.workers_support import wait_until
from tests.xlsx_checks import table

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_on_the_exports_queue_writes_the_file(harness, world, settings, tmp_path):
    settings.EXPORTS_DIR = tmp_path / "exports"
    agreement = make_agreement(world)
    for i in range(7):
        make_activity(world, agreement=agreement, title=f"导出活动{i}", starts=at(-i - 1))
    make_activity(world, lead=world.branch_b, co=[], title="乙支部自己的活动", starts=at(-2))
    job = ExportJob.objects.create(requester=world.secretary1, kind="activities", params={"q": ["导出"]})

    assert django_settings.CELERY_TASK_ROUTES["portal.tasks.run_export"]["queue"] == "exports"
    worker = harness.start_worker("exports", queues="exports", EXPORTS_DIR=str(settings.EXPORTS_DIR))
    harness.producer.conf.task_routes = django_settings.CELERY_TASK_ROUTES  # published as the portal does
    task_id = harness.producer.send_task("portal.tasks.run_export", args=[job.pk]).id

    wait_until(lambda: worker.task_done(task_id), 60, "the export was never written", [worker])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows_done == job.rows_total == 7
    assert worker.task_results(task_id) == [{"job": job.pk, "rows": 7}]
    sheet = load_workbook(io.BytesIO(exports.job_file_open(job).read())).worksheets[0]
    titles = sorted(row[3] for row in table(sheet)[1:])  # below the title and header rows
    assert titles == [f"导出活动{i}" for i in range(7)]
    assert Notification.objects.filter(kind=exports.EXPORT_READY, recipient=world.secretary1).count() == 1


def test_a_worker_writes_the_dashboard_export_with_every_sheet(harness, world, settings, tmp_path):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from assessments.models import QuarterRollup
    from assessments.selectors import dashboard_export as export_selectors
    from assessments.selectors import subjects as subject_selectors
    from assessments.services import rollups as services

    settings.EXPORTS_DIR = tmp_path / "exports"
    services.rollup_compute(year=2025, quarter=3, now=dt.datetime(2025, 10, 10, 12, tzinfo=ZoneInfo("Asia/Shanghai")))
    branches = QuarterRollup.objects.visible_to(world.committee).filter(
        year=2025, quarter=3, organization__isnull=False
    )
    assert branches.count() >= 2
    params = {"year": ["2025"], "quarter": ["3"], "view": ["organizations"]}
    job = ExportJob.objects.create(requester=world.committee, kind=ExportJob.Kind.DASHBOARD, params=params)

    worker = harness.start_worker("exports", queues="exports", EXPORTS_DIR=str(settings.EXPORTS_DIR))
    harness.producer.conf.task_routes = django_settings.CELERY_TASK_ROUTES
    task_id = harness.producer.send_task("portal.tasks.run_export", args=[job.pk]).id

    wait_until(lambda: worker.task_done(task_id), 60, "the dashboard export was never written", [worker])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows_done == job.rows_total > 0
    workbook = load_workbook(io.BytesIO(exports.job_file_open(job).read()))
    expected = export_selectors.dashboard_sheets(world.committee, year=2025, quarter=3)
    assert len(workbook.worksheets) == len(expected) == 6
    ranking = table(workbook.worksheets[0])[1:]
    assert sorted(row[1] for row in ranking) == sorted(subject_selectors.subject_name(r) for r in branches)
    scores = table(workbook.worksheets[5])[1:]
    assert len(scores) == export_selectors.dashboard_export_scores(world.committee, year=2025, quarter=3).count()
    assert Notification.objects.filter(kind=exports.EXPORT_READY, recipient=world.committee).count() == 1
