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
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.forms_returns import CloseForm, HandOverForm, ReturnOrderForm, SampleTestForm
from complaints.models import Complaint, ReturnOrder, ReturnOutcome, ReturnStatus
from complaints.services import returns as service
from qms import Refused, workflow
from qms.filters import YesNoFilter
from qms.pdf import PrintForm
from qms.people import visible_to
from qms.views.actions import RecordActionView, get_visible_or_404
from qms.tables import StatusColumn
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView

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


class ReturnTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("编号"), linkify=True)
    customer_name = tables.Column(verbose_name=gettext_lazy("客户"))
    product = tables.Column(verbose_name=gettext_lazy("产品"))
    specification = tables.Column(verbose_name=gettext_lazy("规格型号"))
    batch = tables.Column(verbose_name=gettext_lazy("批号"))
    quantity = tables.Column(verbose_name=gettext_lazy("数量"))
    is_batch_return = tables.BooleanColumn(verbose_name=gettext_lazy("整批退货"))
    status = StatusColumn()
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
    return get_visible_or_404(request.user, Complaint.objects.select_related("customer"), pk=pk)


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
        except Refused as refusal:
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


class ReturnStepView(RecordActionView):
    """A step recorded from the return's page (its form inline there): an invalid form or a refusal shows the
    page again with that form keeping what was typed (400)."""

    model = ReturnOrder
    queryset = return_queryset()
    form_key = ""  # the form's name on the page

    def refused(self, record, form, reason, status):
        if reason:
            form.add_error(None, reason)
        view = ReturnDetailView(forms={self.form_key: form})
        view.setup(self.request, pk=record.pk)
        view.object = view.get_object()
        return view.render_to_response(view.get_context_data(object=view.object), status=400)


class ReturnTestView(ReturnStepView):
    form_class = SampleTestForm
    form_key = "test"
    success_message = gettext_lazy("已登记留样检验结果。")

    def perform(self, record, form):
        return service.record_sample_test(record, by=self.request.user,
                                          result=form.cleaned_data["sample_test_result"])


class ReturnHandOverView(ReturnStepView):
    form_class = HandOverForm
    form_key = "handover"

    def perform(self, record, form):
        return service.hand_over_to_nonconforming(record, form.cleaned_data["nonconforming_reference"],
                                                  self.request.user)

    def get_success_message(self, record, result):
        return _("已移交不合格品控制：%(ref)s") % {"ref": record.nonconforming_reference}


class ReturnCloseView(ReturnStepView):
    form_class = CloseForm
    form_key = "close"

    def perform(self, record, form):
        data = form.cleaned_data
        return service.close_return(record, by=self.request.user, outcome=data["outcome"],
                                    storage_location=data["storage_location"],
                                    nonconforming_reference=data["nonconforming_reference"])

    def get_success_message(self, record, result):
        return _("退货单已关闭（%(outcome)s）。") % {"outcome": record.get_outcome_display()}


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
    path("returns/<int:pk>/test/", ReturnTestView.as_view(), name="return_test"),
    path("returns/<int:pk>/hand-over/", ReturnHandOverView.as_view(), name="return_handover"),
    path("returns/<int:pk>/close/", ReturnCloseView.as_view(), name="return_close"),
    path("returns/<int:pk>/pdf/", ReturnPdfView.as_view(), name="return_pdf"),
]
