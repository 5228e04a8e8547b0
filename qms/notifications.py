"""One way to tell a person something: ``notify(user, …)`` writes the portal notification and sends
the e-mail after the transaction commits. Every app calls this; none sends mail itself."""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from qms import cache as qms_cache

logger = logging.getLogger(__name__)


class Notification(models.Model):
    class Level(models.TextChoices):
        INFO = "info", _("通知")
        REMINDER = "reminder", _("提醒")
        ESCALATION = "escalation", _("升级")
        WARNING = "warning", _("警告")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    level = models.CharField(_("类型"), max_length=20, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    email_wanted = models.BooleanField(_("发送邮件"), default=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_recipient_unread"),
            models.Index(fields=["email_wanted", "emailed_at"], name="notif_email_pending"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


def in_language_of(recipient):
    """The recipient's interface language (the portal's when he chose none), for text written to him."""
    return translation.override(getattr(recipient, "language", "") or settings.LANGUAGE_CODE)


def notify(recipient, title, body="", link: str = "", level: str = Notification.Level.INFO,
           email: bool = True) -> Notification | None:
    """Tell ``recipient`` something in the portal and, after commit, by e-mail.

    ``title`` and ``body`` may be callables (``lambda: gettext("…") % {…}``): they are then written in the
    recipient's language, whoever caused the notice — an e-mail cannot be translated later."""
    if recipient is None or not recipient.is_active:
        return None
    with in_language_of(recipient):
        title = title() if callable(title) else title
        body = body() if callable(body) else body
        title, body = str(title), str(body)
    note = Notification.objects.create(
        recipient=recipient, title=title[:200], body=body, link=link, level=level,
        email_wanted=bool(email and recipient.email),
    )
    if note.email_wanted:
        from qms.taskqueue import send_after_commit

        send_after_commit("qms.tasks.send_notification_email", note.pk)
    return note


def deliver_email(notification_id: int) -> bool:
    """Send one notification's e-mail once; returns False when it was already sent."""
    with transaction.atomic():
        # Lock the notification row only: a login (last_login) or a service holding the recipient's user row
        # must not make the task skip the e-mail until the next tick.
        note = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True, email_wanted=True)
            .first()
        )
        if note is None:
            return False
        link = f"{settings.PORTAL_BASE_URL}{note.link}" if note.link.startswith("/") else note.link
        body = f"{note.body}\n\n{link}".strip()
        send_mail(f"[{settings.QMS_SITE_NAME}] {note.title}", body, None, [note.recipient.email])
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])
    return True


def deliver_pending_emails(limit: int = 500) -> int:
    """Catch up with e-mails whose task never ran (broker down when the notification was made)."""
    ids = list(
        Notification.objects.filter(email_wanted=True, emailed_at__isnull=True)
        .order_by("created_at").values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if deliver_email(pk))


# The header's count of unread notifications, on every page: kept in the shared cache per user until one of his
# notifications is added, read, changed or deleted (forget_unread_count), or settings.UNREAD_COUNT_SECONDS pass.
def _unread_key(user_id) -> str:
    return f"unread-notifications:{user_id}"


def unread_count(user) -> int:
    return qms_cache.kept(_unread_key(user.pk), settings.UNREAD_COUNT_SECONDS,
                          lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).count())


def forget_unread_count(user_id) -> None:
    qms_cache.forget(_unread_key(user_id))


def _forget_on_change(sender, instance, **kwargs) -> None:
    forget_unread_count(instance.recipient_id)


post_save.connect(_forget_on_change, sender=Notification, dispatch_uid="unread-count-save")
post_delete.connect(_forget_on_change, sender=Notification, dispatch_uid="unread-count-delete")


def mark_read(user, ids=None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    marked = qs.update(read_at=timezone.now())
    forget_unread_count(user.pk)  # update() sends no signal
    return marked
