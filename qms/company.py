"""The company that uses the portal: its name, address, phone, logo and seal, as printed on every PDF header
and on every letter that leaves the company (the complaint reply letter, the adverse-event report, the
advisory notice).

Documents for customers and the authority name the company, never the software: while the name is empty
they print "（公司名称未设置）", and administrators are asked on the home page to fill in the profile.

There is one row (pk 1, created by the migration); ``current(request)`` reads it once per request, so a PDF
costs one query for it at most.
"""
from __future__ import annotations

import base64
import os
import uuid

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit

PROFILE_PK = 1
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
NAME_NOT_SET = _("（公司名称未设置）")


def _image_name(instance, filename):
    # a generated name, never the uploader's; the folder is under MEDIA_ROOT, which the PDF fetcher may read
    ext = os.path.splitext(filename)[1].lower()
    return f"company/{uuid.uuid4().hex}{ext}"


def validate_image(uploaded) -> None:
    """A logo or seal is a PNG or JPEG file (checked on its bytes, and its name must agree) within
    ``QMS_COMPANY_IMAGE_MAX_BYTES``."""
    if getattr(uploaded, "_committed", False):
        return  # the image already stored, checked when it was uploaded: saving the other fields must not reopen it
    name = os.path.basename(getattr(uploaded, "name", "") or "")
    limit = settings.QMS_COMPANY_IMAGE_MAX_BYTES
    if uploaded.size > limit:
        raise ValidationError(gettext("图片过大：%(name)s 为 %(size)s，上限 %(limit)s。") % {
            "name": name, "size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)})
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    position = uploaded.tell() if hasattr(uploaded, "tell") else 0
    uploaded.seek(0)
    kind = filetype.guess(uploaded.read(8192))
    uploaded.seek(position)
    if ext not in IMAGE_TYPES or kind is None or kind.mime != IMAGE_TYPES[ext]:
        raise ValidationError(gettext("只能上传 PNG 或 JPEG 图片：%(name)s 不是。") % {"name": name})


@audit.track()
class CompanyProfile(models.Model):
    """The single row of the company's own details (edited in the admin)."""

    name = models.CharField(_("公司名称"), max_length=100, blank=True,
                            help_text=_("印在每份 PDF 的页眉和对外函件上。"))
    short_name = models.CharField(_("公司简称"), max_length=30, blank=True)
    address = models.CharField(_("公司地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=50, blank=True)
    logo = models.FileField(_("公司标志"), upload_to=_image_name, max_length=255, blank=True,
                            validators=[validate_image], help_text=_("PNG 或 JPEG 图片，印在 PDF 页眉。"))
    seal = models.FileField(_("公章图片"), upload_to=_image_name, max_length=255, blank=True,
                            validators=[validate_image], help_text=_("PNG 或 JPEG 图片（宜为透明底），印在答复函等对外函件的盖章处。"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("公司信息")
        verbose_name_plural = _("公司信息")
        constraints = [models.CheckConstraint(condition=models.Q(pk=PROFILE_PK), name="company_profile_single_row")]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        self.pk = PROFILE_PK
        super().save(*args, **kwargs)

    @property
    def is_set(self) -> bool:
        return bool(self.name.strip())

    @property
    def display_name(self) -> str:
        """What documents print as the company: its name, or the notice that it is not set."""
        return self.name.strip() or str(NAME_NOT_SET)


def image_data_uri(image) -> str:
    """A stored logo or seal as a data: URI ("" when none is stored or the file is gone)."""
    if not image:
        return ""
    ext = os.path.splitext(image.name)[1].lower().lstrip(".")
    try:
        with image.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError):
        return ""
    return f"data:{IMAGE_TYPES.get(ext, 'application/octet-stream')};base64,{base64.b64encode(data).decode()}"


def load() -> CompanyProfile:
    """The profile row, fresh from the database (created when a database was set up without the migration's row)."""
    profile, _created = CompanyProfile.objects.get_or_create(pk=PROFILE_PK)
    return profile


def current(request=None) -> CompanyProfile:
    """The profile, read once per request (a PDF view and the render it calls share it)."""
    if request is None:
        return load()
    cached = getattr(request, "_qms_company", None)
    if cached is None:
        cached = request._qms_company = load()
    return cached
