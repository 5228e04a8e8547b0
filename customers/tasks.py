"""Celery tasks of the customer pool (PROCEDURES.md §1): thin wrappers around ``customers.services.pool``.

The daily run (02:00 Asia/Shanghai) first gives back to the pool the customers nobody followed up in time, then
warns the owners of those whose time is near. Both services are idempotent — a retry or a second run the same
night returns nothing twice and warns nobody twice. The beat row (django-celery-beat, editable in the admin)
is declared in ``CustomersConfig.ready`` (``qms.taskqueue.periodic``), created after migrate and left alone once it
exists.
"""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

DAILY_TASK = "customers.tasks.pool_daily_run"
SCHEDULE_NAME = "客户池：到期自动回收与回收提醒"


@shared_task(name="customers.tasks.return_due_customers", acks_late=True,
             autoretry_for=(OperationalError, OSError), max_retries=3, retry_backoff=True)
def return_due_customers() -> int:
    from customers.services import pool

    return pool.return_due_customers()


@shared_task(name="customers.tasks.warn_before_return", acks_late=True,
             autoretry_for=(OperationalError, OSError), max_retries=3, retry_backoff=True)
def warn_before_return() -> int:
    from customers.services import pool

    return pool.warn_before_return()


@shared_task(name=DAILY_TASK, acks_late=True, autoretry_for=(OperationalError, OSError), max_retries=3,
             retry_backoff=True)
def pool_daily_run() -> dict:
    """Returns {"returned": n, "warned": n}."""
    from customers.services import pool

    return {"returned": pool.return_due_customers(), "warned": pool.warn_before_return()}
