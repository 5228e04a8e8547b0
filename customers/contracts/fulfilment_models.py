"""Fulfilment records of §2 around a contract: the customer's special requirements 《顾客特殊要求一览表》, the
shipments with their after-sales confirmation, and the customer's property 《顾客提供图纸/实物保管登记表》.

Business rules live in ``customers.contracts.services.special_requirements``, ``.shipments`` and ``.property``.
"""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms import audit


# --- 顾客特殊要求 ---------------------------------------------------------------------------------------
class RequirementKind(models.TextChoices):
    QUALITY_SYSTEM = "quality_system", _("质量管理体系要求")
    PRODUCT = "product", _("产品/技术要求")
    PACKAGING = "packaging", _("包装/标识要求")
    DELIVERY = "delivery", _("交付要求")
    ENVIRONMENT = "environment", _("环保/RoHS 要求")
    CLAIMS = "claims", _("索赔要求")
    # change control (§7) reads these: a change that affects the customer's product is notified to the customer
    CHANGE_NOTIFICATION = "change_notification", _("变更须通知顾客")
    OTHER = "other", _("其他")


class RequirementScope(models.TextChoices):
    ALL_CONTRACTS = "all", _("该客户的全部合同")
    ONE_CONTRACT = "contract", _("指定合同")


class RequirementStatus(models.TextChoices):
    CAPTURED = "captured", _("待管代审核")
    COMMUNICATED = "communicated", _("已传递各部门")
    VERIFIED = "verified", _("已验证满足")
    WITHDRAWN = "withdrawn", _("已撤销")


@audit.track()
class SpecialRequirement(models.Model):
    """One line of 《顾客特殊要求一览表》: captured by sales, reviewed by the MR, passed to the departments that
    must act (each acknowledges), verified by quality. Until verified it holds back the production and delivery
    of the contracts it applies to."""

    number = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="special_requirements",
                                 verbose_name=_("客户"))
    contract = models.ForeignKey("customers.Contract", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="special_requirements", verbose_name=_("合同"),
                                 help_text=_("来源合同；适用范围为“指定合同”时即其适用的合同"))
    scope = models.CharField(_("适用范围"), max_length=20, choices=RequirementScope.choices,
                             default=RequirementScope.ALL_CONTRACTS)
    kind = models.CharField(_("要求类别"), max_length=30, choices=RequirementKind.choices)
    title = models.CharField(_("要求摘要"), max_length=100)
    text = models.TextField(_("要求内容"))
    status = models.CharField(_("状态"), max_length=20, choices=RequirementStatus.choices,
                              default=RequirementStatus.CAPTURED)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    captured_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("登记人"))
    captured_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    review_note = models.TextField(_("管代审核意见"), blank=True)
    verification_note = models.TextField(_("验证结果"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # what the MR's review signature binds: the requirement as reviewed (the later steps fill other fields)
    SIGNED_FIELDS = ("number", "customer_id", "contract_id", "scope", "kind", "title", "text", "captured_by_id")

    class Meta:
        verbose_name = _("顾客特殊要求")
        verbose_name_plural = _("顾客特殊要求一览表")
        ordering = ["-captured_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="special_req_customer"),
            models.Index(fields=["contract", "status"], name="special_req_contract"),
            models.Index(fields=["status", "-captured_at"], name="special_req_status"),
            models.Index(fields=["kind", "status"], name="special_req_kind"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(scope="contract") | Q(contract__isnull=False),
                                              name="special_req_contract_scope_has_contract")]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("customers:special_requirement_detail", args=[self.pk])

    @property
    def is_unmet(self) -> bool:
        return self.status in (RequirementStatus.CAPTURED, RequirementStatus.COMMUNICATED)


@audit.track()
class RequirementAcknowledgement(models.Model):
    """A department that must act on a special requirement (chosen when it is captured) and its acknowledgement
    once the MR passed the requirement on, with what it does to meet it (控制计划、作业指导书、对策措施), signed
    by the person who acknowledges."""

    requirement = models.ForeignKey(SpecialRequirement, on_delete=models.PROTECT, related_name="acknowledgements",
                                    verbose_name=_("顾客特殊要求"))
    department = models.ForeignKey("qms.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("部门"))
    measures = models.TextField(_("落实措施"), blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", verbose_name=_("确认人"))
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    signature = models.OneToOneField("qms.Signature", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("签名"))

    class Meta:
        verbose_name = _("部门确认")
        verbose_name_plural = _("部门确认")
        ordering = ["requirement", "department__code"]
        constraints = [models.UniqueConstraint(fields=["requirement", "department"], name="special_req_ack_once")]
        indexes = [models.Index(fields=["department", "acknowledged_at"], name="special_req_ack_department")]

    def __str__(self):
        return f"{self.requirement} · {self.department}"

    def get_absolute_url(self):
        """The requirement's page, where the department acknowledges (the link of its clock in 我的待办)."""
        return self.requirement.get_absolute_url()


# --- 发货与售后确认 --------------------------------------------------------------------------------------
class ShipmentStatus(models.TextChoices):
    PLANNED = "planned", _("待发货")
    SHIPPED = "shipped", _("已发货待确认")
    CONFIRMED = "confirmed", _("客户已确认")
    PROBLEM = "problem", _("客户反馈问题")
    CANCELLED = "cancelled", _("已取消")


class ConfirmationChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    FAX = "fax", _("传真")
    EMAIL = "email", _("邮件")
    VISIT = "visit", _("拜访")


@audit.track()
class Shipment(models.Model):
    """A shipment (发货) of a contract: quantities per contract line with their batch numbers, then, within one
    week, the confirmation of receipt, quantity and quality with the customer (seed 002 §5.7.1)."""

    number = models.CharField(_("发货单号"), max_length=30, unique=True, editable=False)
    contract = models.ForeignKey("customers.Contract", on_delete=models.PROTECT, related_name="shipments",
                                 verbose_name=_("合同"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="shipments",
                                 verbose_name=_("客户"), editable=False)
    planned_on = models.DateField(_("计划发货日期"), default=timezone.localdate)
    carrier = models.CharField(_("承运方式/承运商"), max_length=100, blank=True)
    waybill = models.CharField(_("运单号"), max_length=50, blank=True)
    delivery_address = models.CharField(_("收货地址"), max_length=200, blank=True)
    is_export = models.BooleanField(_("国外客户（按船期确认）"), default=False)
    expected_arrival_on = models.DateField(_("预计到港/到货日期"), null=True, blank=True,
                                           help_text=_("国外客户视船期而定：确认期限自此日起算"))
    note = models.TextField(_("备注"), blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PLANNED)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("制单人"))
    created_at = models.DateTimeField(_("制单时间"), default=timezone.now)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    shipped_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("发货人"))

    # 售后确认
    confirmation_channel = models.CharField(_("确认方式"), max_length=20, choices=ConfirmationChannel.choices,
                                            blank=True)
    confirmation_contact = models.CharField(_("客户确认人"), max_length=50, blank=True)
    received_ok = models.BooleanField(_("收货、数量、质量无异常"), null=True, blank=True)
    confirmation_note = models.TextField(_("确认记录"), blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("确认记录人"))
    complaint = models.ForeignKey("complaints.Complaint", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="shipments", verbose_name=_("关联投诉"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("发货记录")
        verbose_name_plural = _("发货记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["contract", "-created_at"], name="shipment_contract"),
            models.Index(fields=["customer", "-created_at"], name="shipment_customer"),
            models.Index(fields=["status", "-created_at"], name="shipment_status"),
            models.Index(fields=["-shipped_at"], name="shipment_shipped"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("customers:shipment_detail", args=[self.pk])


@audit.track()
class ShipmentLine(models.Model):
    """A contract line's quantity in a shipment, with its batch number: what complaints and adverse events trace
    back to customers by (``batch_number`` is indexed, case-insensitively too)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="lines", verbose_name=_("发货记录"))
    contract_line = models.ForeignKey("customers.ContractLine", on_delete=models.PROTECT, related_name="shipped",
                                      verbose_name=_("合同明细"))
    quantity = models.DecimalField(_("发货数量"), max_digits=12, decimal_places=2,
                                   validators=[MinValueValidator(0)])
    batch_number = models.CharField(_("批号"), max_length=50)

    class Meta:
        verbose_name = _("发货明细")
        verbose_name_plural = _("发货明细")
        ordering = ["shipment", "contract_line__line_no", "id"]
        indexes = [models.Index(fields=["batch_number"], name="shipment_line_batch"),
                   models.Index(Upper("batch_number"), name="shipment_line_batch_upper")]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_positive")]

    def __str__(self):
        return f"{self.contract_line} × {self.quantity} ({self.batch_number})"


# --- 顾客财产 -------------------------------------------------------------------------------------------
class PropertyKind(models.TextChoices):
    DRAWING = "drawing", _("图纸/技术资料")
    SAMPLE = "sample", _("样品")
    MOULD = "mould", _("模具")
    TOOL = "tool", _("工装/工具")
    MATERIAL = "material", _("来料/材料")
    PACKAGING = "packaging", _("包装/商标")
    OTHER = "other", _("其他")


class PropertyStatus(models.TextChoices):
    IN_CUSTODY = "in_custody", _("保管中")
    INCIDENT = "incident", _("已报告顾客（丢失/损坏）")
    RETURNED = "returned", _("已归还")
    CLOSED = "closed", _("已结案")


class IncidentKind(models.TextChoices):
    LOST = "lost", _("丢失")
    DAMAGED = "damaged", _("损坏")
    UNSUITABLE = "unsuitable", _("发现不适用")


@audit.track()
class CustomerProperty(models.Model):
    """One item of 《顾客提供图纸/实物保管登记表》: what the customer handed over, who handed it over and who
    received it (signed), where it is kept and in what condition, and its return; a loss or damage is reported
    to the customer (seed 002 §4.8)."""

    number = models.CharField(_("登记编号"), max_length=30, unique=True, editable=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="property_items",
                                 verbose_name=_("客户"))
    contract = models.ForeignKey("customers.Contract", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="property_items", verbose_name=_("相关合同"))
    kind = models.CharField(_("类别"), max_length=20, choices=PropertyKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    identifier = models.CharField(_("图号/编号"), max_length=50, blank=True)
    quantity = models.PositiveIntegerField(_("数量"), default=1, validators=[MinValueValidator(1)])
    received_on = models.DateField(_("接收日期"), default=timezone.localdate)
    handed_over_by = models.CharField(_("顾客移交人"), max_length=50)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("接收人"))
    storage_location = models.CharField(_("存放位置"), max_length=100)
    condition = models.CharField(_("接收时状况"), max_length=200)
    status = models.CharField(_("状态"), max_length=20, choices=PropertyStatus.choices,
                              default=PropertyStatus.IN_CUSTODY)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    returned_on = models.DateField(_("归还日期"), null=True, blank=True)
    returned_to = models.CharField(_("顾客接收人"), max_length=50, blank=True)
    return_note = models.CharField(_("归还说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # what the receipt signature binds: the item as received (its later return and incidents fill other fields)
    SIGNED_FIELDS = ("number", "customer_id", "kind", "name", "identifier", "quantity", "received_on",
                     "handed_over_by", "received_by_id", "condition")

    class Meta:
        verbose_name = _("顾客财产")
        verbose_name_plural = _("顾客提供图纸/实物保管登记表")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="customer_property_customer"),
            models.Index(fields=["status", "-received_on"], name="customer_property_status"),
            models.Index(fields=["kind", "status"], name="customer_property_kind"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    def get_absolute_url(self):
        return reverse("customers:property_detail", args=[self.pk])


@audit.track()
class PropertyIncident(models.Model):
    """A loss, damage or unsuitability of a customer's property and the notice given to the customer."""

    item = models.ForeignKey(CustomerProperty, on_delete=models.PROTECT, related_name="incidents",
                             verbose_name=_("顾客财产"))
    kind = models.CharField(_("情况"), max_length=20, choices=IncidentKind.choices)
    description = models.TextField(_("经过说明"))
    notice_text = models.TextField(_("通知顾客内容"))
    notified_on = models.DateField(_("通知日期"))
    notified_contact = models.CharField(_("顾客被通知人"), max_length=50)
    channel = models.CharField(_("通知方式"), max_length=20, choices=ConfirmationChannel.choices)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("报告人"))
    reported_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    customer_reply = models.TextField(_("顾客处理意见"), blank=True)

    class Meta:
        verbose_name = _("顾客财产异常通知")
        verbose_name_plural = _("顾客财产异常通知")
        ordering = ["item", "reported_at", "id"]

    def __str__(self):
        return f"{self.item} · {self.get_kind_display()}"
