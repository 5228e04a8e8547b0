"""Forms of the returns pages 《退货单》: the request, quality's sample test, the hand-over and the closure."""
from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models import ReturnOrder, ReturnOutcome
from complaints.services import returns as service
from customers.models import Customer
from qms.people import visible_to
from qms.widgets import choose_by_search


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True  # the page's <form> carries the token
    return helper


class ReturnOrderForm(forms.ModelForm):
    """The request as the customer states it: product, spec, quantity, batch, reason (seed 002 §5.8.1)."""

    class Meta:
        model = ReturnOrder
        fields = ["customer", "customer_name", "product", "specification", "quantity", "batch", "is_batch_return",
                  "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "customer_name": _("选择了客户时可不填，默认取客户档案中的名称"),
            "is_batch_return": _("整批退货须由总经理批准；其他退货由业务部经理批准"),
        }
        error_messages = {
            "product": {"required": _("请填写产品。")},
            "quantity": {"required": _("请填写退货数量。"), "min_value": _("退货数量须大于 0。")},
            "batch": {"required": _("请填写批号，品质部将检验同批号留样。")},
            "reason": {"required": _("请填写退货原因。")},
        }

    def __init__(self, *args, user, complaint=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaint = complaint
        if self.data.get("confirm_duplicate") is not None:
            self.add_duplicate_confirmation()
        self.fields["customer"].queryset = visible_to(user, Customer.objects.order_by("name"))
        choose_by_search(self.fields["customer"], "customers:choices")
        self.fields["customer"].required = False
        self.fields["customer_name"].required = False
        self.helper = _helper()

    def add_duplicate_confirmation(self):
        """The box shown once the same batch was found on an earlier return."""
        self.fields["confirm_duplicate"] = forms.BooleanField(
            label=_("仍然提交（已核对，这是另一次退货）"), required=False)
        if getattr(self, "helper", None) is not None:
            self.helper = _helper()

    def clean(self):
        data = super().clean()
        if not data.get("customer") and not (data.get("customer_name") or "").strip():
            self.add_error("customer_name", _("请选择客户或填写客户名称。"))
        elif data.get("batch") and not data.get("confirm_duplicate"):
            customer = data.get("customer") or (self.complaint.customer if self.complaint else None)
            name = (data.get("customer_name") or "").strip() or (customer.name if customer else "")
            why_not = service.duplicate_refusal(batch=data["batch"], complaint=self.complaint, customer_name=name)
            if why_not:
                self.add_duplicate_confirmation()
                self.add_error(None, why_not)
        return data


class SampleTestForm(forms.Form):
    sample_test_result = forms.CharField(
        label=_("留样检验结果"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("同批号留样的检验项目、结果与结论（是否存在质量问题）"),
        error_messages={"required": _("请填写同批号留样的检验结果。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class HandOverForm(forms.Form):
    nonconforming_reference = forms.CharField(
        label=_("不合格品处理单号"), max_length=50,
        help_text=_("退回产品按《不合格品控制程序》处理的单号"),
        error_messages={"required": _("请填写不合格品处理单号。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处理结果"), choices=[("", "---------"), *ReturnOutcome.choices],
                                error_messages={"required": _("请选择处理结果（换货、退款或拒收）。")})
    storage_location = forms.CharField(label=_("退货存放位置"), max_length=100, required=False,
                                       help_text=_("换货、退款时退回产品的指定专用库位；拒收时可不填"))
    nonconforming_reference = forms.CharField(label=_("不合格品处理单号"), max_length=50, required=False,
                                              help_text=_("换货、退款时必填（如已移交则自动带出）"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "close_%s")  # shown beside the hand-over form, which has the same field
        super().__init__(*args, **kwargs)
        self.helper = _helper()
