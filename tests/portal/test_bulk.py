"""portal.bulk, the generic upsert with history rows: plain rows in, the rows upserted on their unique columns and
one history row per row written (type ``~``, the reason given, dated ``now``), as ``bulk_history_create`` would.

Runs on SQLite (multi-row ``VALUES`` in batches) and on PostgreSQL (columns sent as arrays, one statement per
table): ``DATABASE_URL=postgres://… pytest tests/portal/test_bulk.py`` covers the second path. The model written is
AssessmentScheme (unique year, history on, text, boolean and date-time columns)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import AssessmentScheme
from portal import bulk

NOW = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=1)
FIELDS = ["year", "name", "notes", "is_active", "created_at", "updated_at"]
WRITE = {"conflict": ["year"], "update": ["name", "notes", "updated_at"]}


def _rows(*years, name="scheme", notes="", when=NOW):
    return [(year, f"{name} {year}", notes, False, when, when) for year in years]


def _history(**filters):
    return sorted(
        AssessmentScheme.history.filter(**filters).values_list(
            "year", "name", "notes", "history_type", "history_change_reason", "history_date", "history_user_id"
        )
    )


# --- array literals (no database) ------------------------------------------------------------------------------


def test_a_column_of_numbers_is_one_array_literal_with_null_for_none():
    assert bulk.pg_numbers([1, None, Decimal("2.50"), 0]) == "{1,NULL,2.50,0}"
    assert bulk.pg_numbers([]) == "{}"


def test_an_array_literal_quotes_text_and_escapes_quotes_and_backslashes():
    assert bulk.pg_array(["a b", 'say "hi"', "back\\slash", "", None]) == (
        '{"a b","say \\"hi\\"","back\\\\slash","",NULL}'
    )


def test_an_array_literal_writes_booleans_and_numbers_bare():
    assert bulk.pg_array([True, False, 3, Decimal("1.5"), None]) == "{t,f,3,1.5,NULL}"


def test_an_array_literal_tells_a_boolean_from_the_equal_number():
    # True == 1 and hash(True) == hash(1): the literal of one must not be reused for the other.
    assert bulk.pg_array([1, True, 0, False]) == "{1,t,0,f}"


# --- upsert with history -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_rows_are_inserted_each_with_one_history_row():
    bulk.upsert_with_history(AssessmentScheme, FIELDS, _rows(2024, 2025), **WRITE, now=NOW, reason="import")

    assert sorted(AssessmentScheme.objects.values_list("year", "name", "is_active", "created_at")) == [
        (2024, "scheme 2024", False, NOW),
        (2025, "scheme 2025", False, NOW),
    ]
    assert _history() == [
        (2024, "scheme 2024", "", "~", "import", NOW, None),
        (2025, "scheme 2025", "", "~", "import", NOW, None),
    ]


@pytest.mark.django_db
def test_a_conflicting_row_updates_only_the_update_columns_and_gets_its_history_row():
    bulk.upsert_with_history(AssessmentScheme, FIELDS, _rows(2024), **WRITE, now=NOW, reason="first")
    first_pk = AssessmentScheme.objects.get().pk

    rows = [(2024, "renamed", 'notes with "quotes", commas and \\', True, LATER, LATER)]
    bulk.upsert_with_history(AssessmentScheme, FIELDS, rows, **WRITE, now=LATER, reason="second")

    scheme = AssessmentScheme.objects.get()
    assert scheme.pk == first_pk
    assert (scheme.name, scheme.notes, scheme.updated_at) == ("renamed", 'notes with "quotes", commas and \\', LATER)
    assert (scheme.is_active, scheme.created_at) == (False, NOW)  # not in ``update``: kept
    assert _history(history_change_reason="second") == [
        (2024, "renamed", 'notes with "quotes", commas and \\', "~", "second", LATER, None)
    ]
    assert AssessmentScheme.history.count() == 2


@pytest.mark.django_db
def test_no_rows_run_no_statement():
    with CaptureQueriesContext(connection) as queries:
        bulk.upsert_with_history(AssessmentScheme, FIELDS, [], **WRITE, now=NOW, reason="none")
    assert len(queries) == 0


@pytest.mark.django_db
def test_postgresql_writes_rows_and_history_in_one_statement():
    if connection.vendor != "postgresql":
        pytest.skip("the array path is PostgreSQL's")
    with CaptureQueriesContext(connection) as queries:
        bulk.upsert_with_history(AssessmentScheme, FIELDS, _rows(*range(2000, 2050)), **WRITE, now=NOW, reason="x")
    assert len(queries) == 1
    assert "unnest(" in queries[0]["sql"] and "WITH written AS" in queries[0]["sql"]
    assert AssessmentScheme.objects.count() == AssessmentScheme.history.count() == 50


@pytest.mark.django_db
def test_the_portable_path_writes_in_batches_the_backend_accepts(monkeypatch):
    # What SQLite always takes, in SQL every backend runs: checked on whichever database the suite has.
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 7)
    with CaptureQueriesContext(connection) as queries:
        bulk.upsert_in_batches(AssessmentScheme, FIELDS, _rows(*range(2000, 2020)), **WRITE, now=NOW, reason="x")
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 2 * 3  # 20 rows in batches of 7, then their 20 history rows in batches of 7
    assert AssessmentScheme.objects.count() == 20
    assert _history() == [(year, f"scheme {year}", "", "~", "x", NOW, None) for year in range(2000, 2020)]


@pytest.mark.django_db
def test_no_history_row_when_history_is_off(settings):
    settings.SIMPLE_HISTORY_ENABLED = False
    bulk.upsert_with_history(AssessmentScheme, FIELDS, _rows(2024), **WRITE, now=NOW, reason="x")
    assert AssessmentScheme.objects.count() == 1
    assert AssessmentScheme.history.count() == 0


@pytest.mark.django_db
def test_postgresql_upserts_the_rows_of_a_select_with_their_history():
    if connection.vendor != "postgresql":
        pytest.skip("upsert_select_with_history is PostgreSQL's")
    bulk.upsert_with_history(AssessmentScheme, FIELDS, _rows(2024), **WRITE, now=NOW, reason="first")
    select = "SELECT y, 'from select', '', false, %s::timestamptz, %s::timestamptz FROM unnest(%s::int[]) AS t (y)"
    bulk.upsert_select_with_history(
        AssessmentScheme, FIELDS, select, [LATER, LATER, bulk.pg_numbers([2024, 2026])], **WRITE, now=LATER, reason="s"
    )
    assert sorted(AssessmentScheme.objects.values_list("year", "name")) == [
        (2024, "from select"),
        (2026, "from select"),
    ]
    assert _history(history_change_reason="s") == [
        (2024, "from select", "", "~", "s", LATER, None),
        (2026, "from select", "", "~", "s", LATER, None),
    ]


# --- among -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_among_keeps_the_rows_whose_column_is_one_of_the_ids():
    bulk.upsert_with_history(AssessmentScheme, FIELDS, _rows(2023, 2024, 2025), **WRITE, now=NOW, reason="x")
    pks = dict(AssessmentScheme.objects.values_list("year", "pk"))
    found = bulk.among(AssessmentScheme.objects, "id", [pks[2023], pks[2025]])
    assert sorted(found.values_list("year", flat=True)) == [2023, 2025]
    assert list(bulk.among(AssessmentScheme.objects, "id", [])) == []
    sql = str(found.query)
    assert ("= ANY(" in sql) == (connection.vendor == "postgresql")
