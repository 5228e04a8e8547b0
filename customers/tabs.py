"""The tabs key accounts add to the customer's page (registered in ``CustomersConfig.ready``): 回访 (its visits)
and 归属记录 (every change of owner, with the pool clock)."""
from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, CustomerPolicy, OwnershipChange, Visit
from customers.services import visits as visit_service
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


TABS = [
    DetailTab("visits", _("回访"), Customer, render_visits_tab, order=40),
    DetailTab("ownership", _("归属记录"), Customer, render_ownership_tab, order=60),
]
