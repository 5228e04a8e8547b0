"""Who sees which customer (PROCEDURES.md §1), and the querysets the pages share.

GM, MR and customer service see every customer; a department manager those owned by their department's
people; everyone else their own customers and the customer pool. Binned customers are never listed here
(``Customer.objects`` excludes them); the recycle bin has its own query.
"""
from django.db.models import Q

from customers.models import Customer
from qms.people import Role, register_visibility

SEES_ALL = (Role.GM, Role.MR, Role.CUSTOMER_SERVICE)


def customer_visibility(user) -> Q:
    if user.has_role(*SEES_ALL):
        return Q()
    return Q(owner=user) | Q(owner__isnull=True) | Q(owner__department__manager=user)


register_visibility(Customer, customer_visibility)


def customer_list_queryset():
    return Customer.objects.select_related("owner", "created_by", "industry", "status", "province", "city")
