"""The activity types named in practice, each with a calendar colour; admins may edit or add to them later."""

from django.db import migrations

# code, name, colour, counts as joint study
TYPES = [
    ("theme_day", "主题党日", "#c8161d", False),
    ("lecture", "党课/联合课堂", "#8e1b1b", True),
    ("study", "理论学习", "#b5651d", True),
    ("visit", "参观学习/红色教育基地", "#d9822b", False),
    ("volunteer", "志愿服务", "#2e8b57", False),
    ("student_aid", "爱心助学", "#3a7ca5", False),
    ("care_visit", "走访慰问", "#6a4c93", False),
    ("tech_exchange", "技术交流/攻关", "#1f5f8b", False),
    ("contest", "知识竞赛", "#c9a227", False),
    ("sports", "文体活动", "#2a9d8f", False),
    ("other", "其他", "#6c757d", False),
]


def forwards(apps, schema_editor):
    ActivityType = apps.get_model("activities", "ActivityType")
    for order, (code, name, color, is_study) in enumerate(TYPES, start=1):
        ActivityType.objects.get_or_create(
            code=code, defaults={"name": name, "color": color, "order": order, "is_study": is_study}
        )


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_activities")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
