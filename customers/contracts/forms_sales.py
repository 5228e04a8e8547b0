"""Forms of the opportunity and payment pages: the opportunity (and its section on the customer create form,
seed 001 "同时创建商机"), the payment plan's rows, a payment record and its reversal."""
from __future__ import annotations

from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.contracts.models import OPEN_STAGES, Opportunity, OpportunityStage
from customers.contracts.services.payments import PlanRow
from customers.forms import OwnerChoiceField, owner_choices_for
from customers.models import Customer
from qms.people import User, visible_to
from qms.widgets import DateInput, choose_by_search

OPEN_STAGE_CHOICES = [(value, label) for value, label in OpportunityStage.choices if value in OPEN_STAGES]
AMOUNT_MESSAGES = {"required": _("请填写预计金额。"), "min_value": _("预计金额不能为负数。"),
                   "invalid": _("请输入有效的金额。")}


class CustomerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def _helper(*rows) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*[Row(*[Column(name, css_class="col-md") for name in row]) if isinstance(row, tuple)
                             else row for row in rows])
    return helper


class OpportunityForm(forms.ModelForm):
    """A new opportunity (customer, stage) or an edit of an open one (its stage moves on the opportunity's page)."""

    customer = CustomerChoiceField(label=_("客户"), queryset=Customer.objects.none(),
                                   error_messages={"required": _("请选择客户。"),
                                                   "invalid_choice": _("请选择您负责或可查看的客户。")})
    owner = OwnerChoiceField(label=_("负责人"), queryset=User.objects.none(),
                             error_messages={"required": _("请选择负责人。")})
    stage = forms.ChoiceField(label=_("销售阶段"), choices=OPEN_STAGE_CHOICES, initial=OpportunityStage.LEAD)

    class Meta:
        model = Opportunity
        fields = ["customer", "title", "stage", "expected_amount", "expected_close_on", "owner", "notes"]
        widgets = {"expected_close_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"title": {"required": _("请填写商机名称。"),
                                    "max_length": _("商机名称不能超过 100 个字符。")},
                          "expected_amount": AMOUNT_MESSAGES,
                          "expected_close_on": {"required": _("请填写预计成交日期。"),
                                                "invalid": _("请输入有效的日期。")}}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        creating = self.instance.pk is None
        people = owner_choices_for(user)
        if not creating:  # keep the present owner selectable even when the editor could not pick them
            people = User.objects.filter(pk__in=people.values("pk")) | User.objects.filter(pk=self.instance.owner_id)
            people = people.select_related("department").order_by("department__code", "full_name", "username")
        self.fields["owner"].queryset = people
        if creating:
            # pool customers have no owner: they are claimed before an opportunity is opened
            self.fields["customer"].queryset = visible_to(user, Customer.objects.filter(owner__isnull=False)
                                                          .order_by("name"))
            choose_by_search(self.fields["customer"], "customers:choices", query="kept=1")
            if not self.is_bound:
                self.initial.setdefault("owner", user.pk)
        else:
            del self.fields["customer"]
            del self.fields["stage"]
        self.helper = _helper(*(("customer",) if creating else ()), ("title",),
                              ("stage", "expected_amount", "expected_close_on") if creating
                              else ("expected_amount", "expected_close_on"), ("owner",), "notes")

    def clean_expected_close_on(self):
        value = self.cleaned_data["expected_close_on"]
        if self.instance.pk is None and value < timezone.localdate():
            raise forms.ValidationError(_("预计成交日期不能早于今天。"))
        return value


class OpportunityInlineForm(forms.Form):
    """Seed 001: the customer create form's "同时创建商机" — ticked, the customer's first opportunity is saved with
    the customer, in the same transaction."""

    create = forms.BooleanField(label=_("同时创建商机"), required=False)
    title = forms.CharField(label=_("商机名称"), max_length=100, required=False,
                            error_messages={"max_length": _("商机名称不能超过 100 个字符。")})
    stage = forms.ChoiceField(label=_("销售阶段"), choices=OPEN_STAGE_CHOICES, initial=OpportunityStage.LEAD,
                              required=False)
    expected_amount = forms.DecimalField(label=_("预计金额（元）"), max_digits=14, decimal_places=2, min_value=0,
                                         required=False, error_messages=AMOUNT_MESSAGES)
    expected_close_on = forms.DateField(label=_("预计成交日期"), required=False, widget=DateInput(),
                                        error_messages={"invalid": _("请输入有效的日期。")})
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "opportunity")
        super().__init__(*args, **kwargs)
        self.helper = _helper("create", ("title", "stage"), ("expected_amount", "expected_close_on"), "notes")

    def wanted(self) -> bool:
        return bool(self.is_bound and self.is_valid() and self.cleaned_data.get("create"))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("create"):
            return cleaned
        required = {"title": _("请填写商机名称。"), "expected_amount": _("请填写预计金额。"),
                    "expected_close_on": _("请填写预计成交日期。")}
        for name, message in required.items():
            if cleaned.get(name) in (None, "") and not self.has_error(name):
                self.add_error(name, message)
        close_on = cleaned.get("expected_close_on")
        if close_on and close_on < timezone.localdate():
            self.add_error("expected_close_on", _("预计成交日期不能早于今天。"))
        return cleaned

    def opportunity_fields(self) -> dict:
        data = self.cleaned_data
        return {"title": data["title"], "stage": data["stage"] or OpportunityStage.LEAD,
                "expected_amount": data["expected_amount"], "expected_close_on": data["expected_close_on"],
                "notes": data["notes"]}


# --- payments ----------------------------------------------------------------------------------------------
class PlanRowForm(forms.Form):
    pk = forms.IntegerField(widget=forms.HiddenInput, required=False)
    due_on = forms.DateField(label=_("计划回款日期"), widget=DateInput(),
                             error_messages={"required": _("请填写计划回款日期。"), "invalid": _("请输入有效的日期。")})
    amount = forms.DecimalField(label=_("计划回款金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"),
                                error_messages={"required": _("请填写计划回款金额。"),
                                                "min_value": _("计划回款金额应大于 0。"),
                                                "invalid": _("请输入有效的金额。")})
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, locked_ids=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-sm"
        pk = self.initial.get("pk")
        self.locked = pk in locked_ids
        if self.locked:  # a payment is recorded against it: shown, not changed
            self.fields["due_on"].disabled = True
            self.fields["amount"].disabled = True


class BasePlanFormSet(forms.BaseFormSet):
    def __init__(self, *args, locked_ids=frozenset(), **kwargs):
        self.locked_ids = locked_ids
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "locked_ids": self.locked_ids}

    def rows(self) -> list[PlanRow]:
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or (self.can_delete and self._should_delete_form(form)):
                continue
            rows.append(PlanRow(due_on=data["due_on"], amount=data["amount"], note=data.get("note", ""),
                                pk=data.get("pk")))
        return rows

    def clean(self):
        super().clean()
        for form in self.forms:
            if form.locked and self.can_delete and self._should_delete_form(form):
                raise forms.ValidationError(_("已有回款记录的期次不能删除。"))


PlanFormSet = forms.formset_factory(PlanRowForm, formset=BasePlanFormSet, extra=2, can_delete=True)


class PaymentForm(forms.Form):
    """A payment received against an instalment (finance): the amount is at most what is outstanding
    (the service checks it against the locked instalment)."""

    METHODS = [("", "—"), ("银行转账", _("银行转账")), ("承兑汇票", _("承兑汇票")), ("现金", _("现金")),
               ("其他", _("其他"))]
    received_on = forms.DateField(label=_("回款日期"), widget=DateInput(),
                                  error_messages={"required": _("请填写回款日期。"), "invalid": _("请输入有效的日期。")})
    amount = forms.DecimalField(label=_("回款金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"),
                                error_messages={"required": _("请填写回款金额。"), "invalid": _("请输入有效的金额。"),
                                                "min_value": _("回款金额应大于 0。")})
    method = forms.ChoiceField(label=_("回款方式"), choices=METHODS, required=False)
    reference = forms.CharField(label=_("凭证号"), max_length=50, required=False)

    def __init__(self, *args, record=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and record is not None:
            self.initial.setdefault("amount", record.amount - record.paid_amount)
            self.initial.setdefault("received_on", timezone.localdate())
        self.helper = _helper(("received_on", "amount"), ("method", "reference"))


class ReversalForm(forms.Form):
    reason = forms.CharField(label=_("冲销原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写冲销原因。")})
