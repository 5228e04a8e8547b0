"""Pages of 《顾客提供图纸/实物保管登记表》: the list (filters, export), registering an item (the receiver signs),
an item's page (loss/damage notice to the customer, a new storage place; return and closing through the core
move view), its PDF. Business rules: ``customers.contracts.services.property``."""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.db.models import Q
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.contracts.fulfilment_forms import CustomerPropertyForm, IncidentForm, RelocateForm
from customers.contracts.fulfilment_models import CustomerProperty, PropertyKind, PropertyStatus
from customers.contracts.services import property as service
from customers.contracts.views.common import FulfilmentFormView, contract_link
from qms import workflow
from qms.pdf import PrintForm
from qms.tables import StatusColumn
from qms.views.actions import RecordActionView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView


def property_queryset():
    return CustomerProperty.objects.select_related("customer", "contract", "received_by")


class PropertyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("编号/名称/图号"), method="search")
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=PropertyStatus.choices)
    kind = django_filters.ChoiceFilter(label=gettext_lazy("类别"), choices=PropertyKind.choices)
    customer = django_filters.CharFilter(label=gettext_lazy("客户"), field_name="customer__name",
                                         lookup_expr="icontains")
    storage_location = django_filters.CharFilter(label=gettext_lazy("存放位置"), lookup_expr="icontains")
    received_after = django_filters.DateFilter(label=gettext_lazy("接收日期从"), field_name="received_on",
                                               lookup_expr="gte")
    received_before = django_filters.DateFilter(label=gettext_lazy("接收日期至"), field_name="received_on",
                                                lookup_expr="lte")

    class Meta:
        model = CustomerProperty
        fields = ["q", "status", "kind", "customer", "storage_location", "received_after", "received_before"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(name__icontains=value) | Q(identifier__icontains=value))


class PropertyTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("登记编号"), linkify=True)
    customer = tables.Column(verbose_name=gettext_lazy("客户"), order_by=("customer__name",))
    kind = tables.Column(verbose_name=gettext_lazy("类别"))
    name = tables.Column(verbose_name=gettext_lazy("名称"))
    identifier = tables.Column(verbose_name=gettext_lazy("图号/编号"))
    quantity = tables.Column(verbose_name=gettext_lazy("数量"))
    received_on = tables.DateColumn(verbose_name=gettext_lazy("接收日期"), format="Y-m-d")
    handed_over_by = tables.Column(verbose_name=gettext_lazy("顾客移交人"))
    received_by = tables.Column(verbose_name=gettext_lazy("接收人"), order_by=("received_by__full_name",))
    storage_location = tables.Column(verbose_name=gettext_lazy("存放位置"))
    status = StatusColumn()
    returned_on = tables.DateColumn(verbose_name=gettext_lazy("归还日期"), format="Y-m-d", default="—")

    class Meta:
        model = CustomerProperty
        fields = ["number", "customer", "kind", "name", "identifier", "quantity", "received_on", "handed_over_by",
                  "received_by", "storage_location", "status", "returned_on"]
        order_by = ("-received_on",)
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "customer-property-table"}

    def render_customer(self, record):
        return record.customer.name

    def value_customer(self, record):
        return record.customer.name

    def render_received_by(self, record):
        return record.received_by.display_name

    def value_received_by(self, record):
        return record.received_by.display_name


class PropertyListView(RecordListView):
    model = CustomerProperty
    table_class = PropertyTable
    filterset_class = PropertyFilter
    permission_required = "customers.view_customerproperty"
    title = gettext_lazy("顾客提供图纸/实物保管登记表")
    create_url_name = "customers:property_create"
    create_permission = "customers.add_customerproperty"
    count_by = ("status", "kind")
    scopes = {
        "custody": (gettext_lazy("保管中"), lambda qs, user: qs.filter(
            status__in=(PropertyStatus.IN_CUSTODY, PropertyStatus.INCIDENT))),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return property_queryset()


class PropertyCreateView(FulfilmentFormView):
    form_class = CustomerPropertyForm
    permission = "customers.add_customerproperty"
    title = gettext_lazy("登记顾客财产")
    form_id = "customer-property-form"
    intro = gettext_lazy("顾客提供的图纸、样品、模具、工装等：记录顾客移交人，接收人以密码签名确认；丢失、损坏或发现不适用时须报告顾客。")
    submit_label = gettext_lazy("登记并签名")
    cancel_url = "customers:property_list"

    def save(self, record, form, formsets):
        data = form.cleaned_data
        return service.register(
            by=self.request.user, password=data["password"], customer=data["customer"], kind=data["kind"],
            name=data["name"], identifier=data["identifier"], quantity=data["quantity"],
            received_on=data["received_on"], handed_over_by=data["handed_over_by"],
            storage_location=data["storage_location"], condition=data["condition"], contract=data["contract"])

    def get_success_message(self, item):
        return _("已登记顾客财产 %(number)s。") % {"number": item.number}


class PropertyDetailView(RecordDetailView):
    model = CustomerProperty
    permission_required = "customers.view_customerproperty"
    template_name = "customers/contracts/property_detail.html"
    attachments = True
    signatures = True
    tabs = [("overview", gettext_lazy("概览"), "customers/contracts/property_tab_overview.html")]
    forms: dict = {}

    def base_queryset(self):
        return property_queryset().select_related("customer__owner")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item, user = self.object, self.request.user
        open_item = item.status in (PropertyStatus.IN_CUSTODY, PropertyStatus.INCIDENT)
        may_keep = open_item and user.has_perm("customers.change_customerproperty", item)
        context.update({
            "title": f"{item.number} · {item.name}",
            "incidents": item.incidents.select_related("reported_by"),
            "incident_form": self.forms.get("incident") or (IncidentForm() if may_keep else None),
            "relocate_form": self.forms.get("relocate") or (RelocateForm() if may_keep else None),
            "contract_url": contract_link(item.contract) if item.contract_id else "",
            "can_see_customer": user.has_perm("customers.view_customer", item.customer),
        })
        return context


class PropertyStepView(RecordActionView):
    """A step recorded from the item's page (its form inline there): an invalid form or a refusal shows the page
    again with that form keeping what was typed."""

    model = CustomerProperty
    permission = "customers.change_customerproperty"
    form_key = ""

    def get_queryset(self):
        return property_queryset().select_related("customer__owner")

    def refused(self, record, form, reason, status):
        if reason:
            form.add_error(None, reason)
        view = PropertyDetailView(forms={self.form_key: form})
        view.setup(self.request, pk=record.pk)
        view.object = view.get_object()
        return view.render_to_response(view.get_context_data(object=view.object), status=status)


class PropertyIncidentView(PropertyStepView):
    form_class = IncidentForm
    form_key = "incident"

    def perform(self, record, form):
        return service.report_incident(record, by=self.request.user, **form.cleaned_data)

    def get_success_message(self, record, result):
        return _("已记录%(kind)s并通知顾客（%(contact)s）。") % {"kind": result.get_kind_display(),
                                                     "contact": result.notified_contact}


class PropertyRelocateView(PropertyStepView):
    form_class = RelocateForm
    form_key = "relocate"
    success_message = gettext_lazy("存放位置已变更。")

    def perform(self, record, form):
        return service.relocate(record, by=self.request.user, **form.cleaned_data)


class PropertyPdfView(RecordPdfView):
    model = CustomerProperty
    print_form = PrintForm(code="QR-8.5-03", title=gettext_lazy("顾客提供图纸/实物保管登记表"), revision="A/0",
                           template="print/customer_property.html")

    def base_queryset(self):
        return property_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["incidents"] = self.object.incidents.select_related("reported_by")
        context["transitions"] = workflow.status_history(self.object)
        return context


urlpatterns = [
    path("contracts/customer-property/", PropertyListView.as_view(), name="property_list"),
    path("contracts/customer-property/new/", PropertyCreateView.as_view(), name="property_create"),
    path("contracts/customer-property/<int:pk>/", PropertyDetailView.as_view(), name="property_detail"),
    path("contracts/customer-property/<int:pk>/incident/", PropertyIncidentView.as_view(), name="property_incident"),
    path("contracts/customer-property/<int:pk>/relocate/", PropertyRelocateView.as_view(), name="property_relocate"),
    path("contracts/customer-property/<int:pk>/pdf/", PropertyPdfView.as_view(), name="property_pdf"),
]
