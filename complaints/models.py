"""Complaints and customer feedback (PROCEDURES.md §3), returns (§2 退货单), medical-device adverse events,
advisory notices (忠告性通知) and the yearly satisfaction survey (§2 客户满意度调查).

A complaint's status changes only through the shared workflow (qms.workflow); its clocks (first reply,
on-site visit, investigation start, accepted reply, written reply) are shared deadlines (qms.deadlines) of
the kinds in ``Clock``. CAPAs raised from a complaint link back to it through the CAPA's source record.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms import audit
from qms.links import detail_url


class FeedbackType(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    SUGGESTION = "suggestion", _("建议")
    PRAISE = "praise", _("表扬")
    INQUIRY = "inquiry", _("咨询")


class Channel(models.TextChoices):
    PHONE = "phone", _("电话")
    EMAIL = "email", _("邮件")
    FAX = "fax", _("传真")
    LETTER = "letter", _("来函")
    VISIT = "visit", _("来访")
    SURVEY = "survey", _("调查")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("已登记")
    ASSIGNED = "assigned", _("已分派")
    INVESTIGATING = "investigating", _("调查中")
    CORRECTING = "correcting", _("处理中")
    CONFIRMING = "confirming", _("待客户确认")
    RETURN_VISIT = "return_visit", _("待回访")
    CLOSED = "closed", _("已关闭")
    INVALID = "invalid", _("无效投诉")


# Still being worked on (the work list's partial index names them; services.complaints.OPEN_STATUSES)
OPEN_COMPLAINT_STATUSES = (ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED, ComplaintStatus.INVESTIGATING,
                           ComplaintStatus.CORRECTING, ComplaintStatus.CONFIRMING, ComplaintStatus.RETURN_VISIT)


class Responsibility(models.TextChoices):
    OURS = "ours", _("我方责任")
    CUSTOMER_MISUSE = "customer_misuse", _("客户使用不当")
    SUPPLIER = "supplier", _("供应商责任")
    NOT_ESTABLISHED = "not_established", _("责任未确定")


class Severity(models.TextChoices):
    MINOR = "minor", _("一般")
    MAJOR = "major", _("严重")
    CRITICAL = "critical", _("重大")


class CorrectionKind(models.TextChoices):
    REPLACEMENT = "replacement", _("换货")
    REWORK = "rework", _("返工/返修")
    CREDIT = "credit", _("折让/退款")
    EXPLANATION = "explanation", _("解释说明")
    OTHER = "other", _("其他")


class Clock(models.TextChoices):
    """The clocks of §3, each a shared deadline of this kind on the complaint."""

    FIRST_REPLY = "first_reply", _("首次答复（8 小时）")
    ON_SITE = "on_site", _("到场处理（8 小时）")
    INVESTIGATION = "investigation", _("开始调查（1 个工作日）")
    ACCEPTED_REPLY = "accepted_reply", _("客户认可的答复（2 个工作日）")
    WRITTEN_REPLY = "written_reply", _("书面处理方案（一周）")


class AdverseSeriousness(models.TextChoices):
    DEATH = "death", _("导致死亡")
    SERIOUS = "serious", _("严重伤害")
    OTHER = "other", _("其他")


@audit.track()
class Complaint(models.Model):
    number = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    type = models.CharField(_("类型"), max_length=20, choices=FeedbackType.choices, default=FeedbackType.COMPLAINT)
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="complaints", verbose_name=_("客户"))
    customer_name = models.CharField(_("客户名称"), max_length=100,
                                     help_text=_("客户档案中没有的客户也可登记"))
    is_key_account = models.BooleanField(_("大客户"), default=False)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    product = models.CharField(_("产品"), max_length=100, blank=True)
    batch = models.CharField(_("批号"), max_length=50, blank=True)
    quantity = models.PositiveIntegerField(_("数量"), null=True, blank=True)
    description = models.TextField(_("问题描述"))
    customer_request = models.TextField(_("客户要求"), blank=True)
    requires_on_site = models.BooleanField(_("需要到场处理"), default=False)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("受理人"))
    received_at = models.DateTimeField(_("受理时间"), default=timezone.now)

    responsible_department = models.ForeignKey("qms.Department", null=True, blank=True, on_delete=models.PROTECT,
                                               related_name="+", verbose_name=_("责任部门"))
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="complaints", verbose_name=_("处理人"))

    is_valid = models.BooleanField(_("投诉成立"), null=True, blank=True)
    responsibility = models.CharField(_("责任归属"), max_length=20, choices=Responsibility.choices, blank=True)
    severity = models.CharField(_("严重程度"), max_length=20, choices=Severity.choices, blank=True)
    cause = models.TextField(_("原因分析"), blank=True)
    correction_kind = models.CharField(_("处理方式"), max_length=20, choices=CorrectionKind.choices, blank=True)
    correction = models.TextField(_("处理措施"), blank=True)
    written_reply = models.TextField(_("书面答复"), blank=True)
    invalid_explanation = models.TextField(_("对客户的解释"), blank=True)
    customer_confirmation = models.TextField(_("客户确认"), blank=True,
                                             help_text=_("客户签字确认或电话确认的记录"))
    return_visit_opinion = models.TextField(_("回访意见"), blank=True)

    # when each clock was met (the deadlines hold the due times)
    first_replied_at = models.DateTimeField(_("首次答复时间"), null=True, blank=True)
    on_site_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    investigation_started_at = models.DateTimeField(_("开始调查时间"), null=True, blank=True)
    accepted_reply_at = models.DateTimeField(_("客户认可答复时间"), null=True, blank=True)
    written_reply_at = models.DateTimeField(_("书面答复时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("客户确认时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    # 医疗器械不良事件
    is_adverse_event = models.BooleanField(_("疑似医疗器械不良事件"), default=False)
    adverse_seriousness = models.CharField(_("事件后果"), max_length=20, choices=AdverseSeriousness.choices,
                                           blank=True)
    adverse_description = models.TextField(_("事件经过"), blank=True)
    adverse_reported_at = models.DateTimeField(_("报告时间"), null=True, blank=True)

    status = models.CharField(_("状态"), max_length=20, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.RECEIVED)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # What a signature (closing, declaring invalid) binds: the record's content, not the clock timestamps that
    # the moves themselves write, so that recording the closing time does not void the closing signature.
    SIGNED_FIELDS = ("number", "type", "channel", "customer_id", "customer_name", "is_key_account", "contact_name",
                     "contact_phone", "product", "batch", "quantity", "description", "customer_request",
                     "requires_on_site", "received_by_id", "received_at", "responsible_department_id",
                     "responsible_id", "is_valid", "responsibility", "severity", "cause", "correction_kind",
                     "correction", "written_reply", "invalid_explanation", "customer_confirmation",
                     "return_visit_opinion")

    class Meta:
        verbose_name = _("客户投诉/反馈")
        verbose_name_plural = _("客户投诉/反馈")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="complaint_status"),
            models.Index(fields=["type", "-received_at"], name="complaint_type"),
            models.Index(fields=["customer", "-received_at"], name="complaint_customer"),
            models.Index(fields=["product", "-received_at"], name="complaint_product"),
            models.Index(fields=["responsible_department", "-received_at"], name="complaint_department"),
            models.Index(fields=["responsible", "-received_at"], name="complaint_responsible"),
            models.Index(fields=["received_by", "-received_at"], name="complaint_receiver"),
            # 我的待办: a handler's open complaints in the work list's order, the first 31 read in index order
            models.Index(fields=["responsible", "-is_key_account", "received_at", "id"], name="complaint_open_work",
                         condition=Q(status__in=OPEN_COMPLAINT_STATUSES)),
            models.Index(fields=["-received_at"], name="complaint_received"),
            models.Index(fields=["customer", "product", "-received_at"], name="complaint_repeat"),
            models.Index(fields=["adverse_seriousness", "-received_at"], name="complaint_adverse",
                         condition=Q(is_adverse_event=True)),
            # the list's search box and the customer/product filters (icontains is UPPER(x) LIKE UPPER('%…%')):
            # trigram indexes on the same expressions let a search of three or more characters skip the scan
            GinIndex(OpClass(Upper("number"), name="gin_trgm_ops"), name="complaint_number_trgm"),
            GinIndex(OpClass(Upper("customer_name"), name="gin_trgm_ops"), name="complaint_customer_trgm"),
            GinIndex(OpClass(Upper("product"), name="gin_trgm_ops"), name="complaint_product_trgm"),
            GinIndex(OpClass(Upper("description"), name="gin_trgm_ops"), name="complaint_text_trgm"),
            models.Index(Upper("batch"), name="complaint_batch"),
        ]
        permissions = [("override_capa_close", _("可在纠正措施未验证时签字关闭投诉"))]

    def __str__(self):
        return f"{self.number} {self.customer_name}"

    get_absolute_url = detail_url("complaints:detail")

    @property
    def is_open(self) -> bool:
        return self.status not in (ComplaintStatus.CLOSED, ComplaintStatus.INVALID)


class ReturnStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已批准")
    TESTED = "tested", _("留样已检验")
    CLOSED = "closed", _("已关闭")
    REJECTED = "rejected", _("不予退货")
    VOIDED = "voided", _("已作废")


class ReturnOutcome(models.TextChoices):
    REPLACE = "replace", _("换货")
    REFUND = "refund", _("退款")
    REJECT = "reject", _("拒收")


@audit.track()
class ReturnOrder(models.Model):
    """退货单: approved by the sales manager (a batch return by the GM), the retained sample tested by quality,
    the returned goods handed to nonconforming-product control."""

    number = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    complaint = models.ForeignKey(Complaint, null=True, blank=True, on_delete=models.PROTECT, related_name="returns",
                                  verbose_name=_("关联投诉"))
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="returns", verbose_name=_("客户"))
    customer_name = models.CharField(_("客户名称"), max_length=100)
    product = models.CharField(_("产品"), max_length=100)
    specification = models.CharField(_("规格型号"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("数量"), validators=[MinValueValidator(1)])
    batch = models.CharField(_("批号"), max_length=50)
    is_batch_return = models.BooleanField(_("整批退货"), default=False)
    reason = models.TextField(_("退货原因"))
    sample_test_result = models.TextField(_("留样检验结果"), blank=True)
    outcome = models.CharField(_("处理结果"), max_length=20, choices=ReturnOutcome.choices, blank=True)
    storage_location = models.CharField(_("退货存放位置"), max_length=100, blank=True)
    nonconforming_reference = models.CharField(_("不合格品处理单号"), max_length=50, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("申请人"))
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.SUBMITTED)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("退货单")
        verbose_name_plural = _("退货单")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="return_status"),
                   models.Index(fields=["customer", "-created_at"], name="return_customer"),
                   models.Index(fields=["batch"], name="return_batch"),
                   models.Index(fields=["-created_at"], name="return_created")]

    def __str__(self):
        return f"{self.number} {self.product}"

    get_absolute_url = detail_url("complaints:return_detail")


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已发布")
    CLOSED = "closed", _("已关闭")


@audit.track()
class AdvisoryNotice(models.Model):
    """忠告性通知: drafted and issued by the MR to customers (and the authority); acknowledgements tracked."""

    number = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    title = models.CharField(_("标题"), max_length=200)
    product = models.CharField(_("产品"), max_length=100)
    batches = models.CharField(_("涉及批号"), max_length=200, blank=True)
    risk = models.TextField(_("风险说明"))
    actions = models.TextField(_("建议客户采取的措施"))
    complaint = models.ForeignKey(Complaint, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="advisory_notices", verbose_name=_("关联投诉"))
    authority_notified_at = models.DateTimeField(_("报告监管部门时间"), null=True, blank=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("起草人"))
    created_at = models.DateTimeField(_("起草时间"), default=timezone.now)
    issued_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("忠告性通知")
        verbose_name_plural = _("忠告性通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="notice_status")]

    def __str__(self):
        return f"{self.number} {self.title}"

    get_absolute_url = detail_url("complaints:notice_detail")


@audit.track()
class NoticeRecipient(models.Model):
    notice = models.ForeignKey(AdvisoryNotice, on_delete=models.PROTECT, related_name="recipients",
                               verbose_name=_("忠告性通知"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("客户"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认收到时间"), null=True, blank=True)
    acknowledged_by = models.CharField(_("确认人"), max_length=50, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("通知接收方")
        verbose_name_plural = _("通知接收方")
        ordering = ["notice", "id"]
        constraints = [models.UniqueConstraint(fields=["notice", "customer"], name="notice_recipient_once")]
        indexes = [models.Index(fields=["notice", "acknowledged_at"], name="notice_ack")]

    def __str__(self):
        return f"{self.notice.number} → {self.customer}"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("准备中")
    OPEN = "open", _("调查中")
    CLOSED = "closed", _("已结束")


@audit.track()
class SurveyCampaign(models.Model):
    """客户满意度调查: a yearly campaign (October by default) to chosen customers with scored questions."""

    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("标题"), max_length=200)
    opens_on = models.DateField(_("开始日期"))
    closes_on = models.DateField(_("截止日期"))
    low_score = models.PositiveSmallIntegerField(_("低分阈值"), default=3,
                                                 help_text=_("某题得分不高于此值时自动登记一条顾客反馈"))
    status = models.CharField(_("状态"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("满意度调查")
        verbose_name_plural = _("满意度调查")
        ordering = ["-year", "-id"]

    def __str__(self):
        return self.title

    get_absolute_url = detail_url("complaints:survey_detail")


class SurveyQuestion(models.Model):
    campaign = models.ForeignKey(SurveyCampaign, on_delete=models.CASCADE, related_name="questions",
                                 verbose_name=_("满意度调查"))
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    text = models.CharField(_("问题"), max_length=200)

    class Meta:
        verbose_name = _("调查问题")
        verbose_name_plural = _("调查问题")
        ordering = ["campaign", "order", "id"]

    def __str__(self):
        return self.text


@audit.track()
class SurveyResponse(models.Model):
    campaign = models.ForeignKey(SurveyCampaign, on_delete=models.PROTECT, related_name="responses",
                                 verbose_name=_("满意度调查"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="survey_responses",
                                 verbose_name=_("客户"))
    respondent = models.CharField(_("填写人"), max_length=50, blank=True)
    sent_at = models.DateTimeField(_("发出时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("回收时间"), null=True, blank=True)
    comment = models.TextField(_("意见和建议"), blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("录入人"))

    class Meta:
        verbose_name = _("调查答卷")
        verbose_name_plural = _("调查答卷")
        ordering = ["campaign", "customer_id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="survey_one_response")]

    def __str__(self):
        return f"{self.campaign} · {self.customer}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers",
                                 verbose_name=_("调查答卷"))
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="answers",
                                 verbose_name=_("问题"))
    score = models.PositiveSmallIntegerField(_("得分"), validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        verbose_name = _("得分")
        verbose_name_plural = _("得分")
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="survey_one_answer")]
        indexes = [models.Index(fields=["question", "score"], name="survey_answer_question")]

    def __str__(self):
        return f"{self.question}: {self.score}"
