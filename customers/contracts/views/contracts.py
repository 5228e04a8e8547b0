"""Contract pages under /customers/contracts/ (PROCEDURES.md §2): the list with filters and export, the capture
form with its product lines, the contract's page (overview with class and the customer's integrity, lines, the
review countersign, signatures and transitions, attachments, history), raising the class, giving and resolving
review opinions, the register's hand-over of the original to finance and finance's receipt, and the PDF
《合同(订单)评审表》.

Business rules live in ``customers.contracts.services``; the review moves go through the shared move view.
"""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.db.models import Exists, OuterRef, Q
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.contracts.forms import ContractForm, LineFormSet, RaiseClassForm, line_initial
from customers.contracts.models import (Contract, ContractClass, ContractLine, ContractStatus, OrderForm,
                                        Opportunity, ReviewRoute)
from customers.contracts.services import capture, classification, opportunities
from customers.contracts.services import review as service
from customers.contracts.services.integrity import customer_integrity
from customers.filtersets import OwnerFilter
from customers.models import Customer
from qms import countersign, workflow
from qms.pdf import PrintForm
from qms.people import User
from qms.tables import StatusColumn
from qms.views.actions import RecordActionView, RecordFormView, get_visible_or_404
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView


def contract_queryset():
    return Contract.objects.select_related("customer", "owner__department", "created_by")


# --- the list ------------------------------------------------------------------------------------------
class ContractFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("快速搜索"), method="search",
                                  help_text=gettext_lazy("合同编号、合同名称、客户订单号或产品名称"))
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=ContractStatus.choices)
    contract_class = django_filters.ChoiceFilter(label=gettext_lazy("合同类别"), choices=ContractClass.choices)
    order_form = django_filters.ChoiceFilter(label=gettext_lazy("订单形式"), choices=OrderForm.choices)
    owner = OwnerFilter(label=gettext_lazy("业务员"), queryset=User.objects.filter(is_active=True)
                        .select_related("department").order_by("department__code", "full_name", "username"))
    customer = django_filters.CharFilter(label=gettext_lazy("客户"), field_name="customer__name",
                                         lookup_expr="icontains")
    ordered_after = django_filters.DateFilter(label=gettext_lazy("下单日期从"), field_name="ordered_on",
                                              lookup_expr="gte")
    ordered_before = django_filters.DateFilter(label=gettext_lazy("下单日期至"), field_name="ordered_on",
                                               lookup_expr="lte")
    delivery_after = django_filters.DateFilter(label=gettext_lazy("交货日期从"), field_name="delivery_date",
                                               lookup_expr="gte")
    delivery_before = django_filters.DateFilter(label=gettext_lazy("交货日期至"), field_name="delivery_date",
                                                lookup_expr="lte")

    class Meta:
        model = Contract
        fields = ["q", "status", "contract_class", "order_form", "owner", "customer", "ordered_after",
                  "ordered_before", "delivery_after", "delivery_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        lines = ContractLine.objects.filter(contract=OuterRef("pk"), product__icontains=value)
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value)
                               | Q(customer_reference__icontains=value) | Exists(lines))


class ContractTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("合同编号"), linkify=True)
    title = tables.Column(verbose_name=gettext_lazy("合同名称"), linkify=True)
    customer = tables.Column(verbose_name=gettext_lazy("客户"), order_by=("customer__name",))
    order_form = tables.Column(verbose_name=gettext_lazy("订单形式"))
    contract_class = tables.Column(verbose_name=gettext_lazy("合同类别"))
    status = StatusColumn()
    total_amount = tables.Column(verbose_name=gettext_lazy("合同金额（元）"), attrs={"td": {"class": "text-end"}})
    ordered_on = tables.DateColumn(verbose_name=gettext_lazy("下单日期"), format="Y-m-d")
    delivery_date = tables.DateColumn(verbose_name=gettext_lazy("交货日期"), format="Y-m-d")
    owner = tables.Column(verbose_name=gettext_lazy("业务员"), order_by=("owner__full_name",))
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("制单时间"), format="Y-m-d H:i")

    class Meta:
        model = Contract
        fields = ["number", "title", "customer", "order_form", "contract_class", "status", "total_amount",
                  "ordered_on", "delivery_date", "owner", "created_at"]
        order_by = ("-created_at",)
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "contract-table"}

    def render_number(self, record, value):
        return value or _("（未登记）")

    def value_number(self, record, value):
        return value

    def render_customer(self, record):
        return record.customer.name

    def value_customer(self, record):
        return record.customer.name

    def render_owner(self, record):
        return record.owner.display_name

    def value_owner(self, record):
        return record.owner.display_name

    def render_total_amount(self, value):
        return f"{value:,.2f}"


class ContractListView(RecordListView):
    model = Contract
    table_class = ContractTable
    filterset_class = ContractFilter
    permission_required = "customers.view_contract"
    import_key = "contracts"
    title = gettext_lazy("合同/订单")
    create_url_name = "customers:contract_create"
    create_permission = "customers.add_contract"
    count_by = ("status", "contract_class")
    scopes = {
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
        "open": (gettext_lazy("评审中"), lambda qs, user: qs.filter(status__in=service.OPEN_STATUSES)),
        "mine": (gettext_lazy("我的"), lambda qs, user: qs.filter(owner=user)),
        "register": (gettext_lazy("合同台账"), lambda qs, user: qs.filter(
            status__in=(ContractStatus.REGISTERED, ContractStatus.COMPLETED))),
    }

    def base_queryset(self):
        return contract_queryset()


# --- capture: the create and edit form --------------------------------------------------------------------------
class ContractFormView(RecordFormView):
    """The contract with its product lines (``LineFormSet``), saved as a draft by ``capture.save_draft``."""

    form_class = ContractForm
    formset_classes = {"lines": LineFormSet}
    template_name = "customers/contracts/form.html"
    start: dict = {}  # what a new contract starts from: a won opportunity's customer, title and owner, or a customer

    def get_form_kwargs(self, contract):
        start = self.start
        instance = contract or Contract(owner=start.get("owner", self.request.user), opportunity=start.get("opportunity"))
        return {"instance": instance, "user": self.request.user,
                "initial": {name: value.pk if hasattr(value, "pk") else value for name, value in start.items()
                            if name in ("customer", "title", "owner")}}

    def get_formset_kwargs(self, contract, prefix):
        return {"initial": line_initial(contract) if contract and self.request.method != "POST" else None}

    def get_context_data(self, contract, form, formsets, **kwargs):
        return super().get_context_data(contract, form, formsets, contract=contract, **kwargs)

    def save(self, contract, form, formsets):
        return capture.save_draft(form.save(commit=False), formsets["lines"].rows(), by=self.request.user)

    def get_success_message(self, saved):
        return _("合同已保存（%(class)s）。") % {"class": saved.get_contract_class_display()}


class ContractCreateView(ContractFormView):
    """新建合同/订单; ``?opportunity=<id>`` from a won opportunity (the contract keeps it), ``?customer=<id>`` from a
    key account's 合同 tab. Either must be visible to the user (else 404)."""

    permission = "customers.add_contract"
    title = gettext_lazy("新建合同/订单")
    cancel_url = "customers:contract_list"
    opportunity = None

    def prepare(self, contract):
        query = self.request.GET
        if query.get("opportunity", "").isdigit():
            self.opportunity = get_visible_or_404(self.request.user, Opportunity.objects.select_related(
                "customer", "owner"), pk=query["opportunity"])
            self.start = opportunities.contract_initial_from_opportunity(self.opportunity)  # Refused: back to it
        elif query.get("customer", "").isdigit():
            self.start = {"customer": get_visible_or_404(self.request.user, Customer.objects.all(),
                                                         pk=query["customer"])}

    def back_url(self, contract):
        return self.opportunity.get_absolute_url() if self.opportunity else super().back_url(contract)


class ContractEditView(ContractFormView):
    model = Contract
    permission = "customers.change_contract"
    title = gettext_lazy("修改合同：%(record)s")

    def get_queryset(self):
        return contract_queryset()

    def refusal(self, contract):
        if contract.status != ContractStatus.DRAFT:
            return _("只有草稿状态的合同可以修改；已提交评审的合同请走合同变更。")
        return None


# --- a contract's page ----------------------------------------------------------------------------------------
class ContractDetailView(RecordDetailView):
    model = Contract
    permission_required = "customers.view_contract"
    template_name = "customers/contracts/detail.html"
    attachments = True
    signatures = True
    tabs = [
        ("overview", gettext_lazy("概览"), "customers/contracts/tab_overview.html"),
        ("lines", gettext_lazy("产品明细"), "customers/contracts/tab_lines.html"),
    ]

    def base_queryset(self):
        return contract_queryset().select_related("class_raised_by", "approved_by", "registered_by",
                                                  "original_to_finance_by", "finance_received_by")

    def all_tabs(self):
        tabs = super().all_tabs()
        from customers.contracts.views.changes import render_contract_changes_tab

        tabs.insert(2, {"slug": "opinions", "label": gettext_lazy("评审意见"),
                        "render": countersign.render_opinions_tab})
        tabs.insert(3, {"slug": "changes", "label": gettext_lazy("变更"), "render": render_contract_changes_tab})
        return tabs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract, user = self.object, self.request.user
        keeps = service.keeps_contract(contract, user)
        context.update({
            "title": str(contract),
            "contract": contract,
            "lines": list(contract.lines.order_by("line_no")),
            "class_reasons": classification.reason_labels(contract),
            "integrity": customer_integrity(contract.customer) if keeps or user.has_role(*service.SEES_INTEGRITY)
            else None,
            "can_edit": keeps and contract.status == ContractStatus.DRAFT,
            "can_raise": (keeps and contract.status == ContractStatus.DRAFT
                          and contract.contract_class == ContractClass.REGULAR),
            "can_hand_over": (keeps and contract.status in (ContractStatus.REGISTERED, ContractStatus.COMPLETED)
                              and contract.original_to_finance_at is None),
            "can_confirm_receipt": (contract.original_to_finance_at is not None
                                    and contract.finance_received_at is None
                                    and user.has_perm("customers.confirm_contract_receipt", contract)),
            "confirmation_missing": (contract.status == ContractStatus.DRAFT
                                     and service.written_confirmation_missing(contract)),
            "approver_role": service.approver_role(contract),
            "can_see_customer": user.has_perm("customers.view_customer", contract.customer),
            "route_label": ReviewRoute(contract.review_route).label if contract.review_route else "",
        })
        return context


class ContractOpinionView(countersign.GiveOpinionView):
    model = Contract


class ContractResolveView(countersign.ResolveDisagreementView):
    model = Contract


class ContractRaiseClassView(RecordActionView):
    model = Contract
    form_class = RaiseClassForm
    permission = "customers.change_contract"
    template_name = "customers/contracts/raise_class.html"
    title = gettext_lazy("提升为非常规合同")
    success_message = gettext_lazy("合同已提升为非常规合同。")
    tab = "overview"

    def refusal(self, record):
        if record.status != ContractStatus.DRAFT:
            return _("只有草稿状态的合同可以调整类别（评审路线在提交评审时确定）。")
        if record.contract_class == ContractClass.SPECIAL:
            return _("合同已是非常规合同；类别只能提升，不能降低。")
        return None

    def perform(self, record, form):
        return classification.raise_class(record, self.request.user, form.cleaned_data["reason"])


class ContractHandOverView(RecordActionView):
    model = Contract
    permission = "customers.change_contract"
    success_message = gettext_lazy("已记录：合同原件交财务。")
    tab = "overview"

    def perform(self, record, form):
        return service.hand_original_to_finance(record, self.request.user)


class ContractReceiptView(RecordActionView):
    model = Contract
    permission = "customers.confirm_contract_receipt"
    success_message = gettext_lazy("已签收合同原件。")
    tab = "overview"

    def perform(self, record, form):
        return service.confirm_finance_receipt(record, self.request.user)


class ContractPdfView(RecordPdfView):
    model = Contract
    print_form = PrintForm(code="QR-8.2-01", title=gettext_lazy("合同(订单)评审表"), revision="A/0",
                           template="print/contract_review.html")

    def base_queryset(self):
        return contract_queryset().select_related("approved_by", "registered_by")

    def document_number(self, obj) -> str:
        return obj.number or f"CR-{obj.pk}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = self.object
        context.update({
            "lines": list(contract.lines.order_by("line_no")),
            "class_reasons": classification.reason_labels(contract),
            "opinion_rows": countersign.rows_for(contract),
            "transitions": workflow.status_history(contract),
            "route_label": ReviewRoute(contract.review_route).label if contract.review_route else "",
        })
        return context


urlpatterns = [
    path("contracts/", ContractListView.as_view(), name="contract_list"),
    path("contracts/new/", ContractCreateView.as_view(), name="contract_create"),
    path("contracts/<int:pk>/", ContractDetailView.as_view(), name="contract_detail"),
    path("contracts/<int:pk>/edit/", ContractEditView.as_view(), name="contract_edit"),
    path("contracts/<int:pk>/raise-class/", ContractRaiseClassView.as_view(), name="contract_raise_class"),
    path("contracts/<int:pk>/opinions/<int:opinion>/", ContractOpinionView.as_view(), name="contract_opinion"),
    path("contracts/<int:pk>/opinions/<int:opinion>/resolve/", ContractResolveView.as_view(),
         name="contract_resolve"),
    path("contracts/<int:pk>/original-to-finance/", ContractHandOverView.as_view(), name="contract_hand_over"),
    path("contracts/<int:pk>/finance-receipt/", ContractReceiptView.as_view(), name="contract_receipt"),
    path("contracts/<int:pk>/pdf/", ContractPdfView.as_view(), name="contract_pdf"),
]
