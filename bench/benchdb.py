"""The bench database: the server URL, an autocommit admin connection, and what a database already holds."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def server_urls(db_name: str) -> tuple[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("DATABASE_URL must point at a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    if parts.path.lstrip("/") == db_name:
        sys.exit(f"DATABASE_URL already names {db_name!r}: point it at another database of the server (e.g. postgres).")
    return url, urlunsplit(parts._replace(path="/" + db_name))


def connect(url: str, default_db: str = ""):
    """A psycopg2 connection to the database ``url`` names (``default_db`` when it names none)."""
    import psycopg2

    parts = urlsplit(url)
    return psycopg2.connect(
        dbname=parts.path.lstrip("/") or default_db,
        user=parts.username,
        password=parts.password,
        host=parts.hostname,
        port=parts.port or 5432,
    )


def admin_connection(url: str):
    connection = connect(url, "postgres")
    connection.autocommit = True
    return connection


def recreate_database(admin, db_name: str) -> None:
    """Drop the bench database (if there is one) and create it empty."""
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
        cursor.execute(f'CREATE DATABASE "{db_name}"')


def prepare_database(server_url: str, db_name: str, state: str, *, ours: str, force: bool, reuse: bool):
    """The admin connection, once the bench database is ready: refused when it holds data the benchmark did not
    seed (unless ``force``), kept with ``reuse`` (which needs seeded data: ``state == ours``), else dropped and
    created empty."""
    if state == "foreign" and not force:
        sys.exit(f"Database {db_name!r} holds data the benchmark did not seed; refusing to use or drop it (--force).")
    if reuse and state != ours:
        sys.exit(f"--reuse: database {db_name!r} holds no benchmark data yet.")
    admin = admin_connection(server_url)
    if not reuse:
        recreate_database(admin, db_name)
    return admin


def setup_django(bench_url: str, data_dir: str) -> None:
    """Point the project at the bench database (DEBUG on, files under ``data_dir`` unless set) and set Django up."""
    import django

    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DATA_DIR", data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    # With no REDIS_URL, the filesystem broker's folders (kombu creates none of them): the sweep asks for helper
    # sweeps and the pages enqueue after their writes, as in the demo (scripts/run_demo.py).
    for folder in ("queue", "processed", "control"):
        (Path(os.environ["DATA_DIR"]) / "broker" / folder).mkdir(parents=True, exist_ok=True)
    django.setup()


def database_state(bench_url: str, finds_foreign, ours: str = "bench") -> str:
    """'missing', 'empty', ``ours``, or 'foreign': another project's tables, or this project's with rows that
    ``finds_foreign(cursor)`` says the benchmark did not seed."""
    import psycopg2

    try:
        connection = connect(bench_url)
    except psycopg2.OperationalError:
        return "missing"
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('partnerships_organization') IS NOT NULL")
        if not cursor.fetchone()[0]:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            return "empty" if cursor.fetchone()[0] == 0 else "foreign"
        foreign = finds_foreign(cursor)
    connection.close()
    return "foreign" if foreign else ours


def _other_than_bench_data(cursor) -> bool:
    cursor.execute(
        "SELECT count(*) FROM partnerships_organization o WHERE NOT EXISTS (SELECT 1 FROM partnerships_organization"
        " r WHERE r.depth = 1 AND r.name = %s AND o.path LIKE r.path || '%%')",
        (BENCH_ROOT,),
    )
    foreign_orgs = cursor.fetchone()[0]
    cursor.execute("SELECT count(*) FROM auth_user")
    users = cursor.fetchone()[0]
    return bool(foreign_orgs or users)


def bench_database_state(bench_url: str) -> str:
    """'missing', 'empty', 'bench' (only bench data) or 'foreign' (anything else in it)."""
    return database_state(bench_url, _other_than_bench_data)


BENCH_ROOT = "基准测试党委（bench）"  # the same marker as demo/engine/scale.py
