"""Records of the service to customers that production's procedure keeps (seed 003 §5.2.11, 《产品生产和服务管理程序》
6.5 and 6.6): the field service record 《现场服务处理记录单》 — filled on site by whoever went and signed by the
customer, then filed with marketing — and the customer opinion form 《顾客意见处理表》 — filled by marketing when a
customer rejects product or finds a problem afterwards, answered by quality with the cause and the measures, closed
once the customer is satisfied. Each links back to the complaint it serves (PROCEDURES.md §6, §3).

Business rules live in ``production.services.service_records``."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms import audit


class FieldServiceStatus(models.TextChoices):
    OPEN = "open", _("待顾客确认")
    CONFIRMED = "confirmed", _("顾客已签字确认")
    FILED = "filed", _("营销部已归档")


@audit.track()
class FieldServiceRecord(models.Model):
    """《现场服务处理记录单》: who went where for which complaint, what was found and done, the customer's
    signature that the service met the requirement."""

    number = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="field_services", verbose_name=_("关联投诉"))
    customer_name = models.CharField(_("客户名称"), max_length=100)
    site = models.CharField(_("服务地点"), max_length=200)
    product = models.CharField(_("产品"), max_length=100, blank=True)
    batch = models.CharField(_("批号"), max_length=60, blank=True)
    arrived_at = models.DateTimeField(_("到达现场时间"), default=timezone.now)
    engineer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("服务人员"))
    problem = models.TextField(_("现场问题"))
    work_done = models.TextField(_("处理情况"))
    status = models.CharField(_("状态"), max_length=20, choices=FieldServiceStatus.choices,
                              default=FieldServiceStatus.OPEN)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    customer_signatory = models.CharField(_("顾客签字人"), max_length=50, blank=True)
    customer_comment = models.TextField(_("顾客意见"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("填写人"))
    created_at = models.DateTimeField(_("填写时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("现场服务处理记录单")
        verbose_name_plural = _("现场服务处理记录单")
        ordering = ["-arrived_at", "-id"]
        indexes = [models.Index(fields=["status", "-arrived_at"], name="production_fsr_status"),
                   models.Index(Upper("batch"), name="production_fsr_batch")]

    def __str__(self):
        return f"{self.number} {self.customer_name}"

    def get_absolute_url(self):
        return reverse("production:field_service_detail", args=[self.pk])


class OpinionKind(models.TextChoices):
    REJECTED = "rejected", _("顾客拒收")
    AFTER_ACCEPTANCE = "after_acceptance", _("验收后发现质量问题")


class OpinionStatus(models.TextChoices):
    REGISTERED = "registered", _("待品保部处理")
    ANSWERED = "answered", _("已答复顾客")
    CLOSED = "closed", _("已关闭")


@audit.track()
class CustomerOpinion(models.Model):
    """《顾客意见处理表》: the customer's opinion and rectification request as marketing took it down; quality's
    cause analysis, measures and answer; closed by marketing when the customer is satisfied."""

    number = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="customer_opinions", verbose_name=_("关联投诉"))
    customer_name = models.CharField(_("客户名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=20, choices=OpinionKind.choices)
    product = models.CharField(_("产品"), max_length=100, blank=True)
    batch = models.CharField(_("批号"), max_length=60, blank=True)
    opinion = models.TextField(_("顾客意见"))
    rectification_request = models.TextField(_("顾客整改要求"), blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=OpinionStatus.choices,
                              default=OpinionStatus.REGISTERED)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    cause = models.TextField(_("原因分析"), blank=True)
    measures = models.TextField(_("整改意见和措施"), blank=True)
    reply = models.TextField(_("答复顾客"), blank=True)
    outcome = models.TextField(_("顾客满意情况"), blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("登记人"))
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("顾客意见处理表")
        verbose_name_plural = _("顾客意见处理表")
        ordering = ["-registered_at", "-id"]
        indexes = [models.Index(fields=["status", "-registered_at"], name="production_opinion_status"),
                   models.Index(Upper("batch"), name="production_opinion_batch")]

    def __str__(self):
        return f"{self.number} {self.customer_name}"

    def get_absolute_url(self):
        return reverse("production:opinion_detail", args=[self.pk])
