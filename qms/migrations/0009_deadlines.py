"""The reminder tick's beat schedule: every 5 minutes, editable in the admin (django-celery-beat)."""
from django.db import migrations

TASK = "qms.tasks.deadline_tick"


def schedule_tick(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="提醒节拍（到期提醒、逾期升级）",
        defaults={"task": TASK, "interval": every, "enabled": True,
                  "description": "Sends deadline reminders, overdue notices and escalations; catches up e-mails."},
    )


def unschedule_tick(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [("qms", "0008_records"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(schedule_tick, unschedule_tick)]
