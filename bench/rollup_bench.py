"""Time the quarterly rollup on a large synthetic quarter, beside the single equivalent SQL statement.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/rollup_bench.py --activities 1000000

DATABASE_URL names the server (and the database used to create and drop the bench database); the benchmark runs in
its own database (``--db gongjian_bench``), created, migrated and seeded with ``manage.py seed_scale``, and dropped
at the end unless ``--keep``. An existing bench database that holds anything but bench data is never dropped
without ``--force``. ``--reuse`` times an already seeded ``--keep``-ed database again without reseeding.

Prints: the rows seeded, rollup_compute seconds (first run: inserts; second run: the idempotent recompute; the best
of ``--repeat N``), the seconds of the biggest metric aggregate written as one plain SQL GROUP BY, their ratio; then
the fair floor (see ``floor``: every metric aggregate as a plain SELECT + one set-based upsert of every score, no
history), measured in the same run on the same data, with rollup ÷ floor and rerun ÷ floor; and each metric's time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import admin_connection, bench_database_state, prepare_database, server_urls, setup_django  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=None, help="Branches (default: activities / 100, at least 10).")
    parser.add_argument("--db", default="gongjian_bench", help="The bench database's name (gongjian_bench).")
    parser.add_argument("--keep", action="store_true", help="Keep the bench database afterwards.")
    parser.add_argument("--reuse", action="store_true", help="Time an already seeded bench database again.")
    parser.add_argument("--force", action="store_true", help="Drop the bench database even if it holds other data.")
    parser.add_argument("--explain", action="store_true", help="Print EXPLAIN ANALYZE of the slowest metric.")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="Time the first run and the rerun N times (the quarter's results are "
        "deleted in between); the best of each is reported.",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    server_url, bench_url = server_urls(args.db)
    state = bench_database_state(bench_url)
    admin = prepare_database(server_url, args.db, state, ours="bench", force=args.force, reuse=args.reuse)

    setup_django(bench_url, "/tmp/gongjian-bench")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, reset_queries

    from activities.models import Activity
    from assessments import metrics
    from assessments.services import rollups as services

    settings.DEBUG = False  # no query log kept in memory while timing
    year, quarter = metrics.previous_quarter(*metrics.current_quarter())
    orgs = args.orgs or max(args.activities // 100, 10)
    try:
        if not args.reuse:
            call_command("migrate", verbosity=0)
            call_command(
                "seed_scale", orgs=orgs, activities=args.activities, year=year, quarter=quarter, stdout=sys.stdout
            )
            connection.close()
            with admin_connection(bench_url).cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        else:
            call_command("migrate", verbosity=0)  # e.g. indexes added since it was seeded
            clear_quarter(year, quarter)
        reset_queries()
        # Measured ten days after the quarter closed, as the final computation is.
        now = dt.datetime.combine(metrics.quarter_bounds(year, quarter)[1], dt.time(12), metrics._tz()) + dt.timedelta(
            days=10
        )

        firsts, seconds = [], []
        for attempt in range(max(args.repeat, 1)):
            if attempt:
                clear_quarter(year, quarter)
            started = time.perf_counter()
            summary = services.rollup_compute(year=year, quarter=quarter, final=True, now=now)
            firsts.append(time.perf_counter() - started)
            started = time.perf_counter()
            services.rollup_compute(year=year, quarter=quarter, final=True, now=now)
            seconds.append(time.perf_counter() - started)
        first, second = min(firsts), min(seconds)

        per_metric, aggregates, upserts = floor(year, quarter, now)
        floor_s = aggregates + min(upserts)

        start, end = metrics.quarter_datetimes(year, quarter)
        single_sql = (
            "SELECT lead_id, SUM(CASE WHEN status = 'logged' AND logged_at <= ends_at + interval '7 days' THEN 1 "
            "ELSE 0 END), SUM(CASE WHEN status = 'logged' OR ends_at <= %s THEN 1 ELSE 0 END) "
            "FROM activities_activity WHERE ends_at >= %s AND ends_at < %s AND status <> 'cancelled' GROUP BY lead_id"
        )
        params = (now - dt.timedelta(days=7), start, end)
        with connection.cursor() as cursor:
            cursor.execute(single_sql, params)  # warm, like the rollup's statements after its first run
            started = time.perf_counter()
            cursor.execute(single_sql, params)
            rows = cursor.fetchall()
            single = time.perf_counter() - started

        activities = Activity.objects.count()
        print()
        print(
            f"{year}Q{quarter}: {orgs:,} branches, {summary['agreements']:,} agreements, {summary['scores']:,} scores"
        )
        print(f"{'activities':>12} {'rollup s':>10} {'rerun s':>10} {'single SQL s':>13} {'ratio':>7}")
        print(f"{activities:>12,} {first:>10.2f} {second:>10.2f} {single:>13.3f} {first / single:>7.1f}")
        print(f"(single SQL: logged-in-time activities per lead organization, {len(rows):,} groups)")
        print()
        print(f"{'aggregates s':>13} {'upsert s':>9} {'floor s':>8} {'rollup ÷ floor':>15} {'rerun ÷ floor':>14}")
        print(
            f"{aggregates:>13.2f} {min(upserts):>9.2f} {floor_s:>8.2f} {first / floor_s:>15.2f} "
            f"{second / floor_s:>14.2f}"
        )
        print(f"(upsert of all {summary['scores']:,} scores, three tries: {' '.join(f'{t:.2f}' for t in upserts)})")
        if len(firsts) > 1:
            print(f"runs: first {' '.join(f'{t:.2f}' for t in firsts)}; rerun {' '.join(f'{t:.2f}' for t in seconds)}")
        print()
        print("per metric (one statement each):")
        for label, seconds in sorted(per_metric, key=lambda pair: -pair[1]):
            print(f"  {label:<28} {seconds:8.3f}s")
        if args.explain:
            slowest = max(per_metric, key=lambda pair: pair[1])[0]
            key, kind = slowest.split(" (")
            explain(metrics.REGISTRY[key], kind.rstrip(")"), year, quarter, now)
    finally:
        connection.close()
        if not args.keep:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
        admin.close()


def floor(year: int, quarter: int, now) -> tuple[list[tuple[str, float]], float, list[float]]:
    """The fair floor of a first run, measured on the same data after the rollup ran: every metric aggregate of the
    scheme as a plain SELECT (as rollup_compute builds it, JIT off), and ONE set-based upsert of every score of the
    quarter — ``INSERT … SELECT … FROM unnest(<a column array each>) ON CONFLICT DO UPDATE``, without history —
    into a quarter whose scores were deleted first in the same transaction (so it inserts, and its deferred
    foreign-key checks are run and timed by ``SET CONSTRAINTS ALL IMMEDIATE``); rolled back. Returns the per-metric
    times, their sum, and the upsert's time of each of three tries."""
    from django.db import connection, transaction

    from assessments import metrics
    from assessments.models import AssessmentScheme
    from portal.bulk import pg_array

    keys = sorted({i.metric for i in AssessmentScheme.objects.get(year=year).indicators.all() if i.metric})
    per_metric = []
    period = metrics.Period(year, quarter, now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # as in rollup_compute
        for key in keys:
            for kind in (metrics.ORG, metrics.AGR):
                sql, params = metrics.REGISTRY[key].statement(kind, period)
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                per_metric.append((f"{key} ({kind})", time.perf_counter() - started))
    columns = ["rollup_id", "indicator_id", "metric_value", "points", "final_points", "self_points"]
    columns += ["review_points", "adjustment", "adjustment_reason", "computed_at"]
    types = ["integer", "integer", "numeric", "numeric", "numeric", "numeric", "numeric", "numeric", "text"]
    types += ["timestamptz"]
    quarter_scores = (
        "FROM assessments_indicatorscore WHERE rollup_id IN "
        "(SELECT id FROM assessments_quarterrollup WHERE year = %s AND quarter = %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} {quarter_scores}", (year, quarter))  # noqa: S608
        rows = cursor.fetchall()
    arrays = [
        pg_array(str(v) if isinstance(v, dt.datetime) else v for v in column) for column in zip(*rows, strict=True)
    ]
    unnest = ", ".join(f"%s::{t}[]" for t in types)
    upsert = (
        f"INSERT INTO assessments_indicatorscore ({', '.join(columns)}) SELECT * FROM unnest({unnest}) "  # noqa: S608
        "ON CONFLICT (rollup_id, indicator_id) DO UPDATE SET metric_value = EXCLUDED.metric_value, "
        "points = EXCLUDED.points, final_points = EXCLUDED.final_points, computed_at = EXCLUDED.computed_at"
    )
    upserts = []
    for _try in range(3):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE {quarter_scores}", (year, quarter))  # noqa: S608
            started = time.perf_counter()
            cursor.execute(upsert, arrays)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            upserts.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    return per_metric, sum(seconds for _label, seconds in per_metric), upserts


def clear_quarter(year: int, quarter: int) -> None:
    """Delete the quarter's results and scores in two statements (the ORM's delete would write a history row each)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM assessments_indicatorscore WHERE rollup_id IN "
            "(SELECT id FROM assessments_quarterrollup WHERE year = %s AND quarter = %s)",
            (year, quarter),
        )
        cursor.execute("DELETE FROM assessments_quarterrollup WHERE year = %s AND quarter = %s", (year, quarter))


def explain(metric, kind, year, quarter, now) -> None:
    """EXPLAIN ANALYZE of one metric's statement, as Metric.values runs it (JIT off, as in rollup_compute)."""
    from django.db import connection, transaction

    from assessments.metrics import Period

    sql, params = metric.statement(kind, Period(year, quarter, now))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print(f"\nEXPLAIN ANALYZE {metric.key} ({kind}):")
        for (line,) in cursor.fetchall():
            print("  " + line)


if __name__ == "__main__":
    main()
