"""Excel exports that scale: small ones answer at once, big ones run as a Celery job (``ExportJob``).

An export view builds an ``ExportSpec`` from its request (the same selectors and filters as its page) and hands it to
``respond``. A bounded count (``LIMIT threshold + 1``, never a full count) decides: up to
``settings.EXPORT_ROW_THRESHOLD`` rows the workbook is built in the request as before; above it a job is recorded,
sent to the ``exports`` queue after commit, and the user goes to the job's page, which polls its progress.

The worker (``job_run``) claims the job with a conditional update (a redelivered or re-sent message never runs it
twice at once), rebuilds the spec from the job's requester and filter parameters — so the export re-applies the
requester's scope, as it is when the job runs — and streams the rows into openpyxl's write-only mode
(``portal.xlsx.write_sheets``), recording progress every ``PROGRESS_EVERY`` rows. The rows are read in batches
(``ExportSpec.batches``): first the ordered ids of the whole export in one statement (a compact array; its length is
the job's total), then ``BATCH_SIZE`` rows at a time by primary key, each batch one short query (plus its
prefetches) in autocommit. Never one server-side cursor over the whole export: outside a transaction Django declares
it ``WITH HOLD``, and PostgreSQL materializes the entire result (every join and annotation of a million rows) when
the declaring statement commits, before the first row comes back; inside a transaction, the progress updates would
stay invisible until the end. A workbook of several sheets (the assessment dashboard's) streams each sheet
from its own statement instead. The rows are read inside ``use_replica()`` (portal/replica.py): on the read replica
when one is configured; the job's own progress and status rows are written to ``default`` by name. The workbook is
written to a local temporary file, then stored whole in the generated-files storage (``portal.storage``: the
``EXPORTS_DIR`` folder, or the bucket's ``exports/`` prefix with ``MEDIA_STORAGE_URL``; never MEDIA_ROOT), is
served to the requester only (``portal.views.exports``, streamed), and is removed with its job by housekeeping after
``settings.EXPORT_KEEP_DAYS`` days. Other generated files (the yearly archive's bundles) use the same helpers:
``job_file_name``, ``portal.storage.save_generated``, ``job_file_open``. When it is done the requester gets a notice (``export.ready``) through the
reminder machinery.

If the broker is down when a job is requested, the job stays queued; ``requeue_stale`` (a beat task every 5 minutes)
sends it again, and also takes back a job whose worker died while it was running.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import uuid
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from portal import storage, sweep
from portal.models import ExportJob
from portal.replica import use_replica
from portal.xlsx import XLSX_CONTENT_TYPE as XLSX_CONTENT_TYPE
from portal.xlsx import build_workbook, write_sheets, xlsx_response

logger = logging.getLogger(__name__)

EXPORT_READY = "export.ready"  # the notice kind (registered in portal/reminders.py, sent by portal/sweep.py)
PROGRESS_EVERY = 1000  # rows between two progress updates (one UPDATE each)
CHUNK_SIZE = 2000  # rows per fetch from the server-side cursor of a small export (and per prefetch batch)
BATCH_SIZE = 5000  # rows per query of a job (and per prefetch batch); amortizes the fixed cost of a batch
ID_CHUNK = 20_000  # ids per fetch of a job's ordered id list
RESEND_AFTER = dt.timedelta(minutes=10)  # a queued job not started by then is sent again
# A running job whose worker died: the task's hard time limit has long passed.
ABANDONED_AFTER = dt.timedelta(hours=1, minutes=5)

# Where each kind's spec is built from a request: the export view's own module, so page and job cannot drift apart.
BUILDERS = {
    ExportJob.Kind.ACTIVITIES: "activities.views.activities.export_spec",
    ExportJob.Kind.ACTION_ITEMS: "partnerships.views.action_items.export_spec",
    ExportJob.Kind.AGREEMENTS: "partnerships.views.agreements.export_spec",
    ExportJob.Kind.DASHBOARD: "assessments.views.dashboard.export_spec",
    ExportJob.Kind.ARCHIVE: "archive.bundle.export_spec",
}
# Kinds whose file may stop being the requester's business after the job was asked for (a yearly archive carries an
# organization's or an agreement's records): checked again at download, ``check(job) -> bool``.
DOWNLOAD_CHECKS = {ExportJob.Kind.ARCHIVE: "archive.rules.may_download"}
SUFFIXES = {ExportJob.Kind.ARCHIVE: ".zip"}  # the file's suffix by kind; a workbook otherwise
ZIP_CONTENT_TYPE = "application/zip"


class JobFailed(Exception):
    """A job that cannot be done, for a reason its requester can act on: the message (translated) is shown on the
    job's page and in the notice, and the job ends failed without a traceback or a retry."""


_job_task = []  # the task that runs a job (``portal.tasks.run_export``), once ``run_by`` registered it


def run_by(task):
    """Register the task that runs a job (it calls ``job_run``), so this module never imports the tasks; a
    decorator, returning the task. ``PortalConfig.ready`` imports the tasks in every process."""
    _job_task[:] = [task]
    return task


Sheet = tuple[str, list, Iterable]  # (title, headers, rows)


@dataclass
class ExportSpec:
    """One export. A ledger is one sheet: its rows as a queryset (already scoped and filtered) and how one object
    becomes a row. A workbook of several sheets (the assessment dashboard's) gives ``sheets`` instead, and
    ``queryset`` is then the rows of its largest sheet: they decide whether the export is big; ``total`` counts the
    rows of every sheet for the progress bar. ``params``: the filters a job records (default: the query string)."""

    kind: str
    filename: str
    title: str
    headers: list
    queryset: QuerySet
    row: Callable[[object], list] | None = None
    sheets: Callable[[], list[Sheet]] | None = None
    total: Callable[[], int] | None = None
    params: QueryDict | None = None
    scope: str | None = None  # the title row's scope; default: the requester's organizations (``scope_label``)
    # A file that is not one workbook (the yearly archive's ZIP): ``write(path, progress) -> units written``, calling
    # ``progress(units done)`` as it goes; ``total()`` gives the units (sections) for the progress bar.
    write: Callable[[Path, Callable[[int], None]], int] | None = None

    def is_big(self, threshold: int | None = None) -> bool:
        """More than ``threshold`` rows? One query, bounded: ``SELECT COUNT(*) FROM (… LIMIT threshold + 1)``."""
        threshold = settings.EXPORT_ROW_THRESHOLD if threshold is None else threshold
        return self.queryset.order_by().values("pk")[: threshold + 1].count() > threshold

    def rows(self) -> Iterator[list]:
        """Every row, from one server-side cursor: for a small export, answered in the request."""
        return (self.row(obj) for obj in self.queryset.iterator(chunk_size=CHUNK_SIZE))

    def ordered_ids(self) -> array:
        """The primary keys of every row in export order, in one statement (8 bytes each: 8 MB at a million)."""
        ids = array("q")
        ids.extend(self.queryset.prefetch_related(None).values_list("pk", flat=True).iterator(chunk_size=ID_CHUNK))
        return ids

    def batches(self, ids: Sequence[int], size: int | None = None) -> Iterator[list]:
        """Every row of ``ids`` (``ordered_ids``) in that order, ``size`` rows per query: the queryset itself — its
        scope, filters, joins, annotations and prefetches — narrowed to a batch of primary keys (the index on them),
        unordered in SQL and put back in order here. A row deleted since the ids were read is skipped."""
        size = size or BATCH_SIZE
        unordered = self.queryset.order_by()
        for start in range(0, len(ids), size):
            batch = ids[start : start + size]
            found = {obj.pk: obj for obj in unordered.filter(pk__in=list(batch))}
            for pk in batch:
                obj = found.get(pk)
                if obj is not None:
                    yield self.row(obj)

    def workbook(self) -> list[Sheet]:
        """The sheets, their rows still to be read (each sheet streams from its own statement)."""
        if self.sheets is not None:
            return self.sheets()
        return [(self.title, self.headers, self.rows())]

    def rows_total(self) -> int:
        return self.total() if self.total is not None else self.queryset.order_by().count()


def respond(request, spec: ExportSpec) -> HttpResponse:
    """What an export view answers: the file now when it is small, otherwise a job and a redirect to its page."""
    if not spec.is_big():
        scope = spec.scope if spec.scope is not None else scope_label(request.user)
        return xlsx_response(spec.filename, build_workbook(spec.workbook(), scope=scope))
    params = request.GET if spec.params is None else spec.params
    job = job_request(actor=request.user, kind=spec.kind, params=params)
    messages.info(
        request,
        _("This export has more than %(count)s rows: it is being prepared in the background.")
        % {"count": settings.EXPORT_ROW_THRESHOLD},
    )
    return redirect("export_job", job.pk)


SCOPE_NAMES = 3  # organizations named in a title row before "等"


def scope_label(user) -> str:
    """Whose ledger it is, for the title row: the organizations the user holds a role in (the first few, then
    "等"), or "all organizations" for an administrator without one."""
    names = list(
        dict.fromkeys(user.memberships.order_by("organization__path").values_list("organization__name", flat=True)[:20])
    )
    if not names:
        return _("All organizations") if user.is_superuser else ""
    shown = "、".join(names[:SCOPE_NAMES])
    return shown + "等" if len(names) > SCOPE_NAMES else shown


def job_request(*, actor, kind: str, params: QueryDict) -> ExportJob:
    """Record an export job for ``actor`` and send it to the workers once the transaction commits."""
    if kind not in BUILDERS:
        raise ValueError(f"{kind!r} is not an export kind")
    filters = {key: values for key, values in params.lists() if key != "page"}
    with transaction.atomic():
        job = ExportJob.objects.create(requester=actor, kind=kind, params=filters)
        transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> bool:
    """Send the job's task (routed to the ``exports`` queue). With the broker down the job stays queued for
    ``requeue_stale``; the request that asked for it still succeeds."""
    ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(enqueued_at=timezone.now())
    try:
        _job_task[0].apply_async((job_id,), retry=False)
    except Exception:  # the broker's connection errors vary by transport
        logger.warning("export job %s: the broker refused it; it stays queued for the next re-send", job_id)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(enqueued_at=None)
        return False
    return True


def requeue_stale(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Beat task: send again the jobs never sent or waiting too long, and take back jobs whose worker died."""
    now = now or timezone.now()
    abandoned = list(
        ExportJob.objects.filter(status=ExportJob.Status.RUNNING, started_at__lt=now - ABANDONED_AFTER).values_list(
            "pk", flat=True
        )[:500]
    )
    ExportJob.objects.filter(pk__in=abandoned, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.QUEUED, enqueued_at=None, rows_done=0
    )
    waiting = list(
        ExportJob.objects.filter(status=ExportJob.Status.QUEUED)
        .filter(
            Q(enqueued_at__isnull=True, created_at__lt=now - dt.timedelta(minutes=1))
            | Q(enqueued_at__lt=now - RESEND_AFTER)
        )
        .exclude(pk__in=abandoned)
        .values_list("pk", flat=True)[:500]
    )
    sent = sum(1 for job_id in [*abandoned, *waiting] if enqueue(job_id))
    return {"abandoned": len(abandoned), "resent": sent, "waiting": len(waiting)}


def job_request_for(job: ExportJob) -> HttpRequest:
    """The request an export view would have seen: the requester and the recorded query string."""
    request = HttpRequest()
    request.method = "GET"
    query = QueryDict(mutable=True)
    for key, values in (job.params or {}).items():
        query.setlist(key, [str(value) for value in values])
    request.GET = query
    request.user = job.requester
    return request


def spec_for(job: ExportJob) -> ExportSpec:
    return import_string(BUILDERS[job.kind])(job_request_for(job))


def _update(job_id: int, **fields) -> None:
    # By name on default: the job's bookkeeping, never a reason to move the export's reads off the replica.
    ExportJob.objects.using(DEFAULT_DB_ALIAS).filter(pk=job_id).update(**fields)


def job_file_name(job: ExportJob, extension: str = ".xlsx") -> str:
    """A fresh, unguessable storage name for a job's file: ``<requester id>/<job id>-<random><extension>``."""
    return f"{job.requester_id}/{job.pk}-{uuid.uuid4().hex}{extension}"


def job_run(job_id: int) -> dict:
    """The worker's part: claim, write the file, store it, record it, notify the requester."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now(), rows_done=0, error=""
    )
    if not claimed:
        return {"job": job_id, "skipped": True}
    job = ExportJob.objects.select_related("requester").get(pk=job_id)
    try:
        with tempfile.TemporaryDirectory(prefix="gongjian-export-") as folder:
            suffix = SUFFIXES.get(job.kind, ".xlsx")
            local = Path(folder) / f"export{suffix}"
            with translation.override(settings.LANGUAGE_CODE), use_replica():
                spec = spec_for(job)
                if spec.write is not None:
                    # A file of its own making (the yearly archive's ZIP), written to the same local path.
                    _update(job.pk, rows_total=spec.rows_total())
                    written = spec.write(local, lambda done: _update(job.pk, rows_done=done))
                else:
                    if spec.sheets is None:
                        ids = spec.ordered_ids()
                        total, sheets = len(ids), [(spec.title, spec.headers, spec.batches(ids))]
                    else:
                        total, sheets = spec.rows_total(), spec.workbook()
                    _update(job.pk, rows_total=total)
                    written = write_sheets(
                        local,
                        sheets,
                        scope=spec.scope if spec.scope is not None else scope_label(job.requester),
                        progress=lambda done: _update(job.pk, rows_done=done),
                        every=PROGRESS_EVERY,
                    )
            stored = storage.save_generated(job_file_name(job, suffix), local)
    except JobFailed as exc:
        _update(
            job.pk,
            status=ExportJob.Status.FAILED,
            finished_at=timezone.now(),
            error=repr(exc)[:2000],
            message=str(exc)[:300],
        )
        _notify_failed(job, str(exc))
        return {"job": job.pk, "failed": str(exc)}
    except Exception as exc:
        _update(job.pk, status=ExportJob.Status.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000])
        raise
    _update(
        job.pk,
        status=ExportJob.Status.DONE,
        finished_at=timezone.now(),
        file=stored,
        filename=spec.filename,
        rows_done=written,
        rows_total=written,
    )
    job.filename = spec.filename
    _notify(job, written)
    return {"job": job.pk, "rows": written}


def _notify(job: ExportJob, rows: int) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        if job.kind == ExportJob.Kind.ARCHIVE:
            title = _("Your yearly ledger archive is ready: %(name)s") % {"name": job.filename}
        else:
            title = _("Your export is ready: %(kind)s, %(rows)s rows") % {"kind": job.get_kind_display(), "rows": rows}
        sweep.notify_event(
            EXPORT_READY,
            actor=None,
            target=job,
            occurrence="done",
            recipients=[job.requester],
            title=title,
            url=reverse("export_job", args=[job.pk]),
        )


def _notify_failed(job: ExportJob, message: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        sweep.notify_event(
            EXPORT_READY,
            actor=None,
            target=job,
            occurrence="failed",
            recipients=[job.requester],
            title=_("Your export failed: %(kind)s. %(reason)s") % {"kind": job.get_kind_display(), "reason": message},
            url=reverse("export_job", args=[job.pk]),
        )


def may_download(job: ExportJob) -> bool:
    """Whether the requester may still have the job's file (``DOWNLOAD_CHECKS``; every other kind: yes)."""
    check = DOWNLOAD_CHECKS.get(job.kind)
    return check is None or bool(import_string(check)(job))


def content_type(job: ExportJob) -> str:
    return ZIP_CONTENT_TYPE if SUFFIXES.get(job.kind) == ".zip" else XLSX_CONTENT_TYPE


def job_file_open(job: ExportJob):
    """The job's stored file opened for reading (a ``File``: close it, or hand it to a ``FileResponse``), when the
    job is done and the file is still there; else None."""
    if job.status != ExportJob.Status.DONE or not job.file:
        return None
    return storage.open_generated(job.file)


def remove_expired(*, now: dt.datetime | None = None) -> int:
    """Housekeeping: jobs older than ``EXPORT_KEEP_DAYS`` go, with their files. Returns how many jobs."""
    now = now or timezone.now()
    expired = ExportJob.objects.filter(created_at__lt=now - dt.timedelta(days=settings.EXPORT_KEEP_DAYS))
    removed = 0
    for job in expired.iterator(chunk_size=500):
        storage.delete_generated(job.file)
        job.delete()
        removed += 1
    return removed
