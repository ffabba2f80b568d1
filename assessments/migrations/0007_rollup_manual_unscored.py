from django.db import migrations, models


def fill(apps, schema_editor):
    """Every existing result's count of manual indicators without the reviewer's points, from its scores (the
    expression of ``assessments.services.rollup_totals.rollup_subtotals_refresh``, frozen here)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE assessments_quarterrollup SET manual_unscored = ("
            "SELECT COUNT(*) FROM assessments_indicatorscore s "
            "JOIN assessments_indicator i ON i.id = s.indicator_id "
            "WHERE s.rollup_id = assessments_quarterrollup.id AND i.source = 'manual' AND s.review_points IS NULL)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0006_rollup_history_lean"),
    ]

    operations = [
        migrations.AddField(
            model_name="quarterrollup",
            name="manual_unscored",
            field=models.PositiveSmallIntegerField(db_default=0, editable=False, verbose_name="manual scores missing"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="quarterrollup",
            index=models.Index(
                condition=models.Q(("status", "published"), _negated=True),
                fields=["year", "quarter"],
                name="quarter_rollup_open_idx",
            ),
        ),
    ]
