"""The tabs opportunities and payments add to other records' pages (registered in ``CustomersConfig.ready``):
商机 on the customer's page, 回款 on the contract's page (helper A's ``RecordDetailView`` shows it)."""
from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from customers.contracts.models import Contract
from customers.contracts.services import opportunities
from customers.contracts.views.payments import render_payments_tab
from customers.models import Customer
from qms.registry import DetailTab


def render_opportunities_tab(request, customer: Customer) -> str:
    rows = opportunities.of_customer(request.user, customer)[:100]
    return render_to_string("customers/contracts/customer_tab_opportunities.html", {
        "object": customer, "rows": rows,
        "may_add": customer.owner_id is not None and request.user.has_perm("customers.add_opportunity"),
    }, request=request)


TABS = [
    DetailTab("opportunities", _("商机"), Customer, render_opportunities_tab, order=30),
    DetailTab("payments", _("回款"), Contract, render_payments_tab, order=30),
]
