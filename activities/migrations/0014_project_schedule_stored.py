from django.db import migrations, models


def fill(apps, schema_editor):
    """What every project with milestones stores of them (``activities.selectors.business.schedule_fields``, frozen
    here): whether it has any, the delay of the latest reached one by plan date, the earliest plan date not reached."""
    KeyProject = apps.get_model("activities", "KeyProject")
    ProjectMilestone = apps.get_model("activities", "ProjectMilestone")
    by_project: dict[int, list] = {}
    for row in ProjectMilestone.objects.order_by().values_list("project_id", "pk", "planned_on", "actual_on").iterator():
        by_project.setdefault(row[0], []).append(row[1:])
    for project_id, rows in by_project.items():
        reached = [(planned, pk, actual) for pk, planned, actual in rows if actual is not None]
        latest = max(reached, default=None)
        KeyProject.objects.filter(pk=project_id).update(
            has_milestones=True,
            reached_delay=latest[2] - latest[0] if latest else None,
            open_from=min((planned for _pk, planned, actual in rows if actual is None), default=None),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0013_checkin_activity_checkins"),
    ]

    operations = [
        migrations.AddField(
            model_name="keyproject",
            name="has_milestones",
            field=models.BooleanField(db_default=False, editable=False, verbose_name="has milestones"),
        ),
        migrations.AddField(
            model_name="keyproject",
            name="open_from",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="earliest plan date not yet reached"
            ),
        ),
        migrations.AddField(
            model_name="keyproject",
            name="reached_delay",
            field=models.DurationField(
                blank=True, editable=False, null=True, verbose_name="delay of the latest reached milestone"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
