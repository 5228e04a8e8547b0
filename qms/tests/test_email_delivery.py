"""An e-mail goes out even while its recipient's user row is locked by another transaction.

A login updates ``last_login`` on the user row and several services lock it (``select_for_update``); the
e-mail task must lock only the notification row, or it skips the e-mail until the next tick."""
import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from qms.models import User
from qms.notifications import Notification, deliver_email


def _hold_user_row(user_pk, how, locked, release):
    """In a second connection: lock the user row the way a service or a login does, until told to let go."""
    try:
        with transaction.atomic():
            if how == "select_for_update":
                User.objects.select_for_update().get(pk=user_pk)
            else:  # what django.contrib.auth's update_last_login does when the person logs in
                User.objects.filter(pk=user_pk).update(last_login=timezone.now())
            locked.set()
            release.wait(20)
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["select_for_update", "login"])
def test_the_email_is_sent_while_another_transaction_holds_the_recipients_user_row(people, how):
    quality = people["quality"]
    note = Notification.objects.create(recipient=quality, title="锁定用户行时的邮件", email_wanted=True)
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_user_row, args=(quality.pk, how, locked, release))
    holder.start()
    try:
        assert locked.wait(10)
        sent = deliver_email(note.pk)
    finally:
        release.set()
        holder.join(20)
    assert sent is True
    note.refresh_from_db()
    assert note.emailed_at is not None
    assert [(m.subject, m.to) for m in mail.outbox] == [("[QMS Portal] 锁定用户行时的邮件", [quality.email])]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_email_being_sent_by_another_worker_is_skipped_not_sent_twice(people):
    """The notification row stays locked (skip_locked), so two tasks for one notice send one e-mail."""
    quality = people["quality"]
    note = Notification.objects.create(recipient=quality, title="只发一次", email_wanted=True)
    locked, release = threading.Event(), threading.Event()

    def hold_notification():
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=note.pk)
                locked.set()
                release.wait(20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_notification)
    holder.start()
    try:
        assert locked.wait(10)
        sent = deliver_email(note.pk)
    finally:
        release.set()
        holder.join(20)
    assert sent is False
    assert mail.outbox == []
