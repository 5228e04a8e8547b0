"""The board role (董事会/董事长, issue 19): approves organisation changes (seed 000 第五篇 管理变更控制程序)."""
from django.db import migrations

ROLE_NAMES = ["董事会"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_NAMES, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("qms", "0023_sales_vp_role")]
    operations = [migrations.RunPython(create_roles, remove_roles)]
