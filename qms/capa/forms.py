from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from qms.capa.models import Capa, CapaAction
from qms.capa.services import action_due_refusal
from qms.people import Department, User
from qms.widgets import DateInput


def _staff():
    return User.objects.filter(is_active=True).select_related("department").order_by("department__code", "username")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name}（{obj.department or '—'}）"


class CapaRaiseForm(forms.ModelForm):
    responsible = StaffChoiceField(label=_("责任人"), queryset=User.objects.none())
    responsible_department = forms.ModelChoiceField(label=_("责任部门"), queryset=Department.objects.filter(is_active=True),
                                                    required=False, help_text=_("不填则为责任人所在部门"))

    class Meta:
        model = Capa
        fields = ["kind", "source", "source_reference", "title", "nonconformity", "responsible",
                  "responsible_department"]
        widgets = {"nonconformity": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = _staff()
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        responsible = cleaned.get("responsible")
        if responsible and not (cleaned.get("responsible_department") or responsible.department):
            self.add_error("responsible_department", _("责任人没有所属部门，请选择责任部门。"))
        return cleaned


class CapaPlanForm(forms.ModelForm):
    class Meta:
        model = Capa
        fields = ["cause_analysis", "plan"]
        widgets = {"cause_analysis": forms.Textarea(attrs={"rows": 5}), "plan": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cause_analysis"].required = True
        self.fields["plan"].required = True
        self.helper = FormHelper()
        self.helper.form_tag = False


class CapaActionForm(forms.ModelForm):
    owner = StaffChoiceField(label=_("执行人"), queryset=User.objects.none())

    class Meta:
        model = CapaAction
        fields = ["description", "owner", "due_date"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}),
                   "due_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _staff()
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_due_date(self):
        due_date = self.cleaned_data["due_date"]
        if refused := action_due_refusal(due_date):
            raise forms.ValidationError(refused)
        return due_date


class ActionResultForm(forms.Form):
    result = forms.CharField(label=_("完成情况"), widget=forms.Textarea(attrs={"rows": 2}))
