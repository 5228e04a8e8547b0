"""The querysets the customer pages share. Who sees which customer is declared in ``customers.rules``; binned
customers are never listed here (``Customer.objects`` excludes them); the recycle bin has its own query."""
from customers.models import Customer


def customer_list_queryset():
    return Customer.objects.select_related("owner", "created_by", "industry", "status", "province", "city")
