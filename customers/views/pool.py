"""The customer pool pages of PROCEDURES.md §1: the pool list with claim (one or several), release, bulk transfer
(批量转移) and the recycle bin (delete, restore, purge). Who may do what is declared in ``customers.rules``
(``view_pool``, ``claim_customer``, ``release_customer``, ``delete_customer``, ``restore_customer``,
``transfer_customer``, ``manage_recycle_bin``); the services answer from the same predicates.
"""
from __future__ import annotations

import datetime as dt

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from customers.filtersets import CustomerFilter
from customers.forms import TransferTargetForm
from customers.models import Customer, CustomerPolicy, OwnershipChange, OwnershipKind
from customers.services import pool as pool_service
from customers.services import recycle_bin
from qms.people import visible_to
from qms.refusals import Refused
from qms.views.actions import RecordActionView
from qms.views.generic import RecordListView


def _next_or(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return target
    return default


def _user_name(prefix: str):
    return Coalesce(NullIf(f"{prefix}__full_name", Value("")), f"{prefix}__username")


# --- the pool list --------------------------------------------------------------------------------------
class PoolFilter(CustomerFilter):
    source = nature = revenue_band = status = rating = address = owner = in_pool = None

    class Meta(CustomerFilter.Meta):
        fields = ["q", "industry", "grade", "province"]


class SelectColumn(tables.CheckBoxColumn):
    """Checkboxes that belong to the claim form (``form=`` attribute), headed by a word, not a checkbox."""

    @property
    def header(self):
        return _("选择")


class PoolTable(tables.Table):
    select = SelectColumn(accessor="pk", attrs={"input": {
        "name": "ids", "form": "pool-claim-form",
        "aria-label": lambda record: _("选择 %(name)s") % {"name": record.name}}},
                          exclude_from_export=True, orderable=False)
    name = tables.Column(verbose_name=gettext_lazy("客户名称"), linkify=True, attrs={"td": {"class": "customer-name"}})
    industry = tables.Column(verbose_name=gettext_lazy("客户行业"), order_by=("industry__order", "industry__label"))
    grade = tables.Column(verbose_name=gettext_lazy("客户等级"))
    region = tables.Column(verbose_name=gettext_lazy("地区"), empty_values=(), order_by=("province", "city"))
    pool_entered_at = tables.DateTimeColumn(verbose_name=gettext_lazy("进入客户池时间"), format="Y-m-d H:i")
    former_owner = tables.Column(verbose_name=gettext_lazy("原负责人"), accessor="former_owner_name", orderable=False,
                                 default="—")
    actions = tables.Column(verbose_name=gettext_lazy("操作"), empty_values=(), orderable=False,
                            exclude_from_export=True)

    class Meta:
        model = Customer
        fields = ["select", "name", "industry", "grade", "region", "pool_entered_at", "former_owner", "actions"]
        sequence = fields
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "pool-table"}
        row_attrs = {"data-customer": lambda record: record.pk}

    def __init__(self, *args, can_claim=False, block_days=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_claim = can_claim
        self.block_days = block_days
        if not can_claim:
            self.columns.hide("select")

    def render_grade(self, record):
        return record.get_grade_display()

    def value_region(self, record):
        return " ".join(r.name for r in (record.province, record.city) if r)

    def render_region(self, record):
        return self.value_region(record) or "—"

    def render_actions(self, record):
        blocked_at = getattr(record, "reclaim_blocked_at", None)
        if blocked_at is not None:
            return format_html('<span class="text-muted small reclaim-blocked">{}</span>',
                               _("于 %(date)s 从您名下回收，%(days)d 天内不能再次领取") % {
                                   "date": date_format(timezone.localtime(blocked_at), "Y-m-d"),
                                   "days": self.block_days})
        if not self.can_claim:
            return "—"
        return format_html('<button type="submit" form="pool-claim-form" name="one" value="{}" '
                           'class="btn btn-sm btn-primary claim-one">{}</button>', record.pk, _("领取"))


class PoolListView(RecordListView):
    model = Customer
    table_class = PoolTable
    filterset_class = PoolFilter
    permission_required = "customers.view_pool"
    template_name = "customers/pool.html"
    title = gettext_lazy("客户池")
    export_exclude = ("select", "actions")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.policy = CustomerPolicy.current()
        self.can_claim = pool_service.is_salesperson(request.user)

    def base_queryset(self):
        former = (OwnershipChange.objects.filter(customer=OuterRef("pk"), to_owner__isnull=True)
                  .order_by("-at", "-id").annotate(who=_user_name("from_owner")).values("who")[:1])
        queryset = (Customer.objects.filter(owner__isnull=True).select_related("industry", "province", "city")
                    .annotate(former_owner_name=Subquery(former)).order_by("-pool_entered_at", "-pk"))
        if self.can_claim and self.policy.reclaim_block_days:
            blocks = (OwnershipChange.objects.filter(
                customer=OuterRef("pk"), from_owner=self.request.user, to_owner__isnull=True,
                kind__in=[OwnershipKind.AUTO_RETURNED, OwnershipKind.RELEASED],
                at__gt=timezone.now() - dt.timedelta(days=self.policy.reclaim_block_days))
                .order_by("-at", "-id").values("at")[:1])
            queryset = queryset.annotate(reclaim_blocked_at=Subquery(blocks))
        return queryset

    def get_table_kwargs(self):
        return {**super().get_table_kwargs(), "can_claim": self.can_claim,
                "block_days": self.policy.reclaim_block_days}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"can_claim": self.can_claim, "policy": self.policy})
        return context


@require_POST
@permission_required("customers.view_pool", raise_exception=True)
def claim_view(request):
    """领取: one customer (``one``, the row's button or the detail page) or those ticked (``ids``)."""
    raw = [request.POST["one"]] if request.POST.get("one") else request.POST.getlist("ids")
    ids = sorted({int(value) for value in raw if value.isdigit()})
    back = _next_or(request, reverse("customers:pool"))
    if not ids:
        messages.error(request, _("请选择要领取的客户。"))
        return HttpResponseRedirect(back)
    customers = list(visible_to(request.user, Customer.objects.filter(pk__in=ids)).order_by("pk"))
    # the user saw these in the pool: one with an owner now was taken by someone in the meantime
    taken = [c for c in customers if c.owner_id is not None and c.owner_id != request.user.pk]
    result = pool_service.claim_many([c for c in customers if c not in taken], request.user)
    result.refused += [(c, _("该客户已被他人领取")) for c in taken]
    if result.claimed:
        messages.success(request, _("已领取：%(names)s。") % {"names": "、".join(c.name for c in result.claimed)})
    for customer, refusal in result.refused:
        messages.error(request, _("%(name)s：%(reason)s") % {"name": customer.name, "reason": refusal})
    if len(customers) < len(ids):
        messages.error(request, _("所选客户中有 %(n)d 个已被他人领取或已删除。") % {"n": len(ids) - len(customers)})
    return HttpResponseRedirect(back)


class ReasonForm(forms.Form):
    """The reason of a pool or recycle-bin action (the service says when it is missing)."""

    reason = forms.CharField(max_length=200, required=False)


class ReleaseView(RecordActionView):
    """放入客户池 from the customer's page; who may and the reason are the service's to refuse."""

    model = Customer
    queryset = Customer.objects.select_related("owner__department")
    form_class = ReasonForm

    def perform(self, record, form):
        return pool_service.release(record, self.request.user, form.cleaned_data["reason"])

    def get_success_message(self, record, result):
        return _("已把客户“%(name)s”放入客户池。") % {"name": record.name}

    def get_success_url(self, record, result):
        user = self.request.user
        if not user.has_perm("customers.view_customer", record):
            return reverse("customers:pool" if user.has_perm("customers.view_pool") else "customers:list")
        return record.get_absolute_url()


# --- bulk transfer --------------------------------------------------------------------------------------
class TransferForm(TransferTargetForm):
    """The pool page's transfer: the customers to move, then the new owner or the pool and the reason."""

    customers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("客户"), queryset=Customer.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("请选择要转移的客户。"),
                        "invalid_choice": gettext_lazy("所选客户中有您无权转移或已删除的客户，请刷新页面后重新选择。"),
                        "invalid_pk_value": gettext_lazy("客户选择有误。")})
    field_order = ["customers", "to_owner", "to_pool", "reason"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["customers"].queryset = pool_service.transferable_customers(
            user, visible_to(user, Customer.objects.all()))


TRANSFER_ROWS = 500


@permission_required("customers.transfer_customer", raise_exception=True)
def transfer_view(request):
    """Choose customers (``?ids=…`` from a list, or the customer list's filters), the new owner or the pool,
    and a reason; the transfer is all or nothing."""
    user = request.user
    base = pool_service.transferable_customers(
        user, visible_to(user, Customer.objects.select_related("owner__department", "industry")))
    ids = sorted({int(v) for v in request.GET.getlist("ids") if v.isdigit()})
    customer_filter = CustomerFilter(request.GET or None, queryset=base, request=request)
    if ids:
        candidates = base.filter(pk__in=ids)
    else:
        candidates = customer_filter.qs if customer_filter.is_bound and customer_filter.is_valid() else base
    candidates = candidates.order_by("owner__department__code", "owner__username", "-created_at", "-pk")
    form = TransferForm(request.POST or None, user=user, initial={"customers": ids})
    selected = set(ids)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                moved = pool_service.transfer(list(data["customers"]), data["to_owner"], by=user,
                                              reason=data["reason"])
            except Refused as refusal:
                form.add_error(None, str(refusal))
            else:
                target = data["to_owner"].display_name if data["to_owner"] else _("客户池")
                messages.success(request, _("已把 %(n)d 个客户转给%(target)s。") % {"n": len(moved), "target": target})
                return HttpResponseRedirect(reverse("customers:list"))
        selected = {int(v) for v in request.POST.getlist("customers") if v.isdigit()}
    # what was ticked stays on the page, even when the filter no longer shows it
    ticked = list(base.filter(pk__in=selected).order_by("pk")) if selected else []
    others = [c for c in candidates[:TRANSFER_ROWS + 1] if c.pk not in selected]
    return render(request, "customers/transfer.html", {
        "title": _("批量转移"), "form": form, "filter": customer_filter, "rows": ticked + others[:TRANSFER_ROWS],
        "selected": selected, "row_limit": TRANSFER_ROWS, "truncated": len(others) > TRANSFER_ROWS,
    }, status=400 if request.method == "POST" else 200)


# --- the recycle bin ------------------------------------------------------------------------------------
class BinFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("客户名称"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = Customer
        fields = ["q"]


class BinTable(tables.Table):
    name = tables.Column(verbose_name=gettext_lazy("客户名称"), attrs={"td": {"class": "customer-name"}})
    grade = tables.Column(verbose_name=gettext_lazy("客户等级"))
    owner = tables.Column(verbose_name=gettext_lazy("负责人"), empty_values=(),
                          order_by=("owner__full_name", "owner__username"))
    deleted_at = tables.DateTimeColumn(verbose_name=gettext_lazy("删除时间"), format="Y-m-d H:i")
    deleted_by = tables.Column(verbose_name=gettext_lazy("删除人"), order_by=("deleted_by__full_name",))
    delete_reason = tables.Column(verbose_name=gettext_lazy("删除原因"))
    purge_from = tables.Column(verbose_name=gettext_lazy("可彻底删除日期"), empty_values=(), orderable=False)
    actions = tables.Column(verbose_name=gettext_lazy("操作"), empty_values=(), orderable=False,
                            exclude_from_export=True)

    class Meta:
        model = Customer
        fields = ["name", "grade", "owner", "deleted_at", "deleted_by", "delete_reason", "purge_from", "actions"]
        sequence = fields
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "bin-table"}
        row_attrs = {"data-customer": lambda record: record.pk}

    def __init__(self, *args, user=None, policy=None, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.policy, self.request = user, policy, request
        self.can_purge = recycle_bin.may_purge(user)
        self.now = timezone.now()

    def render_grade(self, record):
        return record.get_grade_display()

    def value_owner(self, record):
        return record.owner.display_name if record.owner_id else _("客户池")

    def render_owner(self, record):
        return self.value_owner(record)

    def render_delete_reason(self, record):
        if recycle_bin.is_purged(record):
            return format_html('<span class="badge text-bg-dark">{}</span> {}', _("已清除"),
                               record.delete_reason[len(recycle_bin.PURGED_MARK):].strip())
        return record.delete_reason

    def value_purge_from(self, record):
        return date_format(timezone.localtime(recycle_bin.purge_allowed_from(record, self.policy)), "Y-m-d")

    def render_purge_from(self, record):
        return "—" if recycle_bin.is_purged(record) else self.value_purge_from(record)

    def render_actions(self, record):
        if recycle_bin.is_purged(record):
            return "—"
        token = get_token(self.request)
        parts = []
        if recycle_bin.may_bin(self.user, record):
            parts.append(format_html(
                '<form method="post" action="{}" class="d-inline">'
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                '<button type="submit" class="btn btn-sm btn-outline-primary restore-customer">{}</button></form>',
                reverse("customers:restore", args=[record.pk]), token, _("恢复")))
        if self.can_purge and recycle_bin.purge_allowed_from(record, self.policy) <= self.now:
            parts.append(format_html(
                '<div class="dropdown d-inline-block ms-1">'
                '<button type="button" class="btn btn-sm btn-outline-danger dropdown-toggle" data-bs-toggle="dropdown" '
                'data-bs-auto-close="outside" aria-expanded="false">{}</button>'
                '<form method="post" action="{}" class="dropdown-menu p-2 purge-form" style="min-width: 16rem">'
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                '<label class="form-label small" for="purge-reason-{}">{}</label>'
                '<input type="text" class="form-control form-control-sm mb-2" name="reason" id="purge-reason-{}" '
                'maxlength="200" required>'
                '<button type="submit" class="btn btn-sm btn-danger">{}</button></form></div>',
                _("彻底删除"), reverse("customers:purge", args=[record.pk]), token, record.pk, _("彻底删除的原因"),
                record.pk, _("确认彻底删除")))
        return mark_safe("".join(parts)) if parts else "—"  # noqa: S308  (each part built by format_html)


class BinListView(RecordListView):
    model = Customer
    table_class = BinTable
    filterset_class = BinFilter
    permission_required = "customers.view_customer"
    template_name = "customers/bin.html"
    title = gettext_lazy("回收站")
    export_exclude = ("actions",)

    def base_queryset(self):
        return recycle_bin.binned_customers().select_related("owner__department", "deleted_by").order_by(
            "-deleted_at", "-pk")

    def get_table_kwargs(self):
        if not hasattr(self, "policy"):
            self.policy = CustomerPolicy.current()
        return {**super().get_table_kwargs(), "user": self.request.user, "policy": self.policy,
                "request": self.request}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["policy"] = self.policy
        return context


class BinCustomerView(RecordActionView):
    """删除: the customer goes to the recycle bin, with a reason."""

    model = Customer
    queryset = Customer.objects.select_related("owner__department")
    form_class = ReasonForm

    def perform(self, record, form):
        return recycle_bin.bin_customer(record, by=self.request.user, reason=form.cleaned_data["reason"])

    def get_success_message(self, record, result):
        return _("已删除客户“%(name)s”，可在回收站中恢复。") % {"name": record.name}

    def get_success_url(self, record, result):
        return reverse("customers:list")


class BinActionView(RecordActionView):
    """An action on a customer in the recycle bin; a refusal returns to the bin."""

    model = Customer

    def get_queryset(self):
        return recycle_bin.binned_customers().select_related("owner__department")

    def back_url(self, record):
        return reverse("customers:bin")


class RestoreView(BinActionView):
    def perform(self, record, form):
        return recycle_bin.restore_customer(record, by=self.request.user)

    def get_success_message(self, record, result):
        return _("已恢复客户“%(name)s”。") % {"name": record.name}

    def get_success_url(self, record, result):
        return record.get_absolute_url()


class PurgeView(BinActionView):
    form_class = ReasonForm

    def perform(self, record, form):
        self.name = record.name  # a customer wiped instead of deleted loses its name
        return recycle_bin.purge_customer(record, by=self.request.user, reason=form.cleaned_data["reason"])

    def get_success_message(self, record, outcome):
        if outcome == "deleted":
            return _("已彻底删除客户“%(name)s”。") % {"name": self.name}
        return _("客户“%(name)s”已清除：名称和联系方式已抹去，归属记录和审计记录保留。") % {"name": self.name}


urlpatterns = [
    path("pool/", PoolListView.as_view(), name="pool"),
    path("pool/claim/", claim_view, name="claim"),
    path("transfer/", transfer_view, name="transfer"),
    path("bin/", BinListView.as_view(), name="bin"),
    path("<int:pk>/release/", ReleaseView.as_view(), name="release"),
    path("<int:pk>/delete/", BinCustomerView.as_view(), name="delete"),
    path("<int:pk>/restore/", RestoreView.as_view(), name="restore"),
    path("<int:pk>/purge/", PurgeView.as_view(), name="purge"),
]
