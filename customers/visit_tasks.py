"""The monthly visit plan (PROCEDURES.md §1 "Visits"): a beat task on the 1st of each month at 01:00 Asia/Shanghai.

The task is a thin wrapper around ``customers.services.visits.generate_visit_plans``, which is idempotent, so a
retry or a second run the same month creates nothing new. Its beat schedule (django-celery-beat, editable in the
admin) is created on ``post_migrate`` and left alone when it exists (an administrator may have changed it).
"""
from __future__ import annotations

from celery import shared_task
from django.db import DEFAULT_DB_ALIAS, OperationalError
from django.utils import timezone

from qms.taskqueue import ensure_beat_schedule

TASK = "customers.visit_tasks.generate_monthly_visit_plans"
SCHEDULE_NAME = "客户回访：生成月度回访计划"


@shared_task(name=TASK, acks_late=True, autoretry_for=(OperationalError, OSError), max_retries=3,
             retry_backoff=True)
def generate_monthly_visit_plans(month: str | None = None) -> int:
    """``month`` "YYYY-MM-DD" (any day of it); the current month in Asia/Shanghai by default."""
    import datetime as dt

    from customers.services.visits import generate_visit_plans

    day = dt.date.fromisoformat(month) if month else timezone.localdate()
    return generate_visit_plans(day).created


def schedule_monthly_plans(sender=None, using=DEFAULT_DB_ALIAS, apps=None, **kwargs) -> None:
    """post_migrate: the beat row exists (created once; an administrator's later edits are kept)."""
    ensure_beat_schedule(name=SCHEDULE_NAME, task=TASK, minute="0", hour="1", day_of_month="1", using=using,
                         apps=apps, description="Generates the month's visits, weekly phone contacts for grade C and "
                                                "service return visits (PROCEDURES.md §1 Visits).")
