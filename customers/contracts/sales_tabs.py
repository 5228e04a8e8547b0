"""The tabs opportunities and payments add to other records' pages (registered in ``CustomersConfig.ready``):
商机 and 回款 (payment integrity, instalments) on the customer's page, 回款 on the contract's page (helper A's
``RecordDetailView`` shows it)."""
from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.contracts.models import Contract
from customers.contracts.services import opportunities, payments
from customers.contracts.views.payments import render_payments_tab
from customers.models import Customer
from qms.registry import DetailTab


def render_opportunities_tab(request, customer: Customer) -> str:
    rows = opportunities.of_customer(request.user, customer)[:100]
    return render_to_string("customers/contracts/customer_tab_opportunities.html", {
        "object": customer, "rows": rows,
        "may_add": customer.owner_id is not None and request.user.has_perm("customers.add_opportunity"),
    }, request=request)


def render_customer_payments_tab(request, customer: Customer) -> str:
    """The customer's payment integrity (what the contract classification reads) and the instalments of its
    accepted contracts the user may see, overdue first."""
    today = timezone.localdate()
    rows = [{"instalment": i, "state": payments.instalment_state(i, today),
             "url": reverse("customers:contract_payments", args=[i.contract_id])}
            for i in payments.customer_instalments(request.user, customer)[:100]]
    for row in rows:
        row["label"] = payments.InstalmentState.LABELS[row["state"]]
        row["badge"] = payments.InstalmentState.BADGES[row["state"]]
    return render_to_string("customers/contracts/customer_tab_payments.html", {
        "object": customer, "rows": rows, "integrity": payments.payment_integrity(customer, today),
    }, request=request)


TABS = [
    DetailTab("opportunities", _("商机"), Customer, render_opportunities_tab, order=30),
    DetailTab("payments", _("回款"), Customer, render_customer_payments_tab, order=35),
    DetailTab("payments", _("回款"), Contract, render_payments_tab, order=30),
]
