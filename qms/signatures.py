"""Electronic signatures (PROCEDURES.md §8; ISO 13485 §4.2.5, in the spirit of 21 CFR Part 11).

A signature re-asks the signer's password, states its meaning (审核/批准/确认/验证) and stores a hash of
the record's controlled content at that moment. A record edited after signing shows the signature as no
longer valid. Signature rows are append-only: the database refuses UPDATE and DELETE on them.
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qms import audit


class Meaning(models.TextChoices):
    REVIEW = "review", pgettext_lazy("signature meaning", "审核")  # a reviewer's check: "Review", not "Audit"
    APPROVAL = "approval", _("批准")
    CONFIRMATION = "confirmation", _("确认")
    VERIFICATION = "verification", _("验证")


class SignatureRefused(Exception):
    """The signature was not made; ``str(error)`` is the translated reason shown to the user."""


class Signature(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("记录类型"))
    object_id = models.PositiveBigIntegerField(_("记录编号"))
    record = GenericForeignKey("content_type", "object_id")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("签名人"),
                               related_name="signatures")
    signer_name = models.CharField(_("签名人姓名"), max_length=100)
    meaning = models.CharField(_("签名含义"), max_length=20, choices=Meaning.choices)
    comment = models.TextField(_("意见"), blank=True)
    signed_at = models.DateTimeField(_("签名时间"), default=timezone.now)
    content_hash = models.CharField(_("内容摘要"), max_length=64)
    step = models.CharField(_("环节"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("电子签名")
        verbose_name_plural = _("电子签名")
        ordering = ["signed_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "signed_at"], name="signature_record")]
        triggers = [
            pgtrigger.Protect(name="signature_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
            audit.RefuseTruncate(),
        ]

    def __str__(self):
        return f"{self.signer_name} {self.get_meaning_display()} {timezone.localtime(self.signed_at):%Y-%m-%d %H:%M}"

    def is_valid_for(self, record) -> bool:
        return self.content_hash == content_hash(record)


def controlled_fields(record) -> list[str]:
    """The fields a signature binds: the model's ``SIGNED_FIELDS``, else every editable concrete field
    except the workflow's own bookkeeping (status, timestamps), so that later moves do not void it."""
    declared = getattr(record, "SIGNED_FIELDS", None)
    if declared is not None:
        return list(declared)
    skip = {"id", "status", "status_changed_at", "updated_at", "created_at"}
    return [f.attname for f in record._meta.concrete_fields if f.editable and f.attname not in skip]


def _canonical(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value.normalize())
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "name") and hasattr(value, "storage"):  # FieldFile
        return value.name
    return value


def content_hash(record) -> str:
    """SHA-256 of the record's controlled content, canonical JSON (sorted keys)."""
    payload = {name: _canonical(getattr(record, name)) for name in controlled_fields(record)}
    payload["__record__"] = f"{record._meta.label_lower}:{record.pk}"
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def check_password_or_refuse(user, password: str) -> None:
    if not password or not user.check_password(password):
        raise SignatureRefused(gettext("密码错误，未签名。"))


def sign(record, user, password: str, meaning: str, comment: str = "", step: str = "") -> Signature:
    """Re-authenticate ``user`` and sign ``record``. Call inside the transaction of the change it approves."""
    check_password_or_refuse(user, password)
    if meaning not in Meaning.values:
        raise SignatureRefused(gettext("未知的签名含义。"))
    return Signature.objects.create(
        content_type=ContentType.objects.get_for_model(record, for_concrete_model=False),
        object_id=record.pk,
        signer=user,
        signer_name=user.display_name,
        meaning=meaning,
        comment=comment,
        content_hash=content_hash(record),
        step=str(step),
    )


def signatures_for(record) -> list[dict]:
    """The record's signatures, oldest first, each with ``valid`` against the record as it is now."""
    current = content_hash(record)
    rows = Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(record, for_concrete_model=False), object_id=record.pk
    ).select_related("signer")
    return [
        {"signature": s, "signer_name": s.signer_name, "meaning": s.get_meaning_display(), "signed_at": s.signed_at,
         "comment": s.comment, "step": s.step, "valid": s.content_hash == current}
        for s in rows
    ]
