"""The daily reminder of the renovation sites not inspected yet (seed 5.3.1: every active site at least once a
working day): a beat task at 16:00 Asia/Shanghai, a thin wrapper around ``services.site.send_daily_reminder``,
which goes out once a day and only on working days. Its beat schedule (django-celery-beat, editable in the admin)
is created on ``post_migrate`` and left alone when it exists."""
from __future__ import annotations

from celery import shared_task
from django.db import DEFAULT_DB_ALIAS, OperationalError

from qms.taskqueue import ensure_beat_schedule

TASK = "renovation.tasks.remind_uninspected_sites"
SCHEDULE_NAME = "装修管理：每日巡查提醒"


@shared_task(name=TASK, acks_late=True, autoretry_for=(OperationalError, OSError), max_retries=3, retry_backoff=True)
def remind_uninspected_sites() -> int:
    from renovation.services.site import send_daily_reminder

    return send_daily_reminder()


def schedule_daily_reminder(sender=None, using=DEFAULT_DB_ALIAS, apps=None, **kwargs) -> None:
    """post_migrate: the beat row exists (created once; an administrator's later edits are kept)."""
    from renovation.services.site import REMINDER_TIME

    ensure_beat_schedule(name=SCHEDULE_NAME, task=TASK, minute=str(REMINDER_TIME.minute), hour=str(REMINDER_TIME.hour),
                         using=using, apps=apps,
                         description="Lists the renovation sites not inspected yet today to the property assistants "
                                     "(working days only; PROCEDURES.md §4 During works).")
