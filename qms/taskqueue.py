"""Sending Celery tasks: after the transaction commits, and never at the cost of the user's save.

If the broker is down the send is logged and dropped; every task of this project is idempotent and
its work is also picked up by the beat tick (e.g. pending e-mails), so nothing is lost.
"""
import logging

from django.db import transaction

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
