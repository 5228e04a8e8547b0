"""Celery tasks of the management review: thin wrappers around ``reviews.services.plans``.

The daily run drafts the year's scheduled review from the month before ``QMS_REVIEW_MONTH`` and tells the MR
(idempotent: once a year). The beat row is declared in ``ReviewsConfig.ready`` (``qms.taskqueue.periodic``)."""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

TASK = "reviews.tasks.draft_scheduled_review"
SCHEDULE_NAME = "管理评审：草拟年度定期评审计划"


@shared_task(name=TASK, acks_late=True, autoretry_for=(OperationalError, OSError), max_retries=3, retry_backoff=True)
def draft_scheduled_review() -> int | None:
    from reviews.services import plans

    review = plans.draft_scheduled_review()
    return review.pk if review else None
