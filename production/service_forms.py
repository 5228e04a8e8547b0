"""The forms of the service records: registering a field service record or a customer opinion, and the moves that
ask for every field they record (shown by the core's move view)."""
from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from qms.views.records import MoveForm
from qms.widgets import DateTimeInput
from production.service_models import OpinionKind

LONG = ("customer_comment", "cause", "measures", "reply", "outcome")


class RequiredMoveForm(MoveForm):
    """Every field the move records is asked for; long answers are text areas."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.recorded:
            if name in self.fields:
                self.fields[name].required = True
                if name in LONG:
                    self.fields[name].widget = forms.Textarea(attrs={"rows": 3})


def _helper():
    helper = FormHelper()
    helper.form_tag = False
    return helper


class _ComplaintNumberForm(forms.Form):
    complaint_number = forms.CharField(label=_("关联投诉编号"), max_length=30, required=False,
                                       help_text=_("为某一投诉服务时填写，如 TS-2026-0001"))

    def __init__(self, *args, complaints_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaints_queryset = complaints_queryset
        self.helper = _helper()

    def clean_complaint_number(self):
        number = (self.cleaned_data.get("complaint_number") or "").strip()
        if not number:
            return None
        complaint = self.complaints_queryset.filter(number=number).first()
        if complaint is None:
            raise forms.ValidationError(_("找不到编号为 %(number)s 的投诉。") % {"number": number})
        return complaint


class FieldServiceForm(_ComplaintNumberForm):
    customer_name = forms.CharField(label=_("客户名称"), max_length=100)
    site = forms.CharField(label=_("服务地点"), max_length=200)
    product = forms.CharField(label=_("产品"), max_length=100, required=False)
    batch = forms.CharField(label=_("批号"), max_length=60, required=False)
    arrived_at = forms.DateTimeField(label=_("到达现场时间"), widget=DateTimeInput)
    problem = forms.CharField(label=_("现场问题"), widget=forms.Textarea(attrs={"rows": 3}))
    work_done = forms.CharField(label=_("处理情况"), widget=forms.Textarea(attrs={"rows": 3}))


class CustomerOpinionForm(_ComplaintNumberForm):
    customer_name = forms.CharField(label=_("客户名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类别"), choices=OpinionKind.choices)
    product = forms.CharField(label=_("产品"), max_length=100, required=False)
    batch = forms.CharField(label=_("批号"), max_length=60, required=False)
    opinion = forms.CharField(label=_("顾客意见"), widget=forms.Textarea(attrs={"rows": 3}))
    rectification_request = forms.CharField(label=_("顾客整改要求"), widget=forms.Textarea(attrs={"rows": 3}),
                                            required=False, help_text=_("顾客提供《整改要求单》时摘录其要求"))
