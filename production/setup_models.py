"""Process control records of production (seed 003 §5.2.3, §5.2.7, §5.2.8): the setup verification
《作业准备验证表》 (JR/QP7-8-04) an operation needs before it may start, the two-monthly process discipline check
《工艺纪律检查表》 of each production line, and the engineering specification change 《工程规范更改》 reviewed and
issued within 5 working days. Imported by ``production.models``; rules live in ``production/services``."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms import audit


class SetupTrigger(models.TextChoices):
    """Why a setup verification is needed (seed 003 §5.2.7 1) a–e)."""
    FIRST_RUN = "first_run", _("首次生产")
    JOB_CHANGE = "job_change", _("作业更改")
    MATERIAL_CHANGE = "material_change", _("材料变更")
    RESTART = "restart", _("长期停产后恢复生产")
    DIE_CHANGE = "die_change", _("模具更换")
    DOUBTFUL = "doubtful", _("检验难以判断")


class SetupMethod(models.TextChoices):
    """How the setup is verified (seed 003 §5.2.7 2))."""
    SEALED_SAMPLE = "sealed_sample", _("与封样件对比")
    LAST_PIECE = "last_piece", _("末件比较")
    FIRST_PIECE = "first_piece", _("首件封样")
    STATISTICAL = "statistical", _("统计方法")


class SetupStatus(models.TextChoices):
    REQUESTED = "requested", _("待验证")
    PASSED = "passed", _("验证通过")
    FAILED = "failed", _("验证不通过")


@audit.track()
class SetupVerification(models.Model):
    """《作业准备验证表》: the operation of a lot may not start until a verification of it has passed."""

    number = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    status = models.CharField(_("状态"), max_length=20, choices=SetupStatus.choices, default=SetupStatus.REQUESTED)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    operation = models.ForeignKey("production.LotOperation", on_delete=models.PROTECT,
                                  related_name="setup_verifications", verbose_name=_("工序"))
    # the job (process card and operation number) and the line, copied when requested: what later operations
    # compare with to find a first run, a job change or a restart
    process_card = models.ForeignKey("production.ProcessCard", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("工艺卡"))
    sequence = models.PositiveSmallIntegerField(_("工序号"))
    work_centre = models.CharField(_("工作中心"), max_length=100, blank=True)
    trigger = models.CharField(_("验证原因"), max_length=20, choices=SetupTrigger.choices)
    note = models.TextField(_("情况说明"), blank=True)
    method = models.CharField(_("验证方法"), max_length=20, choices=SetupMethod.choices, blank=True)
    first_piece_result = models.TextField(_("首件比较结果"), blank=True)
    last_piece_result = models.TextField(_("末件比较结果"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("验证人"))
    verified_at = models.DateTimeField(_("验证时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("作业准备验证")
        verbose_name_plural = _("作业准备验证")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "-requested_at"], name="production_setup_status"),
                   models.Index(fields=["process_card", "sequence", "status", "-verified_at"],
                                name="production_setup_job"),
                   models.Index(fields=["work_centre", "status", "-verified_at"], name="production_setup_centre")]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("production:setup_detail", args=[self.pk])


class DisciplineConclusion(models.TextChoices):
    COMPLIANT = "compliant", _("符合")
    MINOR = "minor", _("轻微不符合，已现场纠正")
    NONCOMPLIANT = "noncompliant", _("不符合，需整改")


class DisciplineStatus(models.TextChoices):
    DUE = "due", _("待检查")
    DONE = "done", _("已检查")


@audit.track()
class DisciplineCheck(models.Model):
    """《工艺纪律检查表》: every two months per production line (seed 003 §5.2.3 1)), by engineering and quality."""

    number = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    status = models.CharField(_("状态"), max_length=20, choices=DisciplineStatus.choices,
                              default=DisciplineStatus.DUE)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    work_centre = models.CharField(_("生产线"), max_length=100)
    period_start = models.DateField(_("检查周期开始"))
    period_end = models.DateField(_("检查周期结束"))
    findings = models.TextField(_("检查发现"), blank=True)
    conclusion = models.CharField(_("检查结论"), max_length=20, choices=DisciplineConclusion.choices, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("检查人"))
    checked_at = models.DateTimeField(_("检查时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("工艺纪律检查")
        verbose_name_plural = _("工艺纪律检查")
        ordering = ["-period_start", "work_centre"]
        constraints = [models.UniqueConstraint(fields=["work_centre", "period_start"],
                                               name="production_discipline_one_per_period")]
        indexes = [models.Index(fields=["status", "-period_start"], name="production_discipline_status")]

    def __str__(self):
        return f"{self.number} {self.work_centre}"

    def get_absolute_url(self):
        return reverse("production:discipline_detail", args=[self.pk])


class SpecChangeStatus(models.TextChoices):
    REQUESTED = "requested", _("待评审")
    ISSUED = "issued", _("已发放")
    REJECTED = "rejected", _("不予更改")


@audit.track()
class SpecChange(models.Model):
    """《工程规范更改》: reviewed by engineering and issued within 5 working days of the request, with the date it
    takes effect in production (seed 003 §5.2.8)."""

    number = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    status = models.CharField(_("状态"), max_length=20, choices=SpecChangeStatus.choices,
                              default=SpecChangeStatus.REQUESTED)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    title = models.CharField(_("更改标题"), max_length=200)
    process_card = models.ForeignKey("production.ProcessCard", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="spec_changes", verbose_name=_("工艺卡"))
    description = models.TextField(_("更改内容"))
    reason = models.TextField(_("更改原因"))
    review_note = models.TextField(_("评审意见"), blank=True)
    effective_date = models.DateField(_("实施日期"), null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)

    class Meta:
        verbose_name = _("工程规范更改")
        verbose_name_plural = _("工程规范更改")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "-requested_at"], name="production_specchange_status")]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("production:specchange_detail", args=[self.pk])
