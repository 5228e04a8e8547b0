"""The 顾客财产 tab on a customer's page (what of the customer's we keep, where, and what happened to it), and the
特殊要求与发货 tab on a contract's page (registered in ``CustomersConfig.ready`` through the core's detail
tabs, so the contract pages need not know of it): what holds the contract's production and delivery back, the
special requirements that apply, its shipments with the quantity shipped per line, and the customer property
received for it."""
from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.contracts.fulfilment_models import CustomerProperty, Shipment
from customers.contracts.models import Contract
from customers.contracts.services import shipments as shipment_service
from customers.contracts.services import special_requirements as requirement_service
from qms import blocks
from qms.people import visible_to
from qms.registry import DetailTab


def render_fulfilment_tab(request, contract: Contract) -> str:
    user = request.user
    shipped = shipment_service.shipped_quantities(contract.pk)
    lines = [{"line": line, "shipped": shipped.get(line.pk, 0), "left": line.quantity - shipped.get(line.pk, 0)}
             for line in contract.lines.order_by("line_no")]
    requirements = visible_to(user, requirement_service.applying_to_contract(contract.pk)
                              .select_related("customer").order_by("-captured_at"))
    shipments = visible_to(user, Shipment.objects.filter(contract=contract)).order_by("-created_at")
    items = visible_to(user, CustomerProperty.objects.filter(contract=contract)).order_by("-received_on")
    return render_to_string("customers/contracts/tab_fulfilment.html", {
        "object": contract, "lines": lines, "requirements": requirements[:100], "shipments": shipments[:100],
        "property_items": items[:100],
        "production_holds": blocks.holds("customers.Contract", contract.pk, requirement_service.PRODUCTION),
        "delivery_holds": blocks.holds("customers.Contract", contract.pk, requirement_service.DELIVERY),
        "add_requirement_url": (f"{reverse('customers:special_requirement_create')}?contract={contract.pk}"
                                if user.has_perm("customers.add_specialrequirement") else ""),
        "add_shipment_url": (f"{reverse('customers:shipment_create')}?contract={contract.pk}"
                             if user.has_perm("customers.add_shipment") else ""),
    }, request=request)


def render_customer_property_tab(request, customer) -> str:
    user = request.user
    items = (visible_to(user, CustomerProperty.objects.filter(customer=customer)).select_related("received_by")
             .order_by("-received_on", "-pk")[:200])
    return render_to_string("customers/contracts/tab_customer_property.html", {
        "object": customer, "items": items,
        "add_url": (f"{reverse('customers:property_create')}?customer={customer.pk}"
                    if user.has_perm("customers.add_customerproperty") else ""),
    }, request=request)


def _customer_model():
    from customers.models import Customer

    return Customer


TABS = [DetailTab("fulfilment", _("特殊要求与发货"), Contract, render_fulfilment_tab, order=30),
        DetailTab("property", _("顾客财产"), _customer_model(), render_customer_property_tab, order=55)]
