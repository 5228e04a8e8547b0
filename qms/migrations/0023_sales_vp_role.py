"""The sales VP role (销售副总, issue 17): approves regular contracts without stock (seed 002 §5.3.3.2)."""
from django.db import migrations

ROLE_NAMES = ["销售副总"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_NAMES, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("qms", "0022_countersign_opinions")]
    operations = [migrations.RunPython(create_roles, remove_roles)]
