"""Sending Celery tasks: after the transaction commits, and never at the cost of the user's save.

If the broker is down the send is logged and dropped; every task of this project is idempotent and
its work is also picked up by the beat tick (e.g. pending e-mails), so nothing is lost.
"""
import logging
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, transaction

logger = logging.getLogger(__name__)


def _task(task_or_name):
    """A task object, or the registered task of that name: services name the task they send (``"qms.tasks.run_import"``)
    so that they never import the tasks module, which sits on top of them."""
    if not isinstance(task_or_name, str):
        return task_or_name
    from qms.celery import app

    return app.tasks[task_or_name]


def send_now(task, *args, **kwargs) -> bool:
    task = _task(task)
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=False)
        return True
    except Exception as error:  # noqa: BLE001 - any broker failure must not break the request
        logger.warning("Could not send task %s (%s); the beat tick will catch up", task.name, error)
        return False


def send_after_commit(task, *args, **kwargs) -> None:
    transaction.on_commit(lambda: send_now(task, *args, **kwargs))


def ensure_beat_schedule(*, name: str, task: str, description: str, minute: str = "0", hour: str = "*",
                         day_of_month: str = "*", month_of_year: str = "*", day_of_week: str = "*",
                         using: str = DEFAULT_DB_ALIAS, apps=None) -> None:
    """The beat row (django-celery-beat, a crontab in Asia/Shanghai) of a periodic task exists. Called from the
    apps' ``post_migrate`` receivers: created once; an administrator's later edits in the admin are kept."""
    from django.apps import apps as global_apps

    apps = apps or global_apps
    try:
        crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
        task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    except LookupError:
        return
    if task_model.objects.using(using).filter(name=name).exists():
        return
    crontab, _created = crontab_model.objects.using(using).get_or_create(
        minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week,
        timezone="Asia/Shanghai")
    task_model.objects.using(using).get_or_create(
        name=name, defaults={"task": task, "crontab": crontab, "enabled": True, "description": description})


@dataclass(frozen=True)
class Periodic:
    name: str
    task: str
    description: str
    minute: str = "0"
    hour: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"
    day_of_week: str = "*"


_periodic: dict[str, Periodic] = {}


def periodic(name: str, task: str, description: str, *, minute: str = "0", hour: str = "*", day_of_month: str = "*",
             month_of_year: str = "*", day_of_week: str = "*") -> Periodic:
    """Declare a periodic job (a crontab in Asia/Shanghai), from an app's ``AppConfig.ready()``. Its beat row
    (django-celery-beat) is created after ``migrate``; an administrator's later edits in the admin are kept."""
    job = Periodic(name, task, str(description), minute, hour, day_of_month, month_of_year, day_of_week)
    _periodic[name] = job
    return job


def declared_periodic() -> list[Periodic]:
    return list(_periodic.values())


def create_periodic_rows(*, using: str = DEFAULT_DB_ALIAS, apps=None, **kwargs) -> None:
    """The ``post_migrate`` receiver (connected once, by qms): every declared job has its beat row."""
    for job in _periodic.values():
        ensure_beat_schedule(name=job.name, task=job.task, description=job.description, minute=job.minute,
                             hour=job.hour, day_of_month=job.day_of_month, month_of_year=job.month_of_year,
                             day_of_week=job.day_of_week, using=using, apps=apps)
