"""The tabs key accounts add to the customer's page (registered in ``CustomersConfig.ready``): 回访 (its visits),
合同 (its contracts, §2 Key-account page) and 归属记录 (every change of owner, with the pool clock)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Case, Count, Prefetch, Q, Sum, When
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from customers.contracts.fulfilment_models import RequirementStatus, Shipment, ShipmentLine, SpecialRequirement
from customers.contracts.models import Contract, ContractLine, ContractStatus
from customers.models import Customer, CustomerPolicy, OwnershipChange, Visit
from customers.services import visits as visit_service
from customers.services.analysis import CONTRACT_VALUE_STATUSES
from qms.people import visible_to
from qms.registry import DetailTab


def render_visits_tab(request, customer: Customer) -> str:
    rows = list(visit_service.with_record_due(visible_to(request.user, Visit.objects.filter(customer=customer)))
                .select_related("owner").order_by("-period_start", "kind", "pk")[:100])
    return render_to_string("customers/tab_visits.html", {
        "object": customer,
        "rows": [{"visit": v, "late": visit_service.is_late(v), "overdue": visit_service.is_overdue(v),
                  "url": v.get_absolute_url()} for v in rows],
    }, request=request)


def render_ownership_tab(request, customer: Customer) -> str:
    rows = (OwnershipChange.objects.filter(customer=customer).select_related("from_owner", "to_owner", "by")
            .order_by("-at", "-id")[:200])
    policy = CustomerPolicy.current()
    return render_to_string("customers/tab_ownership.html", {
        "object": customer, "rows": rows, "return_due": policy.return_due(customer), "policy": policy,
        "return_days": policy.return_days(customer.grade),
    }, request=request)


# --- 合同 ------------------------------------------------------------------------------------------------------
CONTRACTS_SHOWN = 50
REVIEWS_SHOWN = 20
REQUIREMENTS_SHOWN = 20
SHIPMENTS_SHOWN = 20
LINES_SUMMARISED = 3
IN_FORCE = CONTRACT_VALUE_STATUSES  # the contract value, as on the analysis page
IN_REVIEW = (ContractStatus.IN_REVIEW, ContractStatus.AWAITING_APPROVAL)


@dataclass(frozen=True)
class ContractSection:
    """A part of the key account's 合同 tab: ``context(request, customer, contracts)`` (``contracts``: the
    customer's contracts the user may see) gives what ``template`` shows, a fixed number of queries whatever the
    number of records. The special requirements and shipments of §2 add theirs to ``CONTRACT_SECTIONS``."""

    slug: str
    label: str
    template: str
    context: Callable


def contracts_section(request, customer, contracts) -> dict:
    lines = ContractLine.objects.order_by("line_no")
    rows = list(contracts.select_related("owner").prefetch_related(Prefetch("lines", queryset=lines))
                .order_by("-ordered_on", "-created_at", "-id")[:CONTRACTS_SHOWN])
    totals = contracts.aggregate(count=Count("id"), in_force=Count("id", filter=Q(status__in=IN_FORCE)),
                                 value=Sum("total_amount", filter=Q(status__in=IN_FORCE)))
    return {
        "rows": [{"contract": c, "lines": c.lines.all()[:LINES_SUMMARISED],
                  "more_lines": max(0, len(c.lines.all()) - LINES_SUMMARISED)} for c in rows],
        "totals": totals, "shown": len(rows),
    }


def reviews_section(request, customer, contracts) -> dict:
    rows = list(contracts.filter(status__in=IN_REVIEW).select_related("owner")
                .order_by("status_changed_at", "id")[:REVIEWS_SHOWN])
    return {"rows": rows}


def special_requirements_section(request, customer, contracts) -> dict:
    """The customer's special requirements the user may see, the unmet first (they hold production and delivery)."""
    rows = list(visible_to(request.user, SpecialRequirement.objects.filter(customer=customer))
                .select_related("contract").order_by(
                    Case(When(status__in=(RequirementStatus.VERIFIED, RequirementStatus.WITHDRAWN), then=1),
                         default=0), "-captured_at", "-id")[:REQUIREMENTS_SHOWN])
    return {"rows": rows}


def shipments_section(request, customer, contracts) -> dict:
    """The latest shipments to the customer the user may see, with their batch numbers (one query each)."""
    rows = list(visible_to(request.user, Shipment.objects.filter(customer=customer)).select_related("contract")
                .prefetch_related(Prefetch("lines", queryset=ShipmentLine.objects.order_by("id")))
                .order_by("-planned_on", "-id")[:SHIPMENTS_SHOWN])
    return {"rows": [{"shipment": shipment,
                      "batches": list(dict.fromkeys(line.batch_number for line in shipment.lines.all()))}
                     for shipment in rows]}


CONTRACT_SECTIONS = [
    ContractSection("contracts", _("合同/订单"), "customers/contracts_tab/contracts.html", contracts_section),
    ContractSection("reviews", _("评审中的合同"), "customers/contracts_tab/reviews.html", reviews_section),
    ContractSection("requirements", _("顾客特殊要求"), "customers/contracts_tab/requirements.html",
                    special_requirements_section),
    ContractSection("shipments", _("发货记录"), "customers/contracts_tab/shipments.html", shipments_section),
]


def render_contracts_tab(request, customer: Customer) -> str:
    contracts = visible_to(request.user, Contract.objects.filter(customer=customer))
    sections = [{"slug": s.slug, "label": s.label, "template": s.template, **s.context(request, customer, contracts)}
                for s in CONTRACT_SECTIONS]
    return render_to_string("customers/tab_contracts.html", {
        "object": customer, "sections": sections, "may_add": request.user.has_perm("customers.add_contract"),
    }, request=request)


TABS = [
    DetailTab("visits", _("回访"), Customer, render_visits_tab, order=40),
    DetailTab("contracts", _("合同"), Customer, render_contracts_tab, order=45),
    DetailTab("ownership", _("归属记录"), Customer, render_ownership_tab, order=60),
]
