# §1 the customer name is unique: a key of the name without spaces, unique among live customers.

import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
import unicodedata

from django.db import migrations, models


def normalised_name(name):
    # customers.services.names.normalised_name as of this migration
    text = unicodedata.normalize("NFKC", name or "").lower()
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Cf")


def fill_normalised_names(apps, schema_editor):
    """Fill the new key; live customers that already share a name stop the migration with their list (§1: the
    name is unique — merge them or move the extra ones to the recycle bin, then migrate again)."""
    Customer = apps.get_model("customers", "Customer")
    batch, seen, clashes = [], {}, []
    for customer in Customer.objects.only("pk", "name", "deleted_at").order_by("pk").iterator(chunk_size=2000):
        customer.name_normalised = normalised_name(customer.name)
        batch.append(customer)
        if customer.deleted_at is None:
            first = seen.setdefault(customer.name_normalised, customer)
            if first is not customer:
                clashes.append(f"#{first.pk} {first.name} = #{customer.pk} {customer.name}")
        if len(batch) >= 2000:
            Customer.objects.bulk_update(batch, ["name_normalised"])
            batch = []
    Customer.objects.bulk_update(batch, ["name_normalised"])
    if clashes:
        raise RuntimeError("Customers with the same name (merge them or move the extra ones to the recycle bin, "
                           "then migrate again): " + "; ".join(clashes[:50]))


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0003_refuse_truncate'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='customer',
            name='update_update',
        ),
        migrations.AddField(
            model_name='customer',
            name='name_normalised',
            field=models.CharField(default='', editable=False, max_length=100, verbose_name='规范化名称'),
            preserve_default=False,
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='customer',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."address" IS DISTINCT FROM (NEW."address") OR OLD."bank_accounts" IS DISTINCT FROM (NEW."bank_accounts") OR OLD."business_situation" IS DISTINCT FROM (NEW."business_situation") OR OLD."city_id" IS DISTINCT FROM (NEW."city_id") OR OLD."competition" IS DISTINCT FROM (NEW."competition") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."created_by_id" IS DISTINCT FROM (NEW."created_by_id") OR OLD."delete_reason" IS DISTINCT FROM (NEW."delete_reason") OR OLD."deleted_at" IS DISTINCT FROM (NEW."deleted_at") OR OLD."deleted_by_id" IS DISTINCT FROM (NEW."deleted_by_id") OR OLD."employees_band_id" IS DISTINCT FROM (NEW."employees_band_id") OR OLD."grade" IS DISTINCT FROM (NEW."grade") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."industry_id" IS DISTINCT FROM (NEW."industry_id") OR OLD."last_follow_up_at" IS DISTINCT FROM (NEW."last_follow_up_at") OR OLD."major_events" IS DISTINCT FROM (NEW."major_events") OR OLD."name" IS DISTINCT FROM (NEW."name") OR OLD."name_initials" IS DISTINCT FROM (NEW."name_initials") OR OLD."name_key" IS DISTINCT FROM (NEW."name_key") OR OLD."name_pinyin" IS DISTINCT FROM (NEW."name_pinyin") OR OLD."nature_id" IS DISTINCT FROM (NEW."nature_id") OR OLD."needs" IS DISTINCT FROM (NEW."needs") OR OLD."organisation" IS DISTINCT FROM (NEW."organisation") OR OLD."other_info" IS DISTINCT FROM (NEW."other_info") OR OLD."owner_id" IS DISTINCT FROM (NEW."owner_id") OR OLD."owner_since" IS DISTINCT FROM (NEW."owner_since") OR OLD."phone" IS DISTINCT FROM (NEW."phone") OR OLD."pool_entered_at" IS DISTINCT FROM (NEW."pool_entered_at") OR OLD."postcode" IS DISTINCT FROM (NEW."postcode") OR OLD."province_id" IS DISTINCT FROM (NEW."province_id") OR OLD."rating" IS DISTINCT FROM (NEW."rating") OR OLD."relationship_started_on" IS DISTINCT FROM (NEW."relationship_started_on") OR OLD."revenue_band_id" IS DISTINCT FROM (NEW."revenue_band_id") OR OLD."service_notes" IS DISTINCT FROM (NEW."service_notes") OR OLD."shareholders" IS DISTINCT FROM (NEW."shareholders") OR OLD."source_id" IS DISTINCT FROM (NEW."source_id") OR OLD."status_id" IS DISTINCT FROM (NEW."status_id") OR OLD."stock_info" IS DISTINCT FROM (NEW."stock_info") OR OLD."updated_at" IS DISTINCT FROM (NEW."updated_at") OR OLD."website" IS DISTINCT FROM (NEW."website"))', func='INSERT INTO "customers_customerevent" ("address", "bank_accounts", "business_situation", "city_id", "competition", "created_at", "created_by_id", "delete_reason", "deleted_at", "deleted_by_id", "employees_band_id", "grade", "id", "industry_id", "last_follow_up_at", "major_events", "name", "name_initials", "name_key", "name_pinyin", "nature_id", "needs", "organisation", "other_info", "owner_id", "owner_since", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "pool_entered_at", "postcode", "province_id", "rating", "relationship_started_on", "revenue_band_id", "service_notes", "shareholders", "source_id", "status_id", "stock_info", "updated_at", "website") VALUES (NEW."address", NEW."bank_accounts", NEW."business_situation", NEW."city_id", NEW."competition", NEW."created_at", NEW."created_by_id", NEW."delete_reason", NEW."deleted_at", NEW."deleted_by_id", NEW."employees_band_id", NEW."grade", NEW."id", NEW."industry_id", NEW."last_follow_up_at", NEW."major_events", NEW."name", NEW."name_initials", NEW."name_key", NEW."name_pinyin", NEW."nature_id", NEW."needs", NEW."organisation", NEW."other_info", NEW."owner_id", NEW."owner_since", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'update\', NEW."id", NEW."phone", NEW."pool_entered_at", NEW."postcode", NEW."province_id", NEW."rating", NEW."relationship_started_on", NEW."revenue_band_id", NEW."service_notes", NEW."shareholders", NEW."source_id", NEW."status_id", NEW."stock_info", NEW."updated_at", NEW."website"); RETURN NULL;', hash='c96860e665fb78e27e47400b4210d9987fa203ba', operation='UPDATE', pgid='pgtrigger_update_update_ca86d', table='customers_customer', when='AFTER')),
        ),
        migrations.RunPython(fill_normalised_names, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='customer',
            constraint=models.UniqueConstraint(condition=models.Q(('deleted_at__isnull', True)), fields=('name_normalised',), name='customer_unique_live_name'),
        ),
    ]
