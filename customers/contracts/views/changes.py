"""Contract change pages 《合同变更通知单》 under /customers/contracts/: raising a change from the contract's page, the
list of changes (filters, export), a change's page (before/after, the re-review countersign, signatures and
transitions, attachments, history), the opinions, the PDF, and the 变更 tab of the contract."""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.contracts.forms import ChangeForm
from customers.contracts.models import ChangeSource, ChangeStatus, Contract, ContractChange
from customers.contracts.services import change as service
from customers.contracts.services.review import keeps_contract
from qms import countersign, workflow
from qms.pdf import PrintForm
from qms.tables import StatusColumn
from qms.views.actions import RecordFormView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView


def change_queryset():
    return ContractChange.objects.select_related("contract__customer", "contract__owner__department", "created_by")


class ChangeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("快速搜索"), method="search",
                                  help_text=gettext_lazy("变更单编号、合同编号或合同名称"))
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=ChangeStatus.choices)
    source = django_filters.ChoiceFilter(label=gettext_lazy("变更提出方"), choices=ChangeSource.choices)
    created_after = django_filters.DateFilter(label=gettext_lazy("提出日期从"), field_name="created_at",
                                              lookup_expr="date__gte")
    created_before = django_filters.DateFilter(label=gettext_lazy("提出日期至"), field_name="created_at",
                                               lookup_expr="date__lte")

    class Meta:
        model = ContractChange
        fields = ["q", "status", "source", "created_after", "created_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(contract__number__icontains=value)
                               | Q(contract__title__icontains=value))


class ChangeTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("变更单编号"), linkify=True)
    contract = tables.Column(verbose_name=gettext_lazy("合同"), order_by=("contract__title",))
    source = tables.Column(verbose_name=gettext_lazy("变更提出方"))
    values = tables.Column(verbose_name=gettext_lazy("变更前后"), orderable=False)
    status = StatusColumn()
    created_by = tables.Column(verbose_name=gettext_lazy("提出人"), order_by=("created_by__full_name",))
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("提出时间"), format="Y-m-d H:i")
    effective_at = tables.DateTimeColumn(verbose_name=gettext_lazy("生效时间"), format="Y-m-d H:i")

    class Meta:
        model = ContractChange
        fields = ["number", "contract", "source", "values", "status", "created_by", "created_at", "effective_at"]
        order_by = ("-created_at",)
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "change-table"}

    def render_contract(self, record):
        return str(record.contract)

    def value_contract(self, record):
        return str(record.contract)

    def render_values(self, record):
        return "；".join(f"{row['label']}：{row['before'] or '—'} → {row['after']}"
                        for row in service.value_rows(record))

    def value_values(self, record):
        return self.render_values(record)

    def render_created_by(self, record):
        return record.created_by.display_name

    def value_created_by(self, record):
        return record.created_by.display_name


class ChangeListView(RecordListView):
    model = ContractChange
    table_class = ChangeTable
    filterset_class = ChangeFilter
    permission_required = "customers.view_contractchange"
    title = gettext_lazy("合同变更")
    count_by = ("status",)

    def base_queryset(self):
        return change_queryset()


class ChangeCreateView(RecordFormView):
    """合同变更 of a contract (the URL's pk): refused while another change of it is open."""

    queryset = Contract.objects.select_related("customer", "owner__department")
    form_class = ChangeForm
    permission = "customers.change_contract"
    template_name = "customers/contracts/change_form.html"
    title = gettext_lazy("合同变更：%(record)s")

    def refusal(self, contract):
        return service.open_change_refusal(contract)

    def back_url(self, contract):
        return f"{contract.get_absolute_url()}?tab=changes"

    def get_form_kwargs(self, contract):
        return {"contract": contract}

    def get_context_data(self, contract, form, formsets, **kwargs):
        return super().get_context_data(contract, form, formsets, contract=contract, **kwargs)

    def save(self, contract, form, formsets):
        data = form.cleaned_data
        return service.raise_change(contract, self.request.user, source=data["source"],
                                    description=data["description"], new_delivery_date=data["new_delivery_date"],
                                    new_packaging=data["new_packaging"], new_payment_terms=data["new_payment_terms"],
                                    affected_parties=data["affected_parties"])

    def get_success_message(self, change):
        return _("已提出合同变更 %(number)s。") % {"number": change.number}


class ChangeDetailView(RecordDetailView):
    model = ContractChange
    permission_required = "customers.view_contractchange"
    template_name = "customers/contracts/change_detail.html"
    attachments = True
    signatures = True
    tabs = [("overview", gettext_lazy("概览"), "customers/contracts/change_tab_overview.html")]

    def base_queryset(self):
        return change_queryset()

    def all_tabs(self):
        tabs = super().all_tabs()
        tabs.insert(1, {"slug": "opinions", "label": gettext_lazy("再评审意见"),
                        "render": countersign.render_opinions_tab})
        return tabs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        change, user = self.object, self.request.user
        context.update({
            "title": str(change), "change": change, "value_rows": service.value_rows(change),
            "can_see_contract": user.has_perm("customers.view_contract", change.contract),
            "confirmation_missing": change.status == ChangeStatus.IN_REVIEW and service.confirmation_missing(change),
            "party_labels": [_(party) for party in change.affected_parties],
        })
        return context


class ChangeOpinionView(countersign.GiveOpinionView):
    model = ContractChange


class ChangeResolveView(countersign.ResolveDisagreementView):
    model = ContractChange


class ChangePdfView(RecordPdfView):
    model = ContractChange
    print_form = PrintForm(code="QR-8.2-02", title=gettext_lazy("合同变更通知单"), revision="A/0",
                           template="print/contract_change.html")

    def base_queryset(self):
        return change_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        change = self.object
        context.update({"value_rows": service.value_rows(change), "opinion_rows": countersign.rows_for(change),
                        "transitions": workflow.status_history(change),
                        "party_labels": [_(party) for party in change.affected_parties]})
        return context


def render_contract_changes_tab(request, contract) -> str:
    """The 变更 tab of a contract: every change with its values before and after."""
    changes = list(service.changes_of(contract))
    return render_to_string("customers/contracts/tab_changes.html", {
        "object": contract,
        "rows": [{"change": change, "values": service.value_rows(change)} for change in changes],
        "can_raise": keeps_contract(contract, request.user) and service.open_change_refusal(contract) is None,
    }, request=request)


urlpatterns = [
    path("contracts/changes/", ChangeListView.as_view(), name="change_list"),
    path("contracts/<int:pk>/change/", ChangeCreateView.as_view(), name="change_create"),
    path("contracts/changes/<int:pk>/", ChangeDetailView.as_view(), name="change_detail"),
    path("contracts/changes/<int:pk>/opinions/<int:opinion>/", ChangeOpinionView.as_view(), name="change_opinion"),
    path("contracts/changes/<int:pk>/opinions/<int:opinion>/resolve/", ChangeResolveView.as_view(),
         name="change_resolve"),
    path("contracts/changes/<int:pk>/pdf/", ChangePdfView.as_view(), name="change_pdf"),
]
