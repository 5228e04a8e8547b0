"""The daily reminder of the renovation sites not inspected yet (seed 5.3.1: every active site at least once a
working day): a beat task at 16:00 Asia/Shanghai, a thin wrapper around ``services.site.send_daily_reminder``,
which goes out once a day and only on working days. Its beat row (django-celery-beat, editable in the admin) is
declared with ``qms.taskqueue.periodic`` by ``RenovationConfig.ready()``."""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

TASK = "renovation.tasks.remind_uninspected_sites"
SCHEDULE_NAME = "装修管理：每日巡查提醒"
DESCRIPTION = ("Lists the renovation sites not inspected yet today to the property assistants (working days only; "
               "PROCEDURES.md §4 During works).")


@shared_task(name=TASK, acks_late=True, autoretry_for=(OperationalError, OSError), max_retries=3, retry_backoff=True)
def remind_uninspected_sites() -> int:
    from renovation.services.site import send_daily_reminder

    return send_daily_reminder()
