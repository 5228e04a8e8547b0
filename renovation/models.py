"""Renovation permits (PROCEDURES.md §4, seed 000 第三篇 装修管理控制程序): the property structure
(项目 / 楼栋 / 房号 with owner and tenant), the 《装修申请表》 with its documents, and the fees and deposits
ledger 《业主装修收费一览表》. Business rules live in ``renovation/services``."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms import audit
from qms.links import detail_url
from renovation.validators import validate_mobile, validate_resident_id


class UnitUsage(models.TextChoices):
    RESIDENTIAL = "residential", _("住宅")
    VILLA = "villa", _("别墅")
    SHOP = "shop", _("商铺")
    OFFICE = "office", _("写字楼")
    ENTERTAINMENT = "entertainment", _("娱乐场所")


@audit.track()
class Project(models.Model):
    name = models.CharField(_("项目名称"), max_length=100, unique=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["name"]

    def __str__(self):
        return self.name


@audit.track()
class Building(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("项目"))
    name = models.CharField(_("楼栋"), max_length=50)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["project__name", "name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="renovation_building_unique")]

    def __str__(self):
        return f"{self.project.name} {self.name}"


@audit.track()
class Unit(models.Model):
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units", verbose_name=_("楼栋"))
    number = models.CharField(_("房号"), max_length=30)
    usage = models.CharField(_("用途"), max_length=20, choices=UnitUsage.choices, default=UnitUsage.RESIDENTIAL)
    area = models.DecimalField(_("建筑面积（㎡）"), max_digits=9, decimal_places=2, null=True, blank=True)
    # §4 / seed 5.1.5: large shops and entertainment venues need the fire authority's approval
    is_large_commercial = models.BooleanField(_("大型商铺/娱乐场所"), default=False,
                                              help_text=_("装修须提供消防部门的审批文件"))
    owner_name = models.CharField(_("业主姓名"), max_length=50)
    owner_phone = models.CharField(_("业主电话"), max_length=20, blank=True, validators=[validate_mobile])
    owner_id_number = models.CharField(_("业主身份证号"), max_length=18, blank=True, validators=[validate_resident_id])
    tenant_name = models.CharField(_("租户姓名"), max_length=50, blank=True)
    tenant_phone = models.CharField(_("租户电话"), max_length=20, blank=True, validators=[validate_mobile])
    tenant_id_number = models.CharField(_("租户身份证号"), max_length=18, blank=True,
                                        validators=[validate_resident_id])
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("房号")
        verbose_name_plural = _("房号")
        ordering = ["building__project__name", "building__name", "number"]
        constraints = [models.UniqueConstraint(fields=["building", "number"], name="renovation_unit_unique")]
        indexes = [models.Index(fields=["owner_name"], name="renovation_unit_owner")]

    def __str__(self):
        return f"{self.building.project.name} {self.building.name} {self.number}"

    get_absolute_url = detail_url("renovation:unit_detail")


class ApplicationStatus(models.TextChoices):
    ENGINEERING_REVIEW = "engineering_review", _("待工程初审")
    SECURITY_REVIEW = "security_review", _("待安全消防审核")
    ASSISTANT_CHECK = "assistant_check", _("待物业助理核验")
    TECHNICAL_APPROVAL = "technical_approval", _("待技术审批")
    MANAGER_APPROVAL = "manager_approval", _("待物业经理审批")
    RETURNED = "returned", _("退回修改")
    APPROVED = "approved", _("已批准，待缴费")
    PERMITTED = "permitted", _("已发许可证，施工中")
    ACCEPTANCE = "acceptance", _("待竣工验收")
    ACCEPTANCE_RECTIFYING = "acceptance_rectifying", _("验收整改中")
    REINSPECTION = "reinspection", _("初验合格，待复验")
    REINSPECTION_RECTIFYING = "reinspection_rectifying", _("复验整改中")
    REFUND_APPROVAL = "refund_approval", _("复验合格，待退款审批")
    REFUND_PAYMENT = "refund_payment", _("已批准退款，待财务退款")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("不予批准")
    CANCELLED = "cancelled", _("已撤销")


REVIEW_STATES = (ApplicationStatus.ENGINEERING_REVIEW, ApplicationStatus.SECURITY_REVIEW,
                 ApplicationStatus.ASSISTANT_CHECK, ApplicationStatus.TECHNICAL_APPROVAL,
                 ApplicationStatus.MANAGER_APPROVAL)
# A renovation that is over: the unit is free for a new application (the partial unique constraint below).
CLOSED_STATES = (ApplicationStatus.CLOSED, ApplicationStatus.REJECTED, ApplicationStatus.CANCELLED)
# The works are on site (an active site: workers with passes, inspections, violations).
SITE_STATES = (ApplicationStatus.PERMITTED, ApplicationStatus.ACCEPTANCE, ApplicationStatus.ACCEPTANCE_RECTIFYING)
# After the works: acceptance, re-inspection and the refund of the deposits.
COMPLETION_STATES = (ApplicationStatus.ACCEPTANCE, ApplicationStatus.ACCEPTANCE_RECTIFYING,
                     ApplicationStatus.REINSPECTION, ApplicationStatus.REINSPECTION_RECTIFYING,
                     ApplicationStatus.REFUND_APPROVAL, ApplicationStatus.REFUND_PAYMENT)


class ApplicantKind(models.TextChoices):
    OWNER = "owner", _("业主")
    TENANT = "tenant", _("租户")


class ContractorKind(models.TextChoices):
    COMPANY = "company", _("委托装修施工单位")
    SELF = "self", _("自行装修")


class Payer(models.TextChoices):
    OWNER = "owner", _("业主")
    CONTRACTOR = "contractor", _("施工单位")


@audit.track()
class Application(models.Model):
    """《装修申请表》."""

    number = models.CharField(_("申请编号"), max_length=30, unique=True, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="applications", verbose_name=_("房号"))
    applicant_kind = models.CharField(_("申请人身份"), max_length=10, choices=ApplicantKind.choices,
                                      default=ApplicantKind.OWNER)
    applicant_name = models.CharField(_("申请人"), max_length=50)
    applicant_phone = models.CharField(_("申请人电话"), max_length=20, validators=[validate_mobile])
    applicant_id_number = models.CharField(_("申请人身份证号"), max_length=18, validators=[validate_resident_id])
    contractor_kind = models.CharField(_("施工方式"), max_length=10, choices=ContractorKind.choices,
                                       default=ContractorKind.COMPANY)
    contractor_name = models.CharField(_("施工单位名称"), max_length=100, blank=True)
    contractor_licence = models.CharField(_("营业执照号/统一社会信用代码"), max_length=30, blank=True)
    contractor_manager = models.CharField(_("施工负责人"), max_length=50, blank=True)
    contractor_phone = models.CharField(_("施工负责人电话"), max_length=20, blank=True, validators=[validate_mobile])
    scope = models.TextField(_("装修项目及范围"))
    works_air_conditioning = models.BooleanField(_("涉及空调安装"), default=False)
    works_electrical = models.BooleanField(_("涉及电力照明改动"), default=False)
    works_plumbing = models.BooleanField(_("涉及给排水改动"), default=False)
    planned_start = models.DateField(_("计划开工日期"))
    planned_end = models.DateField(_("计划完工日期"))
    work_hours_start = models.TimeField(_("每日施工开始时间"))
    work_hours_end = models.TimeField(_("每日施工结束时间"))
    fire_approval_number = models.CharField(_("消防审批文号"), max_length=50, blank=True)

    # §4 engineering initial review: the points of seed 5.2.1 (True = 符合, no problem found)
    check_structure = models.BooleanField(_("未改动、破坏房屋结构"), null=True)
    check_facade = models.BooleanField(_("未改动外墙立面"), null=True)
    check_public_facilities = models.BooleanField(_("未改动、破坏公共设施设备"), null=True)
    check_fire_hazard = models.BooleanField(_("无严重消防隐患"), null=True)
    check_other_violations = models.BooleanField(_("无其他违章情况"), null=True)
    engineering_opinion = models.TextField(_("工程初审意见"), blank=True)
    checklist_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("初审人"))
    checklist_at = models.DateTimeField(_("初审时间"), null=True, blank=True)

    # §4 / seed 5.1.6: identity verified, the 《装修管理规定》 handed over, the contractor's qualification checked
    identity_verified = models.BooleanField(_("已核验业主/租户身份"), default=False)
    regulations_handed_over = models.BooleanField(_("已发放《装修管理规定》并经申请人确认"), default=False)
    contractor_checked = models.BooleanField(_("已核验施工单位营业执照及资质"), default=False)
    check_note = models.CharField(_("核验说明"), max_length=200, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("核验人"))
    checked_at = models.DateTimeField(_("核验时间"), null=True, blank=True)

    status = models.CharField(_("状态"), max_length=30, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.ENGINEERING_REVIEW)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    round = models.PositiveSmallIntegerField(_("提交次数"), default=1)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("受理人"))
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    return_reason = models.TextField(_("退回原因"), blank=True)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    utilities_on_at = models.DateTimeField(_("开通水电时间"), null=True, blank=True)
    utilities_on_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("开通水电人"))
    utilities_note = models.CharField(_("水电开通说明"), max_length=200, blank=True)
    permit_number = models.CharField(_("施工许可证编号"), max_length=30, blank=True)
    permit_issued_at = models.DateTimeField(_("许可证发放时间"), null=True, blank=True)
    completion_reported_at = models.DateTimeField(_("申报竣工时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("初验合格时间"), null=True, blank=True)
    reinspected_at = models.DateTimeField(_("复验合格时间"), null=True, blank=True)
    refund_approved_at = models.DateTimeField(_("退款批准时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # What a review signature binds: the application as submitted (a resubmission voids earlier ones).
    SIGNED_FIELDS = ("number", "unit_id", "applicant_kind", "applicant_name", "applicant_id_number",
                     "contractor_kind", "contractor_name", "contractor_licence", "scope", "works_air_conditioning",
                     "works_electrical", "works_plumbing", "planned_start", "planned_end", "work_hours_start",
                     "work_hours_end", "fire_approval_number", "round")

    class Meta:
        verbose_name = _("装修申请")
        verbose_name_plural = _("装修申请")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # §4 one open renovation per unit at a time
            models.UniqueConstraint(fields=["unit"], condition=~Q(status__in=["closed", "rejected", "cancelled"]),
                                    name="renovation_one_open_per_unit"),
            models.CheckConstraint(condition=Q(planned_end__gte=models.F("planned_start")),
                                   name="renovation_planned_dates_order"),
        ]
        indexes = [
            models.Index(fields=["status", "-submitted_at"], name="renovation_app_status"),
            models.Index(fields=["-submitted_at"], name="renovation_app_submitted"),
        ]
        permissions = [("record_payment", _("可登记装修收费"))]

    def __str__(self):
        return self.number

    get_absolute_url = detail_url("renovation:detail")

    @property
    def needs_fire_approval(self) -> bool:
        return self.unit.is_large_commercial

    @property
    def checklist(self) -> list[tuple[str, bool | None]]:
        return [(self._meta.get_field(name).verbose_name, getattr(self, name)) for name in CHECKLIST_FIELDS]


CHECKLIST_FIELDS = ("check_structure", "check_facade", "check_public_facilities", "check_fire_hazard",
                    "check_other_violations")


class DocumentKind(models.TextChoices):
    FLOOR_PLAN = "floor_plan", _("平面设计图")
    ELEVATION = "elevation", _("单元立面图")
    AIR_CONDITIONING = "air_conditioning", _("空调安装图")
    ELECTRICAL = "electrical", _("电力照明设计及用量图")
    PLUMBING = "plumbing", _("给排水设计图")
    BUSINESS_LICENCE = "business_licence", _("施工单位营业执照（盖章复印件）")
    QUALIFICATION = "qualification", _("施工单位资质证书（盖章复印件）")
    OWNER_CONSENT = "owner_consent", _("业主同意装修证明")
    SELF_GUARANTEE = "self_guarantee", _("自行装修保证书")
    FIRE_APPROVAL = "fire_approval", _("消防部门审批文件")


@audit.track()
class ApplicationDocument(models.Model):
    """A required document of the application (seed 5.1.1–5.1.5), stored as a shared attachment."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents",
                                    verbose_name=_("装修申请"))
    kind = models.CharField(_("资料类型"), max_length=30, choices=DocumentKind.choices)
    attachment = models.OneToOneField("qms.Attachment", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("附件"))
    round = models.PositiveSmallIntegerField(_("提交次数"), default=1)

    class Meta:
        verbose_name = _("申请资料")
        verbose_name_plural = _("申请资料")
        ordering = ["application", "kind", "-id"]
        indexes = [models.Index(fields=["application", "kind"], name="renovation_doc_kind")]

    def __str__(self):
        return self.get_kind_display()


@audit.track()
class FeeItem(models.Model):
    """A line of 《业主装修收费一览表》: what is charged, to whom, and the default amount (edited by administrators)."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("收费项目"), max_length=50)
    payer = models.CharField(_("缴费方"), max_length=20, choices=Payer.choices)
    default_amount = models.DecimalField(_("默认金额（元）"), max_digits=12, decimal_places=2)
    is_deposit = models.BooleanField(_("押金（验收后退还）"), default=False)
    per_worker = models.BooleanField(_("按施工人员计"), default=False)
    required_for_permit = models.BooleanField(_("发证前必须缴清"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("装修收费项目")
        verbose_name_plural = _("装修收费项目")
        ordering = ["order", "id"]
        constraints = [models.CheckConstraint(condition=Q(default_amount__gte=0), name="renovation_fee_amount_positive")]

    def __str__(self):
        return f"{self.name}（{self.get_payer_display()}）"


class EntryKind(models.TextChoices):
    CHARGE = "charge", _("应收")
    PAYMENT = "payment", _("收款")
    DEDUCTION = "deduction", _("扣款")
    REFUND = "refund", _("退款")
    # a correction: the opposite amount of the entry it reverses (a mistyped charge or payment is never edited)
    REVERSAL = "reversal", _("冲销")


@audit.track()
class LedgerEntry(models.Model):
    """One line of the application's fees and deposits ledger; amounts are positive, the kind gives the sign."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="ledger",
                                    verbose_name=_("装修申请"))
    payer = models.CharField(_("缴费方"), max_length=20, choices=Payer.choices)
    kind = models.CharField(_("类别"), max_length=20, choices=EntryKind.choices)
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("收费项目"))
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    receipt_number = models.CharField(_("收据号"), max_length=40, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("经办人"))
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    # a reversal (冲销) points at the entry it reverses; one reversal per entry (the one-to-one is the database's rule)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal",
                                    verbose_name=_("冲销的记录"))
    signature = models.OneToOneField("qms.Signature", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("冲销人签名"))

    # what the signature of a reversal binds
    SIGNED_FIELDS = ("application_id", "payer", "kind", "fee_item_id", "quantity", "amount", "note", "recorded_by_id",
                     "recorded_at", "reverses_id")

    class Meta:
        verbose_name = _("收费台账")
        verbose_name_plural = _("收费台账")
        ordering = ["recorded_at", "id"]
        constraints = [
            # amounts are positive and the kind gives the direction; a reversal carries the opposite (negative)
            # amount of the entry it points at
            models.CheckConstraint(condition=(Q(amount__gt=0) & ~Q(kind="reversal") & Q(reverses__isnull=True))
                                   | (Q(kind="reversal") & Q(amount__lt=0) & Q(reverses__isnull=False)),
                                   name="renovation_ledger_amount_sign"),
            models.UniqueConstraint(fields=["receipt_number"], condition=~Q(receipt_number=""),
                                    name="renovation_ledger_receipt_unique"),
        ]
        indexes = [models.Index(fields=["application", "payer", "kind"], name="renovation_ledger_payer")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.fee_item.name} {self.amount}"


class PassStatus(models.TextChoices):
    ISSUED = "issued", _("使用中")
    RETURNED = "returned", _("已交回")
    LOST = "lost", _("已挂失")


@audit.track()
class Worker(models.Model):
    """A line of 《施工人员登记表》 with the worker's 《施工出入证》."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="workers",
                                    verbose_name=_("装修申请"))
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, validators=[validate_resident_id])
    phone = models.CharField(_("联系电话"), max_length=20, validators=[validate_mobile])
    trade = models.CharField(_("工种"), max_length=30, blank=True)
    photo = models.OneToOneField("qms.Attachment", on_delete=models.PROTECT, related_name="+", verbose_name=_("照片"))
    pass_number = models.CharField(_("出入证编号"), max_length=30, unique=True, editable=False)
    pass_deposit = models.DecimalField(_("出入证押金（元）"), max_digits=12, decimal_places=2, default=0)
    pass_status = models.CharField(_("出入证状态"), max_length=10, choices=PassStatus.choices,
                                   default=PassStatus.ISSUED)
    pass_closed_at = models.DateTimeField(_("交回/挂失时间"), null=True, blank=True)
    pass_closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("经办人"))
    lost_reason = models.CharField(_("挂失说明"), max_length=200, blank=True)
    # 补办出入证: a new pass for the same worker replaces a lost one (which stays recorded as lost)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="replacement", verbose_name=_("补办的遗失出入证"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("登记人"))
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("施工人员")
        verbose_name_plural = _("施工人员")
        ordering = ["application", "registered_at", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "id_number"], condition=Q(replaces__isnull=True),
                                               name="renovation_worker_once_per_application")]
        indexes = [models.Index(fields=["application", "pass_status"], name="renovation_worker_pass")]

    def __str__(self):
        return f"{self.name}（{self.pass_number}）"

    def get_absolute_url(self):
        return reverse("renovation:detail", args=[self.application_id]) + "?tab=workers"


class InspectionStage(models.TextChoices):
    ACCEPTANCE = "acceptance", _("竣工验收（初验）")
    REINSPECTION = "reinspection", _("复验")


@audit.track()
class AcceptanceInspection(models.Model):
    """One joint inspection at completion (初验) or three months later (复验); a failed one is the
    《装修验收整改通知书》 with its items and deadline."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="acceptance_inspections",
                                    verbose_name=_("装修申请"))
    stage = models.CharField(_("验收类别"), max_length=20, choices=InspectionStage.choices)
    inspected_at = models.DateTimeField(_("验收时间"), default=timezone.now)
    participants = models.CharField(_("参加验收人员"), max_length=200)
    findings = models.TextField(_("验收情况"))
    passed = models.BooleanField(_("验收合格"))
    rectification_items = models.TextField(_("整改项目"), blank=True)
    rectification_due = models.DateField(_("整改期限"), null=True, blank=True)
    notice_number = models.CharField(_("整改通知书编号"), max_length=30, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("验收人"))

    class Meta:
        verbose_name = _("验收记录")
        verbose_name_plural = _("验收记录")
        ordering = ["application", "inspected_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(passed=True) | (~Q(rectification_items="") & Q(rectification_due__isnull=False)),
                                   name="renovation_failed_inspection_has_rectification"),
        ]
        indexes = [models.Index(fields=["application", "stage", "inspected_at"], name="renovation_acceptance")]

    def __str__(self):
        return f"{self.get_stage_display()} {self.inspected_at:%Y-%m-%d}"


class ClaimSource(models.TextChoices):
    LOST_PASS = "lost_pass", _("出入证遗失")
    DAMAGE = "damage", _("损坏公共设施赔偿")
    VIOLATION = "violation", _("违章赔偿")
    OTHER = "other", _("其他")


@audit.track()
class DepositClaim(models.Model):
    """An amount owed out of the deposits (应扣款项), taken at the refund: contractor deposit, then owner deposit,
    then billed to the owner."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="claims",
                                    verbose_name=_("装修申请"))
    source = models.CharField(_("扣款原因类别"), max_length=20, choices=ClaimSource.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("扣款说明"), max_length=200)
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("施工人员"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("登记人"))
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("应扣款项")
        verbose_name_plural = _("应扣款项")
        ordering = ["application", "recorded_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="renovation_claim_amount_positive")]
        indexes = [models.Index(fields=["application", "recorded_at"], name="renovation_claim_app")]

    def __str__(self):
        return f"{self.get_source_display()} {self.amount}"


# --- during the works: daily inspections and violations (seed 5.3, 5.5) -------------------------------------
@audit.track()
class SiteInspection(models.Model):
    """A line of 《装修巡视检查记录表》: the round of an active site, at least once each working day (seed 5.3.1).
    Each check is True when found in order; photos are attachments of the record."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="site_inspections",
                                    verbose_name=_("装修申请"))
    inspected_at = models.DateTimeField(_("巡查时间"), default=timezone.now)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("巡查人"))
    permit_posted = models.BooleanField(_("已按规定张贴《施工许可证》"), default=True)
    within_hours = models.BooleanField(_("在规定的施工时间内施工"), default=True)
    within_scope = models.BooleanField(_("未超出申报范围"), default=True)
    passes_worn = models.BooleanField(_("施工人员佩戴《施工出入证》"), default=True)
    structure_intact = models.BooleanField(_("未改动结构、外立面及公共设施"), default=True)
    fire_safe = models.BooleanField(_("消防安全（无违规动火，配备灭火器）"), default=True)
    waste_cleared = models.BooleanField(_("装修垃圾按规定清运"), default=True)
    findings = models.TextField(_("巡查情况"), blank=True)

    CHECK_FIELDS = ("permit_posted", "within_hours", "within_scope", "passes_worn", "structure_intact", "fire_safe",
                    "waste_cleared")
    # What a failed check found, in words that state the finding (the field labels state compliance, so a
    # printed "未超出申报范围" would say the opposite of what the patrol saw).
    FINDINGS = {
        "permit_posted": _("未按规定张贴《施工许可证》"),
        "within_hours": _("在规定的施工时间以外施工"),
        "within_scope": _("超出申报范围施工"),
        "passes_worn": _("施工人员未佩戴《施工出入证》"),
        "structure_intact": _("改动了结构、外立面或公共设施"),
        "fire_safe": _("消防安全不符合要求（违规动火或未配备灭火器）"),
        "waste_cleared": _("装修垃圾未按规定清运"),
    }

    class Meta:
        verbose_name = _("装修巡视检查记录")
        verbose_name_plural = _("装修巡视检查记录")
        ordering = ["-inspected_at", "-id"]
        indexes = [models.Index(fields=["application", "-inspected_at"], name="renovation_siteinsp_app"),
                   models.Index(fields=["inspected_at"], name="renovation_siteinsp_at")]

    def __str__(self):
        return f"{self.application} {timezone.localtime(self.inspected_at):%Y-%m-%d %H:%M}"

    @property
    def problems(self) -> list[str]:
        """The findings of the failed checks, each stated as what was found."""
        return [str(self.FINDINGS[name]) for name in self.CHECK_FIELDS if not getattr(self, name)]


class ViolationKind(models.TextChoices):
    """Seed 5.3.2."""

    PERMIT_NOT_POSTED = "permit_not_posted", _("未按规定张贴《施工许可证》")
    OUTSIDE_HOURS = "outside_hours", _("未按规定的施工时间施工")
    BEYOND_SCOPE = "beyond_scope", _("超出申报范围的装修项目")
    OTHER = "other", _("违反装修管理规定及国家相关规定")


class ViolationStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    CLOSED = "closed", _("已整改关闭")


@audit.track()
class Violation(models.Model):
    """A violation found on site; it holds the application's acceptance and refund until it is closed."""

    number = models.CharField(_("违章编号"), max_length=30, unique=True, editable=False)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="violations",
                                    verbose_name=_("装修申请"))
    inspection = models.ForeignKey(SiteInspection, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="violations", verbose_name=_("巡查记录"))
    kind = models.CharField(_("违章类型"), max_length=30, choices=ViolationKind.choices)
    description = models.TextField(_("违章情况"))
    found_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    found_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("发现人"))
    status = models.CharField(_("状态"), max_length=10, choices=ViolationStatus.choices, default=ViolationStatus.OPEN)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("验证人"))
    close_note = models.CharField(_("整改验证情况"), max_length=200, blank=True)
    close_photo = models.OneToOneField("qms.Attachment", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("整改后照片"))
    close_signature = models.OneToOneField("qms.Signature", on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="+", verbose_name=_("验证人签名"))

    # what the verifier's signature binds: the violation and how its rectification was verified
    SIGNED_FIELDS = ("number", "application_id", "kind", "description", "found_at", "found_by_id", "closed_at",
                     "closed_by_id", "close_note", "close_photo_id")

    class Meta:
        verbose_name = _("装修违章")
        verbose_name_plural = _("装修违章")
        ordering = ["-found_at", "-id"]
        indexes = [models.Index(fields=["application", "status"], name="renovation_violation_app"),
                   models.Index(fields=["status", "-found_at"], name="renovation_violation_status"),
                   models.Index(fields=["-found_at"], name="renovation_violation_found")]

    def __str__(self):
        return self.number

    get_absolute_url = detail_url("renovation:violation_detail")


class ActionKind(models.TextChoices):
    """Seed 5.5.1: the ways a violation is dealt with."""

    CRITICISM = "criticism", _("批评教育，立即整改")
    NOTICE = "notice", _("发出《违反装修规定整改通知书》，限期整改")
    STOP_UTILITIES = "stop_utilities", _("停水停电")
    COMPENSATION = "compensation", _("要求赔偿损失")


@audit.track()
class ViolationAction(models.Model):
    """One measure taken on a violation; stopping water/power and compensation carry the property manager's
    signature."""

    violation = models.ForeignKey(Violation, on_delete=models.PROTECT, related_name="actions",
                                  verbose_name=_("装修违章"))
    kind = models.CharField(_("处理方式"), max_length=20, choices=ActionKind.choices)
    note = models.TextField(_("处理说明"))
    at = models.DateTimeField(_("处理时间"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("处理人"))
    notice_number = models.CharField(_("整改通知书编号"), max_length=30, blank=True)
    rectify_by = models.DateField(_("整改期限"), null=True, blank=True)
    amount = models.DecimalField(_("赔偿金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    signature = models.OneToOneField("qms.Signature", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("物业经理签名"))

    # what the property manager's signature binds
    SIGNED_FIELDS = ("violation_id", "kind", "note", "at", "by_id", "rectify_by", "amount")

    class Meta:
        verbose_name = _("违章处理")
        verbose_name_plural = _("违章处理")
        ordering = ["violation", "at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(kind="compensation") | Q(amount__gt=0),
                                              name="renovation_compensation_amount")]

    def __str__(self):
        return self.get_kind_display()


class InspectionReminder(models.Model):
    """The day's reminder of the sites not inspected yet: one row per day, so it goes out once."""

    day = models.DateField(_("日期"), unique=True)
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    sites = models.PositiveIntegerField(_("未巡查工地数"), default=0)

    class Meta:
        verbose_name = _("巡查提醒")
        verbose_name_plural = _("巡查提醒")
        ordering = ["-day"]

    def __str__(self):
        return str(self.day)


@audit.track()
class BaselinePhoto(models.Model):
    """A photo of the unit before the works start, to compare at acceptance."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="baseline_photos",
                                    verbose_name=_("装修申请"))
    attachment = models.OneToOneField("qms.Attachment", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("照片"))
    caption = models.CharField(_("拍摄部位"), max_length=100)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("拍摄人"))
    taken_at = models.DateTimeField(_("拍摄时间"), default=timezone.now)

    class Meta:
        verbose_name = _("开工前现场照片")
        verbose_name_plural = _("开工前现场照片")
        ordering = ["application", "taken_at", "id"]

    def __str__(self):
        return self.caption
