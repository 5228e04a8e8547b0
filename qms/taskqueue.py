"""Sending Celery tasks: after the transaction commits, and never at the cost of the user's save.

If the broker is down the send is logged and dropped; every task of this project is idempotent and
its work is also picked up by the beat tick (e.g. pending e-mails), so nothing is lost.
"""
import logging

from django.db import DEFAULT_DB_ALIAS, transaction

logger = logging.getLogger(__name__)


def send_now(task, *args, **kwargs) -> bool:
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
