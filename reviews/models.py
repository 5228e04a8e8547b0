"""The management review (管理评审控制程序, seed 000 第四篇, QM/EM-PD-05; PROCEDURES.md §5): the review with its plan
《管理评审实施计划》 and the departments' input reports. Business rules are in ``reviews.services``."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms import audit


class ReviewKind(models.TextChoices):
    SCHEDULED = "scheduled", _("定期评审")  # 5.1.1 at least once a year
    EXTRA = "extra", _("追加评审")  # 5.1.2 called by the GM


class Trigger(models.TextChoices):
    """5.1.2.1–5.1.2.9: when the GM may call an extra review."""

    MARKET = "market", _("市场需求发生重大变化")
    ORGANISATION = "organisation", _("公司组织机构发生重大变化")
    RESOURCES = "resources", _("资源发生重大变化")
    ACCIDENT = "accident", _("发生重大质量/环境事故，造成重大损失")
    CERTIFICATION = "certification", _("认证机构提出要求")
    POLICY = "policy", _("社会环境发生重大变化（政治、经济方针政策重大调整）")
    SCALE = "scale", _("公司规模、产品品种、生产工艺出现重大调整")
    COMPLAINT = "complaint", _("相关方出现重大投诉")
    LAW = "law", _("适用的法律、法规、标准及其他要求发生变更")


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("计划草拟中")
    AWAITING_APPROVAL = "awaiting_approval", _("计划待批准")
    ISSUED = "issued", _("计划已下达")
    PACK_DISTRIBUTED = "pack_distributed", _("资料已分发")
    MEETING_HELD = "meeting_held", _("会议已召开")
    REPORT_REVIEWED = "report_reviewed", _("报告已审核")
    REPORT_APPROVED = "report_approved", _("报告已批准")
    OUTPUTS_RAISED = "outputs_raised", _("改进措施已下发")
    CANCELLED = "cancelled", _("已取消")


@audit.track()
class Review(models.Model):
    """One management review and its plan 《管理评审实施计划》 (5.2.2: purpose, scope, basis, participants and
    organisers, time and place, content)."""

    number = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    kind = models.CharField(_("评审类别"), max_length=20, choices=ReviewKind.choices, default=ReviewKind.SCHEDULED)
    trigger = models.CharField(_("追加评审的原因"), max_length=20, choices=Trigger.choices, blank=True)
    trigger_note = models.TextField(_("原因说明"), blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("标题"), max_length=100)
    purpose = models.TextField(_("评审目的"))
    scope = models.TextField(_("评审范围"))
    basis = models.TextField(_("评审依据"))
    participants = models.TextField(_("评审人员"))
    organisers = models.TextField(_("组织人员"))
    meeting_at = models.DateTimeField(_("评审时间"))
    place = models.CharField(_("评审地点"), max_length=100)
    content = models.TextField(_("评审内容"))
    period_start = models.DateField(_("评审期间自"))
    period_end = models.DateField(_("评审期间至"))
    status = models.CharField(_("状态"), max_length=30, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("提出追加评审"))
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("编制人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    issued_at = models.DateTimeField(_("下达时间"), null=True, blank=True)
    pack_distributed_at = models.DateTimeField(_("资料分发时间"), null=True, blank=True)
    # the input pack as distributed (5.2.1 三天前分发): the figures and charts of every input, frozen
    pack = models.JSONField(_("评审输入数据包"), default=list, blank=True)
    # 5.5 the meeting: the GM's conclusion; 《会议记录》 is kept by document control
    minutes_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("记录人"))
    conclusion = models.TextField(_("总经理评价结论"), blank=True)
    # 5.6.2.6 评审结果 of 《管理评审报告》
    result_system = models.TextField(_("a) 管理体系及其过程有效性的改进"), blank=True)
    result_product = models.TextField(_("b) 与顾客要求有关的产品的改进"), blank=True)
    result_resources = models.TextField(_("c) 资源需求"), blank=True)
    result_market = models.TextField(_("d) 市场环境和社会环境状况"), blank=True)
    report_approved_at = models.DateTimeField(_("报告批准时间"), null=True, blank=True)

    # What a signature binds: round 1 the plan (the GM's approval), round 2 from the meeting on the plan with the
    # meeting's conclusion and the report's results (the MR's review and the GM's approval of the report).
    PLAN_FIELDS = ("number", "kind", "trigger", "year", "title", "purpose", "scope", "basis", "participants",
                   "organisers", "meeting_at", "place", "content", "period_start", "period_end")
    REPORT_FIELDS = (*PLAN_FIELDS, "conclusion", "result_system", "result_product", "result_resources",
                     "result_market")
    PLAN_STATES = ("draft", "awaiting_approval", "issued", "pack_distributed")

    @property
    def signature_round(self) -> int:
        return 1 if self.status in self.PLAN_STATES else 2

    @property
    def SIGNED_FIELDS(self):  # noqa: N802  (the name qms.signatures reads)
        return self.PLAN_FIELDS if self.signature_round == 1 else self.REPORT_FIELDS

    class Meta:
        verbose_name = _("管理评审")
        verbose_name_plural = _("管理评审")
        ordering = ["-meeting_at", "-id"]
        indexes = [models.Index(fields=["status", "-meeting_at"], name="review_status"),
                   models.Index(fields=["year", "kind"], name="review_year")]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="extra") | ~Q(trigger=""), name="review_extra_has_trigger"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="review_period"),
            models.UniqueConstraint(fields=["year"], condition=Q(kind="scheduled") & ~Q(status="cancelled"),
                                    name="review_one_scheduled_per_year"),
        ]
        permissions = [("plan_review", "Can draft a management review plan"),
                       ("call_review", "Can call an extra management review")]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("reviews:detail", args=[self.pk])


class InputItem(models.TextChoices):
    """5.3 评审内容和资料准备: the inputs, each reported by its responsible function."""

    INTERNAL_AUDIT = "internal_audit", _("内审结果")
    MANUAL = "manual", _("管理手册主要更改、补充和改进")
    CAPA = "capa", _("纠正、预防措施的实施状况及未完成的工作")
    CONFORMITY = "conformity", _("体系与标准的符合性及法规符合性")
    PLANNING = "planning", _("上次质量策划的结果")
    PROCESS_QUALITY = "process_quality", _("工序质量、产品质量及过程绩效")
    POLICY = "policy", _("方针、目标的适宜性及顾客的需求与期望")
    FEEDBACK = "feedback", _("客户反馈的重大问题及相关方投诉")
    RESOURCES = "resources", _("组织机构、人员和资源的适宜性")
    EQUIPMENT = "equipment", _("设备技术状况")
    TOOLING = "tooling", _("工装技术状况")
    PRODUCTION = "production", _("生产制造工作报告")
    SUITABILITY = "suitability", _("体系的持续适应性")
    FOLLOW_UP = "follow_up", _("上次评审内容追踪")
    EXTERNAL_AUDIT = "external_audit", _("外审结论存在的问题")
    TRAINING = "training", _("员工培训状况")


class InputStatus(models.TextChoices):
    PENDING = "pending", _("待提交")
    SUBMITTED = "submitted", _("已提交")


@audit.track()
class InputReport(models.Model):
    """A department's input report for one input item, written in the portal; the pack's figures of the item's
    inputs are shown beside it."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="input_reports",
                               verbose_name=_("管理评审"))
    item = models.CharField(_("评审输入"), max_length=30, choices=InputItem.choices)
    role = models.CharField(_("负责岗位"), max_length=30)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("负责人"))
    text = models.TextField(_("输入报告"), blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=InputStatus.choices, default=InputStatus.PENDING)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    meeting_note = models.TextField(_("会议讨论记录"), blank=True)

    class Meta:
        verbose_name = _("评审输入报告")
        verbose_name_plural = _("评审输入报告")
        ordering = ["review", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "item"], name="review_input_once")]
        indexes = [models.Index(fields=["responsible", "status"], name="review_input_responsible")]

    def __str__(self):
        return f"{self.review.number} · {self.get_item_display()}"

    def get_absolute_url(self):
        return reverse("reviews:input_detail", args=[self.pk])


@audit.track()
class Attendance(models.Model):
    """Who was at the meeting, who sent apologies (《会议记录》)."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="attendance", verbose_name=_("管理评审"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("人员"))
    present = models.BooleanField(_("出席"), default=True)
    note = models.CharField(_("备注"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("出席情况")
        verbose_name_plural = _("出席情况")
        ordering = ["review", "-present", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "person"], name="review_attendance_once")]

    def __str__(self):
        return f"{self.person} · {_('出席') if self.present else _('请假')}"


class ResultSection(models.TextChoices):
    SYSTEM = "system", _("a) 管理体系及其过程有效性的改进")
    PRODUCT = "product", _("b) 与顾客要求有关的产品的改进")
    RESOURCES = "resources", _("c) 资源需求")
    MARKET = "market", _("d) 市场环境和社会环境状况")


@audit.track()
class ReviewOutput(models.Model):
    """An improvement the review decided (5.5.4.2–5.5.4.4), raised within 2 days of the report as a CAPA
    《不合格/纠正/预防措施报告》 to its department (5.7)."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="outputs", verbose_name=_("管理评审"))
    section = models.CharField(_("评审结果"), max_length=20, choices=ResultSection.choices)
    title = models.CharField(_("改进要求"), max_length=200)
    description = models.TextField(_("改进要求、纠正与验证方法"))
    department = models.ForeignKey("qms.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("责任部门"))
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("责任人"))
    capa = models.OneToOneField("qms.Capa", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("纠正和预防措施"))

    class Meta:
        verbose_name = _("评审输出")
        verbose_name_plural = _("评审输出")
        ordering = ["review", "section", "id"]

    def __str__(self):
        return self.title


@audit.track()
class Acknowledgement(models.Model):
    """《管理评审报告》 distributed to a department (5.6.1 复制发至各参加评审部门): its manager acknowledges."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="acknowledgements",
                               verbose_name=_("管理评审"))
    department = models.ForeignKey("qms.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("部门"))
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("签收人"))
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报告签收")
        verbose_name_plural = _("报告签收")
        ordering = ["review", "department__code"]
        constraints = [models.UniqueConstraint(fields=["review", "department"], name="review_ack_once")]

    def __str__(self):
        return f"{self.review.number} · {self.department}"
