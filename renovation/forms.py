from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from qms.attachments import ACCEPT
from qms.widgets import DateInput
from renovation.models import (CHECKLIST_FIELDS, ActionKind, Application, ClaimSource, ContractorKind, DocumentKind,
                               EntryKind, FeeItem, SiteInspection, Unit, ViolationKind, Worker)
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
            "planned_start": DateInput(),
            "planned_end": DateInput(),
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


class ReverseEntryForm(forms.Form):
    """冲销 a mistyped ledger entry: the reason and the checker's signature."""

    reason = forms.CharField(label=_("冲销原因"), max_length=200)
    password = forms.CharField(label=_("密码（确认身份，电子签名）"),
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class UtilitiesForm(forms.Form):
    note = forms.CharField(label=_("水电开通说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


# --- after the permit: workers, acceptance, claims, refund --------------------------------------------------
class WorkerForm(forms.ModelForm):
    """A line of 《施工人员登记表》; the photo goes on the worker's 《施工出入证》."""

    photo = forms.FileField(label=_("照片"), help_text=_("免冠正面照，JPG 或 PNG"),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))

    class Meta:
        model = Worker
        fields = ["name", "id_number", "phone", "trade"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class LostPassForm(forms.Form):
    reason = forms.CharField(label=_("挂失说明"), max_length=200)


class InspectionForm(forms.Form):
    """The joint inspection at completion (初验) or the re-inspection (复验)."""

    passed = forms.TypedChoiceField(label=_("验收结论"), coerce=lambda value: value == "1", widget=forms.RadioSelect,
                                    choices=[("1", _("合格")), ("0", _("不合格，须整改"))])
    participants = forms.CharField(label=_("参加验收人员"), max_length=200)
    findings = forms.CharField(label=_("验收情况"), widget=forms.Textarea(attrs={"rows": 3}))
    rectification_items = forms.CharField(label=_("整改项目"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                          help_text=_("不合格时必填，将打印在《装修验收整改通知书》上"))
    rectification_due = forms.DateField(label=_("整改期限"), required=False,
                                        widget=DateInput())
    damage_amount = forms.DecimalField(label=_("损坏公共设施赔偿（元）"), required=False, max_digits=12, decimal_places=2,
                                       min_value=Decimal("0.01"), help_text=_("如有，从押金中扣除"))
    damage_note = forms.CharField(label=_("损坏情况"), max_length=200, required=False)
    password = forms.CharField(label=_("密码（合格时电子签名）"), required=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ClaimForm(forms.Form):
    source = forms.ChoiceField(label=_("扣款原因类别"), choices=[
        (value, label) for value, label in ClaimSource.choices if value != ClaimSource.LOST_PASS])
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("扣款说明"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class RefundForm(forms.Form):
    """A receipt number for each payer whose deposits still hold money."""

    def __init__(self, *args, payers=(), **kwargs):
        super().__init__(*args, **kwargs)
        for payer, label, amount in payers:
            self.fields[payer] = forms.CharField(
                label=_("退%(payer)s押金 %(amount)s 的凭证号") % {"payer": label, "amount": f"¥{amount:,.2f}"},
                max_length=40)
        self.helper = _helper()


# --- during the works: inspections and violations ---------------------------------------------------------
class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp",
                                                             "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class SiteInspectionForm(forms.ModelForm):
    """《装修巡视检查记录表》: each check ticked when found in order; a violation found on the round."""

    photos = MultipleFileField(label=_("现场照片"), required=False, help_text=_("可多选，JPG 或 PNG"))
    violation_kind = forms.ChoiceField(label=_("发现违章"), required=False,
                                       choices=[("", _("无"))] + list(ViolationKind.choices))
    violation_description = forms.CharField(label=_("违章情况"), required=False,
                                            widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = SiteInspection
        fields = [*SiteInspection.CHECK_FIELDS, "findings"]
        widgets = {"findings": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("violation_kind") and not (cleaned.get("violation_description") or "").strip():
            self.add_error("violation_description", _("请填写违章情况。"))
        return cleaned


class ViolationActionForm(forms.Form):
    kind = forms.ChoiceField(label=_("处理方式"), choices=ActionKind.choices)
    note = forms.CharField(label=_("处理说明"), widget=forms.Textarea(attrs={"rows": 2}))
    rectify_by = forms.DateField(label=_("整改期限"), required=False, widget=DateInput(),
                                 help_text=_("发出整改通知书时必填"))
    amount = forms.DecimalField(label=_("赔偿金额（元）"), required=False, max_digits=12, decimal_places=2,
                                min_value=Decimal("0.01"))
    password = forms.CharField(label=_("物业经理密码（停水停电、赔偿须签名）"), required=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class CloseViolationForm(forms.Form):
    note = forms.CharField(label=_("整改验证情况"), max_length=200)
    photo = forms.FileField(label=_("整改后现场照片"), help_text=_("JPG、PNG 或 WEBP"),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
    password = forms.CharField(label=_("密码（验证人电子签名）"),
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class BaselinePhotoForm(forms.Form):
    photos = MultipleFileField(label=_("开工前现场照片"), help_text=_("可多选，JPG 或 PNG"))
    caption = forms.CharField(label=_("拍摄部位"), max_length=100, help_text=_("如：客厅、卫生间、入户门"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
