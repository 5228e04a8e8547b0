"""Forms of the adverse-event and advisory-notice pages: flagging, the report to the regulator, freezing
stock; drafting a notice, issuing it, acknowledgements, the authority, closing."""
from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import AdverseSeriousness, AdvisoryNotice, Complaint
from complaints.services import adverse as adverse_service
from customers.models import Customer
from qms.widgets import DateTimeInput

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True  # the page's <form> carries the token
    return helper


def _datetime_field(label, *, required=True, help_text=""):
    return forms.DateTimeField(
        label=label, required=required, help_text=help_text, input_formats=DATETIME_FORMATS,
        widget=DateTimeInput(),
        error_messages={"required": _("请填写时间。"), "invalid": _("请按“年-月-日 时:分”填写时间。")})


def _local_now():
    return timezone.localtime().replace(second=0, microsecond=0)


class PasswordField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("密码（确认身份）"))
        kwargs.setdefault("widget", forms.PasswordInput(attrs={"autocomplete": "current-password"}))
        kwargs.setdefault("error_messages", {"required": gettext_lazy("请输入密码以签名。")})
        super().__init__(**kwargs)


# --- adverse events -------------------------------------------------------------------------------------
class AdverseFlagForm(forms.Form):
    seriousness = forms.ChoiceField(label=gettext_lazy("事件后果"), choices=AdverseSeriousness.choices,
                                    widget=forms.RadioSelect, help_text=adverse_service.DUE_RULE_TEXT,
                                    error_messages={"required": gettext_lazy("请选择事件后果。")})
    description = forms.CharField(
        label=gettext_lazy("事件经过"), widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("事件发生的时间、地点、经过，患者伤害情况，器械的使用情况"),
        error_messages={"required": gettext_lazy("请填写事件经过。")})

    def __init__(self, *args, record: Complaint, **kwargs):
        if record.is_adverse_event:
            kwargs.setdefault("initial", {"seriousness": record.adverse_seriousness,
                                          "description": record.adverse_description})
        else:
            kwargs.setdefault("initial", {"description": record.description})
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class AdverseReportForm(forms.Form):
    reported_at = _datetime_field(gettext_lazy("报告时间"), help_text=gettext_lazy("向监管部门提交报告的时间"))
    authority = forms.CharField(label=gettext_lazy("报告至"), max_length=100, required=False,
                                help_text=gettext_lazy("例如：国家医疗器械不良事件监测信息系统、所在地药品监督管理部门"))
    reference = forms.CharField(label=gettext_lazy("报告编号"), max_length=50, required=False,
                                help_text=gettext_lazy("监测系统返回的报告编号（如有）"))
    password = PasswordField()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"reported_at": _local_now(),
                                      "authority": _("国家医疗器械不良事件监测信息系统")})
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class FreezeForm(forms.Form):
    batch = forms.CharField(label=gettext_lazy("冻结批号"), max_length=50,
                            error_messages={"required": gettext_lazy("请填写要冻结的批号。")})
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False,
                           help_text=gettext_lazy("例如：成品仓及在途库存全部封存，停止发货"))

    def __init__(self, *args, record: Complaint, **kwargs):
        kwargs.setdefault("initial", {"batch": record.batch})
        super().__init__(*args, **kwargs)
        self.helper = _helper()


# --- advisory notices -----------------------------------------------------------------------------------
class CustomersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.get_grade_display()}）"


class NoticeForm(forms.ModelForm):
    complaint_number = forms.CharField(label=gettext_lazy("关联投诉编号"), max_length=30, required=False,
                                       help_text=gettext_lazy("由投诉或不良事件引起时填写，如 TS-2026-0001"))
    customers = CustomersField(
        label=gettext_lazy("接收通知的客户"), queryset=Customer.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 12, "class": "form-select"}),
        help_text=gettext_lazy("按住 Ctrl（或 ⌘）可多选"),
        error_messages={"required": gettext_lazy("请至少选择一个接收通知的客户。")})

    class Meta:
        model = AdvisoryNotice
        fields = ["title", "product", "batches", "risk", "actions"]
        widgets = {"risk": forms.Textarea(attrs={"rows": 4}), "actions": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"batches": gettext_lazy("多个批号用“、”分隔"),
                      "actions": gettext_lazy("例如：立即停止使用该批产品，隔离存放，等待我司换货")}
        error_messages = {
            "title": {"required": gettext_lazy("请填写标题。")},
            "product": {"required": gettext_lazy("请填写产品。")},
            "risk": {"required": gettext_lazy("请填写风险说明。")},
            "actions": {"required": gettext_lazy("请填写建议客户采取的措施。")},
        }

    def __init__(self, *args, complaints_queryset, **kwargs):
        instance = kwargs.get("instance")
        if instance is not None and instance.pk:
            initial = kwargs.setdefault("initial", {})
            initial.setdefault("customers", list(instance.recipients.values_list("customer_id", flat=True)))
            if instance.complaint_id:
                initial.setdefault("complaint_number", instance.complaint.number)
        super().__init__(*args, **kwargs)
        self.complaints_queryset = complaints_queryset
        self.fields["customers"].queryset = Customer.objects.only("pk", "name", "grade").order_by("name", "pk")
        self.helper = _helper()

    def clean_complaint_number(self):
        number = (self.cleaned_data.get("complaint_number") or "").strip()
        if not number:
            return None
        complaint = self.complaints_queryset.filter(number=number).first()
        if complaint is None:
            raise forms.ValidationError(_("找不到编号为 %(number)s 的投诉。") % {"number": number})
        return complaint


class AcknowledgementForm(forms.Form):
    acknowledged_by = forms.CharField(label=gettext_lazy("客户方确认人"), max_length=50,
                                      error_messages={"required": gettext_lazy("请填写客户方确认人。")})
    acknowledged_at = _datetime_field(gettext_lazy("确认时间"), required=False,
                                      help_text=gettext_lazy("不填则为现在"))
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False,
                           help_text=gettext_lazy("例如：传真回执、邮件回复、电话确认"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class AuthorityForm(forms.Form):
    notified_at = _datetime_field(gettext_lazy("报告监管部门时间"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"notified_at": _local_now()})
        super().__init__(*args, **kwargs)
        self.helper = _helper()
