from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qms import audit
from qms.links import detail_url


class CapaKind(models.TextChoices):
    CORRECTIVE = "corrective", _("纠正措施")
    PREVENTIVE = "preventive", _("预防措施")


class CapaSource(models.TextChoices):
    COMPLAINT = "complaint", _("客户投诉")
    MANAGEMENT_REVIEW = "management_review", _("管理评审")
    NONCONFORMING = "nonconforming", _("不合格品")
    AUDIT = "audit", pgettext_lazy("CAPA source", "审核")  # an internal or external audit
    CHANGE = "change", _("变更")
    OTHER = "other", _("其他")


class CapaStatus(models.TextChoices):
    RAISED = "raised", _("待制定计划")
    PLAN_SUBMITTED = "plan_submitted", _("待批准")
    APPROVED = "approved", _("实施中")
    IMPLEMENTED = "implemented", _("待验证")
    CLOSED = "closed", _("已关闭")
    VOIDED = "voided", _("已作废")


@audit.track()
class Capa(models.Model):
    number = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    kind = models.CharField(_("类别"), max_length=20, choices=CapaKind.choices, default=CapaKind.CORRECTIVE)
    source = models.CharField(_("来源"), max_length=30, choices=CapaSource.choices)
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT,
                                    verbose_name=_("来源记录类型"))
    source_id = models.PositiveBigIntegerField(_("来源记录"), null=True, blank=True)
    source_record = GenericForeignKey("source_type", "source_id")
    source_reference = models.CharField(_("来源单号"), max_length=100, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    nonconformity = models.TextField(_("不合格/问题描述"))
    responsible_department = models.ForeignKey("qms.Department", on_delete=models.PROTECT,
                                               verbose_name=_("责任部门"), related_name="capas")
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("责任人"),
                                    related_name="responsible_capas")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("提出人"),
                                  related_name="raised_capas")
    raised_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    cause_analysis = models.TextField(_("原因分析"), blank=True)
    plan = models.TextField(_("措施计划"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     verbose_name=_("计划提交人"), related_name="submitted_capas")
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    status = models.CharField(_("状态"), max_length=20, choices=CapaStatus.choices, default=CapaStatus.RAISED)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # What an approval signature binds (a later edit of these voids it).
    SIGNED_FIELDS = ("number", "kind", "source", "title", "nonconformity", "responsible_department_id",
                     "responsible_id", "cause_analysis", "plan", "round")

    class Meta:
        verbose_name = _("纠正和预防措施")
        verbose_name_plural = _("纠正和预防措施")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-raised_at"], name="capa_status"),
            models.Index(fields=["source", "-raised_at"], name="capa_source"),
            models.Index(fields=["responsible_department", "-raised_at"], name="capa_department"),
            models.Index(fields=["responsible", "-raised_at"], name="capa_responsible"),
            models.Index(fields=["source_type", "source_id"], name="capa_source_record"),
            models.Index(fields=["-raised_at"], name="capa_raised"),
        ]
        permissions = [("raise_capa", _("可提出纠正和预防措施"))]

    def __str__(self):
        return f"{self.number} {self.title}"

    get_absolute_url = detail_url("qms:capa_detail")

    @property
    def is_open(self) -> bool:
        return self.status not in (CapaStatus.CLOSED, CapaStatus.VOIDED)

    @property
    def attachments_locked(self) -> str | None:
        """qms.attachments' per-record hook: why no file may be added now (a closed or voided CAPA is final)."""
        if self.is_open:
            return None
        return gettext("该记录状态为“%(status)s”，不能再上传附件。") % {"status": self.get_status_display()}


@audit.track()
class CapaRound(models.Model):
    """A finished round's cause analysis and plan, as they were when the round ended (found not effective): the
    next round is planned afresh on the CAPA, and the signatures of this round stay bound to this content."""

    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("纠正和预防措施"))
    number = models.PositiveSmallIntegerField(_("轮次"))
    cause_analysis = models.TextField(_("原因分析"), blank=True)
    plan = models.TextField(_("措施计划"), blank=True)
    ended_at = models.DateTimeField(_("结束时间"), default=timezone.now)

    class Meta:
        verbose_name = _("以往轮次")
        verbose_name_plural = _("以往轮次")
        ordering = ["capa", "number"]
        constraints = [models.UniqueConstraint(fields=["capa", "number"], name="capa_round_once")]

    def __str__(self):
        return f"{self.capa.number} #{self.number}"


@audit.track()
class CapaAction(models.Model):
    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="actions", verbose_name=_("纠正和预防措施"))
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    description = models.TextField(_("措施内容"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("执行人"),
                              related_name="capa_actions")
    due_date = models.DateField(_("完成期限"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    result = models.TextField(_("完成情况"), blank=True)

    class Meta:
        verbose_name = _("措施")
        verbose_name_plural = _("措施")
        ordering = ["round", "due_date", "id"]
        indexes = [models.Index(fields=["capa", "round"], name="capa_action_round"),
                   models.Index(fields=["owner", "done_at"], name="capa_action_owner")]

    def __str__(self):
        return self.description[:50]

    def get_absolute_url(self):
        return self.capa.get_absolute_url() + "?tab=actions"


@audit.track()
class CapaVerification(models.Model):
    class Result(models.TextChoices):
        EFFECTIVE = "effective", _("有效")
        NOT_EFFECTIVE = "not_effective", _("无效")

    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="verifications",
                             verbose_name=_("纠正和预防措施"))
    round = models.PositiveSmallIntegerField(_("轮次"))
    result = models.CharField(_("验证结论"), max_length=20, choices=Result.choices)
    comment = models.TextField(_("验证说明"))
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("验证人"))
    verified_at = models.DateTimeField(_("验证时间"), default=timezone.now)

    class Meta:
        verbose_name = _("有效性验证")
        verbose_name_plural = _("有效性验证")
        ordering = ["round", "verified_at"]
        constraints = [models.UniqueConstraint(fields=["capa", "round"], name="capa_one_verification_per_round")]

    def __str__(self):
        return f"{self.capa.number} #{self.round} {self.get_result_display()}"
