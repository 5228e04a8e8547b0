"""Forms of the special requirement, shipment and customer property pages. Validation that needs the database
(a contract of another customer, over-shipping, the password) is the services'; their refusals are shown on the
form with what was typed kept."""
from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.contracts.fulfilment_models import (ConfirmationChannel, CustomerProperty, IncidentKind,
                                                   RequirementScope, Shipment, SpecialRequirement)
from customers.contracts.models import Contract, ContractStatus
from qms.people import Department, visible_to
from qms.widgets import DateInput, choose_by_search


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True  # the page's <form> carries the token
    return helper


def visible_customers(user):
    from customers.models import Customer

    return visible_to(user, Customer.objects.order_by("name"))


def contracts_of_visible_customers(user):
    """Contracts are reached through their customer: those of the customers the user sees."""
    return (Contract.objects.filter(customer__in=visible_customers(user).values("pk"))
            .exclude(status__in=(ContractStatus.CANCELLED, ContractStatus.REJECTED))
            .select_related("customer").order_by("-created_at"))


class ContractChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.number or _('草稿')} {obj.title}（{obj.customer.name}）"


class PasswordField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("密码（确认身份）"))
        kwargs.setdefault("widget", forms.PasswordInput)
        super().__init__(**kwargs)


# --- 顾客特殊要求 ---------------------------------------------------------------------------------------
class SpecialRequirementForm(forms.ModelForm):
    departments = forms.ModelMultipleChoiceField(
        label=_("须落实的部门"), queryset=Department.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请选择须落实此要求的部门。")})

    class Meta:
        model = SpecialRequirement
        fields = ["customer", "scope", "contract", "kind", "title", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4}), "scope": forms.RadioSelect}
        error_messages = {"customer": {"required": _("请选择客户。")}, "kind": {"required": _("请选择要求类别。")},
                          "title": {"required": _("请填写要求摘要。")}, "text": {"required": _("请填写要求内容。")}}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = visible_customers(user)
        choose_by_search(self.fields["customer"], "customers:choices")
        self.fields["contract"] = ContractChoiceField(label=_("合同"), required=False,
                                                      queryset=contracts_of_visible_customers(user),
                                                      help_text=self.fields["contract"].help_text)
        self.fields["departments"].queryset = Department.objects.filter(is_active=True).order_by("code")
        self.order_fields(["customer", "scope", "contract", "kind", "title", "text", "departments"])
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        contract, customer = data.get("contract"), data.get("customer")
        if data.get("scope") == RequirementScope.ONE_CONTRACT and contract is None:
            self.add_error("contract", _("适用范围为“指定合同”时须选择合同。"))
        if contract is not None and customer is not None and contract.customer_id != customer.pk:
            self.add_error("contract", _("所选合同不属于该客户。"))
        return data


class CorrectRequirementForm(forms.ModelForm):
    """修改 a requirement awaiting the MR's review: what was captured, with the reason (the customer and the
    departments stay)."""

    reason = forms.CharField(label=_("修改理由"), max_length=200,
                             error_messages={"required": _("请填写修改理由。")})

    class Meta:
        model = SpecialRequirement
        fields = ["scope", "contract", "kind", "title", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4}), "scope": forms.RadioSelect}

    def __init__(self, *args, record, **kwargs):
        kwargs.setdefault("instance", record)
        super().__init__(*args, **kwargs)
        self.fields["contract"] = ContractChoiceField(
            label=_("合同"), required=False, queryset=Contract.objects.filter(customer_id=record.customer_id)
            .exclude(status__in=(ContractStatus.CANCELLED, ContractStatus.REJECTED)).select_related("customer"))
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        if data.get("scope") == RequirementScope.ONE_CONTRACT and data.get("contract") is None:
            self.add_error("contract", _("适用范围为“指定合同”时须选择合同。"))
        return data


class AcknowledgeForm(forms.Form):
    department = forms.ModelChoiceField(label=_("部门"), queryset=Department.objects.none(), empty_label=None)
    measures = forms.CharField(label=_("落实措施"), widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("本部门为满足此要求制订的控制计划、作业指导书或对策措施"),
                               error_messages={"required": _("请填写本部门的落实措施（控制计划、作业指导书或对策）。")})
    password = PasswordField()

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(pk__in=[d.pk for d in departments])
        self.helper = _helper()


# --- 发货 ----------------------------------------------------------------------------------------------
class ShipmentContractForm(forms.Form):
    """Step 1: which contract is shipped (GET)."""

    contract = ContractChoiceField(label=_("合同"), queryset=Contract.objects.none(),
                                   error_messages={"required": _("请选择合同。")})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = contracts_of_visible_customers(user).exclude(
            status=ContractStatus.COMPLETED)
        self.helper = _helper()


class ShipmentForm(forms.ModelForm):
    """Step 2: the shipment with a quantity and a batch number per contract line (``line_<id>_quantity``,
    ``line_<id>_batch``); a line left empty is not shipped."""

    class Meta:
        model = Shipment
        fields = ["planned_on", "carrier", "waybill", "delivery_address", "is_export", "expected_arrival_on", "note"]
        widgets = {"planned_on": DateInput, "expected_arrival_on": DateInput, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, contract, remaining: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.line_rows = []
        for line in contract.lines.order_by("line_no"):
            left = remaining.get(line.pk, line.quantity)
            qty = forms.DecimalField(label=_("第 %(no)s 行 %(product)s 发货数量（剩余 %(left)s %(unit)s）") % {
                "no": line.line_no, "product": line, "left": left, "unit": line.unit},
                required=False, min_value=0, max_digits=12, decimal_places=2)
            batch = forms.CharField(label=_("第 %(no)s 行批号") % {"no": line.line_no}, required=False, max_length=50)
            self.fields[f"line_{line.pk}_quantity"] = qty
            self.fields[f"line_{line.pk}_batch"] = batch
            self.line_rows.append((line, f"line_{line.pk}_quantity", f"line_{line.pk}_batch"))
        if not self.initial.get("delivery_address"):
            self.initial["delivery_address"] = contract.delivery_address
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        if not any(data.get(qty) for _line, qty, _batch in self.line_rows):
            raise forms.ValidationError(_("请至少填写一行发货数量和批号。"))
        for line, qty, batch in self.line_rows:
            if data.get(qty) and not (data.get(batch) or "").strip():
                self.add_error(batch, _("请填写批号（投诉和不良事件据此追溯到客户）。"))
        if data.get("is_export") and not data.get("expected_arrival_on"):
            self.add_error("expected_arrival_on", _("国外客户请填写预计到港/到货日期（确认期限视船期而定）。"))
        return data

    def lines(self):
        return [(line, self.cleaned_data.get(qty), self.cleaned_data.get(batch))
                for line, qty, batch in self.line_rows if self.cleaned_data.get(qty)]


# --- 顾客财产 -------------------------------------------------------------------------------------------
class CustomerPropertyForm(forms.ModelForm):
    password = PasswordField(help_text=_("接收人签名：输入您的登录密码确认"))

    class Meta:
        model = CustomerProperty
        fields = ["customer", "contract", "kind", "name", "identifier", "quantity", "received_on", "handed_over_by",
                  "storage_location", "condition"]
        widgets = {"received_on": DateInput}
        error_messages = {"customer": {"required": _("请选择客户。")}, "kind": {"required": _("请选择类别。")},
                          "name": {"required": _("请填写名称。")},
                          "handed_over_by": {"required": _("请填写顾客移交人。")},
                          "storage_location": {"required": _("请填写存放位置。")},
                          "condition": {"required": _("请填写接收时状况。")}}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = visible_customers(user)
        choose_by_search(self.fields["customer"], "customers:choices")
        self.fields["contract"] = ContractChoiceField(label=_("相关合同"), required=False,
                                                      queryset=contracts_of_visible_customers(user))
        self.order_fields([*self.Meta.fields, "password"])
        self.helper = _helper()

    def clean_received_on(self):
        value = self.cleaned_data["received_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("接收日期不能晚于今天。"))
        return value

    def clean(self):
        data = super().clean()
        contract, customer = data.get("contract"), data.get("customer")
        if contract is not None and customer is not None and contract.customer_id != customer.pk:
            self.add_error("contract", _("所选合同不属于该客户。"))
        return data


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("情况"), choices=IncidentKind.choices)
    description = forms.CharField(label=_("经过说明"), widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages={"required": _("请填写经过说明。")})
    notice_text = forms.CharField(label=_("通知顾客内容"), widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages={"required": _("请填写通知顾客内容。")})
    notified_on = forms.DateField(label=_("通知日期"), widget=DateInput, initial=timezone.localdate)
    notified_contact = forms.CharField(label=_("顾客被通知人"), max_length=50,
                                       error_messages={"required": _("请填写顾客被通知人。")})
    channel = forms.ChoiceField(label=_("通知方式"), choices=ConfirmationChannel.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class RelocateForm(forms.Form):
    storage_location = forms.CharField(label=_("新的存放位置"), max_length=100)
    reason = forms.CharField(label=_("变更理由"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
