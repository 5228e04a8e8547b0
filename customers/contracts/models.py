"""The anchor records of §2: the opportunity (商机), the contract/order (合同/订单) and its lines.

Review, register, change, special requirements, shipments, payments and customer property hang off these.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms import audit


class OpportunityStage(models.TextChoices):
    LEAD = "lead", _("初步接洽")
    NEEDS = "needs", _("需求确认")
    PROPOSAL = "proposal", _("方案报价")
    NEGOTIATION = "negotiation", _("谈判审核")
    WON = "won", _("赢单")
    LOST = "lost", _("输单")


# the chance of winning at each stage, for the funnel's weighted amount (赢率)
STAGE_PROBABILITY = {OpportunityStage.LEAD: 10, OpportunityStage.NEEDS: 30, OpportunityStage.PROPOSAL: 50,
                     OpportunityStage.NEGOTIATION: 80, OpportunityStage.WON: 100, OpportunityStage.LOST: 0}
OPEN_STAGES = (OpportunityStage.LEAD, OpportunityStage.NEEDS, OpportunityStage.PROPOSAL,
               OpportunityStage.NEGOTIATION)


@audit.track()
class Opportunity(models.Model):
    """商机: a chance of business with a key account, with its stage, expected amount and close date."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="opportunities",
                                 verbose_name=_("客户"))
    title = models.CharField(_("商机名称"), max_length=100)
    stage = models.CharField(_("销售阶段"), max_length=20, choices=OpportunityStage.choices,
                             default=OpportunityStage.LEAD)
    expected_amount = models.DecimalField(_("预计金额（元）"), max_digits=14, decimal_places=2,
                                          validators=[MinValueValidator(0)])
    expected_close_on = models.DateField(_("预计成交日期"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opportunities",
                              verbose_name=_("负责人"))
    notes = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("阶段变更时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("商机")
        verbose_name_plural = _("商机")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["stage", "-created_at"], name="opportunity_stage"),
                   models.Index(fields=["owner", "stage"], name="opportunity_owner_stage"),
                   models.Index(fields=["customer", "-created_at"], name="opportunity_customer"),
                   models.Index(fields=["expected_close_on"], name="opportunity_close_on")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("customers:opportunity_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def probability(self) -> int:
        return STAGE_PROBABILITY.get(self.stage, 0)


class OrderForm(models.TextChoices):
    """How the order came in: an oral or phone order is a draft until its written confirmation is on file."""

    WRITTEN = "written", _("书面合同")
    EMAIL = "email", _("邮件订单")
    FAX = "fax", _("传真订单")
    PHONE = "phone", _("电话订单")
    ORAL = "oral", _("口头订单")

    @classmethod
    def needs_written_confirmation(cls, value) -> bool:
        return value in (cls.PHONE, cls.ORAL)


class ContractClass(models.TextChoices):
    REGULAR = "regular", _("常规合同")
    SPECIAL = "special", _("非常规合同")


class ReviewRoute(models.TextChoices):
    """Who reviews and who approves (seed 002 §5.3.3): fixed when the contract is sent to review."""

    SALES_ONLY = "sales_only", _("常规合同（有库存）：销售评审")
    SALES_VP = "sales_vp", _("常规合同（无库存）：PMC、采购、销售会签，销售副总批准")
    GM = "gm", _("非常规合同：技术、品质、生产、采购、销售会签，总经理批准")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("评审中")
    AWAITING_APPROVAL = "awaiting_approval", _("待批准")
    APPROVED = "approved", _("已批准")
    REGISTERED = "registered", _("已登记")
    COMPLETED = "completed", _("已完成")
    REJECTED = "rejected", _("未接受")
    CANCELLED = "cancelled", _("已取消")


@audit.track()
class Contract(models.Model):
    """合同/订单 with the customer's requirements (stated, implied, statutory, additional), its class and review."""

    number = models.CharField(_("合同编号"), max_length=30, blank=True, editable=False,
                              help_text=_("登记时按合同台账编号"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="contracts",
                                 verbose_name=_("客户"))
    opportunity = models.ForeignKey(Opportunity, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="contracts", verbose_name=_("来源商机"))
    title = models.CharField(_("合同名称"), max_length=100)
    customer_reference = models.CharField(_("客户订单号"), max_length=50, blank=True)
    order_form = models.CharField(_("订单形式"), max_length=20, choices=OrderForm.choices, default=OrderForm.WRITTEN)
    ordered_on = models.DateField(_("下单日期"), default=timezone.localdate)
    delivery_date = models.DateField(_("交货日期"))
    delivery_address = models.CharField(_("交货地点"), max_length=200, blank=True)
    packaging = models.TextField(_("包装要求"), blank=True)
    payment_terms = models.TextField(_("付款条件"), blank=True)
    stated_requirements = models.TextField(_("明示要求"), blank=True,
                                           help_text=_("质量、价格、交付、交付后服务等顾客明确提出的要求"))
    implied_requirements = models.TextField(_("隐含要求"), blank=True,
                                            help_text=_("顾客虽未明示，但规定用途或已知预期用途所必需的要求"))
    statutory_requirements = models.TextField(_("法律法规要求"), blank=True)
    additional_requirements = models.TextField(_("本公司附加要求"), blank=True)
    total_amount = models.DecimalField(_("合同金额（元）"), max_digits=14, decimal_places=2, default=0,
                                       editable=False)
    margin_percent = models.DecimalField(_("毛利率（%）"), max_digits=5, decimal_places=2, null=True, blank=True)

    # classification inputs (the seed's criteria) and result
    in_stock = models.BooleanField(_("有库存"), default=False)
    within_capacity = models.BooleanField(_("数量和交期在产能范围内"), default=True)
    over_technical_requirements = models.BooleanField(_("超出现有技术要求"), default=False)
    terms_clear = models.BooleanField(_("包装、价格、付款条件明确"), default=True)
    contract_class = models.CharField(_("合同类别"), max_length=20, choices=ContractClass.choices,
                                      default=ContractClass.REGULAR, editable=False)
    class_reasons = models.JSONField(_("分类理由"), default=list, blank=True, editable=False)
    class_raised_reason = models.CharField(_("提升类别的理由"), max_length=200, blank=True)
    class_raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", verbose_name=_("提升类别人"), editable=False)
    class_raised_at = models.DateTimeField(_("提升类别时间"), null=True, blank=True, editable=False)
    review_route = models.CharField(_("评审路线"), max_length=20, choices=ReviewRoute.choices, blank=True,
                                    editable=False)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("批准人"), editable=False)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True, editable=False)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contracts",
                              verbose_name=_("业务员"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("制单人"))
    created_at = models.DateTimeField(_("制单时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # register (合同台账)
    registered_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("登记人"))
    original_to_finance_at = models.DateTimeField(_("原件交财务时间"), null=True, blank=True)
    original_to_finance_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="+",
                                               verbose_name=_("原件移交人"))
    finance_received_at = models.DateTimeField(_("财务签收时间"), null=True, blank=True)
    finance_received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+",
                                            verbose_name=_("财务签收人"))

    class Meta:
        verbose_name = _("合同/订单")
        verbose_name_plural = _("合同/订单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="contract_status"),
            models.Index(fields=["customer", "-created_at"], name="contract_customer"),
            models.Index(fields=["owner", "-created_at"], name="contract_owner"),
            models.Index(fields=["contract_class", "-created_at"], name="contract_class"),
            models.Index(fields=["-created_at"], name="contract_created"),
            models.Index(fields=["delivery_date"], name="contract_delivery"),
            GinIndex(OpClass(Upper("title"), name="gin_trgm_ops"), name="contract_title_trgm"),
            GinIndex(OpClass(Upper("number"), name="gin_trgm_ops"), name="contract_number_trgm"),
        ]
        constraints = [models.UniqueConstraint(fields=["number"], condition=~Q(number=""),
                                               name="contract_unique_number")]

    def __str__(self):
        return f"{self.number or _('草稿')} {self.title}"

    def get_absolute_url(self):
        return reverse("customers:contract_detail", args=[self.pk])

    # §2 Retention: contract review records are kept five years from registration
    RETENTION_YEARS = 5

    @property
    def retained_until(self):
        if self.registered_at is None:
            return None
        registered = timezone.localtime(self.registered_at).date()
        try:
            return registered.replace(year=registered.year + self.RETENTION_YEARS)
        except ValueError:  # 29 February
            return registered.replace(year=registered.year + self.RETENTION_YEARS, day=28)

    @property
    def lines_digest(self) -> str:
        """The lines as reviewed, for the approval signature's hash: a changed line voids the approval."""
        rows = self.lines.order_by("line_no").values_list("line_no", "product", "specification", "quantity", "unit",
                                                            "unit_price", "delivery_date", "is_standard_product",
                                                            "is_new_product")
        return "|".join(";".join(str(value) for value in row) for row in rows)

    # what the approval signature binds: the contract as reviewed (not its number or register fields, given later)
    SIGNED_FIELDS = ("customer_id", "title", "customer_reference", "order_form", "ordered_on", "delivery_date",
                     "delivery_address", "packaging", "payment_terms", "stated_requirements", "implied_requirements",
                     "statutory_requirements", "additional_requirements", "total_amount", "margin_percent",
                     "contract_class", "owner_id", "lines_digest")


class ChangeSource(models.TextChoices):
    CUSTOMER = "customer", _("顾客提出")
    OURS = "ours", _("我方提出")


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("再评审中")
    EFFECTIVE = "effective", _("已生效")
    REJECTED = "rejected", _("不同意变更")
    CANCELLED = "cancelled", _("已取消")


@audit.track()
class ContractChange(models.Model):
    """合同变更通知单: a change of an accepted contract, from the customer or from us, with the values before and
    after. A delivery date moved by at most ``PHONE_RECORD_DAYS`` days needs only a phone record and a notice to
    production; any other change is re-reviewed by the affected departments, and a delivery date moved further
    takes effect only with the customer's written confirmation attached (seed 002 §6.5)."""

    PHONE_RECORD_DAYS = 5

    number = models.CharField(_("变更单编号"), max_length=30, unique=True, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="changes", verbose_name=_("合同"))
    source = models.CharField(_("变更提出方"), max_length=20, choices=ChangeSource.choices,
                              default=ChangeSource.CUSTOMER)
    description = models.TextField(_("变更内容及原因"))
    new_delivery_date = models.DateField(_("变更后交货日期"), null=True, blank=True)
    new_packaging = models.TextField(_("变更后包装要求"), blank=True)
    new_payment_terms = models.TextField(_("变更后付款条件"), blank=True)
    # [{"field": "delivery_date", "before": "2027-03-31", "after": "2027-04-15"}, …]: kept when raised
    values = models.JSONField(_("变更前后"), default=list, editable=False)
    affected_parties = models.JSONField(_("受影响的部门"), default=list, blank=True)
    phone_record = models.TextField(_("电话记录"), blank=True,
                                    help_text=_("交期调整不超过 5 天时：与顾客通话的时间、对方、内容"))
    status = models.CharField(_("状态"), max_length=20, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("提出人"))
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    effective_at = models.DateTimeField(_("生效时间"), null=True, blank=True, editable=False)
    production_notified_at = models.DateTimeField(_("通知生产时间"), null=True, blank=True, editable=False)
    # the contract's signed content before this change took effect (its approval signature's round)
    contract_before = models.JSONField(_("变更前合同内容"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("合同变更")
        verbose_name_plural = _("合同变更")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contract", "-created_at"], name="contract_change_contract"),
                   models.Index(fields=["status", "-created_at"], name="contract_change_status"),
                   models.Index(fields=["contract", "effective_at"], name="contract_change_effective",
                                condition=Q(effective_at__isnull=False))]

    def __str__(self):
        return f"{self.number} {self.contract.title}"

    def get_absolute_url(self):
        return reverse("customers:change_detail", args=[self.pk])

    @property
    def delay_days(self) -> int | None:
        before = next((row.get("before") for row in self.values if row.get("field") == "delivery_date"), None)
        if not before or self.new_delivery_date is None:
            return None
        import datetime as dt

        return (self.new_delivery_date - dt.date.fromisoformat(before)).days

    @property
    def delivery_only(self) -> bool:
        return [row.get("field") for row in self.values] == ["delivery_date"]

    @property
    def by_phone_record(self) -> bool:
        """A delivery date moved by at most 5 days and nothing else: a phone record and a notice to production."""
        return self.delivery_only and self.delay_days is not None and abs(self.delay_days) <= self.PHONE_RECORD_DAYS

    @property
    def needs_customer_confirmation(self) -> bool:
        return self.delay_days is not None and abs(self.delay_days) > self.PHONE_RECORD_DAYS


@audit.track()
class ContractPolicy(models.Model):
    """The settings row of contract review, edited in the admin: the margin below which a contract is special."""

    min_margin_percent = models.DecimalField(_("最低毛利率（%）"), max_digits=5, decimal_places=2, default=15,
                                             help_text=_("毛利率低于此值的合同为非常规合同"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("合同评审设置")
        verbose_name_plural = _("合同评审设置")

    def __str__(self):
        return str(_("合同评审设置"))

    @classmethod
    def current(cls) -> "ContractPolicy":
        return cls.objects.order_by("pk").first() or cls.objects.create()


@audit.track()
class ContractLine(models.Model):
    """A product line of the contract: product, specification, quantity, unit price and its delivery date."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="lines", verbose_name=_("合同"))
    line_no = models.PositiveSmallIntegerField(_("行号"))
    product = models.CharField(_("产品名称"), max_length=100)
    specification = models.CharField(_("规格型号"), max_length=100, blank=True)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    unit = models.CharField(_("单位"), max_length=10, default="件")
    unit_price = models.DecimalField(_("单价（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2, default=0, editable=False)
    delivery_date = models.DateField(_("交货日期"), null=True, blank=True)
    is_standard_product = models.BooleanField(_("公司标准产品"), default=True)
    is_new_product = models.BooleanField(_("新产品"), default=False)

    class Meta:
        verbose_name = _("合同明细")
        verbose_name_plural = _("合同明细")
        ordering = ["contract", "line_no"]
        constraints = [models.UniqueConstraint(fields=["contract", "line_no"], name="contract_line_unique_no")]
        indexes = [GinIndex(OpClass(Upper("product"), name="gin_trgm_ops"), name="contract_line_product_trgm")]

    def __str__(self):
        return f"{self.product} {self.specification}".strip()

    def save(self, *args, **kwargs):
        self.amount = (self.quantity or 0) * (self.unit_price or 0)
        super().save(*args, **kwargs)


@audit.track()
class PaymentInstalment(models.Model):
    """回款计划: one instalment of a contract's payment plan. ``paid_amount`` is the sum of its payment records,
    kept by the payment service; an instalment past its due date and not fully paid is overdue and counts against
    the customer's payment integrity (the contract classification reads it)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="instalments",
                                 verbose_name=_("合同"))
    seq = models.PositiveSmallIntegerField(_("期次"))
    due_on = models.DateField(_("计划回款日期"))
    amount = models.DecimalField(_("计划回款金额（元）"), max_digits=14, decimal_places=2,
                                 validators=[MinValueValidator(0)])
    paid_amount = models.DecimalField(_("已回款金额（元）"), max_digits=14, decimal_places=2, default=0, editable=False)
    settled_at = models.DateTimeField(_("结清时间"), null=True, blank=True, editable=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("回款计划")
        verbose_name_plural = _("回款计划")
        ordering = ["contract", "seq"]
        constraints = [models.UniqueConstraint(fields=["contract", "seq"], name="instalment_unique_seq"),
                       # the database refuses an over-payment even if a service forgot to check
                       models.CheckConstraint(condition=Q(amount__gt=0) & Q(paid_amount__gte=0)
                                              & Q(paid_amount__lte=models.F("amount")),
                                              name="instalment_paid_within_amount")]
        indexes = [models.Index(fields=["due_on"], name="instalment_open_due", condition=Q(settled_at__isnull=True))]

    def __str__(self):
        return f"{self.contract} #{self.seq}"

    def get_absolute_url(self):
        return reverse("customers:contract_payments", args=[self.contract_id])

    @property
    def outstanding(self):
        return self.amount - self.paid_amount


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("回款")
    REVERSAL = "reversal", _("冲销")


@audit.track()
class Payment(models.Model):
    """回款记录, entered by finance against an instalment of the plan. A wrong record is never changed or deleted:
    a reversal (冲销) record with the negative amount and a reason cancels it, and the right one is entered anew."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="payments", verbose_name=_("合同"))
    instalment = models.ForeignKey(PaymentInstalment, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="payments", verbose_name=_("回款期次"))
    kind = models.CharField(_("类型"), max_length=20, choices=PaymentKind.choices, default=PaymentKind.PAYMENT)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversal", verbose_name=_("冲销的回款记录"))
    reason = models.CharField(_("冲销原因"), max_length=200, blank=True)
    received_on = models.DateField(_("回款日期"))
    # negative for a reversal, so that the instalment's paid amount is the plain sum of its records
    amount = models.DecimalField(_("回款金额（元）"), max_digits=14, decimal_places=2)
    method = models.CharField(_("回款方式"), max_length=20, blank=True)
    reference = models.CharField(_("凭证号"), max_length=50, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("登记人"))
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回款记录")
        verbose_name_plural = _("回款记录")
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["contract", "-received_on"], name="payment_contract"),
                   models.Index(fields=["received_on"], name="payment_date"),
                   models.Index(fields=["instalment", "received_on"], name="payment_instalment")]
        constraints = [models.CheckConstraint(
            condition=(Q(kind="payment", amount__gt=0, reverses__isnull=True)
                       | (Q(kind="reversal", amount__lt=0, reverses__isnull=False) & ~Q(reason=""))),
            name="payment_reversal_shape")]

    def __str__(self):
        return f"{self.contract} {self.received_on} {self.amount}"

    def get_absolute_url(self):
        return reverse("customers:contract_payments", args=[self.contract_id])

    @property
    def is_reversed(self) -> bool:
        return hasattr(self, "reversal")
