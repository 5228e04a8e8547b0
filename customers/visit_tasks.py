"""The monthly visit plan (PROCEDURES.md §1 "Visits"): a beat task on the 1st of each month at 01:00 Asia/Shanghai.

The task is a thin wrapper around ``customers.services.visits.generate_visit_plans``, which is idempotent, so a
retry or a second run the same month creates nothing new. Its beat schedule (django-celery-beat, editable in the
admin) is declared in ``CustomersConfig.ready`` (``qms.taskqueue.periodic``), created after migrate and left alone
when it exists (an administrator may have changed it).
"""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

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
