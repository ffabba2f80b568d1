"""The database's data version: a number that every committed write to any table of this database moves on, read by
the page cache (portal/pagecache.py). PostgreSQL only.

How it stays exact, whatever writes (a service, a bulk ``UPDATE``, a rollup's raw SQL, the admin, a worker, ``psql``):

- every table of the schema carries one statement-level trigger, ``AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE``,
  that takes the next value of the sequence ``gj_data_version``. The triggers are (re)installed after every
  ``migrate`` (``install``, from portal/apps.py), so a table a later migration adds gets one too; a test checks that
  no table lacks it. A sequence is outside transactions: no writer ever waits on another for it.
- a writer moves the sequence *before* it commits, so the number alone could be read while that write is not visible
  yet. ``gj_data_version()`` therefore reads the sequence first and then looks for a writer still at work in this
  database — a backend holding a write lock (``RowExclusiveLock`` or stronger) on one of its relations, which a
  transaction holds from its first write until after its commit is visible — and answers NULL ("unknown: do not
  cache") while there is one. Every write counted in the number it returns is therefore visible to any query started
  after it, and every later write gives a larger number.

Writes to other databases of the same server (another application, or another engineer's tests) change nothing here.
"""

from __future__ import annotations

from django.db import connections

SEQUENCE = "gj_data_version"
TRIGGER = "gj_data_version"

FUNCTIONS_SQL = f"""
CREATE SEQUENCE IF NOT EXISTS {SEQUENCE};

CREATE OR REPLACE FUNCTION gj_data_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('{SEQUENCE}');
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION gj_data_version() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    version bigint;
BEGIN
    -- First the number, then the writers: in this order a write counted in the number is visible or still locked.
    -- A new sequence holds last_value 1 before and after its first nextval: is_called tells them apart.
    SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO version FROM {SEQUENCE};
    IF EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'relation'
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
          AND pid IS DISTINCT FROM pg_backend_pid()
    ) THEN
        RETURN NULL;
    END IF;
    RETURN version;
END $$;
"""

# The ordinary tables of the current schema that have no version trigger yet.
MISSING_SQL = f"""
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = '{TRIGGER}')
ORDER BY c.relname
"""


def tables_without_trigger(connection) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(MISSING_SQL)
        return [row[0] for row in cursor.fetchall()]


def install(connection) -> int:
    """The sequence, the two functions, and the trigger on every table that lacks it; returns how many were added."""
    if connection.vendor != "postgresql":
        return 0
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(FUNCTIONS_SQL)
    missing = tables_without_trigger(connection)
    with connection.cursor() as cursor:
        for table in missing:
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {quote(table)} "
                "FOR EACH STATEMENT EXECUTE FUNCTION gj_data_version_bump()"
            )
    return len(missing)


def install_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver (portal/apps.py)."""
    install(connections[using])


def current(connection) -> int | None:
    """The data version now, or None: not PostgreSQL, inside a transaction (whose own writes no number counts), or a
    write in progress."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT gj_data_version()")
        return cursor.fetchone()[0]
