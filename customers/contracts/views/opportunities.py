"""Opportunity pages (商机, §2): the list with filters and export, create / edit, the opportunity's page with its
stage moves (the shared move view: won and lost ask a reason) and, once won, the link that turns it into a
contract, and the funnel by stage and owner (with its export).

Business rules live in ``customers.contracts.services.opportunities``; who sees and who may in
``customers.rules``.
"""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Q
from django.http import Http404
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from customers.contracts.forms_sales import OpportunityForm
from customers.contracts.models import OPEN_STAGES, Opportunity, OpportunityStage
from customers.contracts.services import opportunities as service
from customers.filtersets import OwnerFilter
from customers.models import Customer
from qms.excel.export import stream_xlsx
from qms.people import User, visible_to
from qms.tables import StatusColumn
from qms.views.actions import RecordFormView, get_visible_or_404
from qms.views.generic import RecordDetailView, RecordListView
from qms.widgets import DateInput

CONTRACT_CREATE_URL = "customers:contract_create"  # helper A's contract create form, ``?opportunity=<id>``


def opportunity_queryset():
    return Opportunity.objects.select_related("customer", "owner__department", "created_by")


def contract_create_url(opportunity: Opportunity) -> str | None:
    """Where a won opportunity becomes a contract: the contract create form with ``?opportunity=<id>``."""
    try:
        return f"{reverse(CONTRACT_CREATE_URL)}?opportunity={opportunity.pk}"
    except NoReverseMatch:  # the contract pages are not installed (the opportunity stays won, without the link)
        return None


def contract_url(contract) -> str:
    try:
        return contract.get_absolute_url()
    except NoReverseMatch:
        return reverse("customers:contract_payments", args=[contract.pk])


def _owners():
    return User.objects.filter(is_active=True).select_related("department").order_by("department__code", "full_name",
                                                                                       "username")


# --- the list ----------------------------------------------------------------------------------------------
class OpportunityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("商机或客户名称"), method="search")
    stage = django_filters.MultipleChoiceFilter(label=gettext_lazy("销售阶段"), choices=OpportunityStage.choices,
                                                widget=forms.CheckboxSelectMultiple)
    owner = OwnerFilter(label=gettext_lazy("负责人"), queryset=_owners())
    customer = django_filters.CharFilter(label=gettext_lazy("客户"), field_name="customer__name",
                                         lookup_expr="icontains")
    close_from = django_filters.DateFilter(label=gettext_lazy("预计成交日期从"), field_name="expected_close_on",
                                           lookup_expr="gte", widget=DateInput())
    close_to = django_filters.DateFilter(label=gettext_lazy("预计成交日期至"), field_name="expected_close_on",
                                         lookup_expr="lte", widget=DateInput())

    class Meta:
        model = Opportunity
        fields = ["q", "stage", "owner", "customer", "close_from", "close_to"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(customer__name__icontains=value))


class OpportunityTable(tables.Table):
    title = tables.Column(verbose_name=gettext_lazy("商机名称"), linkify=True)
    customer = tables.Column(verbose_name=gettext_lazy("客户"), order_by=("customer__name",))
    stage = StatusColumn(verbose_name=gettext_lazy("销售阶段"), accessor="stage")
    expected_amount = tables.Column(verbose_name=gettext_lazy("预计金额（元）"), attrs={"td": {"class": "text-end"}})
    probability = tables.Column(verbose_name=gettext_lazy("赢率（%）"), empty_values=(), orderable=False,
                                attrs={"td": {"class": "text-end"}})
    expected_close_on = tables.DateColumn(verbose_name=gettext_lazy("预计成交日期"), format="Y-m-d")
    owner = tables.Column(verbose_name=gettext_lazy("负责人"), order_by=("owner__full_name", "owner__username"))
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("创建时间"), format="Y-m-d H:i")

    class Meta:
        model = Opportunity
        fields = ["title", "customer", "stage", "expected_amount", "probability", "expected_close_on", "owner",
                  "created_at"]
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "opportunity-table"}

    def render_customer(self, record):
        return record.customer.name

    def value_customer(self, record):
        return record.customer.name

    def render_owner(self, record):
        return record.owner.display_name

    def value_owner(self, record):
        return record.owner.display_name

    def render_expected_amount(self, record):
        return f"{record.expected_amount:,.2f}"

    def value_expected_amount(self, record):
        return record.expected_amount

    def render_probability(self, record):
        return record.probability

    def value_probability(self, record):
        return record.probability


class OpportunityListView(RecordListView):
    model = Opportunity
    table_class = OpportunityTable
    filterset_class = OpportunityFilter
    permission_required = "customers.view_opportunity"
    title = gettext_lazy("商机")
    create_url_name = "customers:opportunity_create"
    create_permission = "customers.add_opportunity"
    count_by = ("stage",)
    scopes = {
        "open": (gettext_lazy("进行中"), lambda qs, user: qs.filter(stage__in=OPEN_STAGES)),
        "mine": (gettext_lazy("我的商机"), lambda qs, user: qs.filter(owner=user)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return Opportunity.objects.select_related("customer", "owner")


# --- create and edit ---------------------------------------------------------------------------------------
def _customer_from(request) -> Customer | None:
    pk = request.GET.get("customer")
    if not pk:
        return None
    if not str(pk).isdigit():
        raise Http404
    return get_visible_or_404(request.user, Customer.objects.all(), pk=pk)


class OpportunityCreateView(RecordFormView):
    """新建商机, ``?customer=<id>`` from a key account's page (the customer must be visible, else 404)."""

    form_class = OpportunityForm
    permission = "customers.add_opportunity"
    template_name = "customers/contracts/opportunity_form.html"
    title = gettext_lazy("新建商机")
    success_message = gettext_lazy("已创建商机“%(record)s”。")
    cancel_url = "customers:opportunity_list"

    def prepare(self, record):
        self.customer = _customer_from(self.request)

    def get_form_kwargs(self, record):
        return {"user": self.request.user, "initial": {"customer": self.customer.pk} if self.customer else None}

    def back_url(self, record):
        return self.customer.get_absolute_url() + "?tab=opportunities" if self.customer else super().back_url(record)

    def save(self, record, form, formsets):
        data = form.cleaned_data
        return service.create_opportunity(
            by=self.request.user, customer=data["customer"], title=data["title"], stage=data["stage"],
            expected_amount=data["expected_amount"], expected_close_on=data["expected_close_on"],
            owner=data["owner"], notes=data["notes"])


class OpportunityEditView(RecordFormView):
    queryset = opportunity_queryset()
    form_class = OpportunityForm
    permission = "customers.change_opportunity"
    template_name = "customers/contracts/opportunity_form.html"
    title = gettext_lazy("编辑商机")
    success_message = gettext_lazy("已保存商机“%(record)s”。")

    def refusal(self, opportunity):
        if not opportunity.is_open:
            return _("商机已%(stage)s，不能再修改。") % {"stage": opportunity.get_stage_display()}
        return None

    def get_form_kwargs(self, opportunity):
        return {"user": self.request.user, "instance": opportunity}

    def save(self, opportunity, form, formsets):
        data = form.cleaned_data
        service.update_opportunity(opportunity, by=self.request.user,
                                   **{name: data[name] for name in service.EDITABLE_FIELDS})
        return opportunity


# --- an opportunity's page ---------------------------------------------------------------------------------
class OpportunityDetailView(RecordDetailView):
    model = Opportunity
    permission_required = "customers.view_opportunity"
    template_name = "customers/contracts/opportunity_detail.html"
    signatures = True
    attachments = True
    tabs = [("overview", gettext_lazy("概览"), "customers/contracts/opportunity_tab_overview.html")]

    def base_queryset(self):
        return opportunity_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        opportunity, user = self.object, self.request.user
        contracts = list(visible_to(user, opportunity.contracts.all()).order_by("-created_at"))
        context.update({
            "title": opportunity.title,
            "can_edit": opportunity.is_open and user.has_perm("customers.change_opportunity", opportunity),
            "can_see_customer": user.has_perm("customers.view_customer", opportunity.customer),
            "contract_create_url": contract_create_url(opportunity)
            if opportunity.stage == OpportunityStage.WON and user.has_perm("customers.change_opportunity", opportunity)
            else None,
            "contracts": [{"contract": c, "url": contract_url(c)} for c in contracts],
        })
        return context


# --- the funnel ---------------------------------------------------------------------------------------------
class FunnelFilterForm(forms.Form):
    owner = forms.ModelChoiceField(label=gettext_lazy("负责人"), queryset=User.objects.none(), required=False)
    close_from = forms.DateField(label=gettext_lazy("预计成交日期从"), required=False, widget=DateInput())
    close_to = forms.DateField(label=gettext_lazy("预计成交日期至"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _owners()
        self.fields["owner"].label_from_instance = lambda user: f"{user.department or '—'} · {user.display_name}"
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select form-select-sm" if name == "owner" else "form-control form-control-sm"


class FunnelView(PermissionRequiredMixin, TemplateView):
    """销售漏斗: the visible opportunities by stage (count, amount, weighted by each stage's chance) and by owner."""

    template_name = "customers/contracts/funnel.html"
    permission_required = "customers.view_opportunity"
    raise_exception = True

    def get(self, request, *args, **kwargs):
        form = FunnelFilterForm(request.GET or None)
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        self.form = form
        self.funnel = service.funnel(request.user, owner=data.get("owner"), close_from=data.get("close_from"),
                                     close_to=data.get("close_to"))
        if request.GET.get("export") == "xlsx":
            return self.export()
        return super().get(request, *args, **kwargs)

    def export(self):
        funnel = self.funnel
        headers = [_("负责人"), *[f"{row.label} · {_('数量')}" for row in funnel.stages],
                   *[f"{row.label} · {_('金额（元）')}" for row in funnel.stages]]
        rows = [[entry.owner.display_name, *[cell.count for cell in entry.cells], *[cell.amount for cell in entry.cells]]
                for entry in funnel.owners]
        rows.append([_("合计"), *[row.count for row in funnel.stages], *[row.amount for row in funnel.stages]])
        return stream_xlsx(f"{_('销售漏斗')}-{timezone.localtime():%Y%m%d-%H%M}.xlsx", headers, rows,
                           sheet_title=_("销售漏斗"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query["export"] = "xlsx"
        context.update({"title": _("销售漏斗"), "funnel": self.funnel, "form": self.form,
                        "export_url": f"{self.request.path}?{query.urlencode()}",
                        "today": timezone.localdate(), "open_stages": OPEN_STAGES})
        return context


urlpatterns = [
    path("contracts/opportunities/", OpportunityListView.as_view(), name="opportunity_list"),
    path("contracts/opportunities/new/", OpportunityCreateView.as_view(), name="opportunity_create"),
    path("contracts/opportunities/funnel/", FunnelView.as_view(), name="opportunity_funnel"),
    path("contracts/opportunities/<int:pk>/", OpportunityDetailView.as_view(), name="opportunity_detail"),
    path("contracts/opportunities/<int:pk>/edit/", OpportunityEditView.as_view(), name="opportunity_edit"),
]
