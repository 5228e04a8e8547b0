"""Who sees which customer (PROCEDURES.md §1), and the querysets the pages share.

GM, MR and customer service see every customer; a department manager those owned by their department's
people; everyone else their own customers. The customer pool (customers without an owner, with their contacts'
personal data) is sales' work: only salespeople, the managers of salespeople and the roles that see every
customer see it (``sees_customer_pool``). Binned customers are never listed here (``Customer.objects``
excludes them); the recycle bin has its own query.
"""
from django.db.models import Q

from customers.models import Customer
from qms.people import Role, User, register_visibility

SEES_ALL = (Role.GM, Role.MR, Role.CUSTOMER_SERVICE)


POOL_ROLES = (*SEES_ALL, Role.SALES)


def manages_salespeople(user) -> bool:
    """Whether the user manages a department with an active salesperson; cached on the instance like its roles."""
    if not (user and user.is_authenticated):
        return False
    if not hasattr(user, "_manages_salespeople"):
        user._manages_salespeople = User.objects.filter(department__manager=user, groups__name=Role.SALES,
                                                        is_active=True).exists()
    return user._manages_salespeople


def sees_customer_pool(user) -> bool:
    """Salespeople, the managers of a department with salespeople, GM, MR, customer service (and superusers)."""
    if not (user and user.is_authenticated):
        return False
    return user.is_superuser or user.has_role(*POOL_ROLES) or manages_salespeople(user)


def customer_visibility(user) -> Q:
    if user.has_role(*SEES_ALL):
        return Q()
    visible = Q(owner=user) | Q(owner__department__manager=user)
    if sees_customer_pool(user):
        visible |= Q(owner__isnull=True)
    return visible


register_visibility(Customer, customer_visibility)


def customer_list_queryset():
    return Customer.objects.select_related("owner", "created_by", "industry", "status", "province", "city")
