"""Forms of the complaint pages: intake, the data each move records, the clock actions, raising a CAPA."""
from __future__ import annotations

import datetime as dt
import json

from crispy_forms.helper import FormHelper
from django import forms
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Clock, Complaint, ComplaintStatus
from complaints.services import complaints as service
from customers.models import Customer
from qms.attachments import ACCEPT, AttachmentRefused, validate_upload
from qms.capa.models import CapaKind
from qms.people import Department, User, department_chain, visible_to, works_in
from qms.widgets import DateTimeInput

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _helper():
    helper = FormHelper()
    helper.form_tag = False
    return helper


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


class CustomerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.get_grade_display()}）"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several photos or letters in one field, each checked like any attachment (type by content, size)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        cleaned = [single(item, initial) for item in files]
        for uploaded in cleaned:
            try:
                validate_upload(uploaded)
            except AttachmentRefused as refusal:
                raise forms.ValidationError(str(refusal)) from refusal
        return cleaned


class ComplaintForm(forms.ModelForm):
    """《客户投诉记录表》/《顾客信息反馈记录表》: whoever receives the complaint records it (首问负责制)."""

    customer = CustomerChoiceField(label=gettext_lazy("客户档案"), queryset=Customer.objects.none(), required=False,
                                   help_text=gettext_lazy("在上方输入客户名称搜索；档案中没有的客户请直接填写客户名称"))
    received_at = forms.DateTimeField(label=gettext_lazy("受理时间"), input_formats=DATETIME_FORMATS, required=False,
                                      widget=DateTimeInput(),
                                      help_text=gettext_lazy("不填则为现在；各项时限从受理时间起算"))
    attachments = MultipleFileField(label=gettext_lazy("附件（照片、来函等）"), required=False)

    class Meta:
        model = Complaint
        fields = ["type", "channel", "customer", "customer_name", "contact_name", "contact_phone", "product", "batch",
                  "quantity", "description", "customer_request", "requires_on_site", "received_at"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4}),
                   "customer_request": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["customer"]
        field.queryset = visible_to(user, Customer.objects.all())
        # Only the chosen customer is rendered as an option; the search box fills the list (the archive may be
        # far too large for one <select>).
        chosen = self._chosen_customer()
        field.widget.choices = [("", "---------")] + (
            [(chosen.pk, field.label_from_instance(chosen))] if chosen else [])
        self.fields["customer_name"].required = False
        self.fields["description"].error_messages["required"] = _("请填写问题描述。")
        self.fields["channel"].error_messages["required"] = _("请选择渠道。")
        self.helper = _helper()

    def _chosen_customer(self):
        value = self.data.get(self.add_prefix("customer")) if self.is_bound else self.initial.get("customer")
        if isinstance(value, Customer):
            return value
        if not value or not str(value).isdigit():
            return None
        return self.fields["customer"].queryset.filter(pk=value).first()

    def clean_received_at(self):
        value = self.cleaned_data.get("received_at")
        if value and value > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("受理时间不能晚于现在。"))
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("customer") and not (cleaned.get("customer_name") or "").strip():
            self.add_error("customer_name", _("请选择客户档案或填写客户名称。"))
        return cleaned


IS_VALID_CHOICES = [("", "---------"), ("true", gettext_lazy("成立")), ("false", gettext_lazy("不成立"))]


class MoveDataForm(forms.ModelForm):
    """The data a move records (``service.MOVE_FIELDS``), with its reason or signature fields."""

    class Meta:
        model = Complaint
        fields = sorted({name for names in service.MOVE_FIELDS.values() for name in names})

    def __init__(self, *args, complaint, to, user, **kwargs):
        self.complaint, self.to, self.user = complaint, to, user
        self.move = service.move_for(complaint, to)
        names = service.fields_for_move(complaint, to)
        super().__init__(*args, instance=complaint, **kwargs)
        for name in list(self.fields):
            if name not in names:
                del self.fields[name]
        for name in names:
            self.fields[name].required = True
        if "is_valid" in self.fields:
            self.fields["is_valid"] = forms.TypedChoiceField(
                label=_("投诉是否成立"), choices=IS_VALID_CHOICES, coerce=lambda v: v == "true",
                help_text=_("不成立时请使用“判定为无效投诉”，并填写对客户的解释。"))
            self.initial["is_valid"] = "" if complaint.is_valid is None else ("true" if complaint.is_valid else "false")
        if "responsible" in self.fields:
            self.fields["responsible"] = StaffChoiceField(label=_("处理人"), queryset=staff(), required=False,
                                                          help_text=self._handler_help())
            self.fields["responsible_department"].queryset = Department.objects.filter(is_active=True)
            self.fields["responsible"].widget.attrs.update({
                "data-department-from": self["responsible_department"].auto_id,
                "data-departments": departments_of_staff(self.fields["responsible"].queryset)})
        for name in ("cause", "correction", "invalid_explanation", "customer_confirmation", "return_visit_opinion"):
            if name in self.fields:
                self.fields[name].widget = forms.Textarea(attrs={"rows": 3})
        if self.move is not None and self.move.reason:
            self.fields["reason"] = forms.CharField(
                label=_("理由") if to == ComplaintStatus.CORRECTING else _("答复内容"),
                widget=forms.Textarea(attrs={"rows": 3}))
        if self.override_allowed():
            self.fields["override_reason"] = forms.CharField(
                label=_("未验证纠正措施下关闭的理由（管理者代表）"), required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("关联的纠正和预防措施尚未验证关闭；只有管理者代表可填写理由并签字关闭。"))
        if self.on_site_waiver_needed():
            self.fields["on_site_waiver"] = forms.CharField(
                label=_("未到场处理的原因"), widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("此投诉要求到场处理，但没有登记到场时间。"))
        if self.move is not None and self.move.signature:
            self.fields["password"] = forms.CharField(label=_("密码（确认身份）"), widget=forms.PasswordInput)
            self.fields["comment"] = forms.CharField(label=_("意见"), required=False,
                                                     widget=forms.Textarea(attrs={"rows": 2}))
        self.order_fields([*names, "reason", "override_reason", "on_site_waiver", "password", "comment"])
        self.helper = _helper()

    def _handler_help(self) -> str:
        if self.complaint.is_key_account:
            return _("大客户投诉须由部门经理处理：不选则为责任部门的经理。")
        return _("不选则为责任部门的经理。")

    def on_site_waiver_needed(self) -> bool:
        return (self.to == ComplaintStatus.CLOSED and self.complaint.status == ComplaintStatus.RETURN_VISIT
                and service.on_site_missing(self.complaint))

    def override_allowed(self) -> bool:
        return (self.to == ComplaintStatus.CLOSED and self.complaint.status == ComplaintStatus.RETURN_VISIT
                and self.user.has_perm("complaints.override_capa_close")
                and service.close_override_needed(self.complaint))

    def clean(self):
        cleaned = super().clean()
        if "responsible" in self.fields and not cleaned.get("responsible"):
            department = cleaned.get("responsible_department")
            handler = service.default_handler(department)
            if department is not None and handler is None:
                self.add_error("responsible", _("%(department)s 没有部门经理，请选择处理人。") % {"department": department})
            cleaned["responsible"] = handler
        department, handler = cleaned.get("responsible_department"), cleaned.get("responsible")
        if "responsible" in self.fields and department is not None and handler is not None \
                and not works_in(handler, department):
            self.add_error("responsible", _("%(name)s 不属于%(department)s，请选择该部门的人员。") % {
                "name": handler.display_name, "department": department})
        return cleaned

    def data_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in service.fields_for_move(self.complaint, self.to)}

    def _post_clean(self):
        # The service saves the data together with the move; nothing is written to the instance here.
        pass


class ClockActionForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)
    written_reply = forms.CharField(label=gettext_lazy("书面答复（处理方案）"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, clock, **kwargs):
        super().__init__(*args, **kwargs)
        if clock == Clock.WRITTEN_REPLY:
            self.fields["written_reply"].required = True
            self.fields["written_reply"].error_messages["required"] = _("请填写书面答复（处理方案）的内容。")
        else:
            del self.fields["written_reply"]
        self.helper = _helper()


class CapaFromComplaintForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("类别"), choices=CapaKind.choices, initial=CapaKind.CORRECTIVE)
    title = forms.CharField(label=gettext_lazy("标题"), max_length=200)
    nonconformity = forms.CharField(label=gettext_lazy("不合格/问题描述"), widget=forms.Textarea(attrs={"rows": 4}))
    responsible = StaffChoiceField(label=gettext_lazy("责任人"), queryset=User.objects.none())
    responsible_department = forms.ModelChoiceField(label=gettext_lazy("责任部门"), required=False,
                                                    queryset=Department.objects.filter(is_active=True),
                                                    help_text=gettext_lazy("不填则为责任人所在部门"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = staff()
        self.helper = _helper()

    def clean(self):
        cleaned = super().clean()
        responsible = cleaned.get("responsible")
        if responsible and not (cleaned.get("responsible_department") or responsible.department):
            self.add_error("responsible_department", _("责任人没有所属部门，请选择责任部门。"))
        return cleaned
