"""Export throughput at the group scale, read-only: the streaming writer alone (portal.xlsx.write_streaming) on the
committee's activity ledger, from a server-side cursor into a temporary file — the work of one export job without its
ExportJob row. Also times the export page's decision (the bounded count) for the committee and a secretary.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gongjian_pages .venv/bin/python bench/export_bench.py --rows 200000

Only SELECTs: it never writes to the database (safe on the shared ``gongjian_pages``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "true")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000, help="rows to write (0: the whole ledger)")
    parser.add_argument("--kind", default="activities", choices=["activities", "action_items", "agreements"])
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import translation

    from portal import exports
    from portal.models import ExportJob
    from portal.xlsx import write_streaming

    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")
    users = get_user_model().objects
    translation.activate("zh-hans")
    for username in ("committee", "secretary1"):
        job = ExportJob(requester=users.get(username=username), kind=args.kind, params={})
        spec = exports.spec_for(job)
        started = time.perf_counter()
        big = spec.is_big()
        print(f"{username:11} decision (bounded count): big={big} in {(time.perf_counter() - started) * 1000:.1f} ms")
    job = ExportJob(requester=users.get(username="committee"), kind=args.kind, params={})
    spec = exports.spec_for(job)
    queryset = spec.queryset[: args.rows] if args.rows else spec.queryset
    spec.queryset = queryset
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "export.xlsx"
        started = time.perf_counter()
        first = []
        written = write_streaming(
            target,
            spec.title,
            spec.headers,
            spec.rows(),
            progress=lambda n: first.append(time.perf_counter() - started) if not first else None,
            every=exports.PROGRESS_EVERY,
        )
        seconds = time.perf_counter() - started
        size = target.stat().st_size
    print(
        f"committee {args.kind}: {written:,} rows in {seconds:.1f} s = {written / seconds:,.0f} rows/s; "
        f"first {exports.PROGRESS_EVERY} rows after {first[0]:.1f} s; file {size / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
