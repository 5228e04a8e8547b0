"""Forms of the contract pages: the contract/order with its product lines, raising the class."""
from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from customers.contracts.models import ChangeSource, Contract, ContractLine
from customers.models import Customer
from qms.people import Role, User, visible_to
from qms.widgets import DateInput, choose_by_search


def _helper(layout=None) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    if layout is not None:
        helper.layout = layout
    return helper


def owner_choices(user):
    """Whom ``user`` may make the contract's owner: himself; a manager his department's salespeople; GM, MR and
    the sales VP any salesperson."""
    salespeople = User.objects.filter(is_active=True, groups__name=Role.SALES)
    if user.is_superuser or user.has_role(Role.GM, Role.MR, Role.SALES_VP):
        people = salespeople | User.objects.filter(pk=user.pk)
    else:
        people = salespeople.filter(department__manager=user) | User.objects.filter(pk=user.pk)
    return people.distinct().order_by("username")


class ContractForm(forms.ModelForm):
    """What the customer requires (seed 002 §5.1): the order, its terms, the four kinds of requirement and the
    classification inputs of seed 002 §5.3.2."""

    class Meta:
        model = Contract
        fields = ["customer", "title", "customer_reference", "order_form", "ordered_on", "delivery_date",
                  "delivery_address", "owner", "packaging", "payment_terms", "margin_percent", "in_stock",
                  "within_capacity", "over_technical_requirements", "terms_clear", "stated_requirements",
                  "implied_requirements", "statutory_requirements", "additional_requirements"]
        widgets = {
            "ordered_on": DateInput(), "delivery_date": DateInput(),
            "packaging": forms.Textarea(attrs={"rows": 2}), "payment_terms": forms.Textarea(attrs={"rows": 2}),
            "stated_requirements": forms.Textarea(attrs={"rows": 3}),
            "implied_requirements": forms.Textarea(attrs={"rows": 2}),
            "statutory_requirements": forms.Textarea(attrs={"rows": 2}),
            "additional_requirements": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "order_form": _("口头或电话订单须上传顾客的书面确认（邮件、传真或回签件）后才能提交评审"),
            "in_stock": _("有现货的常规合同由销售直接评审"),
            "margin_percent": _("低于最低毛利率的合同为非常规合同"),
        }
        error_messages = {
            "customer": {"required": _("请选择客户。")},
            "title": {"required": _("请填写合同名称。")},
            "delivery_date": {"required": _("请填写交货日期。")},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = visible_to(user, Customer.objects.filter(owner__isnull=False)
                                                      .order_by("name"))
        choose_by_search(self.fields["customer"], "customers:choices", query="kept=1")
        self.fields["owner"].queryset = owner_choices(user)
        self.fields["owner"].label_from_instance = lambda person: person.display_name
        if not self.instance.pk:
            self.fields["owner"].initial = user.pk
        self.helper = _helper(Layout(
            Fieldset(_("订单"), Row(Column("customer", css_class="col-md-6"), Column("title", css_class="col-md-6")),
                     Row(Column("customer_reference", css_class="col-md-4"), Column("order_form", css_class="col-md-4"),
                         Column("owner", css_class="col-md-4")),
                     Row(Column("ordered_on", css_class="col-md-4"), Column("delivery_date", css_class="col-md-4"),
                         Column("delivery_address", css_class="col-md-4"))),
            Fieldset(_("条款"), Row(Column("packaging", css_class="col-md-6"),
                                   Column("payment_terms", css_class="col-md-6")),
                     Row(Column("margin_percent", css_class="col-md-4"))),
            Fieldset(_("分类依据"), Row(Column("in_stock", css_class="col-md-3"),
                                     Column("within_capacity", css_class="col-md-3"),
                                     Column("over_technical_requirements", css_class="col-md-3"),
                                     Column("terms_clear", css_class="col-md-3"))),
            Fieldset(_("顾客要求"), "stated_requirements", "implied_requirements", "statutory_requirements",
                     "additional_requirements"),
        ))

    def clean(self):
        data = super().clean()
        ordered, delivery = data.get("ordered_on"), data.get("delivery_date")
        if ordered and delivery and delivery < ordered:
            self.add_error("delivery_date", _("交货日期不能早于下单日期。"))
        return data


class LineForm(forms.ModelForm):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ContractLine
        fields = ["product", "specification", "quantity", "unit", "unit_price", "delivery_date",
                  "is_standard_product", "is_new_product"]
        widgets = {"delivery_date": DateInput()}
        error_messages = {
            "product": {"required": _("请填写产品名称。")},
            "quantity": {"required": _("请填写数量。"), "min_value": _("数量不能为负数。")},
            "unit_price": {"required": _("请填写单价。"), "min_value": _("单价不能为负数。")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].required = False
        # drawn as cells of the lines table: the header names the column, the label is for screen readers
        for name, field in self.fields.items():
            css = "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control form-control-sm"
            field.widget.attrs.update({"class": css, "aria-label": str(field.label)})

    def clean(self):
        data = super().clean()
        if data.get("is_new_product") and data.get("is_standard_product"):
            self.add_error("is_standard_product", _("新产品不是公司标准产品，请取消其一。"))
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs.update({"class": "form-check-input", "aria-label": str(_("删除"))})

    def clean(self):
        if any(self.errors):
            return
        if not self.rows():
            raise forms.ValidationError(_("请至少填写一行产品明细。"))

    def rows(self) -> list[dict]:
        """The lines kept, in order, as the capture service takes them."""
        rows = []
        for form in self.forms:
            if not form.has_changed() and not form.cleaned_data.get("id"):
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            if not form.cleaned_data:
                continue
            rows.append(dict(form.cleaned_data))
        return rows


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=3, can_delete=True, max_num=200,
                                    validate_max=True)


def line_initial(contract) -> list[dict]:
    return [{"id": line.pk, "product": line.product, "specification": line.specification,
             "quantity": line.quantity, "unit": line.unit, "unit_price": line.unit_price,
             "delivery_date": line.delivery_date, "is_standard_product": line.is_standard_product,
             "is_new_product": line.is_new_product} for line in contract.lines.order_by("line_no")]


class RaiseClassForm(forms.Form):
    reason = forms.CharField(label=_("提升为非常规合同的理由"), max_length=200,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _("提升合同类别须填写理由。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ChangeForm(forms.Form):
    """A change of an accepted contract (《合同变更通知单》): what changes, why, who must re-review it."""

    source = forms.ChoiceField(label=_("变更提出方"), choices=ChangeSource.choices)
    new_delivery_date = forms.DateField(label=_("变更后交货日期"), required=False, widget=DateInput())
    new_packaging = forms.CharField(label=_("变更后包装要求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    new_payment_terms = forms.CharField(label=_("变更后付款条件"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}))
    description = forms.CharField(label=_("变更内容及原因"), widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages={"required": _("请填写变更内容及原因。")})
    affected_parties = forms.MultipleChoiceField(
        label=_("受影响的部门（再评审）"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("交期调整不超过 5 天且无其他变更时无需再评审：填写电话记录并通知生产即可"))

    def __init__(self, *args, contract, **kwargs):
        from customers.contracts.services.change import PARTIES

        super().__init__(*args, **kwargs)
        self.contract = contract
        self.fields["affected_parties"].choices = [(role, f"{_(role)}（{topic}）") for role, topic in PARTIES.items()]
        self.fields["new_delivery_date"].help_text = _("现交货日期：%(date)s") % {"date": contract.delivery_date}
        self.helper = _helper()
