"""Forms of the change pages: the request and the actions taken on it. Validation messages are translated."""
from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.contracts.models import ContractChange
from customers.models import Customer
from production.models import ProcessCard
from qms.people import Department, User
from qms.views.records import MoveForm
from qms.widgets import DateInput, DateTimeInput
from changes.models import ChangeRequest, ChangeRisk, EvidenceKind, ProcessClass


class _Form(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


def _departments():
    return Department.objects.filter(is_active=True).order_by("code")


def _staff():
    return User.objects.filter(is_active=True).select_related("department").order_by("department__code", "username")


def relevant_customers():
    """The customers a change can touch: those produced for, or who asked to be told of changes."""
    return Customer.all_objects.filter(Q(contracts__task_orders__isnull=False)
                                       | Q(special_requirements__kind="change_notification")).distinct().order_by("name")


class ChangeRequestForm(forms.ModelForm):
    affected_departments = forms.ModelMultipleChoiceField(label=_("受影响部门"), queryset=Department.objects.none(),
                                                          widget=forms.CheckboxSelectMultiple)
    process_cards = forms.ModelMultipleChoiceField(label=_("受影响产品（工艺卡）"), queryset=ProcessCard.objects.none(),
                                                   required=False, widget=forms.SelectMultiple(attrs={"size": 6}))
    customers = forms.ModelMultipleChoiceField(label=_("受影响客户"), queryset=Customer.objects.none(), required=False,
                                               widget=forms.SelectMultiple(attrs={"size": 6}),
                                               help_text=_("所选产品的生产任务书所属客户会自动加入。"))

    class Meta:
        model = ChangeRequest
        fields = ["title", "kind", "process_class", "contract_change", "plan", "basis", "affected_departments",
                  "process_cards", "customers", "wanted_effective_date"]
        widgets = {"wanted_effective_date": DateInput, "plan": forms.Textarea(attrs={"rows": 4}),
                   "basis": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["affected_departments"].queryset = _departments()
        self.fields["process_cards"].queryset = ProcessCard.objects.filter(is_active=True).order_by("code")
        self.fields["customers"].queryset = relevant_customers()
        # the contract changes of the last year (a change control is raised while the contract change is current)
        self.fields["contract_change"].queryset = ContractChange.objects.select_related("contract").filter(
            created_at__gte=timezone.now() - dt.timedelta(days=365)).order_by("-created_at")
        self.fields["process_class"].help_text = _("过程变更必填；II 类须提交无影响研究，III 类须提交全面研究、小批量试生产、"
                                                   "稳定性数据、现场检查和原始数据审查。")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == "process" and not cleaned.get("process_class"):
            self.add_error("process_class", _("过程变更须选择变更等级（I/II/III 类）。"))
        if cleaned.get("kind") == "process" and not cleaned.get("process_cards"):
            self.add_error("process_cards", _("过程变更须选择受影响的产品（工艺卡）。"))
        if cleaned.get("kind") == "contract" and not cleaned.get("contract_change"):
            self.add_error("contract_change", _("合同变更须关联合同变更单。"))
        return cleaned


class EvidenceForm(_Form):
    kind = forms.ChoiceField(label=_("证据类型"), choices=EvidenceKind.choices)
    file = forms.FileField(label=_("文件"))
    description = forms.CharField(label=_("说明"), max_length=200, required=False)


class ClassForm(_Form):
    process_class = forms.ChoiceField(label=_("新的变更等级"), choices=ProcessClass.choices)
    reason = forms.CharField(label=_("理由（降低等级时必填）"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    password = forms.CharField(label=_("密码（降低等级时签名）"), widget=forms.PasswordInput, required=False)


class RiskForm(forms.ModelForm):
    class Meta:
        model = ChangeRisk
        fields = ["description", "severity", "likelihood", "control", "residual_severity", "residual_likelihood",
                  "is_new", "concerned_department"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "control": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scale = [(n, str(n)) for n in range(1, 6)]
        for name in ("severity", "likelihood", "residual_severity", "residual_likelihood"):
            self.fields[name] = forms.TypedChoiceField(label=self.fields[name].label, choices=scale, coerce=int)
        self.fields["concerned_department"].queryset = _departments()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class MeetingForm(_Form):
    meeting_date = forms.DateField(label=_("评估会议日期"), widget=DateInput)
    attendees = forms.ModelMultipleChoiceField(label=_("参会人员"), queryset=User.objects.none(),
                                               widget=forms.SelectMultiple(attrs={"size": 8}))
    minutes = forms.CharField(label=_("会议纪要"), widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = _staff()


class CoordinatorForm(_Form):
    coordinator = forms.ModelChoiceField(label=_("变更协调人"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coordinator"].queryset = _staff()


class TaskForm(_Form):
    department = forms.ModelChoiceField(label=_("责任部门"), queryset=Department.objects.none())
    responsible = forms.ModelChoiceField(label=_("责任人"), queryset=User.objects.none())
    description = forms.CharField(label=_("任务内容"), widget=forms.Textarea(attrs={"rows": 3}))
    working_days = forms.IntegerField(label=_("完成期限（工作日）"), min_value=1, max_value=120)

    def __init__(self, *args, record=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = (record.affected_departments.order_by("code") if record is not None
                                              else Department.objects.none())
        self.fields["responsible"].queryset = _staff()


class SlipForm(_Form):
    reason = forms.CharField(label=_("延期原因"), widget=forms.Textarea(attrs={"rows": 3}))
    new_date = forms.DateField(label=_("新的完成日期"), widget=DateInput)


class CompleteTaskForm(_Form):
    result = forms.CharField(label=_("完成情况"), widget=forms.Textarea(attrs={"rows": 3}))


class NotificationForm(_Form):
    customer = forms.ModelChoiceField(label=_("客户"), queryset=Customer.objects.none())
    notified_at = forms.DateTimeField(label=_("通知时间"), widget=DateTimeInput)
    means = forms.CharField(label=_("通知方式"), max_length=100, help_text=_("如：函件、邮件、传真"))

    def __init__(self, *args, record=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = (record.customers.order_by("name") if record is not None
                                            else Customer.objects.none())


class CustomerApprovalForm(_Form):
    approved_at = forms.DateTimeField(label=_("顾客批准时间"), widget=DateTimeInput)
    approved_by_name = forms.CharField(label=_("顾客批准人"), max_length=50)


class EffectiveDateForm(_Form):
    effective_date = forms.DateField(label=_("生效日期"), widget=DateInput)


class SpecIssueForm(_Form):
    spec_number = forms.CharField(label=_("工程规范更改单号"), max_length=50)


class CapaForm(_Form):
    kind = forms.ChoiceField(label=_("类别"), choices=[("corrective", _("纠正措施")), ("preventive", _("预防措施"))])
    title = forms.CharField(label=_("标题"), max_length=200)
    nonconformity = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}))
    responsible = forms.ModelChoiceField(label=_("责任人"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = _staff()


class ExecutionReportForm(MoveForm):
    """提交变更执行报告: the report is required."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "execution_report" in self.fields:
            self.fields["execution_report"].required = True
            self.fields["execution_report"].widget = forms.Textarea(attrs={"rows": 6})
