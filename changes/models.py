"""Change control (PROCEDURES.md §7, seed 000 第五篇 管理变更控制程序, seed 003 工程规范更改): the change request
with its kind and process class, the evidence each class requires, the risk assessment, the implementation tasks
per affected department with their slips, the customer notifications and the notices people acknowledge. Business
rules live in ``changes/services``."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms import audit


class Kind(models.TextChoices):
    ORGANISATION = "organisation", _("组织机构变更")
    KEY_PERSONNEL = "key_personnel", _("关键人员变更")
    KEY_SUPPLIER = "key_supplier", _("关键供应商变更")
    SYSTEM_DOCUMENT = "system_document", _("管理体系文件变更")
    PROCESS = "process", _("过程变更")
    CONTRACT = "contract", _("合同变更")


class ProcessClass(models.TextChoices):
    I = "I", _("I 类（微小变更）")
    II = "II", _("II 类（中度变更）")
    III = "III", _("III 类（重大变更）")


CLASS_RANK = {ProcessClass.I: 1, ProcessClass.II: 2, ProcessClass.III: 3}


class EvidenceKind(models.TextChoices):
    FEASIBILITY = "feasibility", _("可行性报告")
    NO_EFFECT_STUDY = "no_effect_study", _("无影响研究报告")
    FULL_STUDY = "full_study", _("全面研究报告")
    TRIAL_BATCH = "trial_batch", _("小批量试生产记录")
    STABILITY = "stability", _("稳定性数据")
    ONSITE_CHECK = "onsite_check", _("现场检查记录")
    RAW_DATA_REVIEW = "raw_data_review", _("原始数据审查记录")
    PROCESS_VALIDATION = "process_validation", _("设备部过程确认及样品证据")
    HR_RISK = "hr_risk", _("人力资源风险评估")
    QUALIFICATION = "qualification", _("任职资格核查记录")
    SUPPLIER_EVALUATION = "supplier_evaluation", _("新供应商评价记录")
    OTHER = "other", _("其他")


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    RISK = "risk", _("风险评估")
    EVALUATION = "evaluation", _("评估小组评审")
    AWAITING_APPROVAL = "awaiting_approval", _("待批准")
    IMPLEMENTING = "implementing", _("实施中")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("待跟踪确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已取消")


OPEN_STATUSES = (ChangeStatus.DRAFT, ChangeStatus.RISK, ChangeStatus.EVALUATION, ChangeStatus.AWAITING_APPROVAL,
                 ChangeStatus.IMPLEMENTING, ChangeStatus.AWAITING_CONFIRMATION)


@audit.track()
class ChangeRequest(models.Model):
    """《变更申请及评估表》: one change, from the request to the MR's tracking confirmation."""

    number = models.CharField(_("变更编号"), max_length=30, unique=True, editable=False)
    title = models.CharField(_("变更名称"), max_length=200)
    kind = models.CharField(_("变更类别"), max_length=20, choices=Kind.choices)
    process_class = models.CharField(_("过程变更等级"), max_length=3, choices=ProcessClass.choices, blank=True)
    contract_change = models.ForeignKey("customers.ContractChange", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="change_requests", verbose_name=_("合同变更单"))
    requesting_department = models.ForeignKey("qms.Department", on_delete=models.PROTECT, related_name="+",
                                              verbose_name=_("申请部门"))
    plan = models.TextField(_("变更方案"))
    basis = models.TextField(_("变更依据"))
    affected_departments = models.ManyToManyField("qms.Department", related_name="change_requests", blank=True,
                                                  verbose_name=_("受影响部门"))
    process_cards = models.ManyToManyField("production.ProcessCard", related_name="change_requests", blank=True,
                                           verbose_name=_("受影响产品（工艺卡）"))
    customers = models.ManyToManyField("customers.Customer", related_name="change_requests", blank=True,
                                       verbose_name=_("受影响客户"))
    wanted_effective_date = models.DateField(_("期望生效日期"))
    status = models.CharField(_("状态"), max_length=30, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("申请人"))
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    # the MR's evaluation-team meeting (变更评估小组会议)
    meeting_date = models.DateField(_("评估会议日期"), null=True, blank=True)
    meeting_attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True,
                                               verbose_name=_("参会人员"))
    meeting_minutes = models.TextField(_("会议纪要"), blank=True)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True, editable=False)
    coordinator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("变更协调人"))
    execution_report = models.TextField(_("变更执行报告"), blank=True)
    effective_date = models.DateField(_("生效日期"), null=True, blank=True)
    effective_announced_at = models.DateTimeField(_("生效日期公告时间"), null=True, blank=True, editable=False)
    spec_number = models.CharField(_("工程规范更改单号"), max_length=50, blank=True)
    spec_issued_at = models.DateTimeField(_("工程规范更改发布时间"), null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(_("跟踪确认时间"), null=True, blank=True, editable=False)

    # what an approval signature binds: the change as requested and evaluated (later steps fill other fields)
    SIGNED_FIELDS = ("number", "title", "kind", "process_class", "contract_change_id", "requesting_department_id",
                     "plan", "basis", "wanted_effective_date", "created_by_id")

    class Meta:
        verbose_name = _("变更申请")
        verbose_name_plural = _("变更登记台账")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="change_status_created"),
                   models.Index(fields=["kind", "status"], name="change_kind_status"),
                   models.Index(fields=["-created_at"], name="change_created")]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="process") | ~Q(process_class=""), name="change_process_class"),
            models.CheckConstraint(condition=~Q(kind="contract") | Q(contract_change__isnull=False),
                                   name="change_contract_link"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("changes:detail", args=[self.pk])


@audit.track()
class ChangeEvidence(models.Model):
    """An attachment of the change declared as one kind of evidence (the class decides which are required)."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="evidence",
                               verbose_name=_("变更"))
    kind = models.CharField(_("证据类型"), max_length=30, choices=EvidenceKind.choices)
    attachment = models.OneToOneField("qms.Attachment", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("附件"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("上传人"))
    added_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("变更证据")
        verbose_name_plural = _("变更证据")
        ordering = ["kind", "added_at"]
        indexes = [models.Index(fields=["change", "kind"], name="change_evidence_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.attachment}"


@audit.track()
class ClassChange(models.Model):
    """A change of the process class during evaluation: raising is free, lowering needs the MR's signed reason."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="class_changes",
                               verbose_name=_("变更"))
    from_class = models.CharField(_("原等级"), max_length=3, choices=ProcessClass.choices)
    to_class = models.CharField(_("新等级"), max_length=3, choices=ProcessClass.choices)
    reason = models.TextField(_("理由"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    signature = models.OneToOneField("qms.Signature", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("签名"))

    class Meta:
        verbose_name = _("变更等级调整")
        verbose_name_plural = _("变更等级调整")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_class} → {self.to_class}"


@audit.track()
class ChangeRisk(models.Model):
    """One identified risk of the change: severity × likelihood before and after its control."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="risks", verbose_name=_("变更"))
    description = models.TextField(_("风险描述"))
    severity = models.PositiveSmallIntegerField(_("严重度"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    likelihood = models.PositiveSmallIntegerField(_("可能性"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    control = models.TextField(_("控制措施"))
    residual_severity = models.PositiveSmallIntegerField(_("剩余严重度"),
                                                         validators=[MinValueValidator(1), MaxValueValidator(5)])
    residual_likelihood = models.PositiveSmallIntegerField(_("剩余可能性"),
                                                           validators=[MinValueValidator(1), MaxValueValidator(5)])
    is_new = models.BooleanField(_("新产生的风险"), default=False)
    concerned_department = models.ForeignKey("qms.Department", on_delete=models.PROTECT, related_name="+",
                                             verbose_name=_("相关部门"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("评估人"))
    added_at = models.DateTimeField(_("评估时间"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("变更风险")
        verbose_name_plural = _("变更风险评估")
        ordering = ["added_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=5, likelihood__gte=1, likelihood__lte=5,
                                               residual_severity__gte=1, residual_severity__lte=5,
                                               residual_likelihood__gte=1, residual_likelihood__lte=5),
                                   name="change_risk_scale")]

    def __str__(self):
        return self.description[:50]

    @property
    def score(self) -> int:
        return self.severity * self.likelihood

    @property
    def residual_score(self) -> int:
        return self.residual_severity * self.residual_likelihood


class NoticeKind(models.TextChoices):
    RISK = "risk", _("剩余/新风险告知")
    EFFECTIVE = "effective", _("生效日期公告")


@audit.track()
class ChangeNotice(models.Model):
    """A notice of the change to one person concerned, acknowledged by that person."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="notices",
                               verbose_name=_("变更"))
    kind = models.CharField(_("通知类型"), max_length=20, choices=NoticeKind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("接收人"))
    text = models.TextField(_("通知内容"))
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("确认收到时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("变更通知")
        verbose_name_plural = _("变更通知")
        ordering = ["kind", "sent_at", "pk"]
        indexes = [models.Index(fields=["recipient", "acknowledged_at"], name="change_notice_recipient")]
        constraints = [models.UniqueConstraint(fields=["change", "kind", "recipient"], name="change_notice_once")]

    def __str__(self):
        return f"{self.change.number} · {self.get_kind_display()} · {self.recipient}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")


@audit.track()
class ChangeTask(models.Model):
    """One affected department's implementation task, with its working-day deadline (the deadline row)."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("变更"))
    department = models.ForeignKey("qms.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("责任部门"))
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("责任人"))
    description = models.TextField(_("任务内容"))
    working_days = models.PositiveSmallIntegerField(_("完成期限（工作日）"), validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(_("下达时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    result = models.TextField(_("完成情况"), blank=True)

    class Meta:
        verbose_name = _("变更实施任务")
        verbose_name_plural = _("变更实施任务")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["change", "status"], name="change_task_status")]

    def __str__(self):
        return f"{self.change.number} · {self.department}"

    def get_absolute_url(self):
        return f"{reverse('changes:detail', args=[self.change_id])}?tab=implementation"


@audit.track()
class TaskSlip(models.Model):
    """The written report of a slipping task: the reason and the new date (kept; the deadline is re-dated)."""

    task = models.ForeignKey(ChangeTask, on_delete=models.PROTECT, related_name="slips", verbose_name=_("任务"))
    reason = models.TextField(_("延期原因"))
    new_date = models.DateField(_("新的完成日期"))
    previous_due_at = models.DateTimeField(_("原到期时间"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("报告人"))
    reported_at = models.DateTimeField(_("报告时间"), default=timezone.now)

    class Meta:
        verbose_name = _("延期报告")
        verbose_name_plural = _("延期报告")
        ordering = ["reported_at", "pk"]

    def __str__(self):
        return f"{self.task} → {self.new_date}"


@audit.track()
class CustomerNotification(models.Model):
    """The notification of the change to a customer whose special requirement asks for it, and, where that
    requirement asks for it, the customer's approval."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="customer_notifications",
                               verbose_name=_("变更"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("客户"))
    notified_at = models.DateTimeField(_("通知时间"))
    means = models.CharField(_("通知方式"), max_length=100)
    approval_required = models.BooleanField(_("需顾客批准"), default=False)
    approved_at = models.DateTimeField(_("顾客批准时间"), null=True, blank=True)
    approved_by_name = models.CharField(_("顾客批准人"), max_length=50, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("登记人"))
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("顾客变更通知")
        verbose_name_plural = _("顾客变更通知")
        ordering = ["notified_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["change", "customer"], name="change_customer_notified_once")]

    def __str__(self):
        return f"{self.change.number} · {self.customer}"
