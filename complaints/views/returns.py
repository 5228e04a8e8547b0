"""Return pages 《退货单》 (PROCEDURES.md §2 "Returns"): the list with filters and export, the request form (from a
complaint or on its own), the return's page with its moves, quality's sample test, the hand-over to
nonconforming-product control and the closure, the PDF, the 退货单 tab of a complaint, menu and demo data.

Business rules live in ``complaints.services.returns``; approving, refusing and voiding go through the shared
move view (``qms:move``) with their signature or reason.
"""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from complaints.forms_returns import CloseForm, HandOverForm, ReturnOrderForm, SampleTestForm
from complaints.models import Complaint, ReturnOrder, ReturnOutcome, ReturnStatus
from complaints.services import returns as service
from qms import workflow
from qms.filters import YesNoFilter
from qms.pdf import PrintForm
from qms.people import visible_to
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView
from qms.workflow import TransitionRefused

def return_queryset():
    return ReturnOrder.objects.select_related("customer", "created_by", "complaint")


# --- the list ------------------------------------------------------------------------------------------
class ReturnFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("编号/产品"), method="search")
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=ReturnStatus.choices)
    customer = django_filters.CharFilter(label=gettext_lazy("客户"), field_name="customer_name",
                                         lookup_expr="icontains")
    batch = django_filters.CharFilter(label=gettext_lazy("批号"), field_name="batch", lookup_expr="icontains")
    outcome = django_filters.ChoiceFilter(label=gettext_lazy("处理结果"), choices=ReturnOutcome.choices)
    is_batch_return = YesNoFilter(label=gettext_lazy("整批退货"))
    created_after = django_filters.DateFilter(label=gettext_lazy("申请日期从"), field_name="created_at",
                                              lookup_expr="date__gte")
    created_before = django_filters.DateFilter(label=gettext_lazy("申请日期至"), field_name="created_at",
                                               lookup_expr="date__lte")

    class Meta:
        model = ReturnOrder
        fields = ["q", "status", "customer", "batch", "outcome", "is_batch_return", "created_after",
                  "created_before"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(product__icontains=value))


STATUS_CSS = {ReturnStatus.SUBMITTED: "warning", ReturnStatus.APPROVED: "primary", ReturnStatus.TESTED: "info",
              ReturnStatus.CLOSED: "success", ReturnStatus.REJECTED: "danger", ReturnStatus.VOIDED: "secondary"}


class ReturnTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("编号"), linkify=True)
    customer_name = tables.Column(verbose_name=gettext_lazy("客户"))
    product = tables.Column(verbose_name=gettext_lazy("产品"))
    specification = tables.Column(verbose_name=gettext_lazy("规格型号"))
    batch = tables.Column(verbose_name=gettext_lazy("批号"))
    quantity = tables.Column(verbose_name=gettext_lazy("数量"))
    is_batch_return = tables.BooleanColumn(verbose_name=gettext_lazy("整批退货"))
    status = tables.Column(verbose_name=gettext_lazy("状态"))
    outcome = tables.Column(verbose_name=gettext_lazy("处理结果"))
    complaint = tables.Column(verbose_name=gettext_lazy("关联投诉"), order_by=("complaint__number",))
    created_by = tables.Column(verbose_name=gettext_lazy("申请人"), order_by=("created_by__full_name",))
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("申请时间"), format="Y-m-d H:i")

    class Meta:
        model = ReturnOrder
        fields = ["number", "customer_name", "product", "specification", "batch", "quantity", "is_batch_return",
                  "status", "outcome", "complaint", "created_by", "created_at"]
        order_by = ("-created_at",)
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "return-table"}

    def render_status(self, record):
        return format_html('<span class="badge text-bg-{}">{}</span>', STATUS_CSS.get(record.status, "light"),
                           record.get_status_display())

    def value_status(self, record):
        return record.get_status_display()

    def value_is_batch_return(self, record):
        return _("是") if record.is_batch_return else _("否")

    def render_complaint(self, record):
        return record.complaint.number

    def value_complaint(self, record):
        return record.complaint.number if record.complaint_id else ""

    def render_created_by(self, record):
        return record.created_by.display_name

    def value_created_by(self, record):
        return record.created_by.display_name


class ReturnListView(RecordListView):
    model = ReturnOrder
    table_class = ReturnTable
    filterset_class = ReturnFilter
    permission_required = "complaints.view_returnorder"
    title = gettext_lazy("退货单")
    create_url_name = "complaints:return_create"
    create_permission = "complaints.add_returnorder"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("未完成"), lambda qs, user: qs.filter(status__in=service.OPEN_STATUSES)),
        "mine": (gettext_lazy("我申请的"), lambda qs, user: qs.filter(created_by=user)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return return_queryset()


# --- the request form -----------------------------------------------------------------------------------
def _complaint_from(request) -> Complaint | None:
    pk = request.GET.get("complaint")
    if not pk:
        return None
    if not str(pk).isdigit():
        raise Http404
    return get_object_or_404(visible_to(request.user, Complaint.objects.select_related("customer")), pk=pk)


@login_required
def return_create(request):
    complaint = _complaint_from(request)  # a complaint the user may not see is a 404, whoever asks
    if not request.user.has_perm("complaints.add_returnorder"):
        raise PermissionDenied
    initial = {}
    if complaint is not None:
        initial = {"customer": complaint.customer_id, "customer_name": complaint.customer_name,
                   "product": complaint.product, "batch": complaint.batch, "quantity": complaint.quantity,
                   "reason": complaint.description}
    form = ReturnOrderForm(request.POST or None, user=request.user, complaint=complaint, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            return_order = service.create_return(
                by=request.user, complaint=complaint, customer=data["customer"], customer_name=data["customer_name"],
                product=data["product"], specification=data["specification"], quantity=data["quantity"],
                batch=data["batch"], is_batch_return=data["is_batch_return"], reason=data["reason"],
                confirm_duplicate=data.get("confirm_duplicate", False))
        except TransitionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            approver = (_("总经理") if return_order.is_batch_return else _("业务部经理"))
            messages.success(request, _("已提交退货单 %(number)s，待%(approver)s在 2 个工作日内审批。")
                             % {"number": return_order.number, "approver": approver})
            return HttpResponseRedirect(return_order.get_absolute_url())
    return render(request, "complaints/return_form.html", {
        "form": form, "complaint": complaint, "title": _("填写退货单"),
        "back_url": complaint.get_absolute_url() if complaint else reverse("complaints:return_list"),
    }, status=400 if request.method == "POST" else 200)


# --- a return's page ------------------------------------------------------------------------------------
class ReturnDetailView(RecordDetailView):
    model = ReturnOrder
    permission_required = "complaints.view_returnorder"
    template_name = "complaints/return_detail.html"
    attachments = True
    signatures = True
    tabs = [
        ("overview", gettext_lazy("概览"), "complaints/return_tab_overview.html"),
    ]
    forms: dict = {}

    def base_queryset(self):
        return return_queryset().select_related("customer__owner", "complaint__customer")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ro, user = self.object, self.request.user
        testing = ro.status == ReturnStatus.APPROVED and workflow.may_act(
            service.PIPELINE[ReturnStatus.APPROVED][ReturnStatus.TESTED], ro, user)
        closing = ro.status == ReturnStatus.TESTED and service.may_close(ro, user)
        handing_over = ro.status in (ReturnStatus.APPROVED, ReturnStatus.TESTED) and service.may_hand_over(user)
        context.update({
            "title": f"{ro.number} · {ro.product}",
            "return_order": ro,
            "test_form": self.forms.get("test") or (SampleTestForm() if testing else None),
            "handover_form": self.forms.get("handover") or (
                HandOverForm(initial={"nonconforming_reference": ro.nonconforming_reference})
                if handing_over else None),
            "close_form": self.forms.get("close") or (
                CloseForm(initial={"nonconforming_reference": ro.nonconforming_reference,
                                   "storage_location": ro.storage_location}) if closing else None),
            "batch_needs_gm": (ro.status == ReturnStatus.SUBMITTED and ro.is_batch_return
                               and service.is_sales_manager(user) and not service.is_gm(user)),
            "can_see_complaint": bool(ro.complaint_id and user.has_perm("complaints.view_complaint", ro.complaint)),
            "can_see_customer": bool(ro.customer_id and user.has_perm("customers.view_customer", ro.customer)),
        })
        return context


def _visible_return(request, pk) -> ReturnOrder:
    return get_object_or_404(visible_to(request.user, return_queryset()), pk=pk)


def _redisplay(request, return_order, **forms):
    """The return's page again, with the form that failed keeping what was typed."""
    view = ReturnDetailView(forms=forms)
    view.setup(request, pk=return_order.pk)
    view.object = view.get_object()
    return view.render_to_response(view.get_context_data(object=view.object), status=400)


@require_POST
@login_required
def return_test(request, pk):
    return_order = _visible_return(request, pk)
    form = SampleTestForm(request.POST)
    if not form.is_valid():
        return _redisplay(request, return_order, test=form)
    try:
        service.record_sample_test(return_order, by=request.user, result=form.cleaned_data["sample_test_result"])
    except TransitionRefused as refusal:
        form.add_error(None, str(refusal))
        return _redisplay(request, return_order, test=form)
    messages.success(request, _("已登记留样检验结果。"))
    return HttpResponseRedirect(return_order.get_absolute_url())


@require_POST
@login_required
def return_handover(request, pk):
    return_order = _visible_return(request, pk)
    form = HandOverForm(request.POST)
    if not form.is_valid():
        return _redisplay(request, return_order, handover=form)
    try:
        service.hand_over_to_nonconforming(return_order, form.cleaned_data["nonconforming_reference"], request.user)
    except TransitionRefused as refusal:
        form.add_error(None, str(refusal))
        return _redisplay(request, return_order, handover=form)
    messages.success(request, _("已移交不合格品控制：%(ref)s") % {"ref": return_order.nonconforming_reference})
    return HttpResponseRedirect(return_order.get_absolute_url())


@require_POST
@login_required
def return_close(request, pk):
    return_order = _visible_return(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _redisplay(request, return_order, close=form)
    data = form.cleaned_data
    try:
        service.close_return(return_order, by=request.user, outcome=data["outcome"],
                             storage_location=data["storage_location"],
                             nonconforming_reference=data["nonconforming_reference"])
    except TransitionRefused as refusal:
        form.add_error(None, str(refusal))
        return _redisplay(request, return_order, close=form)
    messages.success(request, _("退货单已关闭（%(outcome)s）。") % {"outcome": return_order.get_outcome_display()})
    return HttpResponseRedirect(return_order.get_absolute_url())


class ReturnPdfView(RecordPdfView):
    model = ReturnOrder
    print_form = PrintForm(code="QR-7.2-04", title=gettext_lazy("退货单"), revision="A/0",
                           template="print/return_order.html")

    def base_queryset(self):
        return return_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["transitions"] = workflow.status_history(self.object)
        return context


# --- the 退货单 tab of a complaint ---------------------------------------------------------------------
def render_complaint_returns_tab(request, complaint: Complaint) -> str:
    rows = list(visible_to(request.user, ReturnOrder.objects.filter(complaint=complaint))
                .select_related("created_by").order_by("-created_at", "-pk")[:100])
    can_create = request.user.has_perm("complaints.add_returnorder")
    return render_to_string("complaints/return_tab_complaint.html", {
        "object": complaint, "rows": rows,
        "create_url": f"{reverse('complaints:return_create')}?complaint={complaint.pk}" if can_create else None,
    }, request=request)


urlpatterns = [
    path("returns/", ReturnListView.as_view(), name="return_list"),
    path("returns/new/", return_create, name="return_create"),
    path("returns/<int:pk>/", ReturnDetailView.as_view(), name="return_detail"),
    path("returns/<int:pk>/test/", return_test, name="return_test"),
    path("returns/<int:pk>/hand-over/", return_handover, name="return_handover"),
    path("returns/<int:pk>/close/", return_close, name="return_close"),
    path("returns/<int:pk>/pdf/", ReturnPdfView.as_view(), name="return_pdf"),
]
