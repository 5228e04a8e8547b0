"""Electronic signatures (PROCEDURES.md §8; ISO 13485 §4.2.5, in the spirit of 21 CFR Part 11).

A signature re-asks the signer's password, states its meaning (审核/批准/确认/验证) and stores a hash of
the record's controlled content at that moment. A record edited after signing shows the signature as no
longer valid. Signature rows are append-only: the database refuses UPDATE and DELETE on them.

Records worked in repeated rounds (a CAPA found not effective is planned again) register their rounds
(``register_rounds``): a signature is then bound to the round it was made in and its hash covers that round's
content, kept by the record when the round ends. When a later round starts, the signature stays valid and is
shown as superseded by that round; only an edit of the content it signed invalidates it.
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qms.refusals import Refused
from qms import audit
from qms.texts import portal_text


class Meaning(models.TextChoices):
    REVIEW = "review", pgettext_lazy("signature meaning", "审核")  # a reviewer's check: "Review", not "Audit"
    APPROVAL = "approval", _("批准")
    CONFIRMATION = "confirmation", _("确认")
    VERIFICATION = "verification", _("验证")


class SignatureRefused(Refused):
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
    # the round of the record it was made in (records registered with register_rounds); empty for the others
    round = models.PositiveSmallIntegerField(_("轮次"), null=True, blank=True)

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
        """The content it signed is unchanged (in its own round, for records worked in rounds)."""
        return state_of(self, record)["valid"]


@dataclass(frozen=True)
class Rounds:
    """How a record type is worked in rounds: ``current(record) -> int``; ``content(record, n) -> dict | None``,
    the controlled content (the same keys as ``controlled_fields``) of an earlier round n as the record kept it,
    None when it kept nothing for n."""

    current: Callable
    content: Callable


_rounds: dict[type, Rounds] = {}


def register_rounds(model: type, *, current: Callable, content: Callable) -> None:
    _rounds[model] = Rounds(current=current, content=content)


def current_round(record) -> int | None:
    rounds = _rounds.get(type(record))
    return rounds.current(record) if rounds else None


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


def content_hash(record, round: int | None = None) -> str:
    """SHA-256 of the record's controlled content, canonical JSON (sorted keys); with ``round``, of that round's
    content ("" when the record kept nothing for it). The current round's content is the record as it is."""
    rounds = _rounds.get(type(record))
    if rounds is not None and round is not None and round != rounds.current(record):
        content = rounds.content(record, round)
        if content is None:
            return ""
    else:
        content = {name: getattr(record, name) for name in controlled_fields(record)}
    payload = {name: _canonical(value) for name, value in content.items()}
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
    round_ = current_round(record)
    step = portal_text(step)  # kept as the catalogue's key, translated for each reader (signatures_for)
    return Signature.objects.create(
        content_type=ContentType.objects.get_for_model(record, for_concrete_model=False),
        object_id=record.pk,
        signer=user,
        signer_name=user.display_name,
        meaning=meaning,
        comment=comment,
        content_hash=content_hash(record, round_),
        step=step,
        round=round_,
    )


def state_of(signature: Signature, record, _hashes: dict | None = None) -> dict:
    """``valid``: the content it signed is unchanged; ``round``: the round it belongs to; ``superseded_by``: the
    record's current round when a later round has started since (a legitimate step, not an edit), else None."""
    hashes = {} if _hashes is None else _hashes

    def hash_of(n):
        if n not in hashes:
            hashes[n] = content_hash(record, n)
        return hashes[n]

    current = current_round(record)
    round_ = signature.round
    if current is None:
        valid = signature.content_hash == hash_of(None)
    elif round_ is not None:
        valid = signature.content_hash == hash_of(round_)
    else:
        # Signed before rounds were recorded on signatures: it belongs to the round whose content it matches.
        matching = [n for n in range(current, 0, -1) if signature.content_hash == hash_of(n)]
        valid = bool(matching)
        round_ = matching[0] if matching else None
    superseded_by = current if valid and round_ is not None and round_ < current else None
    return {"valid": valid, "round": round_, "superseded_by": superseded_by}


def signatures_for(record) -> list[dict]:
    """The record's signatures, oldest first, each with ``valid`` against the content it signed as the record
    keeps it now, and, for records worked in rounds, its ``round`` and ``superseded_by`` (see ``state_of``)."""
    hashes: dict = {}
    rows = Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(record, for_concrete_model=False), object_id=record.pk
    ).select_related("signer")
    return [
        {"signature": s, "signer_name": s.signer_name, "meaning": s.get_meaning_display(), "signed_at": s.signed_at,
         "comment": s.comment, "step": gettext(s.step) if s.step else "", **state_of(s, record, hashes)}
        for s in rows
    ]
