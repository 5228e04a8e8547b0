"""Who sees and who may do what in key accounts (PROCEDURES.md §1): every permission and visibility rule of the
app, declared once (autodiscovered by ``rules.apps.AutodiscoverRulesConfig``). Views, services and selectors
import the predicates from here; nothing else calls ``rules.set_perm`` or ``register_visibility``.

Visibility
  ``customers.view_customer`` — GM, MR and customer service see every customer; a department manager those
  owned by their department's people; everyone else their own. The customer pool (customers without an owner,
  with their contacts' personal data) is sales' work: only salespeople, the managers of salespeople and the
  roles that see every customer see it (``sees_customer_pool``). Another's customer answers 404.
  ``customers.view_visit`` — as the customers: GM, MR and customer service every visit; a department manager
  those of their department's people; everyone else the visits they own and those of the customers they own.

Customers
  ``customers.add_customer`` — sales, customer service, GM and MR: the people who take a customer's first
  question (首问负责制).
  ``customers.change_customer`` — the customer's owner or the manager of the owner's department (``keeps``),
  and GM, MR and customer service for every customer, the pool's included. It covers the customer's contacts,
  follow-ups, business records, archive and quick status change. Without a customer: whether the user may edit
  any customer at all (sales, department managers and the roles above).
  ``customers.release_customer`` / ``delete_customer`` / ``restore_customer`` — ``may_manage``: the owner or
  their department's manager (``keeps``), and GM and MR for every customer (the pool's: only they).
  ``customers.transfer_customer`` — GM, MR; a department manager their department's customers and the pool.
  ``customers.manage_recycle_bin`` — the GM (purging also waits for the retention period).
  ``customers.view_pool`` — the pool list: the roles of ``sees_customer_pool``.
  ``customers.claim_customer`` — salespeople; the template rule ``customers.may_claim`` is the same without
  the superuser bypass of ``has_perm`` (an administrator is not a salesperson).
  ``customers.confirm_grade`` — GM and MR every customer; a sales manager those of the department they manage.
  ``customers.import_customer`` — the sales managers, customer service, GM and MR.

Contracts (§2)
  ``customers.view_contract`` — GM, MR and the sales VP every contract; the owner and the manager of the owner's
  department theirs; a reviewer those whose countersign asks him; finance the registered ones.
  ``customers.add_contract`` — sales, the sales VP, GM and MR. ``customers.change_contract`` — the owner or the
  manager of the owner's department, GM and MR (a draft only: the service refuses the others).
  ``customers.confirm_contract_receipt`` — finance confirms the receipt of the signed original.
  ``customers.import_contract`` — historical contracts (the shared import): the sales managers, GM and MR.

Visits
  ``customers.record_visit`` — arranging and recording: the visit's owner, or the customer's owner now (after
  a hand-over).
  ``customers.cancel_visit`` — the owner's manager, the GM or the MR.
"""
from __future__ import annotations

import rules
from django.db.models import Q

from customers.contracts.fulfilment_models import (CustomerProperty, RequirementAcknowledgement, Shipment,
                                                   SpecialRequirement)
from customers.contracts.services import property as property_service
from customers.contracts.services import shipments as shipment_service
from customers.contracts.services import special_requirements as requirement_service
from customers.models import (Contract, ContractChange, ContractStatus, Customer, Opportunity, Payment,
                              PaymentInstalment, Visit)
from qms import countersign
from qms.people import Role, User, has_role, is_department_manager, register_visibility

# the roles that see (and keep the files of) every customer
SEES_ALL = (Role.GM, Role.MR, Role.CUSTOMER_SERVICE)
# the roles that release, bin and transfer any customer (customer service keeps files but does not hand out)
MANAGERS = (Role.GM, Role.MR)
POOL_ROLES = (*SEES_ALL, Role.SALES)
PURGE_PERMISSION = "customers.manage_recycle_bin"


# --- predicates ------------------------------------------------------------------------------------------
def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated)


@rules.predicate
def no_record(user, record=None) -> bool:
    """The permission is asked without a record (a menu entry, a list's button) by someone signed in."""
    return record is None and _signed_in(user)


def _keeps(user, customer) -> bool:
    if customer is None or customer.owner_id is None:
        return False
    if customer.owner_id == user.pk:
        return True
    department = customer.owner.department  # callers select_related("owner__department")
    return department is not None and department.manager_id == user.pk


@rules.predicate
def keeps(user, customer=None) -> bool:
    """The customer's owner or the manager of the owner's department (a pool customer has neither)."""
    return _signed_in(user) and _keeps(user, customer)


@rules.predicate
def manages_owner(user, customer=None) -> bool:
    """The manager of the department of the customer's owner."""
    if not _signed_in(user) or customer is None or customer.owner_id is None:
        return False
    department = customer.owner.department
    return department is not None and department.manager_id == user.pk


@rules.predicate
def is_owned(user, customer=None) -> bool:
    return customer is None or customer.owner_id is not None


@rules.predicate
def is_salesperson(user) -> bool:
    return bool(_signed_in(user) and user.is_active and user.has_role(Role.SALES))


@rules.predicate
def manages_salespeople(user) -> bool:
    """Whether the user manages a department with an active salesperson; cached on the instance like its roles."""
    if not _signed_in(user):
        return False
    if not hasattr(user, "_manages_salespeople"):
        user._manages_salespeople = User.objects.filter(department__manager=user, groups__name=Role.SALES,
                                                        is_active=True).exists()
    return user._manages_salespeople


sees_all = has_role(*SEES_ALL)
is_manager = has_role(*MANAGERS)

# Release, bin, restore: the owner or their manager; GM and MR every customer (the pool's: only they).
may_manage = is_manager | keeps
may_edit_customer = sees_all | keeps | (no_record & (has_role(Role.SALES) | is_department_manager))
may_release = no_record | (is_owned & may_manage)
may_transfer = is_manager | (is_department_manager & (no_record | ~is_owned | manages_owner))
may_confirm_grade = is_manager | (has_role(Role.SALES) & ((no_record & is_department_manager) | manages_owner))
# the same rule as ``sees_customer_pool``, spelled with has_role so that the 403 page names the roles
sees_pool = has_role(*POOL_ROLES) | manages_salespeople


def sees_customer_pool(user) -> bool:
    """Salespeople, the managers of a department with salespeople, GM, MR, customer service (and superusers)."""
    return _signed_in(user) and sees_pool(user)


@rules.predicate
def works_on_visit(user, visit=None) -> bool:
    """Arranging and recording a visit: its owner, or the customer's owner now (after a hand-over)."""
    if visit is None or not (_signed_in(user) and user.is_active):
        return False
    return user.is_superuser or visit.owner_id == user.pk or visit.customer.owner_id == user.pk


@rules.predicate
def cancels_visit(user, visit=None) -> bool:
    """Cancelling a plan: the owner's manager, the general manager or the management representative."""
    if not (_signed_in(user) and user.is_active):
        return False
    if user.is_superuser or user.has_role(*MANAGERS):
        return True
    if visit is None:
        return user.manages_a_department()
    manager = visit.owner.manager()
    return manager is not None and manager.pk == user.pk


# --- visibility ------------------------------------------------------------------------------------------
def _people_kept_by(user):
    """The ids of the user and of the people of the departments the user manages: a subquery, so that a
    predicate on the owner is answered from the owner index (an OR over a join of users and departments made
    PostgreSQL scan and sort every customer)."""
    return User.objects.filter(Q(pk=user.pk) | Q(department__manager=user)).values("pk")


def customer_visibility(user) -> Q:
    if user.has_role(*SEES_ALL):
        return Q()
    visible = Q(owner_id__in=_people_kept_by(user))
    if sees_customer_pool(user):
        visible |= Q(owner__isnull=True)
    return visible


def visit_visibility(user) -> Q:
    if user.has_role(*SEES_ALL):
        return Q()
    return Q(owner_id__in=_people_kept_by(user)) | Q(customer_id__in=Customer.objects.filter(owner=user).values("pk"))


def contract_visibility(user) -> Q:
    """§2 contracts: GM, MR and the sales VP every contract; the owner and the manager of the owner's department
    theirs; a reviewer the contracts whose countersign asks him; finance the registered ones (the original)."""
    if user.has_role(Role.GM, Role.MR, Role.SALES_VP):
        return Q()
    visible = Q(owner_id__in=_people_kept_by(user)) | countersign.asked_of(user, Contract)
    if user.has_role(Role.FINANCE):
        visible |= Q(status__in=(ContractStatus.REGISTERED, ContractStatus.COMPLETED))
    return visible


@rules.predicate
def keeps_contract(user, contract=None) -> bool:
    """The contract's owner or the manager of the owner's department."""
    if not _signed_in(user) or contract is None:
        return False
    if contract.owner_id == user.pk:
        return True
    department = contract.owner.department
    return department is not None and department.manager_id == user.pk


register_visibility(Customer, customer_visibility)
register_visibility(Visit, visit_visibility)
register_visibility(Contract, contract_visibility)


def change_visibility(user) -> Q:
    """A contract change: whoever sees its contract, and the departments asked to re-review it."""
    if user.has_role(Role.GM, Role.MR, Role.SALES_VP):
        return Q()
    return (Q(contract_id__in=Contract.objects.filter(contract_visibility(user)).values("pk"))
            | countersign.asked_of(user, ContractChange))


register_visibility(ContractChange, change_visibility)


def edit_check(user):
    """``customers.change_customer`` for a whole page of customers (the list's 编辑 buttons): the user's roles are
    looked at once, then each customer is a plain comparison — the same answer as ``user.has_perm(…, customer)``
    (customers/tests/test_rules.py checks the two agree)."""
    if not _signed_in(user):
        return lambda customer: False
    if (user.is_active and user.is_superuser) or sees_all(user):
        return lambda customer: True
    return lambda customer: _keeps(user, customer)


# --- permissions -----------------------------------------------------------------------------------------
rules.set_perm("customers.add_customer", has_role(Role.SALES, Role.CUSTOMER_SERVICE, Role.GM, Role.MR))
rules.set_perm("customers.change_customer", may_edit_customer)
rules.set_perm("customers.view_pool", sees_pool)
rules.set_perm("customers.claim_customer", is_salesperson)
rules.set_rule("customers.may_claim", is_salesperson)
rules.set_perm("customers.release_customer", may_release)
rules.set_perm("customers.delete_customer", no_record | may_manage)
rules.set_perm("customers.restore_customer", no_record | may_manage)
rules.set_perm("customers.transfer_customer", may_transfer)
rules.set_perm(PURGE_PERMISSION, has_role(Role.GM))
rules.set_perm("customers.confirm_grade", may_confirm_grade)
# §1 who imports customers: the sales managers, customer service, GM and MR (superusers: has_role admits them)
rules.set_perm("customers.import_customer",
               has_role(Role.CUSTOMER_SERVICE, Role.GM, Role.MR) | (has_role(Role.SALES) & is_department_manager))
# §2 who imports historical contracts into the register: the sales managers, GM and MR
rules.set_perm("customers.import_contract", has_role(Role.GM, Role.MR) | (has_role(Role.SALES) & is_department_manager))
rules.set_perm("customers.record_visit", works_on_visit)
# §2 contracts: sales (and GM, MR, the sales VP) capture them; the owner side keeps them
rules.set_perm("customers.add_contract", has_role(Role.SALES, Role.SALES_VP, Role.GM, Role.MR))
rules.set_perm("customers.change_contract", is_manager | keeps_contract | (no_record & has_role(Role.SALES)))
rules.set_perm("customers.confirm_contract_receipt", has_role(Role.FINANCE))
rules.set_perm("customers.cancel_visit", cancels_visit)


# --- opportunities and payments (§2 商机 / 回款) -------------------------------------------------------------
# Visibility follows the customer rules above:
#   ``customers.view_opportunity`` — GM, MR and customer service see every opportunity; everyone else those owned by
#   themselves or by the people of the departments they manage, and those of the customers they own now.
#   ``customers.view_paymentinstalment`` / ``view_payment`` — whoever sees the contract, and
#   finance, GM, MR and customer service every contract's payments (finance enters them).
#
# Opportunities
#   ``customers.add_opportunity`` — the roles that create customers (sales, customer service, GM, MR).
#   ``customers.change_opportunity`` — its owner or the owner's department manager, GM and MR; it covers editing
#   and the stage moves (won and lost ask a reason; lost is final).
#
# Payments
#   ``customers.plan_payments`` — the payment plan of a contract: the contract's owner or their department manager,
#   finance, GM and MR.
#   ``customers.record_payment`` — finance only (a salesperson gets 403): payment records and their reversals.
SEES_ALL_PAYMENTS = (*SEES_ALL, Role.FINANCE)


def _keeps_owner(user, owner) -> bool:
    """``owner`` is the user or a member of a department the user manages."""
    if owner is None:
        return False
    if owner.pk == user.pk:
        return True
    department = owner.department
    return department is not None and department.manager_id == user.pk


@rules.predicate
def keeps_opportunity(user, opportunity=None) -> bool:
    return bool(_signed_in(user) and opportunity is not None and _keeps_owner(user, opportunity.owner))


def opportunity_visibility(user) -> Q:
    if user.has_role(*SEES_ALL):
        return Q()
    return (Q(owner_id__in=_people_kept_by(user))
            | Q(customer_id__in=Customer.objects.filter(owner=user).values("pk")))


def payment_visibility(user) -> Q:
    """A contract's payment plan and payments: whoever sees the contract (``contract_visibility`` above),
    and finance every contract's (it enters them)."""
    if user.has_role(*SEES_ALL_PAYMENTS):
        return Q()
    return Q(contract_id__in=Contract.objects.filter(contract_visibility(user)).values("pk"))


register_visibility(Opportunity, opportunity_visibility)
register_visibility(PaymentInstalment, payment_visibility)
register_visibility(Payment, payment_visibility)

rules.set_perm("customers.add_opportunity", has_role(Role.SALES, Role.CUSTOMER_SERVICE, Role.GM, Role.MR))
rules.set_perm("customers.change_opportunity", is_manager | keeps_opportunity
               | (no_record & has_role(Role.SALES, Role.CUSTOMER_SERVICE)))
rules.set_perm("customers.plan_payments", has_role(Role.FINANCE, Role.GM, Role.MR) | keeps_contract)
rules.set_perm("customers.record_payment", has_role(Role.FINANCE))

# --- special requirements, shipments and customer property (§2) ---------------------------------------------
#
# Visibility follows the customer's (``customers.rules.customer_visibility``: a salesperson his customers', a
# department manager his people's, GM, MR and customer service every one) and adds those whose work it is:
# - special requirements: quality (which verifies and keeps the list) every one; a department the requirement was
#   passed to, those;
# - shipments: quality (traces batches), PMC and production (ship) every one;
# - customer property: quality, engineering, production and PMC (they keep and use it) every item.
def _customer_visible(user) -> Q:
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
