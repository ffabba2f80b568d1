"""Every list, feed, export and dashboard page at the group scale, as the committee and as a branch secretary.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/page_bench.py \\
        --orgs 10000 --activities 1000000 --keep

Builds its own database (``--db gongjian_pages``): migrate, ``seed_demo``, then ``seed_scale`` on top, then the
results of the bench quarter (``--rollups``, so that the dashboard ranks the bench branches); makes the demo's
``committee`` a reviewer of the bench committee and ``secretary1`` the secretary of one bench branch (about
activities / orgs activities of its own). Prints, for every page and role: status, queries, median server time and
bytes; then the ratios measured side by side in the same run: the dashboard beside the SQL it runs, each project list
beside the Django admin changelist of the same model, and (``--wrk``) a list page's requests per second under gunicorn
beside ``/healthz``'s. ``--reuse`` measures a kept database again without reseeding.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import (  # noqa: E402
    BENCH_ROOT,
    admin_connection,
    database_state,
    prepare_database,
    server_urls,
    setup_django,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=100_000, help="Action items (100000).")
    parser.add_argument("--db", default="gongjian_pages")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument(
        "--reuse", action="store_true", help="Measure a kept database again without reseeding (and keep it)."
    )
    parser.add_argument("--migrate", action="store_true", help="With --reuse: migrate the kept database first.")
    parser.add_argument("--force", action="store_true", help="Drop the database even if it holds other data.")
    parser.add_argument("--runs", type=int, default=3, help="Timed requests per page (3); the median is shown.")
    parser.add_argument("--wrk", action="store_true", help="Also measure req/s under gunicorn with wrk.")
    parser.add_argument("--only", default="", help="Measure only pages whose label contains this text.")
    parser.add_argument(
        "--rollups",
        type=int,
        default=None,
        help="Compute the results of this many quarters, ending with the bench quarter, so that the dashboard has "
        "the bench branches to rank (default: 1 after seeding, none with --reuse). seed_scale writes no results.",
    )
    return parser.parse_args()


def _not_seeded_here(cursor) -> bool:
    cursor.execute("SELECT count(*) FROM partnerships_organization WHERE depth = 1 AND name = %s", (BENCH_ROOT,))
    return not cursor.fetchone()[0]


def page_database_state(bench_url: str) -> str:
    """'missing', 'empty', 'ours' (seeded by this benchmark) or 'foreign'."""
    return database_state(bench_url, _not_seeded_here, ours="ours")


def give_roles():
    """committee → reviewer of the bench committee; secretary1 → secretary of the bench branch nearest the middle."""
    from django.contrib.auth import get_user_model

    from partnerships.models import Organization
    from portal.models import Membership

    users = get_user_model().objects
    root = Organization.objects.get(depth=1, name=BENCH_ROOT)
    branches = Organization.objects.filter(path__startswith=root.path, kind="branch").order_by("path")
    branch = branches[branches.count() // 2]
    Membership.objects.get_or_create(user=users.get(username="committee"), organization=root, role="reviewer")
    Membership.objects.get_or_create(user=users.get(username="secretary1"), organization=branch, role="secretary")
    return root, branch


def compute_results(year: int, quarter: int, count: int) -> None:
    """The quarterly rollup of ``count`` quarters ending with (year, quarter), as closed quarters are computed."""
    from assessments import metrics
    from assessments.services import rollups as services

    periods = [(year, quarter)]
    while len(periods) < count:
        periods.append(metrics.previous_quarter(*periods[-1]))
    for y, q in periods:
        started = time.perf_counter()
        summary = services.rollup_compute(year=y, quarter=q, final=True)
        print(
            f"results of {y}Q{q}: {summary['organizations']:,} branches, {summary['agreements']:,} agreements "
            f"in {time.perf_counter() - started:.0f} s"
        )
    from django.db import connection

    with connection.cursor() as cursor:  # the planner's statistics of the tables just filled
        cursor.execute("ANALYZE assessments_quarterrollup")
        cursor.execute("ANALYZE assessments_indicatorscore")


def readers_by_role() -> dict[str, str]:
    return {"committee": "committee", "secretary": "secretary1"}


def clients():
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects
    made = {}
    for role, username in (("committee", "committee"), ("secretary", "secretary1"), ("admin", "admin")):
        client = Client()
        client.force_login(users.get(username=username))
        made[role] = client
    return made


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk_ratio(
    client, list_url: str, seconds: int = 10, env: dict[str, str] | None = None
) -> tuple[float, float] | None:
    """(list page req/s, /healthz req/s) under gunicorn with the repository's configuration, wrk on loopback, sending
    the cookies a signed-in browser sends (session and CSRF). ``env``: extra environment of the server (e.g.
    ``PAGE_CACHE_MB=0`` for the page without the page cache)."""
    if not shutil.which("wrk"):
        print("wrk not installed (apt-get install wrk): skipping the req/s ratio")
        return None
    port = free_port()
    config = ROOT / "gunicorn.conf.py"
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}"]
    if config.exists():
        command += ["--config", str(config)]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})}, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        client.get(list_url)  # as a browser's first visit: the page sets the CSRF cookie its forms use
        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())

        def wrk(url: str, duration: int) -> float:
            out = subprocess.run(
                ["wrk", "-t2", "-c8", f"-d{duration}s", "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{url}"],
                capture_output=True, text=True, timeout=duration + 30,
            ).stdout  # fmt: skip
            for problem in (x for x in out.splitlines() if "errors" in x or "Non-2xx" in x):
                print(f"    wrk {url}: {problem.strip()}")
            line = next((x for x in out.splitlines() if x.startswith("Requests/sec:")), "Requests/sec: 0")
            return float(line.split()[1])

        # Warm every worker (imports, connections, templates; the page store when it is on), then let the requests
        # wrk left queued finish, so that /healthz is measured on an idle server and the list page last.
        wrk("/healthz", 2)
        wrk(list_url, 3)
        time.sleep(5)
        healthz = wrk("/healthz", seconds)
        return wrk(list_url, seconds), healthz
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    args = parse_args()
    server_url, bench_url = server_urls(args.db)
    state = page_database_state(bench_url)
    admin = prepare_database(server_url, args.db, state, ours="ours", force=args.force, reuse=args.reuse)

    setup_django(bench_url, "/tmp/gongjian-page-bench")
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse

    from activities.selectors import calendar as calendar_selectors
    from activities.services import calendar as calendar_services
    from assessments import metrics
    from bench import pages
    from portal import pagecache

    settings.ALLOWED_HOSTS = ["*"]
    year, quarter = metrics.previous_quarter(*metrics.current_quarter())
    started = time.perf_counter()
    try:
        if not args.reuse or args.migrate:
            call_command("migrate", verbosity=0)
        if not args.reuse:
            call_command("seed_demo", stdout=open(os.devnull, "w"))
            call_command(
                "seed_scale", orgs=args.orgs, activities=args.activities, items=args.items, year=year,
                quarter=quarter, force=True, stdout=sys.stdout,
            )  # fmt: skip
            connection.close()
            with admin_connection(bench_url).cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            print(f"seeded in {time.perf_counter() - started:.0f} s")
        rollups = args.rollups if args.rollups is not None else (0 if args.reuse else 1)
        if rollups:
            compute_results(year, quarter, rollups)
        settings.DEBUG = False  # no query log kept between the measured requests
        # The table times the rendering of every page: the per-user page cache (portal/pagecache.py) would answer the
        # repeated requests from its store. The wrk ratios below measure a server with it and one without.
        pagecache.store.max_bytes = 0
        settings.API_RATE_LIMIT = 1_000_000  # the benchmark's own bursts are not what the limit is for
        root, branch = give_roles()
        made = clients()
        users = get_user_model().objects
        made.update(pages.api_clients({r: users.get(username=n) for r, n in readers_by_role().items()}))

        readers = {"committee": "committee", "secretary": "secretary1"}

        def token(role: str) -> str:
            reader = get_user_model().objects.get(username=readers[role])
            found = calendar_selectors.calendar_token_for(reader)
            if found is None:
                calendar_services.calendar_token_regenerate(actor=reader)
                found = calendar_selectors.calendar_token_for(reader)
            return found.token

        month = metrics.quarter_bounds(year, quarter)[0]
        everything = [*pages.pages(month=month, ical_token=token, committee=root.pk), *pages.api_pages()]
        page_list = [p for p in everything if args.only in p.label]
        print(f"\n{args.orgs:,} bench branches under {root.name}; secretary1 → {branch.name}; month {month:%Y-%m}\n")
        results = []
        for result in pages.measure_pages(made, page_list, runs=args.runs):
            results.append(result)
            print(pages.format_table([result]).splitlines()[1], flush=True)
        print()
        print(pages.format_table(results))

        print("\nratios (same run):")
        page_s, sql_s = pages.sql_time(made["committee"], reverse("assessments:dashboard"), runs=args.runs)
        print(f"  dashboard (committee): page {page_s * 1000:.0f} ms, its SQL {sql_s * 1000:.0f} ms, "
              f"ratio {page_s / sql_s if sql_s else float('nan'):.1f}")  # fmt: skip
        for label, url in (("API activities", "/api/v1/activities"), ("API dashboard", "/api/v1/dashboard")):
            full_s, etag_s = pages.etag_times(made["committee api"], url, runs=args.runs)
            print(f"  {label} (committee): 200 {full_s * 1000:.0f} ms, 304 with If-None-Match {etag_s * 1000:.0f} ms")
        for label, mine, theirs in pages.admin_ratios(made["admin"], runs=args.runs):
            print(f"  {label}: {mine * 1000:.0f} ms ÷ {theirs * 1000:.0f} ms = {mine / theirs:.2f}")
        if args.wrk:
            for label, name in (
                ("督办台账", "partnerships:action_item_list"),
                ("活动台账", "activities:activity_list"),
            ):
                for cache_label, env in (("no page cache", {"PAGE_CACHE_MB": "0"}), ("page cache", {})):
                    rates = wrk_ratio(made["committee"], reverse(name), env=env)
                    if rates:
                        print(f"  {label} req/s ÷ /healthz req/s ({cache_label}): {rates[0]:.1f} ÷ {rates[1]:.1f} = "
                              f"{rates[0] / rates[1] if rates[1] else float('nan'):.3f}", flush=True)  # fmt: skip
    finally:
        connection.close()
        if not (args.keep or args.reuse):
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
        admin.close()


if __name__ == "__main__":
    main()
