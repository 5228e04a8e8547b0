"""The yearly satisfaction survey (PROCEDURES.md §2: at least yearly, in ``settings.QMS_SURVEY_MONTH``; §8 "surveys
are created automatically"): a beat task every day at 07:00 Asia/Shanghai.

The task is a thin wrapper around ``complaints.services.surveys.prepare_yearly_campaign``, which acts only in the
survey month and only when the year has no campaign yet — so it creates the draft on the month's first day, a
missed day is caught up the next, and a retry or a second run creates nothing. Running daily (rather than on
one date) keeps the schedule right when an administrator changes the month setting. The beat row
(django-celery-beat, editable in the admin) is declared with ``qms.taskqueue.periodic`` in
``ComplaintsConfig.ready``; qms creates it after migrate and leaves it alone once it exists.
"""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

TASK = "complaints.survey_tasks.prepare_yearly_survey"
SCHEDULE_NAME = "满意度调查：生成年度调查"
SCHEDULE_DESCRIPTION = ("Creates the year's customer satisfaction survey in draft during the survey month "
                        "(QMS_SURVEY_MONTH) and tells the MR and customer service (PROCEDURES.md §2).")


@shared_task(name=TASK, acks_late=True, autoretry_for=(OperationalError, OSError), max_retries=3,
             retry_backoff=True)
def prepare_yearly_survey(day: str | None = None) -> int | None:
    """``day`` "YYYY-MM-DD" (today in Asia/Shanghai by default); returns the campaign created, or None."""
    import datetime as dt

    from complaints.services.surveys import prepare_yearly_campaign

    campaign = prepare_yearly_campaign(dt.date.fromisoformat(day) if day else None)
    return campaign.pk if campaign else None

