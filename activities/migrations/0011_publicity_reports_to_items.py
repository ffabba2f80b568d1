"""The publicity reports written in activity logs before publicity items existed become approved items.

Each logged activity with a publicity title, text or link gets one approved ``PublicityItem`` (approved when the
activity was logged: the report was accepted with the log), credited to its agreement or, for a branch's own
activity, to its lead branch. The old columns stay as they were (read-only history); nothing writes them any more.
"""

from django.db import migrations
from django.db.models import Q

BATCH = 1000


def forwards(apps, schema_editor):
    Activity = apps.get_model("activities", "Activity")
    PublicityItem = apps.get_model("activities", "PublicityItem")
    AgreementParty = apps.get_model("partnerships", "AgreementParty")
    reports = (
        Activity.objects.filter(status="logged")
        .filter(~Q(publicity_title="") | ~Q(publicity_text="") | ~Q(publicity_url=""))
        .exclude(publicity_items__isnull=False)
        .order_by("pk")
    )
    hosts: dict[int, int] = {}
    batch = []
    for activity in reports.iterator(chunk_size=BATCH):
        reviewer = activity.lead_id
        if activity.agreement_id:
            if activity.agreement_id not in hosts:
                party = (
                    AgreementParty.objects.filter(agreement_id=activity.agreement_id)
                    .order_by("role", "pk")  # "initiator" sorts before "partner"
                    .values_list("organization_id", flat=True)
                    .first()
                )
                hosts[activity.agreement_id] = party or activity.lead_id
            reviewer = hosts[activity.agreement_id]
        when = activity.logged_at or activity.ends_at
        batch.append(
            PublicityItem(
                activity_id=activity.pk,
                title=(activity.publicity_title or activity.title)[:120],
                text=activity.publicity_text or activity.summary or activity.publicity_url,
                link=activity.publicity_url,
                agreement_id=activity.agreement_id,
                branch_id=None if activity.agreement_id else activity.lead_id,
                reviewer_org_id=reviewer,
                status="approved",
                created_by_id=activity.logged_by_id,
                submitted_at=when,
                reviewed_at=when,
                reviewed_by_id=activity.logged_by_id,
            )
        )
        if len(batch) >= BATCH:
            PublicityItem.objects.bulk_create(batch)
            batch = []
    if batch:
        PublicityItem.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0010_publicity_items"),
        ("partnerships", "0009_publicity_org_brand"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
