"""Payment pages (回款, §2): a contract's payment plan and payments (its own page, and the same section as the
回款 tab of the contract's page), the plan's edit form, recording a payment against an instalment and reversing
one (finance), the payments list (filters, export) and the receivables per customer and per owner (export).

Business rules live in ``customers.contracts.services.payments``; who sees and who may in
``customers.rules``.
"""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Q
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from customers.contracts.forms_sales import PaymentForm, PlanFormSet, ReversalForm
from customers.contracts.models import Contract, Payment, PaymentInstalment, PaymentKind
from customers.contracts.services import payments as service
from customers.filtersets import OwnerFilter
from qms.excel.export import stream_xlsx
from qms.pdf import PrintForm
from qms.people import User
from qms.views.actions import RecordActionView, RecordFormView, get_visible_or_404
from qms.views.generic import RecordListView
from qms.views.records import RecordPdfView
from qms.widgets import DateInput


def contract_queryset():
    return Contract.objects.select_related("customer", "owner__department")


def payments_section_context(request, contract: Contract) -> dict:
    """What the 回款 section shows: the plan with each instalment's state, the payment records (reversals with
    the record they cancel) and what the user may do."""
    user = request.user
    plan = service.plan_of(contract)
    payments = list(contract.payments.select_related("instalment", "recorded_by", "reverses")
                    .prefetch_related("reversal").order_by("received_on", "pk"))
    for payment in payments:
        payment.reversed_by = getattr(payment, "reversal", None) if payment.kind == PaymentKind.PAYMENT else None
    may_record = service.may_record(user, contract)
    return {
        "contract": contract, "plan": plan, "payments": payments,
        "may_plan": service.may_plan(user, contract),
        "may_record": may_record,
        "integrity": service.payment_integrity(contract.customer),
        "active": contract.status in service.ACTIVE_STATUSES,
    }


def render_payments_tab(request, contract: Contract) -> str:
    """The 回款 tab registered on the contract's page (``qms.registry.DetailTab``)."""
    return render_to_string("customers/contracts/payments_section.html",
                            payments_section_context(request, contract), request=request)


@login_required
def contract_payments(request, pk):
    """The contract's payment plan and payments on a page of their own (linked from the lists, the receivables
    and the reminders)."""
    contract = get_visible_or_404(request.user, contract_queryset(), pk=pk)
    return render(request, "customers/contracts/contract_payments.html", {
        **payments_section_context(request, contract), "title": _("回款：%(contract)s") % {"contract": contract},
        "object": contract})


class PaymentPlanView(RecordFormView):
    """编辑回款计划 of a contract: instalments already (partly) paid are locked."""

    queryset = contract_queryset()
    formset_classes = {"plan": PlanFormSet}
    permission = service.PLAN_PERMISSION
    template_name = "customers/contracts/payment_plan_form.html"
    title = gettext_lazy("编辑回款计划：%(record)s")
    success_message = gettext_lazy("回款计划已保存。")

    def refusal(self, contract):
        if contract.status in service.CLOSED_STATUSES:
            return _("合同%(status)s，不能再编辑回款计划。") % {"status": contract.get_status_display()}
        return None

    def prepare(self, contract):
        self.plan = service.plan_of(contract)

    def back_url(self, contract):
        return reverse("customers:contract_payments", args=[contract.pk])

    def get_formset_kwargs(self, contract, prefix):
        lines = self.plan.lines
        return {"locked_ids": frozenset(line.instalment.pk for line in lines if line.locked),
                "initial": [{"pk": line.instalment.pk, "due_on": line.instalment.due_on,
                             "amount": line.instalment.amount, "note": line.instalment.note} for line in lines]}

    def get_context_data(self, contract, form, formsets, **kwargs):
        return super().get_context_data(contract, form, formsets, contract=contract, plan=self.plan,
                                        formset=formsets["plan"], **kwargs)

    def save(self, contract, form, formsets):
        service.save_plan(contract, formsets["plan"].rows(), by=self.request.user)
        return contract

    def get_success_url(self, contract, result):
        return self.back_url(contract)


class PaymentRecordView(RecordActionView):
    """登记回款: finance enters money received against an instalment (anyone else who sees it: 403)."""

    model = PaymentInstalment
    queryset = PaymentInstalment.objects.select_related("contract__customer", "contract__owner__department")
    form_class = PaymentForm
    permission = service.RECORD_PERMISSION
    template_name = "customers/contracts/payment_form.html"
    success_message = gettext_lazy("回款已登记。")

    def refusal(self, record):
        if record.contract.status not in service.ACTIVE_STATUSES:
            return _("合同%(status)s：只有已批准、已登记或已完成的合同可以登记回款。") % {
                "status": record.contract.get_status_display()}
        if record.settled_at is not None:
            return _("第 %(seq)d 期已结清。") % {"seq": record.seq}
        return None

    def back_url(self, record):
        return reverse("customers:contract_payments", args=[record.contract_id])

    def get_context_data(self, record, form, **kwargs):
        return super().get_context_data(
            record, form, title=_("登记回款：%(contract)s 第 %(seq)d 期") % {"contract": record.contract,
                                                                      "seq": record.seq}, **kwargs)

    def perform(self, record, form):
        data = form.cleaned_data
        return service.record_payment(record, by=self.request.user, amount=data["amount"],
                                      received_on=data["received_on"], method=data["method"],
                                      reference=data["reference"])


class PaymentReverseView(RecordActionView):
    """冲销: a wrong payment record is cancelled by a reversal with its reason (finance); nothing is deleted."""

    model = Payment
    queryset = Payment.objects.select_related("contract__customer", "instalment")
    form_class = ReversalForm
    permission = service.RECORD_PERMISSION
    template_name = "customers/contracts/payment_reverse.html"
    success_message = gettext_lazy("回款记录已冲销。")

    def refusal(self, record):
        if record.kind != PaymentKind.PAYMENT:
            return _("冲销记录不能再冲销。")
        if Payment.objects.filter(reverses=record).exists():
            return _("该回款记录已冲销。")
        return None

    def back_url(self, record):
        return reverse("customers:contract_payments", args=[record.contract_id])

    def get_context_data(self, record, form, **kwargs):
        return super().get_context_data(record, form, title=_("冲销回款记录"), **kwargs)

    def perform(self, record, form):
        return service.reverse_payment(record, by=self.request.user, reason=form.cleaned_data["reason"])


class ContractPaymentsPdfView(RecordPdfView):
    """《回款计划及回款记录》 of a contract, printed: the plan with each instalment's state and every payment record
    (reversals included), for whoever may see the contract (anyone else: 404)."""

    model = Contract
    with_signatures = False  # the contract's review signatures belong to its own form
    print_form = PrintForm(code="QR-8.2-09", title=gettext_lazy("回款计划及回款记录"), revision="A/0",
                           template="print/contract_payments.html")

    def base_queryset(self):
        return contract_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(payments_section_context(self.request, self.object))
        return context


# --- the payments list -------------------------------------------------------------------------------------
def _owners():
    return User.objects.filter(is_active=True).select_related("department").order_by("department__code", "full_name",
                                                                                       "username")


class PaymentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("合同、客户或凭证号"), method="search")
    kind = django_filters.ChoiceFilter(label=gettext_lazy("类型"), choices=PaymentKind.choices)
    owner = OwnerFilter(label=gettext_lazy("业务员"), field_name="contract__owner", queryset=_owners())
    received_from = django_filters.DateFilter(label=gettext_lazy("回款日期从"), field_name="received_on",
                                              lookup_expr="gte", widget=DateInput())
    received_to = django_filters.DateFilter(label=gettext_lazy("回款日期至"), field_name="received_on",
                                            lookup_expr="lte", widget=DateInput())
    method = django_filters.ChoiceFilter(label=gettext_lazy("回款方式"), choices=PaymentForm.METHODS[1:])

    class Meta:
        model = Payment
        fields = ["q", "kind", "owner", "received_from", "received_to", "method"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(contract__title__icontains=value) | Q(contract__number__icontains=value)
                               | Q(contract__customer__name__icontains=value) | Q(reference__icontains=value))


class PaymentTable(tables.Table):
    received_on = tables.DateColumn(verbose_name=gettext_lazy("回款日期"), format="Y-m-d")
    contract = tables.Column(verbose_name=gettext_lazy("合同"), order_by=("contract__number", "contract__title"),
                             linkify=lambda record: reverse("customers:contract_payments", args=[record.contract_id]))
    customer = tables.Column(verbose_name=gettext_lazy("客户"), accessor="contract__customer__name",
                             order_by=("contract__customer__name",))
    instalment = tables.Column(verbose_name=gettext_lazy("期次"), accessor="instalment__seq",
                               order_by=("instalment__seq",))
    kind = tables.Column(verbose_name=gettext_lazy("类型"))
    amount = tables.Column(verbose_name=gettext_lazy("金额（元）"), attrs={"td": {"class": "text-end"}})
    method = tables.Column(verbose_name=gettext_lazy("回款方式"))
    reference = tables.Column(verbose_name=gettext_lazy("凭证号"))
    reason = tables.Column(verbose_name=gettext_lazy("冲销原因"))
    owner = tables.Column(verbose_name=gettext_lazy("业务员"), accessor="contract__owner",
                          order_by=("contract__owner__full_name",))
    recorded_by = tables.Column(verbose_name=gettext_lazy("登记人"), order_by=("recorded_by__full_name",))
    recorded_at = tables.DateTimeColumn(verbose_name=gettext_lazy("登记时间"), format="Y-m-d H:i")

    class Meta:
        model = Payment
        fields = ["received_on", "contract", "customer", "instalment", "kind", "amount", "method", "reference",
                  "reason", "owner", "recorded_by", "recorded_at"]
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "payment-table"}

    def render_contract(self, record):
        return str(record.contract)

    def value_contract(self, record):
        return str(record.contract)

    def render_amount(self, record):
        return f"{record.amount:,.2f}"

    def value_amount(self, record):
        return record.amount

    def render_owner(self, record):
        return record.contract.owner.display_name

    def value_owner(self, record):
        return record.contract.owner.display_name

    def render_recorded_by(self, record):
        return record.recorded_by.display_name

    def value_recorded_by(self, record):
        return record.recorded_by.display_name


class PaymentListView(RecordListView):
    model = Payment
    table_class = PaymentTable
    filterset_class = PaymentFilter
    permission_required = "customers.view_payment"
    title = gettext_lazy("回款记录")
    count_by = ("kind",)

    def base_queryset(self):
        return Payment.objects.select_related("contract__customer", "contract__owner", "instalment", "recorded_by")


# --- the instalments list (回款计划) --------------------------------------------------------------------------
class InstalmentFilter(django_filters.FilterSet):
    STATES = [(service.InstalmentState.OVERDUE, gettext_lazy("已逾期")),
              (service.InstalmentState.OPEN, gettext_lazy("未结清（未逾期）")),
              (service.InstalmentState.SETTLED, gettext_lazy("已结清"))]
    q = django_filters.CharFilter(label=gettext_lazy("合同或客户"), method="search")
    state = django_filters.ChoiceFilter(label=gettext_lazy("回款状态"), choices=STATES, method="by_state")
    owner = OwnerFilter(label=gettext_lazy("业务员"), field_name="contract__owner", queryset=_owners())
    due_from = django_filters.DateFilter(label=gettext_lazy("计划回款日期从"), field_name="due_on", lookup_expr="gte",
                                         widget=DateInput())
    due_to = django_filters.DateFilter(label=gettext_lazy("计划回款日期至"), field_name="due_on", lookup_expr="lte",
                                       widget=DateInput())

    class Meta:
        model = PaymentInstalment
        fields = ["q", "state", "owner", "due_from", "due_to"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(contract__title__icontains=value) | Q(contract__number__icontains=value)
                               | Q(contract__customer__name__icontains=value))

    def by_state(self, queryset, name, value):
        today = timezone.localdate()
        if value == service.InstalmentState.OVERDUE:
            return queryset.filter(settled_at__isnull=True, due_on__lt=today)
        if value == service.InstalmentState.OPEN:
            return queryset.filter(settled_at__isnull=True, due_on__gte=today)
        if value == service.InstalmentState.SETTLED:
            return queryset.filter(settled_at__isnull=False)
        return queryset


class InstalmentTable(tables.Table):
    contract = tables.Column(verbose_name=gettext_lazy("合同"), order_by=("contract__number", "contract__title"),
                             linkify=lambda record: reverse("customers:contract_payments", args=[record.contract_id]))
    customer = tables.Column(verbose_name=gettext_lazy("客户"), accessor="contract__customer__name",
                             order_by=("contract__customer__name",))
    seq = tables.Column(verbose_name=gettext_lazy("期次"))
    due_on = tables.DateColumn(verbose_name=gettext_lazy("计划回款日期"), format="Y-m-d")
    amount = tables.Column(verbose_name=gettext_lazy("计划金额（元）"), attrs={"td": {"class": "text-end"}})
    paid_amount = tables.Column(verbose_name=gettext_lazy("已回款（元）"), attrs={"td": {"class": "text-end"}})
    outstanding = tables.Column(verbose_name=gettext_lazy("未回款（元）"), empty_values=(), orderable=False,
                                attrs={"td": {"class": "text-end"}})
    state = tables.Column(verbose_name=gettext_lazy("状态"), empty_values=(), orderable=False)
    owner = tables.Column(verbose_name=gettext_lazy("业务员"), accessor="contract__owner",
                          order_by=("contract__owner__full_name",))

    class Meta:
        model = PaymentInstalment
        fields = ["contract", "customer", "seq", "due_on", "amount", "paid_amount", "outstanding", "state", "owner"]
        order_by = ("due_on",)
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "instalment-table"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate()

    def render_contract(self, record):
        return str(record.contract)

    def value_contract(self, record):
        return str(record.contract)

    def render_amount(self, record):
        return f"{record.amount:,.2f}"

    def value_amount(self, record):
        return record.amount

    def render_paid_amount(self, record):
        return f"{record.paid_amount:,.2f}"

    def value_paid_amount(self, record):
        return record.paid_amount

    def render_outstanding(self, record):
        return f"{record.outstanding:,.2f}"

    def value_outstanding(self, record):
        return record.outstanding

    def render_state(self, record):
        state = service.instalment_state(record, self.today)
        return format_html('<span class="badge text-bg-{}">{}</span>', service.InstalmentState.BADGES[state],
                           service.InstalmentState.LABELS[state])

    def value_state(self, record):
        return str(service.InstalmentState.LABELS[service.instalment_state(record, self.today)])

    def render_owner(self, record):
        return record.contract.owner.display_name

    def value_owner(self, record):
        return record.contract.owner.display_name


class InstalmentListView(RecordListView):
    """回款计划: every instalment of the accepted contracts the user may see, with the overdue ones a filter away."""

    model = PaymentInstalment
    table_class = InstalmentTable
    filterset_class = InstalmentFilter
    permission_required = "customers.view_paymentinstalment"
    title = gettext_lazy("回款计划")

    def base_queryset(self):
        return (PaymentInstalment.objects.filter(contract__status__in=service.ACTIVE_STATUSES)
                .select_related("contract__customer", "contract__owner"))


# --- receivables -------------------------------------------------------------------------------------------
class ReceivablesFilterForm(forms.Form):
    BY = [("customer", gettext_lazy("按客户")), ("owner", gettext_lazy("按业务员"))]
    by = forms.ChoiceField(label=gettext_lazy("汇总方式"), choices=BY, required=False)
    owner = forms.ModelChoiceField(label=gettext_lazy("业务员"), queryset=User.objects.none(), required=False)
    customer = forms.CharField(label=gettext_lazy("客户名称"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _owners()
        self.fields["owner"].label_from_instance = lambda user: f"{user.department or '—'} · {user.display_name}"
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-control form-control-sm" if name == "customer" \
                else "form-select form-select-sm"


class ReceivablesView(PermissionRequiredMixin, TemplateView):
    """应收款: per customer or per owner, what the accepted contracts planned, what came in, what is outstanding,
    due and overdue — one grouped query over the instalments the user may see; export to .xlsx."""

    template_name = "customers/contracts/receivables.html"
    permission_required = "customers.view_paymentinstalment"
    raise_exception = True

    def get(self, request, *args, **kwargs):
        self.form = ReceivablesFilterForm(request.GET or None)
        data = self.form.cleaned_data if self.form.is_bound and self.form.is_valid() else {}
        self.by = data.get("by") or "customer"
        self.rows, self.total = service.receivables(request.user, self.by, owner=data.get("owner"),
                                                    customer_name=(data.get("customer") or "").strip())
        if request.GET.get("export") == "xlsx":
            return self.export()
        return super().get(request, *args, **kwargs)

    def headers(self) -> list[str]:
        return [_("客户") if self.by == "customer" else _("业务员"), _("期数"), _("计划回款（元）"), _("已回款（元）"),
                _("未回款（元）"), _("到期未回款（元）"), _("逾期未回款（元）"), _("最早逾期日期")]

    def export(self):
        rows = [[row.label, row.instalments, row.planned, row.paid, row.outstanding, row.due, row.overdue,
                 row.oldest_overdue_on] for row in [*self.rows, self.total]]
        return stream_xlsx(f"{_('应收款')}-{timezone.localtime():%Y%m%d-%H%M}.xlsx", self.headers(), rows,
                           sheet_title=_("应收款"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query["export"] = "xlsx"
        context.update({"title": _("应收款"), "rows": self.rows, "total": self.total, "by": self.by,
                        "form": self.form, "headers": self.headers(),
                        "export_url": f"{self.request.path}?{query.urlencode()}", "today": timezone.localdate()})
        return context


urlpatterns = [
    path("contracts/<int:pk>/payments/", contract_payments, name="contract_payments"),
    path("contracts/<int:pk>/payments.pdf", ContractPaymentsPdfView.as_view(), name="contract_payments_pdf"),
    path("contracts/<int:pk>/payment-plan/", PaymentPlanView.as_view(), name="payment_plan"),
    path("contracts/instalments/<int:pk>/payment/", PaymentRecordView.as_view(), name="payment_record"),
    path("contracts/payments/<int:pk>/reverse/", PaymentReverseView.as_view(), name="payment_reverse"),
    path("contracts/payments/", PaymentListView.as_view(), name="payment_list"),
    path("contracts/instalments/", InstalmentListView.as_view(), name="instalment_list"),
    path("contracts/receivables/", ReceivablesView.as_view(), name="receivables"),
]
