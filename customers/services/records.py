"""Creating customers, recording follow-ups, contacts and business: the primitives every page and task uses.
(Changing owners is ``customers.services.pool.change_owner``.)"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from customers.models import (BusinessRecord, Contact, Customer, CustomerOption, FollowUp, OwnershipChange,
                              OwnershipKind)
from customers.services.names import fill_name_keys, name_key, normalised_name, with_name_keys
from qms import audit
from qms.instances import instance_maker
from qms.refusals import Refused


def near_duplicates(name: str, *, exclude_pk=None):
    """Existing customers (binned ones too) whose name is the same as ``name`` once spaces, full-width
    characters and legal-form suffixes are ignored."""
    queryset = with_name_keys(Customer.all_objects.all(), [name_key(name)])
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.select_related("owner")


UNIQUE_NAME_CONSTRAINT = "customer_unique_live_name"


def same_name(name: str, *, exclude_pk=None):
    """Live customers whose name is ``name`` once spaces and full-width characters are ignored: §1 the name is
    unique, so saving ``name`` is refused while one exists (binned customers are not counted)."""
    queryset = Customer.objects.filter(name_normalised=normalised_name(name))
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.select_related("owner")


def duplicate_name_message(name: str) -> str:
    return gettext("已有同名客户“%(name)s”，客户名称不能重复；请在客户列表中找到该客户继续跟进。") % {"name": name}


def _refuse_duplicate_name(error: IntegrityError, name: str):
    """The unique constraint on the name refused the row (two saves of one name at the same moment): the
    caller gets the message the duplicate check gives, on the name field, instead of a database error."""
    cause = getattr(error, "__cause__", None)
    diag = getattr(cause, "diag", None)
    if getattr(diag, "constraint_name", None) == UNIQUE_NAME_CONSTRAINT or UNIQUE_NAME_CONSTRAINT in str(error):
        raise ValidationError({"name": duplicate_name_message(name)}, code="duplicate_name") from error
    raise error


def _new_customer(*, by, owner, to_pool: bool, fields: dict, now, make_customer=Customer,
                  make_change=OwnershipChange) -> tuple[Customer, OwnershipChange]:
    """The unsaved customer (owner: ``owner``, else its creator; none when ``to_pool``) and its first
    ownership change, without the customer's id."""
    owner = None if to_pool else (owner or by)
    customer = make_customer(created_by=by, owner=owner, created_at=now, **fields)
    customer.owner_since = now if owner else None
    customer.pool_entered_at = None if owner else now
    fill_name_keys(customer)
    change = make_change(kind=OwnershipKind.CREATED if owner else OwnershipKind.RELEASED, to_owner=owner, by=by, at=now)
    return customer, change


def _creation_reason(reason: str, owner) -> str:
    return reason or (gettext("新建客户") if owner else gettext("新建并放入客户池"))


def create_customer(*, by, owner=None, to_pool: bool = False, contacts=(), reason: str = "", **fields) -> Customer:
    """Save a new customer (owner: ``owner``, else its creator; none when ``to_pool``) with its contacts
    (unsaved ``Contact`` objects; the first one marked primary is the primary contact).

    Raises ``ValidationError`` ({"name": …}) when a live customer already has the name, also when it was saved
    by someone else a moment ago (the form's check had not seen it yet)."""
    try:
        return _create_customer(by=by, owner=owner, to_pool=to_pool, contacts=contacts, reason=reason, **fields)
    except IntegrityError as error:  # outside the atomic block: its savepoint is rolled back, the caller's intact
        _refuse_duplicate_name(error, fields.get("name", ""))


@transaction.atomic
def _create_customer(*, by, owner, to_pool: bool, contacts, reason: str, **fields) -> Customer:
    customer, change = _new_customer(by=by, owner=owner, to_pool=to_pool, fields=fields, now=timezone.now())
    with audit.context(user=by, reason=reason or gettext("新建客户")):
        customer.save()
        for contact in contacts:
            contact.customer = customer
            contact.save()
        change.customer = customer
        change.reason = _creation_reason(reason, customer.owner)
        change.save()
    return customer


def create_customers(new: list[dict], *, by, reason: str) -> list[Customer]:
    """``create_customer`` for many customers at once (an import): ``new`` holds its keyword arguments
    (owner, to_pool, contacts and the customer's fields) per customer. Bulk inserts, one per table: the
    audit triggers record each row, with the same user and reason. A name already taken refuses the whole
    lot with ``ValidationError`` (the caller saves them one by one to find the row)."""
    try:
        return _create_customers(new, by=by, reason=reason)
    except IntegrityError as error:
        names = [item.get("name", "") for item in new]
        taken = next((name for name in names if same_name(name).exists()), None)
        if taken is None:  # two rows of the lot share the name
            seen = set()
            taken = next((name for name in names if normalised_name(name) in seen or seen.add(normalised_name(name))),
                         "")
        _refuse_duplicate_name(error, taken)


@transaction.atomic
def _create_customers(new: list[dict], *, by, reason: str) -> list[Customer]:
    customers, changes = [], []
    makers = {"make_customer": instance_maker(Customer), "make_change": instance_maker(OwnershipChange)}
    for item in new:
        fields = {name: value for name, value in item.items() if name not in ("owner", "to_pool", "contacts")}
        customer, change = _new_customer(by=by, owner=item.get("owner"), to_pool=bool(item.get("to_pool")),
                                         fields=fields, now=timezone.now(), **makers)
        customers.append((customer, list(item.get("contacts") or ())))
        changes.append(change)
    with audit.context(user=by, reason=reason):
        Customer.objects.bulk_create([customer for customer, _contacts in customers])
        contacts = []
        for customer, own in customers:
            for contact in own:
                contact.customer = customer
                contacts.append(contact)
        Contact.objects.bulk_create(contacts)
        for (customer, _contacts), change in zip(customers, changes):
            change.customer = customer
            change.reason = _creation_reason(reason, customer.owner)
        OwnershipChange.objects.bulk_create(changes)
    return [customer for customer, _contacts in customers]


def save_customer(customer: Customer, *, by, reason: str = "") -> Customer:
    """Save edits of an existing customer (keeps the name keys in step); a name another live customer has is
    refused with ``ValidationError`` as in ``create_customer``."""
    fill_name_keys(customer)
    try:
        with transaction.atomic(), audit.context(user=by, reason=reason or gettext("修改客户资料")):
            customer.save()
    except IntegrityError as error:
        _refuse_duplicate_name(error, customer.name)
    return customer


@transaction.atomic
def record_follow_up(customer: Customer, *, by, kind: str, content: str, occurred_at=None, contact=None,
                     next_step: str = "") -> FollowUp:
    """A follow-up of any kind; it resets the customer's pool clock."""
    occurred_at = occurred_at or timezone.now()
    with audit.context(user=by, reason=gettext("登记跟进记录")):
        follow_up = FollowUp.objects.create(customer=customer, by=by, kind=kind, content=content,
                                            occurred_at=occurred_at, contact=contact, next_step=next_step)
        Customer.objects.filter(Q(last_follow_up_at__isnull=True) | Q(last_follow_up_at__lt=occurred_at),
                                pk=customer.pk).update(last_follow_up_at=occurred_at)
    if customer.last_follow_up_at is None or customer.last_follow_up_at < occurred_at:
        customer.last_follow_up_at = occurred_at
    return follow_up


def save_contact(contact: Contact, *, by, reason: str = "") -> Contact:
    """Save a contact; a primary contact unmarks the customer's previous one in the same transaction."""
    with transaction.atomic(), audit.context(user=by, reason=reason or gettext("保存联系人")):
        Customer.all_objects.select_for_update().filter(pk=contact.customer_id).first()  # one switch at a time
        if contact.is_primary and contact.is_active:
            Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(pk=contact.pk) \
                .update(is_primary=False)
        contact.save()
    return contact


def deactivate_contact(contact: Contact, *, by) -> None:
    """A contact who left is kept on file (follow-ups refer to them) but no longer offered or primary."""
    with transaction.atomic(), audit.context(user=by, reason=gettext("停用联系人")):
        Contact.objects.filter(pk=contact.pk).update(is_active=False, is_primary=False)


def change_status(customer: Customer, status: CustomerOption | None, *, expected, by, reason: str = "") -> None:
    """Quick status change: one guarded update (the status the user saw), audited with the reason."""
    old = customer.status
    text = gettext("修改客户状态：%(old)s → %(new)s") % {"old": old or gettext("未设置"), "new": status or gettext("未设置")}
    if reason:
        text = f"{text}。{reason}"
    with transaction.atomic(), audit.context(user=by, reason=text):
        updated = Customer.objects.filter(pk=customer.pk, status_id=expected).update(
            status=status, updated_at=timezone.now())
    if not updated:
        raise Refused(gettext("客户状态已被他人修改，请刷新页面后重试。"))
    customer.status = status


def record_business(customer: Customer, *, by, occurred_on, amount, description: str = "") -> BusinessRecord:
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记业务记录")):
        return BusinessRecord.objects.create(customer=customer, occurred_on=occurred_on, amount=amount,
                                             description=description, recorded_by=by)
