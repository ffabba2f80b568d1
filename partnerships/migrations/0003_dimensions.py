"""The eight co-construction dimensions named in practice; admins may edit or add to them later."""

from django.db import migrations

DIMENSIONS = [
    ("思想共建", "理论共学、思想引领"),
    ("组织共建", "支部结对、组织生活互通"),
    ("活动联办", "主题党日、志愿服务等活动共同举办"),
    ("事务联商", "联席会议共商共议重点事项"),
    ("资源共享", "阵地、人才、信息等资源互通"),
    ("品牌联创", "共同打造党建品牌"),
    ("难题共解", "聚焦生产经营和民生难题合力攻坚"),
    ("人才共育", "党员骨干交流培养"),
]


def forwards(apps, schema_editor):
    Dimension = apps.get_model("partnerships", "Dimension")
    for order, (name, description) in enumerate(DIMENSIONS, start=1):
        Dimension.objects.get_or_create(name=name, defaults={"description": description, "order": order})


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0002_agreements_meetings_action_items")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
