"""Big exports as jobs (portal/exports.py): the threshold, the job path end to end (eager tasks here; a real worker on
the ``exports`` queue in tests/portal/test_export_worker.py), the requester-only page and file, the broker being
down, abandoned jobs, housekeeping, the query budget, and the queue of every task.

Here a "big" export is one above ``EXPORT_ROW_THRESHOLD``, set to 2 so the demo world is big enough.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from portal import exports, reminders, services
from portal.celery import app
from portal.models import ExportJob, Notification
from portal.xlsx import HEADER_ROW
from tests.activities.test_activities import at, make_activity, make_agreement
from tests.factories import ActionItemFactory
from tests.xlsx_checks import FORMULA_TITLE, assert_print_ready


@pytest.fixture
def big(settings, tmp_path):
    settings.EXPORT_ROW_THRESHOLD = 2
    settings.EXPORTS_DIR = tmp_path / "exports"
    return settings


@pytest.fixture
def activities(world):
    agreement = make_agreement(world)
    made = [make_activity(world, agreement=agreement, title=f"共建活动{i}", starts=at(-i - 1)) for i in range(4)]
    made.append(make_activity(world, agreement=agreement, title=FORMULA_TITLE, starts=at(-9)))
    make_activity(world, lead=world.branch_b, co=[], title="乙支部自己的活动", starts=at(-3))
    return made


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """A GET whose after-commit callbacks (sending the job) run, as they would after a real request."""

    def get(client, url, query=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.get(url, query or {})

    return get


def rows_of(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return list(sheet.iter_rows(min_row=HEADER_ROW, values_only=True))


def job_file(job: ExportJob) -> bytes:
    handle = exports.job_file_open(job)
    assert handle is not None
    with handle:
        return handle.read()


def immediate(client, url, query=None, **override):
    with mock.patch.object(django_settings, "EXPORT_ROW_THRESHOLD", 10_000):
        response = client.get(url, query or {})
    assert response.status_code == 200
    return rows_of(response.content)


def normalise(rows):
    # Written in the request or by a worker, a date cell reads back as a date or a midnight datetime; compare text.
    return [tuple("" if value is None else str(value).removesuffix(" 00:00:00") for value in row) for row in rows]


# --- the job path --------------------------------------------------------------------------------------------


def test_a_small_export_still_answers_at_once(ask, client_for, world, activities, settings):
    settings.EXPORT_ROW_THRESHOLD = 100
    response = ask(client_for(world.secretary1), reverse("activities:activity_export"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert not ExportJob.objects.exists()


def test_a_big_export_becomes_a_job_written_with_the_same_rows(ask, client_for, world, activities, big):
    client = client_for(world.secretary1)
    url = reverse("activities:activity_export")
    response = ask(client, url, {"q": "共建"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("export_job", args=[job.pk])
    assert (job.requester, job.kind, job.params) == (world.secretary1, "activities", {"q": ["共建"]})
    assert job.status == ExportJob.Status.DONE and job.rows_done == job.rows_total == 4
    assert job.filename.endswith(".xlsx") and job.enqueued_at and job.finished_at
    written = rows_of(job_file(job))
    assert normalise(written) == normalise(immediate(client, url, {"q": "共建"}))
    (sheet,) = assert_print_ready(job_file(job), world.branch_a.name)  # the requester's scope, from the worker
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:Q6"
    path = Path(django_settings.EXPORTS_DIR) / job.file
    assert path.is_file() and not str(path.resolve()).startswith(str(Path(django_settings.MEDIA_ROOT).resolve()))


def test_the_job_keeps_text_inert_and_reapplies_the_requesters_scope(ask, client_for, world, activities, big):
    ask(client_for(world.secretary1), reverse("activities:activity_export"))
    content = job_file(ExportJob.objects.get())
    titles = [row[3] for row in rows_of(content)[1:]]
    assert "乙支部自己的活动" not in titles and FORMULA_TITLE in titles
    cell = next(c for c in load_workbook(io.BytesIO(content)).worksheets[0]["D"] if c.value == FORMULA_TITLE)
    assert cell.data_type == "s"
    # The same parameters for another requester: their scope, not the first one's.
    job = ExportJob.objects.create(requester=world.secretary2, kind="activities", params={})
    exports.job_run(job.pk)
    job.refresh_from_db()
    assert [row[3] for row in rows_of(job_file(job))[1:]] == ["乙支部自己的活动"]


@pytest.mark.parametrize(
    "url_name,kind",
    [("partnerships:action_item_export", "action_items"), ("partnerships:agreement_export", "agreements")],
)
def test_the_other_ledgers_go_through_the_job_path_too(ask, client_for, world, big, url_name, kind):
    for number in ("GJ-X-1", "GJ-X-2", "GJ-X-3"):
        agreement = make_agreement(world, number=number)
        for i in range(2):
            ActionItemFactory(
                agreement=agreement,
                title=f"督办{number}-{i}",
                responsible_party=world.branch_a,
                due_on=timezone.localdate() + dt.timedelta(days=5),
            )
    client = client_for(world.secretary1)
    response = ask(client, reverse(url_name))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.kind == kind and job.status == ExportJob.Status.DONE
    assert normalise(rows_of(job_file(job))) == normalise(immediate(client, reverse(url_name)))


def test_the_requester_gets_a_notice_and_the_status_card_stops_polling(ask, client_for, world, activities, big):
    client = client_for(world.secretary1)
    ask(client, reverse("activities:activity_export"))
    job = ExportJob.objects.get()
    notice = Notification.objects.get(kind=exports.EXPORT_READY)
    assert notice.recipient == world.secretary1 and notice.url == reverse("export_job", args=[job.pk])
    assert exports.EXPORT_READY in reminders.kinds()
    card = client.get(reverse("export_job", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="done"' in card and "hx-trigger" not in card
    assert reverse("export_download", args=[job.pk]) in card
    download = client.get(reverse("export_download", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == job_file(job)
    listing = client.get(reverse("export_jobs")).content.decode()
    assert reverse("export_job", args=[job.pk]) in listing


def test_a_running_job_polls_and_shows_its_progress(client_for, world, big):
    job = ExportJob.objects.create(
        requester=world.secretary1, kind="activities", status="running", rows_done=250, rows_total=1000
    )
    client = client_for(world.secretary1)
    card = client.get(reverse("export_job", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in card and 'aria-valuenow="25"' in card and "<script" not in card
    assert client.get(reverse("export_download", args=[job.pk])).status_code == 404
    page = client.get(reverse("export_job", args=[job.pk])).content.decode()
    assert 'data-testid="export-status"' in page


def test_only_the_requester_sees_the_job_and_its_file(ask, client_for, client, world, activities, big):
    ask(client_for(world.secretary1), reverse("activities:activity_export"))
    job = ExportJob.objects.get()
    for other in (world.secretary2, world.committee, world.outsider):
        other_client = client_for(other)
        assert other_client.get(reverse("export_job", args=[job.pk])).status_code == 404
        assert other_client.get(reverse("export_download", args=[job.pk])).status_code == 404
        assert reverse("export_job", args=[job.pk]) not in other_client.get(reverse("export_jobs")).content.decode()
    client.logout()
    response = client.get(reverse("export_download", args=[job.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- when things go wrong ------------------------------------------------------------------------------------


def test_with_the_broker_down_the_job_stays_queued_and_the_beat_task_sends_it_again(
    ask, client_for, world, activities, big
):
    from portal.tasks import run_export

    with mock.patch.object(run_export, "apply_async", side_effect=ConnectionRefusedError("broker down")):
        response = ask(client_for(world.secretary1), reverse("activities:activity_export"))
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.QUEUED and job.enqueued_at is None
    assert exports.requeue_stale() == {"abandoned": 0, "resent": 0, "waiting": 0}  # not a minute old yet
    summary = exports.requeue_stale(now=timezone.now() + dt.timedelta(minutes=2))
    assert summary == {"abandoned": 0, "resent": 1, "waiting": 1}
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows_done == 5


def test_a_job_whose_worker_died_is_taken_back_and_a_duplicate_message_runs_nothing(world, activities, big):
    job = ExportJob.objects.create(requester=world.secretary1, kind="activities")
    ExportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now() - dt.timedelta(hours=2))
    assert exports.job_run(job.pk) == {"job": job.pk, "skipped": True}
    assert exports.requeue_stale()["abandoned"] == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert exports.job_run(job.pk) == {"job": job.pk, "skipped": True}


def test_a_failing_job_is_marked_failed_and_leaves_no_file(world, activities, big):
    job = ExportJob.objects.create(requester=world.secretary1, kind="activities")
    with (
        mock.patch.object(exports, "write_sheets", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        exports.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and "disk full" in job.error and not job.file
    assert not list(Path(django_settings.EXPORTS_DIR).rglob("*"))


def test_housekeeping_removes_old_exports_and_their_files(ask, client_for, world, activities, big):
    ask(client_for(world.secretary1), reverse("activities:activity_export"))
    job = ExportJob.objects.get()
    path = Path(django_settings.EXPORTS_DIR) / job.file
    assert path.is_file()
    assert services.housekeeping_run()["expired_exports_removed"] == 0
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=big.EXPORT_KEEP_DAYS + 1))
    assert services.housekeeping_run()["expired_exports_removed"] == 1
    assert not ExportJob.objects.exists() and not path.exists()


# --- the job's reader: ordered ids, then batches by primary key ---------------------------------------------


def test_a_job_reads_its_rows_in_export_order_in_batches_of_fixed_queries(world, activities, big):
    more = [
        make_activity(world, agreement=activities[0].agreement, title=f"批量{i}", starts=at(-i - 20)) for i in range(9)
    ]
    spec = exports.spec_for(ExportJob(requester=world.secretary1, kind="activities", params={}))
    expected = [row[3] for row in spec.rows()]  # one cursor over the whole export, in its order
    ids = spec.ordered_ids()
    assert list(ids) == list(spec.queryset.values_list("pk", flat=True))
    assert len(ids) == len(activities) + len(more) == 14
    with CaptureQueriesContext(connection) as batches_of_four:
        assert [row[3] for row in spec.batches(ids, size=4)] == expected
    with CaptureQueriesContext(connection) as one_batch:
        assert [row[3] for row in spec.batches(ids, size=100)] == expected
    # Each batch: its rows, then one query per prefetch (co-organizers, headcounts); 4 batches of 4 against 1 of 14.
    assert len(batches_of_four.captured_queries) == 4 * len(one_batch.captured_queries)


def test_a_row_deleted_after_the_ids_were_read_is_skipped(world, activities, big):
    spec = exports.spec_for(ExportJob(requester=world.secretary1, kind="activities", params={}))
    ids = spec.ordered_ids()
    gone = activities[1]
    titles = [row[3] for row in spec.rows()]
    gone.delete()
    assert [row[3] for row in spec.batches(ids, size=2)] == [t for t in titles if t != gone.title]


def test_a_job_records_its_total_from_the_ids_and_its_progress_as_it_goes(world, activities, big, monkeypatch):
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(exports, "BATCH_SIZE", 2)
    seen = []
    update = exports._update

    def spy(job_id, **fields):
        seen.append(fields)
        update(job_id, **fields)

    monkeypatch.setattr(exports, "_update", spy)
    job = ExportJob.objects.create(requester=world.secretary1, kind="activities", params={})
    exports.job_run(job.pk)
    job.refresh_from_db()
    assert seen[0] == {"rows_total": 5}
    assert [fields["rows_done"] for fields in seen[1:-1]] == [2, 4, 5]
    assert job.status == ExportJob.Status.DONE and job.rows_done == job.rows_total == 5


# --- budgets and queues --------------------------------------------------------------------------------------


def test_the_job_path_request_takes_the_same_queries_at_few_and_many_rows(client_for, world, big):
    agreement = make_agreement(world)
    client = client_for(world.secretary1)
    url = reverse("activities:activity_export")
    for i in range(3):
        make_activity(world, agreement=agreement, title=f"少{i}", starts=at(-i - 1))
    with mock.patch.object(exports, "enqueue"), CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 302
    for i in range(30):
        make_activity(world, agreement=agreement, title=f"多{i}", starts=at(-i - 1))
    with mock.patch.object(exports, "enqueue"), CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 302
    assert len(many.captured_queries) == len(few.captured_queries)


def test_every_task_is_routed_to_a_named_queue():
    routes = django_settings.CELERY_TASK_ROUTES
    queues = set(django_settings.CELERY_QUEUE_NAMES)
    app.loader.import_default_modules()  # every app's tasks module, as a worker loads them
    ours = sorted(name for name in app.tasks if not name.startswith("celery."))
    assert ours, "no task registered"
    for name in ours:
        assert name in routes, f"{name} has no route in CELERY_TASK_ROUTES"
        assert routes[name]["queue"] in queues
    assert set(routes) == set(ours)  # no route for a task that is gone
    assert routes["portal.tasks.run_export"]["queue"] == "exports"
    assert {routes[name]["queue"] for name in ours if name.startswith("assessments.tasks.rollup")} == {"rollups"}
    for name in ("portal.tasks.sweep_reminders", "portal.tasks.send_digests", "portal.tasks.send_webhook_test"):
        assert routes[name]["queue"] == "reminders"
    assert django_settings.CELERY_TASK_DEFAULT_QUEUE == "default"
    # The router Celery uses agrees with the setting.
    assert app.amqp.router.route({}, "portal.tasks.run_export")["queue"].name == "exports"
