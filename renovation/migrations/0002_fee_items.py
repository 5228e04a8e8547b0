"""The default lines of 《业主装修收费一览表》 (seed 5.2.4): administrators change the amounts in the admin."""
from django.db import migrations

from renovation.migrations_data import DEFAULT_FEE_ITEMS as DEFAULT_ITEMS


def create_items(apps, schema_editor):
    FeeItem = apps.get_model("renovation", "FeeItem")
    for code, name, payer, amount, deposit, per_worker, required, order in DEFAULT_ITEMS:
        FeeItem.objects.get_or_create(code=code, defaults={
            "name": name, "payer": payer, "default_amount": amount, "is_deposit": deposit, "per_worker": per_worker,
            "required_for_permit": required, "order": order})


class Migration(migrations.Migration):
    dependencies = [("renovation", "0001_initial")]
    operations = [migrations.RunPython(create_items, migrations.RunPython.noop)]
