"""Export throughput at the group scale: the committee's whole activity ledger (1M rows) or action item ledger (100k)
written to a temporary .xlsx the way an export job writes it, with rows/s and how soon progress first moves.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gj_feeds_10k .venv/bin/python bench/export_bench.py \\
        --kind activities --mode batched

``--mode``:
* ``batched`` (what ``portal.exports.job_run`` does): the ordered ids in one statement, then ``BATCH_SIZE`` rows per
  query by primary key — read-only;
* ``cursor`` (what the job did before): one server-side cursor over the whole export (``.iterator()``), which Django
  declares ``WITH HOLD`` outside a transaction — read-only;
* ``job``: end to end through ``exports.job_run`` (claim, total, file, progress updates, notice) on an ``ExportJob`` it
  creates and deletes afterwards — this one WRITES, so never on the shared ``gongjian_pages``.

``--rows N`` stops after N rows (the first N of the export, in its order; ``cursor`` and ``batched`` only), ``--first``
after the first progress update (how long the job's page shows nothing: the whole-result stall of ``cursor``). Also
times the export page's decision (the bounded count) for the committee and a secretary.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "true")

SHARED_DB = "gongjian_pages"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=0, help="stop after this many rows (0: the whole ledger)")
    parser.add_argument("--kind", default="activities", choices=["activities", "action_items", "agreements"])
    parser.add_argument("--mode", default="batched", choices=["batched", "cursor", "job"])
    parser.add_argument("--batch", type=int, default=0, help="rows per batch query (default exports.BATCH_SIZE)")
    parser.add_argument(
        "--first", action="store_true", help="stop at the first progress update: how long an export shows nothing"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import translation

    from portal import exports
    from portal.models import ExportJob
    from portal.xlsx import write_streaming

    if args.mode == "job" and settings.DATABASES["default"]["NAME"] == SHARED_DB:
        sys.exit(f"--mode job writes an ExportJob: not on the shared {SHARED_DB!r} (use your own copy)")
    if args.mode != "job":
        with connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = on")
    if args.batch:
        exports.BATCH_SIZE = args.batch
    users = get_user_model().objects
    translation.activate("zh-hans")
    for username in ("committee", "secretary1"):
        job = ExportJob(requester=users.get(username=username), kind=args.kind, params={})
        spec = exports.spec_for(job)
        started = time.perf_counter()
        big = spec.is_big()
        print(f"{username:11} decision (bounded count): big={big} in {(time.perf_counter() - started) * 1000:.1f} ms")

    committee = users.get(username="committee")
    if args.mode == "job":
        return run_job(committee, args.kind)

    spec = exports.spec_for(ExportJob(requester=committee, kind=args.kind, params={}))
    started = time.perf_counter()
    if args.mode == "cursor":
        queryset = spec.queryset[: args.rows] if args.rows else spec.queryset
        rows = (spec.row(obj) for obj in queryset.iterator(chunk_size=exports.CHUNK_SIZE))
        ids_seconds = 0.0
    else:
        ids = spec.ordered_ids()
        ids_seconds = time.perf_counter() - started
        rows = spec.batches(ids[: args.rows] if args.rows else ids)
    if args.first:
        rows = islice(rows, exports.PROGRESS_EVERY)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "export.xlsx"
        first = []
        written = write_streaming(
            target,
            spec.title,
            spec.headers,
            rows,
            progress=lambda n: first.append(time.perf_counter() - started) if not first else None,
            every=exports.PROGRESS_EVERY,
        )
        seconds = time.perf_counter() - started
        size = target.stat().st_size
    ids_note = (
        f"; ordered ids in {ids_seconds:.1f} s, {exports.BATCH_SIZE} rows a batch" if args.mode == "batched" else ""
    )
    print(
        f"committee {args.kind} ({args.mode}): {written:,} rows in {seconds:.1f} s = {written / seconds:,.0f} rows/s; "
        f"first {exports.PROGRESS_EVERY} rows after {first[0]:.1f} s{ids_note}; file {size / 1e6:.1f} MB"
    )
    return 0


def run_job(requester, kind: str) -> int:
    """One job end to end through ``exports.job_run``; samples when each progress update lands."""
    from django.conf import settings

    from portal import exports, storage
    from portal.models import ExportJob, Notification

    updates: list[tuple[float, dict]] = []
    update = exports._update

    def timed(job_id, **fields):
        update(job_id, **fields)
        updates.append((time.perf_counter() - started, fields))

    exports._update = timed
    with tempfile.TemporaryDirectory() as folder:
        settings.EXPORTS_DIR = folder
        job = ExportJob.objects.create(requester=requester, kind=kind, params={})
        try:
            started = time.perf_counter()
            exports.job_run(job.pk)
            seconds = time.perf_counter() - started
            job.refresh_from_db()
            size = storage.generated_storage().size(job.file)
        finally:
            Notification.objects.filter(kind=exports.EXPORT_READY, target_id=job.pk).delete()
            job.delete()
    total_at = next(t for t, fields in updates if "rows_total" in fields)
    progress = [t for t, fields in updates if "rows_done" in fields and "status" not in fields]
    gaps = [b - a for a, b in zip(progress, progress[1:], strict=False)]
    print(
        f"committee {kind} (job end to end): {job.rows_done:,} rows in {seconds:.1f} s = "
        f"{job.rows_done / seconds:,.0f} rows/s; total known after {total_at:.1f} s, first progress after "
        f"{progress[0]:.1f} s, {len(progress)} progress updates, longest gap {max(gaps, default=0):.1f} s; "
        f"file {size / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
