"""Time the reminder sweep with e-mail recipients and with in-app ones, against a local SMTP sink.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/sweep_bench.py --rows 20000

DATABASE_URL names the server; the benchmark runs in its own database (``--db gj_sweep_bench``), created and
migrated on the first run and kept (``--drop`` removes it at the end). Each mode seeds ``--rows`` due notifications
(kind ``export.ready``) over ``--users`` recipients, starts bench/smtp_sink.py in another process, runs
``portal.sweep.sweep()`` once and prints deliveries per second, the e-mails the sink received and the SMTP connections
it saw. ``--repeat N`` reports the best of N runs per mode.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import admin_connection, server_urls, setup_django  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--mode", choices=["email", "in_app", "both"], default="both")
    parser.add_argument("--db", default="gj_sweep_bench", help="The bench database's name (gj_sweep_bench).")
    parser.add_argument("--processes", type=int, default=1, help="Sweeping processes at once (forked).")
    parser.add_argument("--profile", default="", help="Write cProfile statistics of the last run to this file.")
    parser.add_argument("--drop", action="store_true", help="Drop the bench database at the end.")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    server_url, bench_url = server_urls(args.db)
    admin = admin_connection(server_url)
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.db,))
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{args.db}"')
    setup_django(bench_url, "/tmp/gongjian-bench")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench import sweep

    call_command("migrate", verbosity=0)
    settings.DEBUG = False  # no query log kept in memory while timing
    modes = sweep.MODES if args.mode == "both" else (args.mode,)
    results = []
    try:
        for mode in modes:
            runs = [
                sweep.run(
                    mode,
                    rows=args.rows,
                    users=args.users,
                    settings=settings,
                    profile=args.profile,
                    processes=args.processes,
                )
                for _ in range(max(args.repeat, 1))
            ]
            results.append(max(runs, key=lambda r: r.per_second))
        print()
        print(f"reminder sweep, {args.rows:,} due notifications over {args.users:,} recipients (best of {args.repeat})")
        print(sweep.format_table(results))
    finally:
        connection.close()
        if args.drop:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{args.db}"')


if __name__ == "__main__":
    main()
