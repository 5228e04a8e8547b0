from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from qms.attachments import ACCEPT
from renovation.models import (CHECKLIST_FIELDS, Application, ContractorKind, DocumentKind, EntryKind, FeeItem, Unit)
from renovation.services import applications as service


def _helper():
    helper = FormHelper()
    helper.form_tag = False
    return helper


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.building.project.name} {obj.building.name} {obj.number}（{obj.owner_name}）"


class ApplicationForm(forms.ModelForm):
    """《装修申请表》 with its documents: each required document is a file field (seed 5.1.1–5.1.5)."""

    unit = UnitChoiceField(label=_("房号"), queryset=Unit.objects.none())

    class Meta:
        model = Application
        fields = ["unit", *service.EDITABLE_FIELDS]
        widgets = {
            "scope": forms.Textarea(attrs={"rows": 4}),
            "planned_start": forms.DateInput(attrs={"type": "date"}),
            "planned_end": forms.DateInput(attrs={"type": "date"}),
            "work_hours_start": forms.TimeInput(attrs={"type": "time"}),
            "work_hours_end": forms.TimeInput(attrs={"type": "time"}),
        }
        help_texts = {"fire_approval_number": _("大型商铺/娱乐场所必填"),
                      "contractor_name": _("委托施工单位装修时必填")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing = set()
        if self.instance.pk:
            del self.fields["unit"]
            self.existing = service.present_documents(self.instance)
        else:
            self.fields["unit"].queryset = Unit.objects.select_related("building__project")
        for kind, label in DocumentKind.choices:
            self.fields[f"doc_{kind}"] = forms.FileField(
                label=label, required=False, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
                help_text=_("已上传，如需更换请重新选择文件") if kind in self.existing else "")
        self.helper = _helper()

    def clean_unit(self):
        unit = self.cleaned_data["unit"]
        existing = service.open_application_of(unit)
        if existing is not None:
            raise forms.ValidationError(
                _("该房号已有进行中的装修申请 %(number)s（%(status)s），同一房号同时只能有一项装修。"),
                params={"number": existing.number, "status": existing.get_status_display()})
        return unit

    def clean(self):
        cleaned = super().clean()
        unit = cleaned.get("unit") or (self.instance.unit if self.instance.pk else None)
        if unit is None:
            return cleaned
        if cleaned.get("contractor_kind") == ContractorKind.COMPANY and not cleaned.get("contractor_name"):
            self.add_error("contractor_name", _("委托施工单位装修须填写施工单位名称。"))
        if unit.is_large_commercial and not cleaned.get("fire_approval_number"):
            self.add_error("fire_approval_number", _("大型商铺/娱乐场所装修须填写消防部门审批文号。"))
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("计划完工日期不能早于开工日期。"))
        begin, finish = cleaned.get("work_hours_start"), cleaned.get("work_hours_end")
        if begin and finish and finish <= begin:
            self.add_error("work_hours_end", _("每日施工结束时间应晚于开始时间。"))
        required = service.required_documents(
            applicant_kind=cleaned.get("applicant_kind"), contractor_kind=cleaned.get("contractor_kind"),
            is_large_commercial=unit.is_large_commercial,
            works_air_conditioning=cleaned.get("works_air_conditioning"),
            works_electrical=cleaned.get("works_electrical"), works_plumbing=cleaned.get("works_plumbing"))
        for kind in required:
            if not cleaned.get(f"doc_{kind}") and kind not in self.existing:
                self.add_error(f"doc_{kind}", _("请上传%(kind)s。") % {"kind": DocumentKind(kind).label})
        return cleaned

    def documents(self) -> dict:
        return {kind: self.cleaned_data.get(f"doc_{kind}") for kind in DocumentKind.values
                if self.cleaned_data.get(f"doc_{kind}")}

    def fields_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in service.EDITABLE_FIELDS}


class ChecklistForm(forms.Form):
    """The engineering initial review of seed 5.2.1: tick what conforms."""

    opinion = forms.CharField(label=_("工程初审意见"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in reversed(CHECKLIST_FIELDS):
            field = Application._meta.get_field(name)
            self.fields = {name: forms.BooleanField(label=field.verbose_name, required=False,
                                                    initial=bool(getattr(application, name, False))),
                           **self.fields}
        if application is not None and application.engineering_opinion:
            self.fields["opinion"].initial = application.engineering_opinion
        self.helper = _helper()

    def points(self) -> dict:
        return {name: self.cleaned_data[name] for name in CHECKLIST_FIELDS}


class IdentityCheckForm(forms.Form):
    identity_verified = forms.BooleanField(label=_("已核验业主/租户身份"), required=False)
    regulations_handed_over = forms.BooleanField(label=_("已发放《装修管理规定》并经申请人确认"), required=False)
    contractor_checked = forms.BooleanField(label=_("已核验施工单位营业执照及资质"), required=False)
    note = forms.CharField(label=_("核验说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class LedgerEntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=[(EntryKind.CHARGE, EntryKind.CHARGE.label),
                                                      (EntryKind.PAYMENT, EntryKind.PAYMENT.label)])
    fee_item = forms.ModelChoiceField(label=_("收费项目"), queryset=FeeItem.objects.none())
    quantity = forms.IntegerField(label=_("数量"), min_value=1, initial=1)
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    receipt_number = forms.CharField(label=_("收据号"), max_length=40, required=False, help_text=_("收款必填"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        from renovation.services.fees import applicable_items

        self.fields["fee_item"].queryset = applicable_items(application) if application else FeeItem.objects.none()
        self.helper = _helper()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == EntryKind.PAYMENT and not cleaned.get("receipt_number"):
            self.add_error("receipt_number", _("收款须填写收据号。"))
        return cleaned


class UtilitiesForm(forms.Form):
    note = forms.CharField(label=_("水电开通说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
