"""The forms of the complaint moves that ask for more than their model fields (``Move(form=…)``), shown by the
core move view (the button's dialog on the complaint's page, its own page without JavaScript): the handler
limited to the chosen department and defaulting to its manager, the "is the complaint valid" choice, and on
closing why nobody went on site and the MR's reason to close over an unverified CAPA. What the move records is
written by ``workflow.perform(values=…)``; what its ``after`` hook reads comes as ``transition.inputs``."""
from __future__ import annotations

import json

from django import forms
from django.db.models import Prefetch
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.services import closing
from qms.people import Department, User, department_chain, works_in
from qms.views.records import MoveForm

IS_VALID_CHOICES = [("", "---------"), ("true", gettext_lazy("成立")), ("false", gettext_lazy("不成立"))]
# the long answers a move records, as text areas of a few rows
TEXTS = ("cause", "correction", "invalid_explanation", "customer_confirmation", "return_visit_opinion")


def staff():
    return (User.objects.filter(is_active=True).select_related("department__parent__parent")
            .prefetch_related(Prefetch("managed_departments", to_attr="managed_departments_list"))
            .order_by("department__code", "username"))


def departments_of_staff(people) -> str:
    """{person's id: the departments he works in (his own and its parents, and those he manages)} as JSON, for
    the page to list only the people of the department chosen beside the list (``data-department-from``,
    static/js/portal.js; crispy renders the options itself, so the map sits on the select)."""
    return json.dumps({str(user.pk): sorted({d.pk for d in department_chain(user.department)}
                                            | {d.pk for d in user.managed_departments_list}) for user in people},
                      separators=(",", ":"))


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name}（{obj.department or '—'}）"


class ComplaintMoveForm(MoveForm):
    """A complaint move's form: every field the move records is asked for."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.recorded:
            if name in self.fields:
                self.fields[name].required = True
        for name in TEXTS:
            if name in self.fields:
                self.fields[name].widget = forms.Textarea(attrs={"rows": 3})


class AssignForm(ComplaintMoveForm):
    """受理分派: the responsible department and its handler — by default the department's manager (the one a key
    account requires); the list shows only the people of the chosen department."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_department"].queryset = Department.objects.filter(is_active=True)
        key_account = self.record is not None and self.record.is_key_account
        self.fields["responsible"] = StaffChoiceField(
            label=_("处理人"), queryset=staff(), required=False,
            help_text=_("大客户投诉须由部门经理处理：不选则为责任部门的经理。") if key_account
            else _("不选则为责任部门的经理。"))
        self.fields["responsible"].widget.attrs.update({
            "data-department-from": self["responsible_department"].auto_id,
            "data-departments": departments_of_staff(self.fields["responsible"].queryset)})

    def clean(self):
        cleaned = super().clean()
        department = cleaned.get("responsible_department")
        if not cleaned.get("responsible"):
            handler = closing.default_handler(department)
            if department is not None and handler is None:
                self.add_error("responsible", _("%(department)s 没有部门经理，请选择处理人。") % {"department": department})
            cleaned["responsible"] = handler
        handler = cleaned.get("responsible")
        if department is not None and handler is not None and not works_in(handler, department):
            self.add_error("responsible", _("%(name)s 不属于%(department)s，请选择该部门的人员。") % {
                "name": handler.display_name, "department": department})
        return cleaned


class InvestigationForm(ComplaintMoveForm):
    """提交调查结论: whether the complaint is valid, the responsibility, the severity and the cause."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_valid"] = forms.TypedChoiceField(
            label=_("投诉是否成立"), choices=IS_VALID_CHOICES, coerce=lambda v: v == "true",
            help_text=_("不成立时请使用“判定为无效投诉”，并填写对客户的解释。"))
        current = getattr(self.record, "is_valid", None)
        self.initial["is_valid"] = "" if current is None else ("true" if current else "false")
        self.order_fields(["is_valid", "responsibility", "severity", "cause"])


class InvalidForm(ComplaintMoveForm):
    """判定为无效投诉: the explanation given to the customer; the complaint is recorded as not valid."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("is_valid", None)

    def values(self) -> dict:
        return {"invalid_explanation": self.cleaned_data["invalid_explanation"], "is_valid": False}


class FeedbackCloseForm(MoveForm):
    """答复并关闭 (feedback that is not a complaint): the reason is the answer given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "reason" in self.fields:
            self.fields["reason"].label = _("答复内容")


class CloseForm(ComplaintMoveForm):
    """回访并关闭: the return visit's opinion; why nobody went on site when a visit was required and not recorded;
    the MR's reason to close while a linked CAPA is unverified. Both become the closing's reason (the audit trail)
    and reach its checks as ``transition.inputs``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        complaint = self.record
        if complaint is None:
            return
        if closing.on_site_missing(complaint):
            self.fields["on_site_waiver"] = forms.CharField(
                label=_("未到场处理的原因"), widget=forms.Textarea(attrs={"rows": 2}),
                help_text=format_html('<span class="text-warning-emphasis" id="on-site-missing">{}</span>', _(
                    "此投诉要求到场处理（8 小时内），但没有登记到场时间。如已到场，请先在“时限”中登记到场处理；"
                    "如确未到场，请在下方填写原因。")))
        pending = list(closing.unverified_capas(complaint)) if complaint.status == "return_visit" else []
        if pending:
            listed = format_html_join("、", '<a href="{}">{}</a>（{}）',
                                      ((c.get_absolute_url(), c.number, c.get_status_display()) for c in pending))
            note = format_html('<span class="text-warning-emphasis" id="unverified-capas">{}{}</span>',
                               _("以下关联的纠正和预防措施尚未验证关闭："), listed)
            self.fields["return_visit_opinion"].help_text = note
            if self.user is not None and self.user.has_perm("complaints.override_capa_close"):
                self.fields["override_reason"] = forms.CharField(
                    label=_("未验证纠正措施下关闭的理由（管理者代表）"), required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                    help_text=_("关联的纠正和预防措施尚未验证关闭；只有管理者代表可填写理由并签字关闭。"))
        self.order_fields(["return_visit_opinion", "on_site_waiver", "override_reason", "password", "comment"])

    def clean(self):
        cleaned = super().clean()
        cleaned["reason"] = closing.closing_reason(
            self.record, reason=cleaned.get("reason", ""), override_reason=cleaned.get("override_reason", ""),
            on_site_waiver=cleaned.get("on_site_waiver", ""))
        return cleaned

    def inputs(self) -> dict:
        return {"capa_override": self.cleaned_data.get("override_reason", ""),
                "on_site_waiver": self.cleaned_data.get("on_site_waiver", "")}


# --- advisory notices ------------------------------------------------------------------------------------------
class NoticeIssueForm(MoveForm):
    """签发: the MR signs; the form shows who the notice goes to (read only: the recipients are chosen on the
    draft)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        notice = self.record
        names = [r.customer.name for r in notice.recipients.select_related("customer").order_by("pk")] \
            if notice is not None else []
        self.fields["recipients"] = forms.CharField(
            label=_("接收方"), required=False, disabled=True, initial="、".join(names),
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_("签发即以管理者代表身份电子签名（批准）。签发后通知即发送给以上客户，各客户负责人将收到转达通知，"
                        "须在 5 个工作日内登记全部客户的确认。"))
        self.order_fields(["recipients", "password", "comment"])


class NoticeCloseForm(MoveForm):
    """关闭 an issued notice: a reason while some customers have not acknowledged (``Move(reason=…)``), with the
    customers still outstanding named."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "reason" not in self.fields or self.record is None:
            return
        pending = [r.customer.name for r in self.record.recipients.filter(acknowledged_at__isnull=True)
                   .select_related("customer").order_by("pk")]
        field = self.fields["reason"]
        field.help_text = format_html('<span class="text-warning-emphasis" id="pending-recipients">{}{}</span>',
                                      _("以下客户尚未确认收到，关闭须填写理由："), "、".join(pending))
        field.error_messages["required"] = _("尚有 %(n)d 个客户未确认收到，关闭须填写理由。") % {"n": len(pending)}


class NoticeWithdrawForm(MoveForm):
    """撤销草稿: the reason; the draft is never sent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "reason" in self.fields:
            self.fields["reason"].help_text = _("撤销的草稿不会发送给客户，记录保留。请填写撤销理由。")
