"""Forms of the isolation area: the review 《隔离产品评审表》, the disposition done, the re-inspection."""
from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from production.models import Disposition, InspectionStatus


def _helper():
    helper = FormHelper()
    helper.form_tag = False
    return helper


class ReviewForm(forms.Form):
    disposition = forms.ChoiceField(label=_("处置方式"), choices=Disposition.choices)
    instruction = forms.CharField(label=_("返工/处置指令"), widget=forms.Textarea(attrs={"rows": 4}))
    concession_by = forms.CharField(label=_("让步批准人"), max_length=50, required=False,
                                    help_text=_("处置方式为让步接收时必填。"))
    password = forms.CharField(label=_("密码（确认身份）"), widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        if data.get("disposition") == Disposition.CONCESSION and not (data.get("concession_by") or "").strip():
            self.add_error("concession_by", _("让步接收须填写批准人。"))
        return data


class ReworkForm(forms.Form):
    rework_note = forms.CharField(label=_("处置完成情况"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ReinspectionForm(forms.Form):
    result = forms.ChoiceField(label=_("复检结论"), choices=[
        (value, label) for value, label in InspectionStatus.choices
        if value in (InspectionStatus.CONFORMING, InspectionStatus.CONCESSION, InspectionStatus.NONCONFORMING)])
    note = forms.CharField(label=_("复检记录"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    concession_by = forms.CharField(label=_("让步批准人"), max_length=50, required=False)
    password = forms.CharField(label=_("密码（确认身份）"), widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        if data.get("result") == InspectionStatus.CONCESSION and not (data.get("concession_by") or "").strip():
            self.add_error("concession_by", _("让步接收须填写批准人。"))
        return data
