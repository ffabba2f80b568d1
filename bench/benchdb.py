"""The bench database: the server URL, an autocommit admin connection, and what a database already holds."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit


def server_urls(db_name: str) -> tuple[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("DATABASE_URL must point at a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    if parts.path.lstrip("/") == db_name:
        sys.exit(f"DATABASE_URL already names {db_name!r}: point it at another database of the server (e.g. postgres).")
    return url, urlunsplit(parts._replace(path="/" + db_name))


def admin_connection(url: str):
    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(
        dbname=parts.path.lstrip("/") or "postgres",
        user=parts.username,
        password=parts.password,
        host=parts.hostname,
        port=parts.port or 5432,
    )
    connection.autocommit = True
    return connection


def bench_database_state(bench_url: str) -> str:
    """'missing', 'empty', 'bench' (only bench data) or 'foreign' (anything else in it)."""
    import psycopg2

    parts = urlsplit(bench_url)
    try:
        connection = psycopg2.connect(
            dbname=parts.path.lstrip("/"),
            user=parts.username,
            password=parts.password,
            host=parts.hostname,
            port=parts.port or 5432,
        )
    except psycopg2.OperationalError:
        return "missing"
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('partnerships_organization') IS NOT NULL")
        if not cursor.fetchone()[0]:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            return "empty" if cursor.fetchone()[0] == 0 else "foreign"
        cursor.execute(
            "SELECT count(*) FROM partnerships_organization o WHERE NOT EXISTS (SELECT 1 FROM partnerships_organization"
            " r WHERE r.depth = 1 AND r.name = %s AND o.path LIKE r.path || '%%')",
            (BENCH_ROOT,),
        )
        foreign_orgs = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM auth_user")
        users = cursor.fetchone()[0]
    connection.close()
    return "foreign" if foreign_orgs or users else "bench"


BENCH_ROOT = "基准测试党委（bench）"  # the same marker as demo/engine/scale.py
