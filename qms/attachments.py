"""Attachments on any controlled record (PROCEDURES.md §8): upload, download, void.

A file is accepted when its content is of an allowed type (checked with ``filetype`` on the bytes, not on
the name) and agrees with its extension, and when it is within ``ATTACHMENT_MAX_BYTES``. It is stored under
MEDIA_ROOT (outside the static root) with a generated name, never the user's; downloads go through a view
that checks the user may see the record. Removing an attachment voids it with a reason: the row and the
file stay, struck through, and the audit trail records who and why.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import uuid
import zipfile

import filetype
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from qms.refusals import Refused
from qms import audit
from qms.people import visible_to

# extension → the content types ``filetype`` may report for it (None: checked by our own rule)
ALLOWED = {
    "pdf": {"application/pdf"},
    "png": {"image/png"},
    "jpg": {"image/jpeg"},
    "jpeg": {"image/jpeg"},
    "gif": {"image/gif"},
    "webp": {"image/webp"},
    "docx": None,
    "xlsx": None,
    "pptx": None,
    "doc": None,
    "xls": None,
    "txt": None,
    "csv": None,
}
OFFICE_ZIP_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ACCEPT = ",".join(f".{ext}" for ext in ALLOWED)


def _stored_name(instance, filename):
    ext = os.path.splitext(filename)[1].lower()
    return timezone.localtime().strftime(f"attachments/%Y/%m/{uuid.uuid4().hex}{ext}")


@audit.track()
class Attachment(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("记录类型"))
    object_id = models.PositiveBigIntegerField(_("记录编号"))
    record = GenericForeignKey("content_type", "object_id")
    file = models.FileField(_("文件"), upload_to=_stored_name, max_length=255)
    original_name = models.CharField(_("文件名"), max_length=255)
    mime_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("作废人"))
    void_reason = models.CharField(_("作废原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-uploaded_at"], name="attachment_record")]

    def __str__(self):
        return self.original_name

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class AttachmentRefused(Refused):
    """The upload or void was refused; ``str(error)`` is the translated reason."""


# --- checks ---------------------------------------------------------------------------------------------
def _is_text(head: bytes, *, complete: bool = True) -> bool:
    """UTF-8 or GB18030 text without NUL bytes. ``complete=False``: ``head`` is a sample cut from a longer
    file, so a multi-byte character cut at its end is not a reason to refuse (incremental decoding)."""
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _content_agrees(ext: str, uploaded) -> bool:
    uploaded.seek(0)
    head = uploaded.read(8192)
    uploaded.seek(0)
    expected = ALLOWED[ext]
    if expected is not None:
        kind = filetype.guess(head)
        return kind is not None and kind.mime in expected
    if ext in ("doc", "xls"):
        return head.startswith(OLE2_MAGIC)
    if ext in OFFICE_ZIP_PART:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(uploaded) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return False
        finally:
            uploaded.seek(0)
        return "[Content_Types].xml" in names and any(n.startswith(OFFICE_ZIP_PART[ext]) for n in names)
    return _is_text(head, complete=uploaded.size <= len(head))  # txt, csv


def validate_upload(uploaded) -> str:
    """Refuse a file that is empty, too large, of a type not allowed or whose content is not what its name
    says; returns the lower-case extension."""
    name = uploaded.name or ""
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    if uploaded.size == 0:
        raise AttachmentRefused(gettext("文件是空的：%(name)s") % {"name": name})
    if uploaded.size > settings.ATTACHMENT_MAX_BYTES:
        raise AttachmentRefused(gettext("文件过大：%(name)s 为 %(size)s，上限 %(limit)s。") % {
            "name": name, "size": filesizeformat(uploaded.size), "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)})
    if ext not in ALLOWED:
        raise AttachmentRefused(gettext("不允许的文件类型：%(name)s（允许：%(allowed)s）") % {
            "name": name, "allowed": "、".join(ALLOWED)})
    if not _content_agrees(ext, uploaded):
        raise AttachmentRefused(gettext("文件内容与类型不符：%(name)s 的内容不是 %(ext)s 文件。") % {
            "name": name, "ext": ext.upper()})
    return ext


# --- services -------------------------------------------------------------------------------------------
def _content_type(record):
    return ContentType.objects.get_for_model(record, for_concrete_model=False)


def attach(record, uploaded, *, by, description: str = "") -> Attachment:
    locked = getattr(record, "attachments_locked", None)
    if locked:
        raise AttachmentRefused(str(locked))
    ext = validate_upload(uploaded)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    kind = filetype.guess(uploaded.read(8192))
    uploaded.seek(0)
    mime = kind.mime if kind and ALLOWED[ext] else {"txt": "text/plain", "csv": "text/csv"}.get(
        ext, kind.mime if kind else "application/octet-stream")
    attachment = Attachment(content_type=_content_type(record), object_id=record.pk,
                            original_name=os.path.basename(uploaded.name)[:255], mime_type=mime,
                            size=uploaded.size, sha256=digest.hexdigest(), description=description,
                            uploaded_by=by)
    try:
        with transaction.atomic(), audit.context(user=by, reason=gettext("上传附件")):
            attachment.file.save(uploaded.name, uploaded, save=False)
            attachment.save()
    except Exception:
        # the row was not written: remove the file already stored so that no orphan is left behind
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


def void_attachment(attachment: Attachment, *, by, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise AttachmentRefused(gettext("作废附件须填写原因。"))
    with transaction.atomic(), audit.context(user=by, reason=reason):
        updated = Attachment.objects.filter(pk=attachment.pk, voided_at__isnull=True).update(
            voided_at=timezone.now(), voided_by=by, void_reason=reason)
    if not updated:
        raise AttachmentRefused(gettext("该附件已作废。"))


def attachments_for(record):
    return (Attachment.objects.filter(content_type=_content_type(record), object_id=record.pk)
            .select_related("uploaded_by", "voided_by").order_by(models.F("voided_at").asc(nulls_first=True),
                                                                   "-uploaded_at"))


# --- views ----------------------------------------------------------------------------------------------
class UploadForm(forms.Form):
    file = forms.FileField(label=_("文件"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))
    description = forms.CharField(label=_("说明"), max_length=200, required=False)


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("作废原因"), max_length=200)


def _visible_record(user, content_type: ContentType, object_id):
    model = content_type.model_class()
    if model is None:
        raise Http404
    try:
        record = visible_to(user, model._default_manager.all()).get(pk=object_id)
    except (LookupError, model.DoesNotExist) as error:
        raise Http404 from error
    if not user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}", record):
        raise Http404
    return record


def _back(record) -> HttpResponseRedirect:
    return HttpResponseRedirect(record.get_absolute_url() + "?tab=attachments")


@require_POST
def attachment_upload(request, content_type_id, object_id):
    content_type = get_object_or_404(ContentType, pk=content_type_id)
    record = _visible_record(request.user, content_type, object_id)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(record)
    try:
        attachment = attach(record, form.cleaned_data["file"], by=request.user,
                            description=form.cleaned_data["description"])
    except AttachmentRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, gettext("已上传附件：%(name)s") % {"name": attachment.original_name})
    return _back(record)


def attachment_download(request, pk):
    attachment = get_object_or_404(Attachment.objects.select_related("content_type"), pk=pk)
    _visible_record(request.user, attachment.content_type, attachment.object_id)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.mime_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def attachment_void(request, pk):
    attachment = get_object_or_404(Attachment.objects.select_related("content_type"), pk=pk)
    record = _visible_record(request.user, attachment.content_type, attachment.object_id)
    if not (request.user.is_superuser or attachment.uploaded_by_id == request.user.pk
            or request.user.has_perm(f"{record._meta.app_label}.change_{record._meta.model_name}", record)):
        raise PermissionDenied
    form = VoidForm(request.POST)
    try:
        if not form.is_valid():
            raise AttachmentRefused(gettext("作废附件须填写原因。"))
        void_attachment(attachment, by=request.user, reason=form.cleaned_data["reason"])
    except AttachmentRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, gettext("附件已作废：%(name)s") % {"name": attachment.original_name})
    return _back(record)


def render_attachments_tab(request, record) -> str:
    return render_to_string("qms/includes/attachments.html", {
        "attachments": attachments_for(record),
        "upload_form": UploadForm(),
        "upload_url_args": (_content_type(record).pk, record.pk),
        "max_size": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        "allowed": "、".join(ALLOWED),
        "locked": getattr(record, "attachments_locked", None),
    }, request=request)


urlpatterns = [
    path("<int:content_type_id>/<int:object_id>/upload/", attachment_upload, name="attachment_upload"),
    path("<int:pk>/download/", attachment_download, name="attachment_download"),
    path("<int:pk>/void/", attachment_void, name="attachment_void"),
]
