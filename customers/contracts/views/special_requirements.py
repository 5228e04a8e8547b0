"""Pages of 《顾客特殊要求一览表》: the list (filters, export), capture, a requirement's page with its
departments' acknowledgements, the MR's review and quality's verification (core move view), and its PDF.
Business rules: ``customers.contracts.services.special_requirements``."""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.contracts.fulfilment_forms import (AcknowledgeForm, CorrectRequirementForm, SpecialRequirementForm,
                                                  visible_customers)
from customers.contracts.fulfilment_models import (RequirementAcknowledgement, RequirementKind, RequirementScope,
                                                   RequirementStatus, SpecialRequirement)
from customers.contracts.models import Contract, ContractStatus
from customers.contracts.services import special_requirements as service
from customers.contracts.views.common import FulfilmentFormView, contract_link
from qms.pdf import PrintForm
from qms.tables import StatusColumn
from qms.views.actions import RecordActionView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView
from qms import workflow


def requirement_queryset():
    # a subquery, not a join: the list's grouped counts and its pagination stay one row per requirement
    pending = (RequirementAcknowledgement.objects.filter(requirement=OuterRef("pk"), acknowledged_at__isnull=True)
               .order_by().values("requirement").annotate(n=Count("pk")).values("n"))
    return (SpecialRequirement.objects.select_related("customer", "contract", "captured_by")
            .annotate(pending_count=Coalesce(Subquery(pending, output_field=IntegerField()), 0)))


class RequirementFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("编号/摘要/内容"), method="search")
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=RequirementStatus.choices)
    kind = django_filters.ChoiceFilter(label=gettext_lazy("要求类别"), choices=RequirementKind.choices)
    scope = django_filters.ChoiceFilter(label=gettext_lazy("适用范围"), choices=RequirementScope.choices)
    customer = django_filters.CharFilter(label=gettext_lazy("客户"), field_name="customer__name",
                                         lookup_expr="icontains")
    unmet = django_filters.BooleanFilter(label=gettext_lazy("未满足（阻止生产和交付）"), method="filter_unmet")
    captured_after = django_filters.DateFilter(label=gettext_lazy("登记日期从"), field_name="captured_at",
                                               lookup_expr="date__gte")
    captured_before = django_filters.DateFilter(label=gettext_lazy("登记日期至"), field_name="captured_at",
                                                lookup_expr="date__lte")

    class Meta:
        model = SpecialRequirement
        fields = ["q", "status", "kind", "scope", "customer", "unmet", "captured_after", "captured_before"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value) | Q(text__icontains=value))

    def filter_unmet(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(status__in=service.UNMET) if value else queryset.exclude(status__in=service.UNMET)


class RequirementTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("编号"), linkify=True)
    customer = tables.Column(verbose_name=gettext_lazy("客户"), order_by=("customer__name",))
    kind = tables.Column(verbose_name=gettext_lazy("要求类别"))
    title = tables.Column(verbose_name=gettext_lazy("要求摘要"))
    scope = tables.Column(verbose_name=gettext_lazy("适用范围"))
    contract = tables.Column(verbose_name=gettext_lazy("合同"), order_by=("contract__number",), default="—")
    status = StatusColumn()
    pending_count = tables.Column(verbose_name=gettext_lazy("待确认部门数"))
    captured_by = tables.Column(verbose_name=gettext_lazy("登记人"), order_by=("captured_by__full_name",))
    captured_at = tables.DateTimeColumn(verbose_name=gettext_lazy("登记时间"), format="Y-m-d H:i")

    class Meta:
        model = SpecialRequirement
        fields = ["number", "customer", "kind", "title", "scope", "contract", "status", "pending_count",
                  "captured_by", "captured_at"]
        order_by = ("-captured_at",)
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "special-requirement-table"}

    def render_customer(self, record):
        return record.customer.name

    def value_customer(self, record):
        return record.customer.name

    def render_contract(self, record):
        return record.contract.number or record.contract.title

    def value_contract(self, record):
        return (record.contract.number or record.contract.title) if record.contract_id else ""

    def render_captured_by(self, record):
        return record.captured_by.display_name

    def value_captured_by(self, record):
        return record.captured_by.display_name


class RequirementListView(RecordListView):
    model = SpecialRequirement
    table_class = RequirementTable
    filterset_class = RequirementFilter
    permission_required = "customers.view_specialrequirement"
    title = gettext_lazy("顾客特殊要求一览表")
    create_url_name = "customers:special_requirement_create"
    create_permission = "customers.add_specialrequirement"
    count_by = ("status",)
    scopes = {
        "unmet": (gettext_lazy("未满足"), lambda qs, user: qs.filter(status__in=service.UNMET)),
        "mine": (gettext_lazy("待我部门确认"), lambda qs, user: qs.filter(
            status=RequirementStatus.COMMUNICATED,
            pk__in=RequirementAcknowledgement.objects.filter(department_id=user.department_id,
                                                             acknowledged_at__isnull=True).values("requirement_id"))),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return requirement_queryset()


class RequirementCreateView(FulfilmentFormView):
    """登记顾客特殊要求, from the list, a key account (``?customer=``) or a contract (``?contract=``: for that one)."""

    form_class = SpecialRequirementForm
    permission = "customers.add_specialrequirement"
    title = gettext_lazy("登记顾客特殊要求")
    form_id = "special-requirement-form"
    intro = gettext_lazy("登记后由管理者代表审核，传递到须落实的部门，各部门确认后由品质部验证。未验证满足前，适用合同不能生产和交付。")
    submit_label = gettext_lazy("登记")
    cancel_url = "customers:special_requirement_list"

    def prepare(self, record):
        super().prepare(record)
        self.initial.setdefault("scope", RequirementScope.ALL_CONTRACTS)
        if str(self.request.GET.get("contract", "")).isdigit():
            contract = Contract.objects.filter(pk=self.request.GET["contract"],
                                               customer__in=visible_customers(self.request.user).values("pk")).first()
            if contract is None:
                raise Http404
            self.initial.update(customer=contract.customer_id, contract=contract.pk,
                                scope=RequirementScope.ONE_CONTRACT)

    def save(self, record, form, formsets):
        data = form.cleaned_data
        return service.capture(by=self.request.user, customer=data["customer"], kind=data["kind"],
                               title=data["title"], text=data["text"], departments=data["departments"],
                               scope=data["scope"], contract=data["contract"])

    def get_success_message(self, requirement):
        return _("已登记顾客特殊要求 %(number)s，待管理者代表审核。") % {"number": requirement.number}


class RequirementDetailView(RecordDetailView):
    model = SpecialRequirement
    permission_required = "customers.view_specialrequirement"
    template_name = "customers/contracts/special_requirement_detail.html"
    attachments = True
    signatures = True
    tabs = [("overview", gettext_lazy("概览"), "customers/contracts/special_requirement_tab_overview.html")]
    ack_form = None

    def base_queryset(self):
        return requirement_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        requirement, user = self.object, self.request.user
        mine = service.departments_to_acknowledge(requirement, user)
        held = []
        if requirement.is_unmet:
            contracts = (Contract.objects.filter(pk=requirement.contract_id)
                         if requirement.scope == RequirementScope.ONE_CONTRACT
                         else Contract.objects.filter(customer_id=requirement.customer_id).exclude(
                             status__in=(ContractStatus.CANCELLED, ContractStatus.REJECTED,
                                         ContractStatus.COMPLETED)))
            held = [{"contract": c, "url": contract_link(c)} for c in contracts.order_by("-created_at")[:50]]
        context.update({
            "title": f"{requirement.number} · {requirement.title}",
            "acknowledgements": requirement.acknowledgements.select_related("department", "acknowledged_by"),
            "ack_form": self.ack_form or (AcknowledgeForm(departments=mine) if mine else None),
            "held_contracts": held,
            "contract_url": contract_link(requirement.contract) if requirement.contract_id else "",
            "can_see_customer": user.has_perm("customers.view_customer", requirement.customer),
            "may_correct": service.may_correct(requirement, user),
        })
        return context


class RequirementAcknowledgeView(RecordActionView):
    """A department's acknowledgement, signed; an invalid form or a refusal shows the page again with what was
    typed (400/409)."""

    model = SpecialRequirement
    permission = "customers.acknowledge_specialrequirement"
    form_class = AcknowledgeForm

    def get_queryset(self):
        return requirement_queryset()

    def get_form_kwargs(self, record):
        kwargs = super().get_form_kwargs(record)
        kwargs["departments"] = service.departments_to_acknowledge(record, self.request.user)
        return kwargs

    def perform(self, record, form):
        data = form.cleaned_data
        return service.acknowledge(record, data["department"], by=self.request.user, password=data["password"],
                                   measures=data["measures"])

    def get_success_message(self, record, result):
        return _("%(department)s已确认此特殊要求。") % {"department": result.department}

    def refused(self, record, form, reason, status):
        if reason:
            form.add_error(None, reason)
        view = RequirementDetailView(ack_form=form)
        view.setup(self.request, pk=record.pk)
        view.object = view.get_object()
        return view.render_to_response(view.get_context_data(object=view.object), status=status)


class RequirementCorrectView(RecordActionView):
    """修改 before the MR's review, on its own page; refused once reviewed."""

    model = SpecialRequirement
    form_class = CorrectRequirementForm
    template_name = "customers/contracts/fulfilment_action.html"
    title = gettext_lazy("修改顾客特殊要求")
    success_message = gettext_lazy("已修改，待管理者代表审核。")

    def get_queryset(self):
        return requirement_queryset()

    def refusal(self, record):
        if not service.may_correct(record, self.request.user):
            return _("只有登记人或管理者代表可以修改待审核的特殊要求（当前状态：%(status)s）。") % {
                "status": record.get_status_display()}
        return None

    def perform(self, record, form):
        data = form.cleaned_data
        return service.correct(record, by=self.request.user, kind=data["kind"], title=data["title"],
                               text=data["text"], scope=data["scope"], contract=data["contract"],
                               reason=data["reason"])


class RequirementPdfView(RecordPdfView):
    model = SpecialRequirement
    print_form = PrintForm(code="QR-8.2-04", title=gettext_lazy("顾客特殊要求一览表"), revision="A/0",
                           template="print/special_requirement.html")

    def base_queryset(self):
        return requirement_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["acknowledgements"] = self.object.acknowledgements.select_related("department", "acknowledged_by")
        context["transitions"] = workflow.status_history(self.object)
        return context


urlpatterns = [
    path("contracts/special-requirements/", RequirementListView.as_view(), name="special_requirement_list"),
    path("contracts/special-requirements/new/", RequirementCreateView.as_view(), name="special_requirement_create"),
    path("contracts/special-requirements/<int:pk>/", RequirementDetailView.as_view(),
         name="special_requirement_detail"),
    path("contracts/special-requirements/<int:pk>/acknowledge/", RequirementAcknowledgeView.as_view(),
         name="special_requirement_acknowledge"),
    path("contracts/special-requirements/<int:pk>/correct/", RequirementCorrectView.as_view(),
         name="special_requirement_correct"),
    path("contracts/special-requirements/<int:pk>/pdf/", RequirementPdfView.as_view(),
         name="special_requirement_pdf"),
]
