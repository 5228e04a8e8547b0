"""Who sees and who may do what with special requirements, shipments and customer property (§2); imported by
``customers.rules`` (the app's one rules module).

Visibility follows the customer's (``customers.rules.customer_visibility``: a salesperson his customers', a
department manager his people's, GM, MR and customer service every one) and adds those whose work it is:
- special requirements: quality (which verifies and keeps the list) every one; a department the requirement was
  passed to, those;
- shipments: quality (traces batches), PMC and production (ship) every one;
- customer property: quality, engineering, production and PMC (they keep and use it) every item.
"""
from __future__ import annotations

import rules
from django.db.models import Q

from customers.contracts.fulfilment_models import (CustomerProperty, RequirementAcknowledgement, Shipment,
                                                   SpecialRequirement)
from customers.contracts.services import property as property_service
from customers.contracts.services import shipments as shipment_service
from customers.contracts.services import special_requirements as requirement_service
from qms.people import has_role, register_visibility


def _customer_visible(user) -> Q:
    from customers.models import Customer
    from customers.rules import customer_visibility

    return Q(customer_id__in=Customer.all_objects.filter(customer_visibility(user)).values("pk"))


def requirement_visibility(user) -> Q:
    if user.has_role(*requirement_service.SEES_ALL):
        return Q()
    visible = _customer_visible(user)
    if user.department_id:
        passed_to = RequirementAcknowledgement.objects.filter(
            Q(department_id=user.department_id) | Q(department__manager=user)).values("requirement_id")
        visible |= Q(pk__in=passed_to)
    return visible


def shipment_visibility(user) -> Q:
    if user.has_role(*shipment_service.SEES_ALL):
        return Q()
    return _customer_visible(user)


def property_visibility(user) -> Q:
    if user.has_role(*property_service.SEES_ALL):
        return Q()
    return _customer_visible(user)


register_visibility(SpecialRequirement, requirement_visibility)
register_visibility(Shipment, shipment_visibility)
register_visibility(CustomerProperty, property_visibility)


@rules.predicate
def acknowledges_for_a_department(user, requirement=None) -> bool:
    if requirement is None:
        return False
    return bool(requirement_service.departments_to_acknowledge(requirement, user))


rules.set_perm("customers.add_specialrequirement", has_role(*requirement_service.CAPTURE_ROLES))
rules.set_perm("customers.acknowledge_specialrequirement", acknowledges_for_a_department)
rules.set_perm("customers.add_shipment", has_role(*shipment_service.SHIP_ROLES))
rules.set_perm("customers.add_customerproperty", has_role(*property_service.KEEPER_ROLES))
rules.set_perm("customers.change_customerproperty", has_role(*property_service.KEEPER_ROLES))
