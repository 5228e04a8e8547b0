"""Who sees and who may do what with opportunities (商机) and payments (回款计划 / 回款记录), declared once; imported
by ``customers.rules`` (autodiscovered), so that nothing else calls ``rules.set_perm`` or ``register_visibility``.

Visibility follows the customer rules (``customers.rules``):
  ``customers.view_opportunity`` — GM, MR and customer service see every opportunity; everyone else those owned by
  themselves or by the people of the departments they manage, and those of the customers they own now.
  ``customers.view_paymentinstalment`` / ``view_payment`` — whoever sees the contract (``customers.rules``), and
  finance, GM, MR and customer service every contract's payments (finance enters them).

Opportunities
  ``customers.add_opportunity`` — the roles that create customers (sales, customer service, GM, MR).
  ``customers.change_opportunity`` — its owner or the owner's department manager, GM and MR; it covers editing
  and the stage moves (won and lost ask a reason; lost is final).

Payments
  ``customers.plan_payments`` — the payment plan of a contract: the contract's owner or their department manager,
  finance, GM and MR.
  ``customers.record_payment`` — finance only (a salesperson gets 403): payment records and their reversals.
"""
from __future__ import annotations

import rules
from django.db.models import Q

from customers.contracts.models import Contract, Opportunity, Payment, PaymentInstalment
from customers.models import Customer
from customers.rules import (SEES_ALL, _people_kept_by, _signed_in, contract_visibility, keeps_contract,
                             no_record)
from qms.people import Role, has_role, register_visibility

SEES_ALL_PAYMENTS = (*SEES_ALL, Role.FINANCE)


def _keeps(user, owner) -> bool:
    """``owner`` is the user or a member of a department the user manages."""
    if owner is None:
        return False
    if owner.pk == user.pk:
        return True
    department = owner.department
    return department is not None and department.manager_id == user.pk


@rules.predicate
def keeps_opportunity(user, opportunity=None) -> bool:
    return bool(_signed_in(user) and opportunity is not None and _keeps(user, opportunity.owner))


# --- visibility ------------------------------------------------------------------------------------------
def opportunity_visibility(user) -> Q:
    if user.has_role(*SEES_ALL):
        return Q()
    return (Q(owner_id__in=_people_kept_by(user))
            | Q(customer_id__in=Customer.objects.filter(owner=user).values("pk")))


def payment_visibility(user) -> Q:
    """A contract's payment plan and payments: whoever sees the contract (``customers.rules.contract_visibility``),
    and finance every contract's (it enters them)."""
    if user.has_role(*SEES_ALL_PAYMENTS):
        return Q()
    return Q(contract_id__in=Contract.objects.filter(contract_visibility(user)).values("pk"))


def declare() -> None:
    """Register the visibility and the permissions (``customers.rules`` calls it once, when rules are
    autodiscovered)."""
    register_visibility(Opportunity, opportunity_visibility)
    # the contract's own visibility is declared in customers.rules (contract_visibility)
    register_visibility(PaymentInstalment, payment_visibility)
    register_visibility(Payment, payment_visibility)

    is_manager = has_role(Role.GM, Role.MR)
    rules.set_perm("customers.add_opportunity", has_role(Role.SALES, Role.CUSTOMER_SERVICE, Role.GM, Role.MR))
    rules.set_perm("customers.change_opportunity", is_manager | keeps_opportunity
                   | (no_record & has_role(Role.SALES, Role.CUSTOMER_SERVICE)))
    rules.set_perm("customers.plan_payments", has_role(Role.FINANCE, Role.GM, Role.MR) | keeps_contract)
    rules.set_perm("customers.record_payment", has_role(Role.FINANCE))
