"""A GiST index on each activity's span, for the calendar's "already on at the window's start" half (PostgreSQL only).

``activities.selectors.calendar._spanning`` asks ``tstzrange(starts_at, ends_at, '[]') @> <moment>``; no B-tree on
``starts_at`` or ``ends_at`` bounds that question, so without this index it walks every earlier (or later) activity.
Other databases (SQLite in the test suite) skip it: the selector asks the same rows with plain comparisons there.
"""

from django.db import migrations

INDEX = "activity_span_gist"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON activities_activity "
            "USING gist (tstzrange(starts_at, ends_at, '[]'))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("activities", "0004_user_date_ranges")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
