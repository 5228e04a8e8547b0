"""The visit pages of PROCEDURES.md §1 "Visits": 客户回访 (the user's visits, phone contacts and service return
visits), a visit's page, the arrange and record forms and cancelling a plan. Permissions (``customers.rules``):
``customers.view_visit`` (visibility: another's visit answers 404), ``customers.record_visit`` (arranging and
recording) and ``customers.cancel_visit``.
"""
from __future__ import annotations

import datetime as dt

import django_filters
import django_tables2 as tables
from crispy_forms.helper import FormHelper
from django import forms
from django.contrib import messages
from django.db.models import Q
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Visit, VisitKind, VisitStatus
from customers.services import visits as visit_service
from qms import deadlines
from qms.tables import StatusColumn
from qms.views.actions import RecordActionView
from qms.views.generic import RecordDetailView, RecordListView
from qms.widgets import DateTimeInput


# --- the list -------------------------------------------------------------------------------------------
def _this_month(qs, user):
    first, last = visit_service.month_bounds(timezone.localdate())
    return qs.filter(period_start__lte=last, period_end__gte=first)


def _overdue(qs, user):
    open_ = Q(status__in=visit_service.OPEN_STATUSES)
    late_record = deadlines.overdue_q(Visit, visit_service.RECORD_DEADLINE)
    return qs.filter(open_ & (Q(period_end__lt=timezone.localdate()) | late_record)).order_by("period_end", "pk")


class VisitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("客户名称"), field_name="customer__name", lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(label=gettext_lazy("类型"), choices=VisitKind.choices)
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=VisitStatus.choices)

    class Meta:
        model = Visit
        fields = ["q", "kind", "status"]


class VisitTable(tables.Table):
    customer = tables.Column(verbose_name=gettext_lazy("客户"), order_by=("customer__name",))
    kind = tables.Column(verbose_name=gettext_lazy("类型"))
    period = tables.Column(verbose_name=gettext_lazy("计划周期"), empty_values=(), order_by=("period_start", "period_end"))
    owner = tables.Column(verbose_name=gettext_lazy("负责人"), order_by=("owner__full_name", "owner__username"))
    arranged_at = tables.DateTimeColumn(verbose_name=gettext_lazy("约定时间"), format="Y-m-d H:i")
    record_due_at = tables.DateTimeColumn(verbose_name=gettext_lazy("记录提交期限"), format="Y-m-d H:i")
    status = StatusColumn()
    late = tables.Column(verbose_name=gettext_lazy("逾期"), empty_values=(), orderable=False)
    actions = tables.Column(verbose_name=gettext_lazy("操作"), empty_values=(), orderable=False,
                            exclude_from_export=True)

    class Meta:
        model = Visit
        fields = ["customer", "kind", "period", "owner", "arranged_at", "record_due_at", "status", "late", "actions"]
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "visit-table"}
        row_attrs = {"class": lambda record: "table-danger" if visit_service.is_overdue(record) else "",
                     "data-visit": lambda record: record.pk}

    def render_customer(self, record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), record.customer.name)

    def value_customer(self, record):
        return record.customer.name

    def value_period(self, record):
        return f"{record.period_start:%Y-%m-%d} ~ {record.period_end:%Y-%m-%d}"

    def render_period(self, record):
        return self.value_period(record)

    def value_owner(self, record):
        return record.owner.display_name

    def render_owner(self, record):
        return record.owner.display_name

    def render_record_due_at(self, record, value):
        if value is None:
            return "—"
        text = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if visit_service.is_late(record):
            return format_html('<span class="text-danger fw-bold">{}</span>', text)
        return text

    def _late_text(self, record) -> str:
        if visit_service.is_late(record):
            return _("记录逾期") if record.recorded_at is None else _("迟交")
        if visit_service.is_overdue(record):
            return _("计划逾期")
        return ""

    def value_late(self, record):
        return self._late_text(record)

    def render_late(self, record):
        text = self._late_text(record)
        return format_html('<span class="badge text-bg-danger late-flag">{}</span>', text) if text else ""

    def render_actions(self, record):
        if record.status not in visit_service.OPEN_STATUSES:
            return format_html('<a class="btn btn-sm btn-link" href="{}">{}</a>', record.get_absolute_url(),
                               _("查看"))
        return format_html(
            '<a class="btn btn-sm btn-outline-primary" href="{}">{}</a> '
            '<a class="btn btn-sm btn-outline-success" href="{}">{}</a>',
            reverse("customers:visit_arrange", args=[record.pk]), _("预约"),
            reverse("customers:visit_record", args=[record.pk]), _("登记"))


class VisitListView(RecordListView):
    model = Visit
    table_class = VisitTable
    filterset_class = VisitFilter
    permission_required = "customers.view_visit"
    template_name = "customers/visits.html"
    title = gettext_lazy("客户回访")
    count_by = ("status", "kind")
    export_exclude = ("actions",)
    scopes = {
        "month": (gettext_lazy("本月"), _this_month),
        "overdue": (gettext_lazy("逾期"), _overdue),
        "done": (gettext_lazy("已完成"), lambda qs, user: qs.filter(status=VisitStatus.RECORDED)
                 .order_by("-recorded_at", "-pk")),
        "all": (gettext_lazy("全部"), lambda qs, user: qs.order_by("-period_start", "customer__name", "pk")),
    }

    def base_queryset(self):
        return visit_service.with_record_due(Visit.objects.select_related("customer", "owner"))


# --- a visit's page -------------------------------------------------------------------------------------
def _visit_queryset():
    return Visit.objects.select_related("customer__owner", "owner__department", "contact", "follow_up")


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("取消原因"), max_length=200,
                             error_messages={"required": gettext_lazy("请填写取消原因。")})


class VisitDetailView(RecordDetailView):
    model = Visit
    permission_required = "customers.view_visit"
    tabs = [("overview", gettext_lazy("回访记录"), "customers/visit_detail.html")]
    cancel_form = None

    def base_queryset(self):
        return visit_service.with_record_due(_visit_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visit, user = self.object, self.request.user
        is_open = visit.status in visit_service.OPEN_STATUSES
        context.update({
            "title": f"{visit.customer.name} · {visit.get_kind_display()}",
            "visit": visit,
            "can_work": is_open and user.has_perm("customers.record_visit", visit),
            "can_cancel": is_open and user.has_perm("customers.cancel_visit", visit),
            "is_late": visit_service.is_late(visit),
            "is_overdue": visit_service.is_overdue(visit),
            "deadlines": deadlines.deadlines_for(visit).order_by("due_at"),
            "cancel_form": self.cancel_form or CancelForm(),
            "can_see_customer": user.has_perm("customers.view_customer", visit.customer),
        })
        return context


# --- arrange and record ---------------------------------------------------------------------------------
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _datetime_field(label, required, help_text=""):
    return forms.DateTimeField(label=label, required=required, input_formats=DATETIME_FORMATS, help_text=help_text,
                               widget=DateTimeInput())


class ArrangeForm(forms.Form):
    arranged_at = _datetime_field(gettext_lazy("约定时间"), False, gettext_lazy("电话中与客户确认的回访时间"))
    arrangement_note = forms.CharField(label=gettext_lazy("预约说明"), max_length=200, required=False,
                                       help_text=gettext_lazy("客户不便沟通时，说明情况（回访保持“待安排”）"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("arranged_at") and not (data.get("arrangement_note") or "").strip():
            raise forms.ValidationError(_("请填写与客户约定的时间，或说明客户不便沟通的情况。"))
        return data


class RecordForm(forms.Form):
    visited_at = _datetime_field(gettext_lazy("回访时间"), True)
    contact = forms.ModelChoiceField(label=gettext_lazy("联系人"), queryset=None, required=False)
    purpose = forms.CharField(label=gettext_lazy("目的"), max_length=200, required=False)
    content = forms.CharField(label=gettext_lazy("内容"), widget=forms.Textarea(attrs={"rows": 4}),
                              error_messages={"required": gettext_lazy("请填写回访内容。")})
    outcome = forms.CharField(label=gettext_lazy("结果"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    next_step = forms.CharField(label=gettext_lazy("下一步"), max_length=200, required=False)

    def __init__(self, *args, visit: Visit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = visit.customer.contacts.filter(is_active=True).order_by("-is_primary", "id")
        self.fields["visited_at"].error_messages["required"] = _("请填写回访时间。")
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_visited_at(self):
        visited_at = self.cleaned_data["visited_at"]
        if visited_at and visited_at > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("回访时间不能晚于现在。"))
        return visited_at


class VisitActionView(RecordActionView):
    """An action on an open visit, for whoever works on it (its owner, or the customer's owner now); anyone else
    who sees the visit is sent back to it with who may."""

    model = Visit
    permission_needed = "customers.record_visit"
    refused_text = gettext_lazy("只有负责人可以预约和登记此回访。")

    def get_queryset(self):
        return _visit_queryset()

    def refusal(self, record):
        if not self.request.user.has_perm(self.permission_needed, record):
            return str(self.refused_text)
        if record.status not in visit_service.OPEN_STATUSES:
            return _("此回访已%(status)s，不能再修改。") % {"status": record.get_status_display()}
        return None


class VisitFormView(VisitActionView):
    """The arrangement and the record, each on its own page (an invalid form keeps what was typed)."""

    template_name = "customers/visit_form.html"
    form_id = ""

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "visit": record, "form_id": self.form_id,
                "record_due_hint": visit_service.record_due_at(record)}


def _due_text(visit) -> str:
    return timezone.localtime(visit_service.record_due_at(visit)).strftime("%Y-%m-%d %H:%M")


class VisitArrangeView(VisitFormView):
    form_class = ArrangeForm
    form_id = "arrange-form"

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "initial": {
            "arranged_at": timezone.localtime(record.arranged_at) if record.arranged_at else None,
            "arrangement_note": record.arrangement_note}}

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "title": _("预约%(kind)s：%(customer)s") % {
            "kind": record.get_kind_display(), "customer": record.customer.name}}

    def perform(self, record, form):
        data = form.cleaned_data
        self.agreed = data["arranged_at"] is not None
        return visit_service.arrange_visit(record, by=self.request.user, arranged_at=data["arranged_at"],
                                           note=data["arrangement_note"])

    def get_success_message(self, record, result):
        if record.status == VisitStatus.ARRANGED and self.agreed:
            return _("已约定回访时间，回访记录请于 %(due)s 前提交。") % {"due": _due_text(record)}
        messages.info(self.request, _("已记录预约说明，回访仍待安排。"))
        return ""


class VisitRecordView(VisitFormView):
    form_class = RecordForm
    form_id = "record-form"

    def get_form_kwargs(self, record):
        now = timezone.now()
        default_time = record.arranged_at if record.arranged_at and record.arranged_at <= now else now
        return {**super().get_form_kwargs(record), "visit": record, "initial": {
            "visited_at": timezone.localtime(default_time).replace(second=0, microsecond=0),
            "contact": record.customer.primary_contact}}

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs),
                "title": _("登记回访记录：%(customer)s（%(kind)s）") % {"customer": record.customer.name,
                                                                  "kind": record.get_kind_display()}}

    def perform(self, record, form):
        data = form.cleaned_data
        return visit_service.record_visit(record, by=self.request.user, visited_at=data["visited_at"],
                                          contact=data["contact"], purpose=data["purpose"], content=data["content"],
                                          outcome=data["outcome"], next_step=data["next_step"])

    def get_success_message(self, record, result):
        if visit_service.is_late(record):
            messages.warning(self.request, _("回访记录已保存，但已超过提交期限 %(due)s，记为迟交。") % {
                "due": _due_text(record)})
            return ""
        return _("回访记录已保存。")


class VisitCancelView(VisitActionView):
    """取消 a plan from the visit's page (its form there): an invalid form shows the page again (400)."""

    form_class = CancelForm
    permission_needed = "customers.cancel_visit"
    refused_text = gettext_lazy("只有负责人的部门经理、总经理或管理者代表可以取消回访计划。")
    success_message = gettext_lazy("回访计划已取消。")

    def perform(self, record, form):
        return visit_service.cancel_visit(record, by=self.request.user, reason=form.cleaned_data["reason"])

    def refused(self, record, form, reason, status):
        if reason is not None:
            return super().refused(record, None, reason, status)
        view = VisitDetailView(cancel_form=form)
        view.setup(self.request, pk=record.pk)
        view.object = view.get_object()
        return view.render_to_response(view.get_context_data(object=view.object), status=400)


urlpatterns = [
    path("visits/", VisitListView.as_view(), name="visits"),
    path("visits/<int:pk>/", VisitDetailView.as_view(), name="visit_detail"),
    path("visits/<int:pk>/arrange/", VisitArrangeView.as_view(), name="visit_arrange"),
    path("visits/<int:pk>/record/", VisitRecordView.as_view(), name="visit_record"),
    path("visits/<int:pk>/cancel/", VisitCancelView.as_view(), name="visit_cancel"),
]

