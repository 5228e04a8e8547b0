from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from qms.people import Role
from qms.widgets import DateInput
from production.models import CheckResult, Inspection, InspectionStatus, ProcessCard
from production.services.orders import REGISTERED_CONTRACT


def _helper():
    helper = FormHelper()
    helper.form_tag = False
    return helper


class TaskOrderForm(forms.Form):
    """《生产任务书》: from a line of a registered contract, or directly by PMC."""

    process_card = forms.ModelChoiceField(label=_("工艺卡"), queryset=ProcessCard.objects.filter(is_active=True))
    contract_line = forms.ModelChoiceField(
        label=_("合同明细"), required=False, help_text=_("按合同生产时选择已登记合同的明细行；PMC 直接下达可留空。"),
        queryset=None)
    product = forms.CharField(label=_("产品名称"), max_length=100, required=False,
                              help_text=_("留空时取合同明细或工艺卡的产品。"))
    specification = forms.CharField(label=_("规格型号"), max_length=100, required=False)
    quantity = forms.IntegerField(label=_("数量"), min_value=1)
    due_date = forms.DateField(label=_("完工日期"), widget=DateInput)
    note = forms.CharField(label=_("生产要求"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from customers.models import ContractLine

        self.fields["contract_line"].queryset = ContractLine.objects.filter(
            contract__status=REGISTERED_CONTRACT).select_related("contract")
        self.fields["contract_line"].label_from_instance = lambda line: (
            f"{line.contract.number or line.contract.title} · {line.line_no} · {line}")
        self.helper = _helper()


class WorkForm(forms.Form):
    operator = forms.ModelChoiceField(label=_("操作者"), queryset=None)
    quantity_in = forms.IntegerField(label=_("投入数"), min_value=0)
    quantity_out = forms.IntegerField(label=_("产出数"), min_value=0)
    quantity_scrap = forms.IntegerField(label=_("报废数"), min_value=0, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = get_user_model().objects.filter(
            is_active=True, groups__name__in=[Role.PRODUCTION, Role.PMC]).distinct().order_by("username")
        self.helper = _helper()


class MaterialForm(forms.Form):
    material = forms.CharField(label=_("物料名称"), max_length=100)
    batch_number = forms.CharField(label=_("批号/炉号"), max_length=60)
    quantity = forms.DecimalField(label=_("数量"), min_value=0, max_digits=12, decimal_places=3)
    unit = forms.CharField(label=_("单位"), max_length=10, initial="件")
    supplier = forms.CharField(label=_("供应商"), max_length=100, required=False,
                               help_text=_("外购物料填写供应商，投诉追溯时可查到。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class CheckForm(forms.Form):
    check = forms.ChoiceField(label=_("检查项目"), choices=[("self", _("自检")), ("mutual", _("互检")),
                                                          ("dedicated", _("专检"))])
    result = forms.ChoiceField(label=_("结果"), choices=CheckResult.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class InspectionForm(forms.Form):
    kind = forms.ChoiceField(label=_("检验类别"), choices=Inspection.choices)
    result = forms.ChoiceField(label=_("检验结论"), choices=[
        choice for choice in InspectionStatus.choices if choice[0] != InspectionStatus.PENDING])
    note = forms.CharField(label=_("检验记录"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    concession_by = forms.CharField(label=_("让步批准人"), max_length=50, required=False)
    concession_reason = forms.CharField(label=_("让步理由"), widget=forms.Textarea(attrs={"rows": 2}),
                                        required=False)
    isolation_location = forms.CharField(label=_("隔离存放位置"), max_length=100, required=False,
                                         help_text=_("不合格或待判定的产品移入隔离区；留空为质量保证部隔离区。"))
    password = forms.CharField(label=_("密码（确认身份）"), widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        if data.get("result") == InspectionStatus.CONCESSION:
            if not (data.get("concession_by") or "").strip():
                self.add_error("concession_by", _("让步接收须填写批准人。"))
            if not (data.get("concession_reason") or "").strip():
                self.add_error("concession_reason", _("让步接收须填写让步理由。"))
        return data
