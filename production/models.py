"""Production (PROCEDURES.md §6, seeds 001 检验和试验状态控制程序 and 003 产品生产和服务管理程序): process cards
(工艺卡, master data), the production task order 《生产任务书》 and its route card 《路线跟踪卡》 — a lot with the
operations copied from the process card, each with its material issued 《领料单》, the three checks 三检 and the
lot's inspection status at that operation. Business rules live in ``production/services``."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms import audit


class Inspection(models.TextChoices):
    """The inspections an operation of a process card asks for (seed 001 §5.2)."""
    FIRST_PIECE = "first_piece", _("首件检验")
    PATROL = "patrol", _("巡检")
    FINAL = "final", _("完工检验")


class InspectionStatus(models.TextChoices):
    """The inspection status of a lot at an operation (seed 001 §5.3 检验和试验状态)."""
    PENDING = "pending", _("待检")
    CONFORMING = "conforming", _("合格")
    NONCONFORMING = "nonconforming", _("不合格")
    UNDETERMINED = "undetermined", _("待判定")
    CONCESSION = "concession", _("让步接收")


# only conforming or concession product moves on (seed 001 §5.4)
MAY_MOVE_ON = (InspectionStatus.CONFORMING, InspectionStatus.CONCESSION)


class CheckResult(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


@audit.track()
class ProcessCard(models.Model):
    """工艺卡: how a product is made — its ordered operations and the inspections each needs."""

    code = models.CharField(_("工艺卡编号"), max_length=30, unique=True)
    product = models.CharField(_("产品名称"), max_length=100)
    specification = models.CharField(_("规格型号"), max_length=100, blank=True)
    revision = models.CharField(_("版本"), max_length=10, default="A/0")
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("工艺卡")
        verbose_name_plural = _("工艺卡")
        ordering = ["code"]
        indexes = [models.Index(fields=["product"], name="production_card_product")]

    def __str__(self):
        return f"{self.code} {self.product} {self.specification}".strip()

    def get_absolute_url(self):
        return reverse("production:card_detail", args=[self.pk])


@audit.track()
class ProcessStep(models.Model):
    """One operation of a process card, in order."""

    card = models.ForeignKey(ProcessCard, on_delete=models.CASCADE, related_name="steps", verbose_name=_("工艺卡"))
    sequence = models.PositiveSmallIntegerField(_("工序号"))
    name = models.CharField(_("工序名称"), max_length=100)
    work_centre = models.CharField(_("工作中心"), max_length=100, blank=True)
    first_piece = models.BooleanField(_("首件检验"), default=False)
    patrol = models.BooleanField(_("巡检"), default=False)
    final = models.BooleanField(_("完工检验"), default=False)

    class Meta:
        verbose_name = _("工序")
        verbose_name_plural = _("工序")
        ordering = ["card", "sequence"]
        constraints = [models.UniqueConstraint(fields=["card", "sequence"], name="production_step_unique_seq")]

    def __str__(self):
        return f"{self.sequence} {self.name}"

    def inspection_labels(self) -> list[str]:
        return [str(label) for value, label in Inspection.choices if getattr(self, _FLAG[value])]


_FLAG = {Inspection.FIRST_PIECE: "first_piece", Inspection.PATROL: "patrol", Inspection.FINAL: "final"}


class TaskOrderStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    RELEASED = "released", _("已下达")
    IN_PRODUCTION = "in_production", _("生产中")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")


@audit.track()
class TaskOrder(models.Model):
    """《生产任务书》 raised by PMC directly or from a line of a registered contract."""

    number = models.CharField(_("任务书编号"), max_length=30, unique=True, editable=False)
    status = models.CharField(_("状态"), max_length=20, choices=TaskOrderStatus.choices,
                              default=TaskOrderStatus.DRAFT)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    process_card = models.ForeignKey(ProcessCard, on_delete=models.PROTECT, related_name="task_orders",
                                     verbose_name=_("工艺卡"))
    product = models.CharField(_("产品名称"), max_length=100)
    specification = models.CharField(_("规格型号"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("数量"), validators=[MinValueValidator(1)])
    due_date = models.DateField(_("完工日期"))
    contract = models.ForeignKey("customers.Contract", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="task_orders", verbose_name=_("合同"))
    contract_line = models.ForeignKey("customers.ContractLine", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="task_orders", verbose_name=_("合同明细"))
    note = models.TextField(_("生产要求"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("下达人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("生产任务书")
        verbose_name_plural = _("生产任务书")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "due_date"], name="production_order_status_due"),
                   models.Index(fields=["-created_at"], name="production_order_created")]
        permissions = [("raise_taskorder", "Can raise a production task order")]

    def __str__(self):
        return f"{self.number} {self.product}"

    def get_absolute_url(self):
        return reverse("production:order_detail", args=[self.pk])


class LotStatus(models.TextChoices):
    IN_PROCESS = "in_process", _("在制")
    ISOLATED = "isolated", _("隔离中")
    IN_STOCK = "in_stock", _("已入库")
    SCRAPPED = "scrapped", _("已报废")
    RETURNED = "returned", _("已退供方")


@audit.track()
class Lot(models.Model):
    """A lot of a task order: the subject of the route card 《路线跟踪卡》. It is at one operation at a time
    (``current``) and moves on only through the lot's workflow."""

    task_order = models.ForeignKey(TaskOrder, on_delete=models.PROTECT, related_name="lots",
                                   verbose_name=_("生产任务书"))
    number = models.CharField(_("批号"), max_length=40, unique=True)
    quantity = models.PositiveIntegerField(_("数量"))
    status = models.CharField(_("状态"), max_length=20, choices=LotStatus.choices, default=LotStatus.IN_PROCESS)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    current = models.ForeignKey("LotOperation", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("当前工序"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("批次（路线跟踪卡）")
        verbose_name_plural = _("批次（路线跟踪卡）")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="production_lot_status"),
                   # the trace looks a lot up by its number as a customer or a complaint writes it
                   models.Index(Upper("number"), name="production_lot_number_up")]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("production:lot_detail", args=[self.pk])


@audit.track()
class LotOperation(models.Model):
    """One operation on the lot's route card, copied from the process card when the order was released."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="operations", verbose_name=_("批次"))
    sequence = models.PositiveSmallIntegerField(_("工序号"))
    name = models.CharField(_("工序名称"), max_length=100)
    work_centre = models.CharField(_("工作中心"), max_length=100, blank=True)
    first_piece = models.BooleanField(_("首件检验"), default=False)
    patrol = models.BooleanField(_("巡检"), default=False)
    final = models.BooleanField(_("完工检验"), default=False)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("操作者"))
    quantity_in = models.PositiveIntegerField(_("投入数"), null=True, blank=True)
    quantity_out = models.PositiveIntegerField(_("产出数"), null=True, blank=True)
    quantity_scrap = models.PositiveIntegerField(_("报废数"), null=True, blank=True)
    # 三检: self check by the operator, mutual check by the next operator, the dedicated inspector's check
    self_check = models.CharField(_("自检"), max_length=10, choices=CheckResult.choices, blank=True)
    self_check_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("自检人"))
    mutual_check = models.CharField(_("互检"), max_length=10, choices=CheckResult.choices, blank=True)
    mutual_check_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("互检人"))
    dedicated_check = models.CharField(_("专检"), max_length=10, choices=CheckResult.choices, blank=True)
    dedicated_check_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+", verbose_name=_("专检人"))
    # set only by qms record_inspection (an inspector's result), never edited
    inspection_status = models.CharField(_("检验状态"), max_length=20, choices=InspectionStatus.choices,
                                         default=InspectionStatus.PENDING, editable=False)
    inspected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("检验员"), editable=False)
    inspected_at = models.DateTimeField(_("检验时间"), null=True, blank=True, editable=False)
    concession_by = models.CharField(_("让步批准人"), max_length=50, blank=True, editable=False)
    concession_reason = models.TextField(_("让步理由"), blank=True, editable=False)

    class Meta:
        verbose_name = _("工序记录")
        verbose_name_plural = _("工序记录")
        ordering = ["lot", "sequence"]
        constraints = [models.UniqueConstraint(fields=["lot", "sequence"], name="production_lot_op_unique_seq")]

    def __str__(self):
        return f"{self.lot.number} · {self.sequence} {self.name}"

    def get_absolute_url(self):
        return f"{reverse('production:lot_detail', args=[self.lot_id])}#op-{self.pk}"

    def inspection_labels(self) -> list[str]:
        return [str(label) for value, label in Inspection.choices if getattr(self, _FLAG[value])]


@audit.track()
class MaterialIssue(models.Model):
    """A row of 《领料单》: material issued to an operation of the lot, with its batch or heat number."""

    operation = models.ForeignKey(LotOperation, on_delete=models.PROTECT, related_name="materials",
                                  verbose_name=_("工序"))
    material = models.CharField(_("物料名称"), max_length=100)
    batch_number = models.CharField(_("批号/炉号"), max_length=60)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3, validators=[MinValueValidator(0)])
    unit = models.CharField(_("单位"), max_length=10, default="件")
    # the trace back from a complaint's batch ends at the material's supplier
    supplier = models.CharField(_("供应商"), max_length=100, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("领料人"))
    issued_at = models.DateTimeField(_("领料时间"), default=timezone.now)

    class Meta:
        verbose_name = _("领料记录")
        verbose_name_plural = _("领料记录")
        ordering = ["operation", "issued_at"]
        indexes = [models.Index(fields=["batch_number"], name="production_material_batch"),
                   models.Index(Upper("batch_number"), name="production_material_batch_up")]

    def __str__(self):
        return f"{self.material} {self.batch_number}"


@audit.track()
class InspectionRecord(models.Model):
    """An inspector's result at an operation of a lot: the only way the lot's inspection status changes."""

    operation = models.ForeignKey(LotOperation, on_delete=models.PROTECT, related_name="inspections",
                                  verbose_name=_("工序"))
    kind = models.CharField(_("检验类别"), max_length=20, choices=Inspection.choices)
    result = models.CharField(_("检验结论"), max_length=20, choices=InspectionStatus.choices)
    note = models.TextField(_("检验记录"), blank=True)
    concession_by = models.CharField(_("让步批准人"), max_length=50, blank=True)
    concession_reason = models.TextField(_("让步理由"), blank=True)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("检验员"))
    inspected_at = models.DateTimeField(_("检验时间"), default=timezone.now)

    class Meta:
        verbose_name = _("检验记录")
        verbose_name_plural = _("检验记录")
        ordering = ["operation", "inspected_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.get_result_display()}"


class IsolationSource(models.TextChoices):
    INSPECTION = "inspection", _("检验判定")
    RETURN = "return", _("客户退货")


class IsolationStatus(models.TextChoices):
    """A line of 《隔离区产品跟踪台账》 (seed 004 质量保证部隔离区管理制度)."""
    AWAITING_REVIEW = "review", _("待评审")
    REWORK = "rework", _("处置中")
    REINSPECTION = "reinspection", _("待复检")
    RELEASED = "released", _("已放行")
    CLOSED = "closed", _("已关闭")


class Disposition(models.TextChoices):
    """What the engineer decides at the review 《隔离产品评审表》."""
    REWORK = "rework", _("返工")
    REPAIR = "repair", _("返修")
    SCRAP = "scrap", _("报废")
    CONCESSION = "concession", _("让步接收")
    RETURN_TO_SUPPLIER = "return_to_supplier", _("退供方")


# dispositions after which the product is worked on and re-inspected before it leaves the isolation area
REWORKED = (Disposition.REWORK, Disposition.REPAIR)


@audit.track()
class IsolationEntry(models.Model):
    """A line of 《隔离区产品跟踪台账》: nonconforming or undetermined product in the quality isolation area — a lot
    found so at an operation, or goods returned by a customer — with its review 《隔离产品评审表》, its
    disposition and the re-inspection that lets it out. The due times live in the deadline rows."""

    number = models.CharField(_("台账编号"), max_length=30, unique=True, editable=False)
    status = models.CharField(_("状态"), max_length=20, choices=IsolationStatus.choices,
                              default=IsolationStatus.AWAITING_REVIEW)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    source = models.CharField(_("来源"), max_length=20, choices=IsolationSource.choices)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="isolation_entries",
                            verbose_name=_("批次"))
    operation = models.ForeignKey(LotOperation, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("发现工序"))
    # a return handed over by complaints: the record it came from, without importing that app
    source_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_reference = models.CharField(_("来源单号"), max_length=60, blank=True)
    product = models.CharField(_("产品名称"), max_length=100)
    specification = models.CharField(_("规格型号"), max_length=100, blank=True)
    batch = models.CharField(_("批号"), max_length=60)
    quantity = models.PositiveIntegerField(_("数量"))
    found_status = models.CharField(_("入区时检验状态"), max_length=20, choices=InspectionStatus.choices)
    reason = models.TextField(_("隔离原因"))
    location = models.CharField(_("存放位置"), max_length=100)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("移入人"))
    placed_at = models.DateTimeField(_("移入时间"), default=timezone.now)
    # the review 《隔离产品评审表》: the engineer's signed disposition (written by the move's guarded UPDATE)
    disposition = models.CharField(_("处置方式"), max_length=20, choices=Disposition.choices, blank=True)
    instruction = models.TextField(_("返工/处置指令"), blank=True)
    concession_by = models.CharField(_("让步批准人"), max_length=50, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("评审人"))
    reviewed_at = models.DateTimeField(_("评审时间"), null=True, blank=True)
    rework_note = models.TextField(_("处置完成情况"), blank=True)
    reworked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("处置人"))
    reworked_at = models.DateTimeField(_("处置完成时间"), null=True, blank=True)
    reinspection_result = models.CharField(_("复检结论"), max_length=20, choices=InspectionStatus.choices,
                                           blank=True)
    reinspection_note = models.TextField(_("复检记录"), blank=True)
    reinspected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("复检人"))
    reinspected_at = models.DateTimeField(_("复检时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("隔离区产品跟踪台账")
        verbose_name_plural = _("隔离区产品跟踪台账")
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["status", "-placed_at"], name="production_isolation_status"),
                   models.Index(fields=["-placed_at"], name="production_isolation_placed"),
                   models.Index(fields=["batch"], name="production_isolation_batch"),
                   models.Index(fields=["source_type", "source_id"], name="production_isolation_source")]
        constraints = [models.UniqueConstraint(fields=["source_type", "source_id"],
                                               condition=models.Q(source_type__isnull=False),
                                               name="production_isolation_one_per_source")]
        permissions = [("review_isolationentry", "Can review isolated product")]

    def __str__(self):
        return f"{self.number} {self.product}"

    def get_absolute_url(self):
        return reverse("production:isolation_detail", args=[self.pk])


from production.service_models import (  # noqa: E402,F401  (the service records, in a module of their own)
    CustomerOpinion, FieldServiceRecord, FieldServiceStatus, OpinionKind, OpinionStatus)


# the process control records (setup verification, discipline checks, specification changes)
from production.setup_models import DisciplineCheck, SetupVerification, SpecChange  # noqa: E402

PROCESS_CONTROL_MODELS = (SetupVerification, DisciplineCheck, SpecChange)
