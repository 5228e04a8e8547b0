"""Forms of the complaint pages: intake, the clock actions, raising a CAPA (the moves' forms: ``forms_moves``)."""
from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.forms_moves import StaffChoiceField, staff
from complaints.models import Clock, Complaint
from customers.models import Customer
from qms.attachments import ACCEPT, AttachmentRefused, validate_upload
from qms.capa.models import CapaKind
from qms.people import Department, User, visible_to
from qms.widgets import DateTimeInput

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _helper():
    helper = FormHelper()
    helper.form_tag = False
    return helper


class CustomerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.get_grade_display()}）"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several photos or letters in one field, each checked like any attachment (type by content, size)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        cleaned = [single(item, initial) for item in files]
        for uploaded in cleaned:
            try:
                validate_upload(uploaded)
            except AttachmentRefused as refusal:
                raise forms.ValidationError(str(refusal)) from refusal
        return cleaned


class ComplaintForm(forms.ModelForm):
    """《客户投诉记录表》/《顾客信息反馈记录表》: whoever receives the complaint records it (首问负责制)."""

    customer = CustomerChoiceField(label=gettext_lazy("客户档案"), queryset=Customer.objects.none(), required=False,
                                   help_text=gettext_lazy("在上方输入客户名称搜索；档案中没有的客户请直接填写客户名称"))
    received_at = forms.DateTimeField(label=gettext_lazy("受理时间"), input_formats=DATETIME_FORMATS, required=False,
                                      widget=DateTimeInput(),
                                      help_text=gettext_lazy("不填则为现在；各项时限从受理时间起算"))
    attachments = MultipleFileField(label=gettext_lazy("附件（照片、来函等）"), required=False)

    class Meta:
        model = Complaint
        fields = ["type", "channel", "customer", "customer_name", "contact_name", "contact_phone", "product", "batch",
                  "quantity", "description", "customer_request", "requires_on_site", "received_at"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4}),
                   "customer_request": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["customer"]
        field.queryset = visible_to(user, Customer.objects.all())
        # Only the chosen customer is rendered as an option; the search box fills the list (the archive may be
        # far too large for one <select>).
        chosen = self._chosen_customer()
        field.widget.choices = [("", "---------")] + (
            [(chosen.pk, field.label_from_instance(chosen))] if chosen else [])
        self.fields["customer_name"].required = False
        self.fields["description"].error_messages["required"] = _("请填写问题描述。")
        self.fields["channel"].error_messages["required"] = _("请选择渠道。")
        self.helper = _helper()

    def _chosen_customer(self):
        value = self.data.get(self.add_prefix("customer")) if self.is_bound else self.initial.get("customer")
        if isinstance(value, Customer):
            return value
        if not value or not str(value).isdigit():
            return None
        return self.fields["customer"].queryset.filter(pk=value).first()

    def clean_received_at(self):
        value = self.cleaned_data.get("received_at")
        if value and value > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("受理时间不能晚于现在。"))
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("customer") and not (cleaned.get("customer_name") or "").strip():
            self.add_error("customer_name", _("请选择客户档案或填写客户名称。"))
        return cleaned


class ClockActionForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)
    written_reply = forms.CharField(label=gettext_lazy("书面答复（处理方案）"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, clock, **kwargs):
        super().__init__(*args, **kwargs)
        if clock == Clock.WRITTEN_REPLY:
            self.fields["written_reply"].required = True
            self.fields["written_reply"].error_messages["required"] = _("请填写书面答复（处理方案）的内容。")
        else:
            del self.fields["written_reply"]
        self.helper = _helper()


class CapaFromComplaintForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("类别"), choices=CapaKind.choices, initial=CapaKind.CORRECTIVE)
    title = forms.CharField(label=gettext_lazy("标题"), max_length=200)
    nonconformity = forms.CharField(label=gettext_lazy("不合格/问题描述"), widget=forms.Textarea(attrs={"rows": 4}))
    responsible = StaffChoiceField(label=gettext_lazy("责任人"), queryset=User.objects.none())
    responsible_department = forms.ModelChoiceField(label=gettext_lazy("责任部门"), required=False,
                                                    queryset=Department.objects.filter(is_active=True),
                                                    help_text=gettext_lazy("不填则为责任人所在部门"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = staff()
        self.helper = _helper()

    def clean(self):
        cleaned = super().clean()
        responsible = cleaned.get("responsible")
        if responsible and not (cleaned.get("responsible_department") or responsible.department):
            self.add_error("responsible_department", _("责任人没有所属部门，请选择责任部门。"))
        return cleaned
