"""Small helpers for customers tests (other test modules import them: keep them simple)."""
from customers.models import Contact, Customer
from customers.services.records import create_customer


def make_customer(owner, *, by=None, name: str | None = None, contacts=(), **fields) -> Customer:
    """A customer owned by ``owner`` (None: in the pool, created by ``by``), through the create service."""
    by = by or owner
    if by is None:
        raise ValueError("make_customer(None, by=…): a pool customer needs a creator")
    name = name or f"测试客户{Customer.all_objects.count() + 1}号贸易有限公司"
    return create_customer(by=by, owner=owner, to_pool=owner is None, contacts=list(contacts), name=name, **fields)


def make_contact(customer, *, name="联系人", primary=False, **fields) -> Contact:
    return Contact.objects.create(customer=customer, name=name, is_primary=primary, **fields)
