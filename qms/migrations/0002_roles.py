"""Create the roles of PROCEDURES.md as groups (data migration)."""
from django.db import migrations

ROLE_NAMES = [
    "总经理", "管理者代表", "销售", "客户服务", "品质", "技术工程", "生产", "采购", "PMC", "财务", "人事行政",
    "物业经理", "物业助理", "工程主管", "住户中心主任", "保安", "财务内勤", "文管中心",
]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_NAMES, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("qms", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, remove_roles)]
