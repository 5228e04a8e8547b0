"""Celery tasks of the shared core: thin wrappers around services."""
from celery import shared_task

from qms import notifications


@shared_task(acks_late=True, autoretry_for=(OSError,), max_retries=3, retry_backoff=True)
def send_notification_email(notification_id: int) -> bool:
    return notifications.deliver_email(notification_id)


@shared_task(acks_late=True, max_retries=0)
def deliver_pending_emails() -> int:
    return notifications.deliver_pending_emails()


@shared_task(acks_late=True, max_retries=2, autoretry_for=(OSError,), retry_backoff=True)
def deadline_tick() -> int:
    """The beat tick: reminders, overdue notices and escalations that have come due, pending e-mails, and the
    import batches whose task was lost (e.g. sent while the broker was down)."""
    from qms import deadlines
    from qms.excel import imports

    sent = deadlines.tick()
    notifications.deliver_pending_emails()
    imports.resend_stalled_batches()
    return sent


@shared_task(acks_late=True, max_retries=2, autoretry_for=(OSError,), retry_backoff=True)
def recompute_deadlines(years: list[int], by_id: int | None = None) -> int:
    """Re-compute the open deadlines that depend on calendar years an administrator just changed."""
    from qms import deadlines
    from qms.people import User

    by = User.objects.filter(pk=by_id).first() if by_id else None
    return len(deadlines.recompute(years, by))


@shared_task(acks_late=True, max_retries=0)
def run_import(batch_id: int) -> str:
    """Validate or commit a large Excel import batch (the step its status asks for) with progress."""
    from qms.excel.imports import run_batch

    return run_batch(batch_id)
