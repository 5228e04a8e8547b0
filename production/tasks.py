"""Beat tasks of production: thin wrappers around services. The schedule is declared in ``ProductionConfig.ready``
(``qms.taskqueue.periodic``)."""
from celery import shared_task
from django.db import OperationalError

DISCIPLINE_TASK = "production.tasks.schedule_discipline_checks"
DISCIPLINE_SCHEDULE_NAME = "生产：生成工艺纪律检查"


@shared_task(name=DISCIPLINE_TASK, acks_late=True, autoretry_for=(OperationalError, OSError), max_retries=3,
             retry_backoff=True)
def schedule_discipline_checks() -> int:
    from production.services.discipline import schedule_discipline_checks as schedule

    return len(schedule())
