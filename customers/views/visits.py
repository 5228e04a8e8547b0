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
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from customers.models import Visit, VisitKind, VisitStatus
from customers.services import visits as visit_service
from qms import deadlines
from qms.workflow import TransitionRefused
from qms.people import visible_to
from qms.tables import StatusColumn
from qms.views.generic import RecordDetailView, RecordListView
from qms.widgets import DateTimeInput


# --- the list -------------------------------------------------------------------------------------------
def _this_month(qs, user):
    first, last = visit_service.month_bounds(timezone.localdate())
    return qs.filter(period_start__lte=last, period_end__gte=first)


def _overdue(qs, user):
    open_ = Q(status__in=visit_service.OPEN_STATUSES)
    late_record = Q(status=VisitStatus.ARRANGED, record_due_at__lt=timezone.now())
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
        return Visit.objects.select_related("customer", "owner")


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
        return _visit_queryset()

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


def _visible_visit(request, pk) -> Visit:
    return get_object_or_404(visible_to(request.user, _visit_queryset()), pk=pk)


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


def _form_page(request, visit, form, title, form_id, status=200):
    return render(request, "customers/visit_form.html", {
        "form": form, "visit": visit, "title": title, "form_id": form_id,
        "back_url": visit.get_absolute_url(),
        "record_due_hint": visit.record_due_at,
    }, status=status)


def _refuse(request, visit, text):
    messages.error(request, text)
    return HttpResponseRedirect(visit.get_absolute_url())


def visit_arrange(request, pk):
    visit = _visible_visit(request, pk)
    if not request.user.has_perm("customers.record_visit", visit):
        return _refuse(request, visit, _("只有负责人可以预约和登记此回访。"))
    if visit.status not in visit_service.OPEN_STATUSES:
        return _refuse(request, visit, _("此回访已%(status)s，不能再修改。") % {"status": visit.get_status_display()})
    initial = {"arranged_at": timezone.localtime(visit.arranged_at) if visit.arranged_at else None,
               "arrangement_note": visit.arrangement_note}
    form = ArrangeForm(request.POST or None, initial=initial)
    title = _("预约%(kind)s：%(customer)s") % {"kind": visit.get_kind_display(), "customer": visit.customer.name}
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit_service.arrange_visit(visit, by=request.user, arranged_at=data["arranged_at"],
                                            note=data["arrangement_note"])
            except (visit_service.VisitRefused, TransitionRefused) as refusal:
                form.add_error(None, str(refusal))
            else:
                if visit.status == VisitStatus.ARRANGED and data["arranged_at"]:
                    messages.success(request, _("已约定回访时间，回访记录请于 %(due)s 前提交。") % {
                        "due": timezone.localtime(visit.record_due_at).strftime("%Y-%m-%d %H:%M")})
                else:
                    messages.info(request, _("已记录预约说明，回访仍待安排。"))
                return HttpResponseRedirect(visit.get_absolute_url())
        return _form_page(request, visit, form, title, "arrange-form", status=400)
    return _form_page(request, visit, form, title, "arrange-form")


def visit_record(request, pk):
    visit = _visible_visit(request, pk)
    if not request.user.has_perm("customers.record_visit", visit):
        return _refuse(request, visit, _("只有负责人可以预约和登记此回访。"))
    if visit.status not in visit_service.OPEN_STATUSES:
        return _refuse(request, visit, _("此回访已%(status)s，不能再修改。") % {"status": visit.get_status_display()})
    default_time = visit.arranged_at if visit.arranged_at and visit.arranged_at <= timezone.now() else timezone.now()
    initial = {"visited_at": timezone.localtime(default_time).replace(second=0, microsecond=0),
               "contact": visit.customer.primary_contact}
    form = RecordForm(request.POST or None, visit=visit, initial=initial)
    title = _("登记回访记录：%(customer)s（%(kind)s）") % {"customer": visit.customer.name,
                                                      "kind": visit.get_kind_display()}
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit_service.record_visit(visit, by=request.user, visited_at=data["visited_at"],
                                           contact=data["contact"], purpose=data["purpose"], content=data["content"],
                                           outcome=data["outcome"], next_step=data["next_step"])
            except (visit_service.VisitRefused, TransitionRefused) as refusal:
                form.add_error(None, str(refusal))
            else:
                if visit_service.is_late(visit):
                    messages.warning(request, _("回访记录已保存，但已超过提交期限 %(due)s，记为迟交。") % {
                        "due": timezone.localtime(visit.record_due_at).strftime("%Y-%m-%d %H:%M")})
                else:
                    messages.success(request, _("回访记录已保存。"))
                return HttpResponseRedirect(visit.get_absolute_url())
        return _form_page(request, visit, form, title, "record-form", status=400)
    return _form_page(request, visit, form, title, "record-form")


@require_POST
def visit_cancel(request, pk):
    visit = _visible_visit(request, pk)
    form = CancelForm(request.POST)
    if not request.user.has_perm("customers.cancel_visit", visit):
        return _refuse(request, visit, _("只有负责人的部门经理、总经理或管理者代表可以取消回访计划。"))
    if not form.is_valid():
        view = VisitDetailView(cancel_form=form)
        view.setup(request, pk=visit.pk)
        view.object = view.get_object()
        return view.render_to_response(view.get_context_data(object=view.object), status=400)
    try:
        visit_service.cancel_visit(visit, by=request.user, reason=form.cleaned_data["reason"])
    except (visit_service.VisitRefused, TransitionRefused) as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("回访计划已取消。"))
    return HttpResponseRedirect(visit.get_absolute_url())


urlpatterns = [
    path("visits/", VisitListView.as_view(), name="visits"),
    path("visits/<int:pk>/", VisitDetailView.as_view(), name="visit_detail"),
    path("visits/<int:pk>/arrange/", visit_arrange, name="visit_arrange"),
    path("visits/<int:pk>/record/", visit_record, name="visit_record"),
    path("visits/<int:pk>/cancel/", visit_cancel, name="visit_cancel"),
]

