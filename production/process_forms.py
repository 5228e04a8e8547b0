"""Forms of the process control records: requesting a setup verification, raising a specification change (the
verification's comparison, the discipline check's findings and the change's review are the fields of their moves,
asked by the core's move form)."""
from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from production.models import ProcessCard
from production.setup_models import SetupTrigger


def _helper():
    helper = FormHelper()
    helper.form_tag = False
    return helper


class SetupRequestForm(forms.Form):
    trigger = forms.ChoiceField(label=_("验证原因"), choices=SetupTrigger.choices)
    note = forms.CharField(label=_("情况说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           help_text=_("如更换的材料批号、模具编号、停产天数或难以判断的检验项目。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class SpecChangeForm(forms.Form):
    title = forms.CharField(label=_("更改标题"), max_length=200)
    process_card = forms.ModelChoiceField(label=_("工艺卡"), queryset=ProcessCard.objects.filter(is_active=True),
                                          required=False)
    description = forms.CharField(label=_("更改内容"), widget=forms.Textarea(attrs={"rows": 4}))
    reason = forms.CharField(label=_("更改原因"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
