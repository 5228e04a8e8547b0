"""Pages of shipments and their after-sales confirmation: the list (filters incl. batch number, export), a new
shipment of a contract (its lines with quantity and batch), a shipment's page (shipping, the customer's answer and
cancelling through the core move view, with what holds shipping back shown), its PDF 《发货及售后确认记录》.
Business rules: ``customers.contracts.services.shipments``."""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.contracts.fulfilment_forms import (ShipmentContractForm, ShipmentForm,
                                                  contracts_of_visible_customers)
from customers.contracts.fulfilment_models import Shipment, ShipmentLine, ShipmentStatus
from customers.contracts.services import shipments as service
from customers.contracts.services.special_requirements import DELIVERY
from customers.contracts.views.common import contract_link
from qms import blocks, deadlines, workflow
from qms.filters import YesNoFilter
from qms.pdf import PrintForm
from qms.tables import StatusColumn
from qms.views.actions import RecordFormView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView


def shipment_queryset():
    # a subquery, not a join: the list's grouped counts and its pagination stay one row per shipment
    total = (ShipmentLine.objects.filter(shipment=OuterRef("pk")).order_by().values("shipment")
             .annotate(total=Sum("quantity")).values("total"))
    return (Shipment.objects.select_related("contract", "customer", "created_by", "complaint")
            .annotate(total_quantity=Subquery(total, output_field=DecimalField())))


class ShipmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("发货单号/运单号"), method="search")
    batch = django_filters.CharFilter(label=gettext_lazy("批号"), method="filter_batch")
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=ShipmentStatus.choices)
    customer = django_filters.CharFilter(label=gettext_lazy("客户"), field_name="customer__name",
                                         lookup_expr="icontains")
    contract = django_filters.CharFilter(label=gettext_lazy("合同编号"), field_name="contract__number",
                                         lookup_expr="icontains")
    is_export = YesNoFilter(label=gettext_lazy("国外客户"))
    shipped_after = django_filters.DateFilter(label=gettext_lazy("发货日期从"), field_name="shipped_at",
                                              lookup_expr="date__gte")
    shipped_before = django_filters.DateFilter(label=gettext_lazy("发货日期至"), field_name="shipped_at",
                                               lookup_expr="date__lte")

    class Meta:
        model = Shipment
        fields = ["q", "batch", "status", "customer", "contract", "is_export", "shipped_after", "shipped_before"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(waybill__icontains=value))

    def filter_batch(self, queryset, name, value):
        """An exact batch number (any case), answered from the batch index: who received this batch."""
        return queryset.filter(pk__in=ShipmentLine.objects.filter(batch_number__iexact=value.strip())
                               .values("shipment_id"))


class ShipmentTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("发货单号"), linkify=True)
    customer = tables.Column(verbose_name=gettext_lazy("客户"), order_by=("customer__name",))
    contract = tables.Column(verbose_name=gettext_lazy("合同"), order_by=("contract__number",))
    total_quantity = tables.Column(verbose_name=gettext_lazy("发货数量"))
    planned_on = tables.DateColumn(verbose_name=gettext_lazy("计划发货日期"), format="Y-m-d")
    shipped_at = tables.DateTimeColumn(verbose_name=gettext_lazy("发货时间"), format="Y-m-d H:i", default="—")
    status = StatusColumn()
    confirmation_due = tables.DateTimeColumn(verbose_name=gettext_lazy("确认期限"), format="Y-m-d H:i",
                                             default="—", accessor="confirmation_due")
    complaint = tables.Column(verbose_name=gettext_lazy("关联投诉"), order_by=("complaint__number",), default="—")

    class Meta:
        model = Shipment
        fields = ["number", "customer", "contract", "total_quantity", "planned_on", "shipped_at", "status",
                  "confirmation_due", "complaint"]
        order_by = ("-created_at",)
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "shipment-table"}

    def render_customer(self, record):
        return record.customer.name

    def value_customer(self, record):
        return record.customer.name

    def render_contract(self, record):
        return record.contract.number or record.contract.title

    def value_contract(self, record):
        return record.contract.number or record.contract.title

    def render_complaint(self, record):
        return record.complaint.number

    def value_complaint(self, record):
        return record.complaint.number if record.complaint_id else ""


class ShipmentListView(RecordListView):
    model = Shipment
    table_class = ShipmentTable
    filterset_class = ShipmentFilter
    permission_required = "customers.view_shipment"
    title = gettext_lazy("发货记录")
    create_url_name = "customers:shipment_create"
    create_permission = "customers.add_shipment"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("未完成"), lambda qs, user: qs.filter(status__in=service.OPEN_STATUSES)),
        "awaiting": (gettext_lazy("待售后确认"), lambda qs, user: qs.filter(status=ShipmentStatus.SHIPPED)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return deadlines.with_open_due(shipment_queryset(), "shipment_confirmation", name="confirmation_due")


class ShipmentCreateView(RecordFormView):
    """Step 1 (no contract chosen): which contract; step 2: the shipment with its lines."""

    form_class = ShipmentForm
    permission = "customers.add_shipment"
    template_name = "customers/contracts/shipment_form.html"
    title = gettext_lazy("填写发货记录")
    cancel_url = "customers:shipment_create"
    contract = None

    def prepare(self, record):
        contract_id = self.request.GET.get("contract") or self.request.POST.get("contract")
        if not contract_id:
            return
        if not str(contract_id).isdigit():
            raise Http404
        self.contract = contracts_of_visible_customers(self.request.user).filter(pk=contract_id).first()
        if self.contract is None:
            raise Http404

    def get(self, request, *args, **kwargs):
        return self.choose_contract() if self.contract is None else super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.choose_contract() if self.contract is None else super().post(request, *args, **kwargs)

    def choose_contract(self):
        chooser = ShipmentContractForm(self.request.GET or None, user=self.request.user)
        return render(self.request, "customers/contracts/shipment_choose_contract.html", {
            "form": chooser, "title": self.title, "back_url": reverse("customers:shipment_list")})

    def get_form_kwargs(self, record):
        contract = self.contract
        shipped = service.shipped_quantities(contract.pk)
        return {"contract": contract,
                "remaining": {line.pk: line.quantity - shipped.get(line.pk, 0) for line in contract.lines.all()}}

    def get_context_data(self, record, form, formsets, **kwargs):
        contract = self.contract
        holds = blocks.holds("customers.Contract", contract.pk, DELIVERY)
        not_registered = service.contract_not_shippable(contract)
        return super().get_context_data(record, form, formsets, contract=contract, **kwargs,
                                        warnings=[reason for reason in (not_registered, *holds) if reason])

    def save(self, record, form, formsets):
        data = form.cleaned_data
        return service.create_shipment(
            by=self.request.user, contract=self.contract, lines=form.lines(), planned_on=data["planned_on"],
            carrier=data["carrier"], waybill=data["waybill"], delivery_address=data["delivery_address"],
            is_export=data["is_export"], expected_arrival_on=data["expected_arrival_on"], note=data["note"])

    def get_success_message(self, shipment):
        return _("已填写发货记录 %(number)s。") % {"number": shipment.number}


class ShipmentDetailView(RecordDetailView):
    model = Shipment
    permission_required = "customers.view_shipment"
    template_name = "customers/contracts/shipment_detail.html"
    attachments = True
    signatures = True
    tabs = [("overview", gettext_lazy("概览"), "customers/contracts/shipment_tab_overview.html")]

    def base_queryset(self):
        return shipment_queryset().select_related("customer__owner", "contract__owner", "shipped_by", "confirmed_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shipment, user = self.object, self.request.user
        holding = []
        if shipment.status == ShipmentStatus.PLANNED:
            move = service.PIPELINE[ShipmentStatus.PLANNED][ShipmentStatus.SHIPPED]
            reason = workflow.what_holds_back(shipment, ShipmentStatus.SHIPPED, move)
            holding = reason.split("；") if reason else []
        context.update({
            "title": f"{shipment.number} · {shipment.customer.name}",
            "lines": shipment.lines.select_related("contract_line").order_by("contract_line__line_no", "pk"),
            "holding": holding,
            "contract_url": contract_link(shipment.contract),
            "can_see_customer": user.has_perm("customers.view_customer", shipment.customer),
            "can_see_complaint": bool(shipment.complaint_id
                                      and user.has_perm("complaints.view_complaint", shipment.complaint)),
        })
        return context


class ShipmentPdfView(RecordPdfView):
    model = Shipment
    print_form = PrintForm(code="QR-8.2-06", title=gettext_lazy("发货及售后确认记录"), revision="A/0",
                           template="print/shipment.html")

    def base_queryset(self):
        return shipment_queryset().select_related("shipped_by", "confirmed_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lines"] = self.object.lines.select_related("contract_line").order_by("contract_line__line_no", "pk")
        context["transitions"] = workflow.status_history(self.object)
        return context


urlpatterns = [
    path("contracts/shipments/", ShipmentListView.as_view(), name="shipment_list"),
    path("contracts/shipments/new/", ShipmentCreateView.as_view(), name="shipment_create"),
    path("contracts/shipments/<int:pk>/", ShipmentDetailView.as_view(), name="shipment_detail"),
    path("contracts/shipments/<int:pk>/pdf/", ShipmentPdfView.as_view(), name="shipment_pdf"),
]
