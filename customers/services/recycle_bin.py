"""The recycle bin (回收站) of PROCEDURES.md §1: delete is soft; restore, or purge from the bin.

- **delete** (``bin_customer``): the owner, the manager of the owner's department, GM or MR (pool customers: GM
  and MR), with a reason. The customer keeps everything (owner, contacts, follow-ups …) and only leaves the
  lists: ``Customer.objects`` excludes it, ``Customer.all_objects`` still finds it.
- **restore**: whoever may delete it. The pool clock is not stopped while a customer is in the bin, so a
  restored customer whose clock ran out returns to the pool at the next nightly run.
- **purge** (``purge_customer``): administrators only — superusers, or holders of
  ``customers.manage_recycle_bin`` (the GM by rule; others by an explicit grant) — and only once the customer
  has been ``CustomerPolicy.recycle_retention_days`` in the bin, with a reason.

What purging does. "Controlled records are never hard-deleted" (CONVENTIONS.md), the audit trail
(pghistory event rows) is append-only and so is ``OwnershipChange`` (a database trigger refuses DELETE). So:

- a customer with ownership history — every customer created through ``records.create_customer`` has one —
  is **anonymised**, not deleted: its name becomes "已清除客户 #<id>", its address, telephone, website,
  postcode and archive sections are blanked, its contacts are deactivated with their personal fields blanked,
  and it stays in the bin marked by the delete reason prefix ``[已清除]`` (it can no longer be restored);
  follow-ups, visits and business records are kept, they are records of what was done;
- a customer without ownership history (made outside the services, e.g. by an old import) is deleted with its
  contacts, follow-ups, visits and business records; if another app's record still refers to it, it is
  anonymised instead.
In both cases the audit trail keeps the before-image and the reason, given in ``audit.context``.
"""
from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from customers import rules as customer_rules
from customers.models import (BusinessRecord, Contact, Customer, CustomerPolicy, FollowUp, OwnershipChange, Visit)
from customers.services.names import fill_name_keys
from qms import audit
from qms.deadlines import Deadline
from qms.refusals import Refused

PURGED_MARK = "[已清除]"
ARCHIVE_FIELDS = ("organisation", "business_situation", "major_events", "competition", "needs", "shareholders",
                  "stock_info", "bank_accounts", "service_notes", "other_info")
IDENTIFYING_FIELDS = ("postcode", "address", "phone", "website") + ARCHIVE_FIELDS
PURGE_PERMISSION = customer_rules.PURGE_PERMISSION


def may_bin(user, customer) -> bool:
    """Delete to / restore from the bin: the owner, their department's manager, GM, MR."""
    return customer_rules.may_manage.test(user, customer)


def may_purge(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PURGE_PERMISSION))


def is_purged(customer) -> bool:
    return customer.delete_reason.startswith(PURGED_MARK)


def purge_allowed_from(customer, policy=None) -> dt.datetime | None:
    """When the customer may be purged: ``recycle_retention_days`` after it was binned."""
    if customer.deleted_at is None:
        return None
    policy = policy or CustomerPolicy.current()
    return customer.deleted_at + dt.timedelta(days=policy.recycle_retention_days)


def binned_customers():
    return Customer.all_objects.filter(deleted_at__isnull=False)


def bin_customer(customer: Customer, *, by, reason: str, now=None) -> None:
    """Soft delete: the customer moves to the recycle bin with the reason."""
    reason = (reason or "").strip()
    if not may_bin(by, customer):
        raise Refused(gettext("只有负责人、其部门经理、总经理或管理者代表可以删除此客户。"))
    if not reason:
        raise Refused(gettext("请填写删除原因。"))
    now = now or timezone.now()
    with transaction.atomic(), audit.context(user=by, reason=gettext("删除客户（放入回收站）：%(reason)s") % {
            "reason": reason}):
        moved = Customer.all_objects.filter(pk=customer.pk, deleted_at__isnull=True).update(
            deleted_at=now, deleted_by=by, delete_reason=reason[:200], updated_at=now)
    if not moved:
        raise Refused(gettext("该客户已在回收站中。"))
    customer.deleted_at, customer.deleted_by, customer.delete_reason = now, by, reason[:200]


def restore_customer(customer: Customer, *, by, now=None) -> None:
    """Take the customer out of the recycle bin, back into the lists (owner and pool as they were)."""
    if not may_bin(by, customer):
        raise Refused(gettext("只有负责人、其部门经理、总经理或管理者代表可以恢复此客户。"))
    if customer.deleted_at is not None and is_purged(customer):
        raise Refused(gettext("已清除的客户不能恢复。"))
    now = now or timezone.now()
    try:
        with transaction.atomic(), audit.context(user=by, reason=gettext("从回收站恢复客户")):
            restored = Customer.all_objects.filter(pk=customer.pk, deleted_at__isnull=False).exclude(
                delete_reason__startswith=PURGED_MARK).update(deleted_at=None, deleted_by=None, delete_reason="",
                                                             updated_at=now)
    except IntegrityError:  # §1 the name is unique: a live customer took it while this one was in the bin
        raise Refused(gettext("已有同名客户“%(name)s”，不能恢复；请先修改或删除现有的同名客户。") % {
            "name": customer.name}) from None
    if not restored:
        raise Refused(gettext("该客户不在回收站中。"))
    customer.deleted_at, customer.deleted_by, customer.delete_reason = None, None, ""


def purge_customer(customer: Customer, *, by, reason: str, now=None) -> str:
    """Purge a customer from the bin (see the module's docstring). Returns "deleted" or "anonymised"."""
    reason = (reason or "").strip()
    if not may_purge(by):
        raise Refused(gettext("只有系统管理员可以彻底删除回收站中的客户。"))
    if customer.deleted_at is None:
        raise Refused(gettext("只能彻底删除回收站中的客户。"))
    if is_purged(customer):
        raise Refused(gettext("该客户已清除。"))
    if not reason:
        raise Refused(gettext("请填写彻底删除的原因。"))
    now = now or timezone.now()
    policy = CustomerPolicy.current()
    allowed_from = purge_allowed_from(customer, policy)
    if allowed_from > now:
        raise Refused(gettext("客户在回收站中保留满 %(days)d 天后才能彻底删除，请于 %(date)s 之后再操作。") % {
            "days": policy.recycle_retention_days, "date": date_format(timezone.localtime(allowed_from), "Y-m-d")})
    text = gettext("彻底删除回收站中的客户“%(name)s”：%(reason)s") % {"name": customer.name, "reason": reason}
    with transaction.atomic(), audit.context(user=by, reason=text):
        locked = Customer.all_objects.select_for_update().filter(pk=customer.pk, deleted_at__isnull=False).first()
        if locked is None or is_purged(locked):
            raise Refused(gettext("该客户已不在回收站中，请刷新页面。"))
        if not OwnershipChange.objects.filter(customer=locked).exists():
            try:
                with transaction.atomic():
                    _delete(locked)
                return "deleted"
            except (ProtectedError, IntegrityError):
                pass  # another app's record refers to it: anonymise instead
        _anonymise(locked, reason)
    customer.name, customer.delete_reason = locked.name, locked.delete_reason
    return "anonymised"


def _delete(customer: Customer) -> None:
    visits = list(Visit.objects.filter(customer=customer).values_list("pk", flat=True))
    if visits:
        Deadline.objects.filter(content_type=ContentType.objects.get_for_model(Visit), object_id__in=visits,
                                state=Deadline.State.OPEN).update(state=Deadline.State.CANCELLED,
                                                                  closed_at=timezone.now(), next_action_at=None)
    Visit.objects.filter(customer=customer).delete()
    FollowUp.objects.filter(customer=customer).delete()
    BusinessRecord.objects.filter(customer=customer).delete()
    Contact.objects.filter(customer=customer).delete()
    Customer.all_objects.filter(pk=customer.pk).delete()


def _anonymise(customer: Customer, reason: str) -> None:
    Contact.objects.filter(customer=customer).update(
        name=gettext("已清除"), salutation="", position="", mobile="", email="", qq="", remarks="",
        is_active=False, is_primary=False)
    customer.name = gettext("已清除客户 #%(id)d") % {"id": customer.pk}
    fill_name_keys(customer)
    fields = {name: "" for name in IDENTIFYING_FIELDS}
    fields.update(name=customer.name, name_key=customer.name_key, name_pinyin=customer.name_pinyin,
                  name_initials=customer.name_initials,
                  delete_reason=f"{PURGED_MARK} {reason}"[:200], updated_at=timezone.now())
    Customer.all_objects.filter(pk=customer.pk).update(**fields)
    customer.delete_reason = fields["delete_reason"]
