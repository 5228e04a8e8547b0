"""Issue 15: a visit's record due time is read from its "visit_record" deadline row, not from a copy on the visit.

A visit recorded without an arrangement had its due time only on the visit: before the column goes, such a visit
gets its deadline row, written as met when the record was handed in, so that its lateness is still known."""

import datetime as dt

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


def keep_due_times_as_deadline_rows(apps, schema_editor):
    Visit = apps.get_model("customers", "Visit")
    Deadline = apps.get_model("qms", "Deadline")
    ContentType = apps.get_model("contenttypes", "ContentType")
    visits = Visit.objects.filter(record_due_at__isnull=False).select_related("customer")
    if not visits.exists():
        return
    content_type, _created = ContentType.objects.get_or_create(app_label="customers", model="visit")
    with_rows = set(Deadline.objects.filter(content_type=content_type, kind="visit_record")
                    .values_list("object_id", flat=True))
    Deadline.objects.bulk_create([
        Deadline(content_type=content_type, object_id=visit.pk, kind="visit_record",
                 title=f"提交回访记录：{visit.customer.name}"[:200], link=f"/customers/visits/{visit.pk}/",
                 responsible_id=visit.owner_id, due_at=visit.record_due_at, remind_before=dt.timedelta(hours=4),
                 state="met" if visit.recorded_at else "cancelled",
                 opened_at=visit.recorded_at or visit.record_due_at,
                 closed_at=visit.recorded_at or visit.record_due_at)
        for visit in visits.iterator() if visit.pk not in with_rows])


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0004_unique_customer_name'),
        ('qms', '0020_deadline_title_key'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.RunPython(keep_due_times_as_deadline_rows, migrations.RunPython.noop),
        pgtrigger.migrations.RemoveTrigger(
            model_name='visit',
            name='insert_insert',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='visit',
            name='update_update',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='visit',
            name='delete_delete',
        ),
        migrations.RemoveField(
            model_name='visit',
            name='record_due_at',
        ),
        migrations.RemoveField(
            model_name='visitevent',
            name='record_due_at',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='visit',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "customers_visitevent" ("arranged_at", "arrangement_note", "contact_id", "content", "created_at", "customer_id", "follow_up_id", "id", "kind", "next_step", "outcome", "owner_id", "period_end", "period_start", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "purpose", "recorded_at", "status", "visited_at") VALUES (NEW."arranged_at", NEW."arrangement_note", NEW."contact_id", NEW."content", NEW."created_at", NEW."customer_id", NEW."follow_up_id", NEW."id", NEW."kind", NEW."next_step", NEW."outcome", NEW."owner_id", NEW."period_end", NEW."period_start", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'insert\', NEW."id", NEW."purpose", NEW."recorded_at", NEW."status", NEW."visited_at"); RETURN NULL;', hash='77e1d081f40c4173bf34f51431672a283a732bde', operation='INSERT', pgid='pgtrigger_insert_insert_bb171', table='customers_visit', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='visit',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "customers_visitevent" ("arranged_at", "arrangement_note", "contact_id", "content", "created_at", "customer_id", "follow_up_id", "id", "kind", "next_step", "outcome", "owner_id", "period_end", "period_start", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "purpose", "recorded_at", "status", "visited_at") VALUES (NEW."arranged_at", NEW."arrangement_note", NEW."contact_id", NEW."content", NEW."created_at", NEW."customer_id", NEW."follow_up_id", NEW."id", NEW."kind", NEW."next_step", NEW."outcome", NEW."owner_id", NEW."period_end", NEW."period_start", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'update\', NEW."id", NEW."purpose", NEW."recorded_at", NEW."status", NEW."visited_at"); RETURN NULL;', hash='3cb53797e9381712cad47cf4b474ab99f87b0d83', operation='UPDATE', pgid='pgtrigger_update_update_0baa3', table='customers_visit', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='visit',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "customers_visitevent" ("arranged_at", "arrangement_note", "contact_id", "content", "created_at", "customer_id", "follow_up_id", "id", "kind", "next_step", "outcome", "owner_id", "period_end", "period_start", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "purpose", "recorded_at", "status", "visited_at") VALUES (OLD."arranged_at", OLD."arrangement_note", OLD."contact_id", OLD."content", OLD."created_at", OLD."customer_id", OLD."follow_up_id", OLD."id", OLD."kind", OLD."next_step", OLD."outcome", OLD."owner_id", OLD."period_end", OLD."period_start", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'delete\', OLD."id", OLD."purpose", OLD."recorded_at", OLD."status", OLD."visited_at"); RETURN NULL;', hash='ecd23cd7e42399fda8b1a08516c1f5455773748f', operation='DELETE', pgid='pgtrigger_delete_delete_81250', table='customers_visit', when='AFTER')),
        ),
    ]
