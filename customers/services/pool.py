"""The customer pool (客户池 / 公海) of PROCEDURES.md §1: claiming, releasing, bulk transfer (批量转移), the
automatic return of customers nobody follows up, and the warning before it.

Who may do what (declared in ``customers.rules``; the pages and these services answer alike):

- **claim** — salespeople: users holding the role 销售 (the sales manager holds it too). GM and MR do not
  hold customers themselves, they hand them out by transfer; a superuser is an administrator, not a
  salesperson. Limits: ``CustomerPolicy.claim_limit`` customers held, ``daily_claim_limit`` claims per
  calendar day (Asia/Shanghai), and the reclaim block: a customer that returned to the pool from a user
  (automatically or released) cannot be claimed by that user again for ``reclaim_block_days`` — so that
  nobody resets the clock by releasing and claiming again.
- **release** — the owner, the manager of the owner's department, GM, MR (and superusers), with a reason.
- **transfer** — GM, MR (and superusers): any customer to anyone or to the pool; a department manager: the
  customers of the members of the departments they manage, and pool customers, to those members or to the
  pool. All or nothing; the new owner's holding limit applies.

Every ownership move goes through ``change_owner`` (one ``OwnershipChange`` row each, append-only)
inside ``audit.context``; each is one transaction with the customer's row locked, so that two people claiming
the same customer at once cannot both win.

**The pool clock.** A customer's return time is its latest follow-up, else the day its owner took it, else its
creation, plus ``return_days(grade)`` calendar days (``CustomerPolicy.return_due``). ``return_due_customers``
(daily beat task) gives customers past that time back to the pool (kind AUTO_RETURNED, by nobody).
``warn_before_return`` tells the owner once, ``return_warning_days`` before. "Once" is kept without a table
of its own: the warning is a ``Notification`` whose link names the customer and the return time
(``…?tab=ownership&return_due=<epoch>``); a run finds the warnings already sent by their links, and runs are
serialised by a PostgreSQL advisory lock. A follow-up or a new owner moves the return time, so the next clock
period gets its own warning. (A ``qms.deadlines`` deadline was not used: it would need re-dating on every
follow-up, which ``records.record_follow_up`` does not do, and its overdue/escalation notices do not fit a
customer that simply goes back to the pool.)
"""
from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from functools import reduce

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from customers import rules as customer_rules
from customers.models import Customer, CustomerPolicy, Grade, OwnershipChange, OwnershipKind
from customers.services.visits import hand_over_open_visits
from qms import audit
from qms.notifications import Notification, notify
from qms.people import User
from qms.refusals import Refused

# pg_advisory_xact_lock key of warn_before_return ("pool" in ASCII)
WARNING_LOCK = 0x706F6F6C


# --- who may do what (the predicates are declared in customers.rules) ------------------------------------
def is_salesperson(user) -> bool:
    return customer_rules.is_salesperson.test(user)


def may_manage(user, customer) -> bool:
    """Owner, the manager of the owner's department, GM, MR: may release or bin the customer.
    A pool customer (no owner): GM and MR only."""
    return customer_rules.may_manage.test(user, customer)


def may_transfer(user, customer=None) -> bool:
    """Bulk transfer: GM, MR (any customer); a department manager (their department's customers and the pool)."""
    return customer_rules.may_transfer.test(user, customer)


def _sees_all(user) -> bool:
    return customer_rules.is_manager.test(user)


def _manages_any_department(user) -> bool:
    return user.manages_a_department()


def transfer_targets(user):
    """The people ``user`` may transfer customers to (the pool is always allowed)."""
    users = User.objects.filter(is_active=True).select_related("department").order_by("department__code",
                                                                                      "full_name", "username")
    if _sees_all(user):
        return users
    return users.filter(Q(department__manager=user) | Q(pk=user.pk))


def transferable_customers(user, queryset):
    """Of ``queryset`` (already limited to what ``user`` may see), the customers ``user`` may transfer."""
    if _sees_all(user):
        return queryset
    if not _manages_any_department(user):
        return queryset.none()
    return queryset.filter(Q(owner__isnull=True) | Q(owner__department__manager=user))


# --- every change of owner ----------------------------------------------------------------------------
def change_owner(customer: Customer, new_owner, *, kind: str, by, reason: str = "", now=None) -> OwnershipChange:
    """Give ``customer`` to ``new_owner`` (None: the pool) and log it; call inside the caller's transaction
    after its own checks (limits, permissions)."""
    now = now or timezone.now()
    change = OwnershipChange.objects.create(customer=customer, kind=kind, from_owner=customer.owner,
                                            to_owner=new_owner, by=by, at=now, reason=reason)
    with audit.context(user=by, reason=reason or OwnershipKind(kind).label):
        Customer.objects.filter(pk=customer.pk).update(
            owner=new_owner, owner_since=now if new_owner else None, pool_entered_at=None if new_owner else now,
            updated_at=now)
    customer.owner = new_owner
    customer.owner_since = now if new_owner else None
    customer.pool_entered_at = None if new_owner else now
    # The customer's open visits follow it to its new owner (or are cancelled when it goes to the pool).
    hand_over_open_visits(customer, by=by)
    return change


# --- claim ----------------------------------------------------------------------------------------------
def local_midnight(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def reclaim_block(customer, user, *, now=None, policy=None) -> OwnershipChange | None:
    """The latest return of ``customer`` from ``user`` (automatic or released) still inside the block period."""
    now = now or timezone.now()
    policy = policy or CustomerPolicy.current()
    if not policy.reclaim_block_days:
        return None
    return (OwnershipChange.objects.filter(
        customer_id=customer.pk, from_owner=user, to_owner__isnull=True,
        kind__in=[OwnershipKind.AUTO_RETURNED, OwnershipKind.RELEASED],
        at__gt=now - dt.timedelta(days=policy.reclaim_block_days)).order_by("-at", "-id").first())


def claim(customer: Customer, user, *, now=None) -> OwnershipChange:
    """``user`` takes ``customer`` from the pool. Raises ``Refused`` with the reason."""
    now = now or timezone.now()
    if customer.owner_id is not None:
        raise Refused(gettext("该客户已有负责人"))
    if not is_salesperson(user):
        raise Refused(gettext("只有销售人员可以领取客户池中的客户。"))
    policy = CustomerPolicy.current()
    with transaction.atomic():
        # One claim at a time per person (the limits are counted under this lock) …
        User.objects.select_for_update().filter(pk=user.pk).first()
        # … and per customer: a second claimer waits here and then finds the owner set.
        locked = Customer.objects.select_for_update(of=("self",)).filter(pk=customer.pk).first()
        if locked is None:
            raise Refused(gettext("该客户已被删除，不能领取。"))
        if locked.owner_id is not None:
            if locked.owner_id == user.pk:
                raise Refused(gettext("该客户已在您名下。"))
            raise Refused(gettext("该客户已被他人领取"))
        block = reclaim_block(locked, user, now=now, policy=policy)
        if block is not None:
            raise Refused(gettext("该客户于 %(date)s 从您名下回收，%(days)d 天内不能再次领取") % {
                "date": date_format(timezone.localtime(block.at), "Y-m-d"), "days": policy.reclaim_block_days})
        held = Customer.objects.filter(owner=user).count()
        if held >= policy.claim_limit:
            raise Refused(gettext("您名下已有 %(held)d 个客户，已达到持有上限 %(limit)d 个，不能再领取。") % {
                "held": held, "limit": policy.claim_limit})
        today = OwnershipChange.objects.filter(kind=OwnershipKind.CLAIMED, to_owner=user,
                                               at__gte=local_midnight(now)).count()
        if today >= policy.daily_claim_limit:
            raise Refused(gettext("您今天已领取 %(count)d 个客户，已达到每日领取上限 %(limit)d 个。") % {
                "count": today, "limit": policy.daily_claim_limit})
        reason = gettext("从客户池领取")
        with audit.context(user=user, reason=reason):
            change = change_owner(locked, user, kind=OwnershipKind.CLAIMED, by=user, reason=reason, now=now)
    customer.owner, customer.owner_since, customer.pool_entered_at = user, locked.owner_since, None
    return change


@dataclass
class ClaimResult:
    claimed: list
    refused: list  # (customer, message)


def claim_many(customers, user, *, now=None) -> ClaimResult:
    """Claim each of ``customers`` in turn (each on its own: one refused does not undo the others)."""
    result = ClaimResult([], [])
    for customer in customers:
        try:
            claim(customer, user, now=now)
        except Refused as refusal:
            result.refused.append((customer, str(refusal)))
        else:
            result.claimed.append(customer)
    return result


# --- release --------------------------------------------------------------------------------------------
def release(customer: Customer, user, reason: str, *, now=None) -> OwnershipChange:
    """Put an owned customer into the pool, with a reason (the owner, their manager, GM or MR)."""
    reason = (reason or "").strip()
    if customer.owner_id is None:
        raise Refused(gettext("该客户已在客户池中。"))
    if not may_manage(user, customer):
        raise Refused(gettext("只有负责人、其部门经理、总经理或管理者代表可以把客户放入客户池。"))
    if not reason:
        raise Refused(gettext("请填写放入客户池的原因。"))
    now = now or timezone.now()
    with transaction.atomic():
        locked = Customer.objects.select_for_update(of=("self",)).select_related("owner").filter(
            pk=customer.pk).first()
        if locked is None or locked.owner_id != customer.owner_id:
            raise Refused(gettext("该客户的负责人已变更，请刷新页面后重试。"))
        former = locked.owner
        with audit.context(user=user, reason=reason):
            change = change_owner(locked, None, kind=OwnershipKind.RELEASED, by=user, reason=reason, now=now)
        if former.pk != user.pk:
            notify(former, lambda: gettext("您的客户已被放入客户池：%(name)s") % {"name": locked.name},
                   lambda: gettext("操作人：%(who)s；原因：%(reason)s") % {"who": user.display_name, "reason": reason},
                   link=locked.get_absolute_url())
    customer.owner, customer.owner_since, customer.pool_entered_at = None, None, locked.pool_entered_at
    return change


# --- bulk transfer --------------------------------------------------------------------------------------
def transfer(customers, to_owner, *, by, reason: str, now=None) -> list[Customer]:
    """批量转移: give ``customers`` to ``to_owner`` (None: the pool). All or nothing; returns the customers
    moved (those already with ``to_owner`` are left as they are)."""
    reason = (reason or "").strip()
    if not may_transfer(by):
        raise Refused(gettext("您没有批量转移客户的权限。"))
    pks = sorted({customer.pk for customer in customers})
    if not pks:
        raise Refused(gettext("请选择要转移的客户。"))
    if not reason:
        raise Refused(gettext("请填写转移原因。"))
    if to_owner is not None:
        if not to_owner.is_active:
            raise Refused(gettext("%(name)s 已停用，不能接收客户。") % {"name": to_owner.display_name})
        if not transfer_targets(by).filter(pk=to_owner.pk).exists():
            raise Refused(gettext("您只能把客户转给本部门的人员或放入客户池。"))
    now = now or timezone.now()
    policy = CustomerPolicy.current()
    target = to_owner.display_name if to_owner else gettext("客户池")
    with transaction.atomic():
        if to_owner is not None:
            User.objects.select_for_update().filter(pk=to_owner.pk).first()  # its holding count stays true
        locked = list(Customer.objects.select_for_update(of=("self",)).select_related("owner__department")
                      .filter(pk__in=pks).order_by("pk"))
        if len(locked) != len(pks):
            raise Refused(gettext("所选客户中有 %(n)d 个已被删除，请刷新页面后重新选择。") % {
                "n": len(pks) - len(locked)})
        forbidden = [c.name for c in locked if not may_transfer(by, c)]
        if forbidden:
            raise Refused(gettext("您无权转移以下客户：%(names)s。") % {"names": "、".join(forbidden[:10])})
        moving = [c for c in locked if c.owner_id != (to_owner.pk if to_owner else None)]
        if not moving:
            raise Refused(gettext("所选客户已全部属于%(target)s，无需转移。") % {"target": target})
        if to_owner is not None:
            held = Customer.objects.filter(owner=to_owner).count()
            if held + len(moving) > policy.claim_limit:
                raise Refused(gettext(
                    "%(name)s 名下已有 %(held)d 个客户，再转入 %(n)d 个将超过持有上限 %(limit)d 个，未转移任何客户。") % {
                    "name": to_owner.display_name, "held": held, "n": len(moving), "limit": policy.claim_limit})
        former_owners: dict = {}
        with audit.context(user=by, reason=reason):
            for customer in moving:
                if customer.owner is not None and customer.owner_id != by.pk:
                    former_owners.setdefault(customer.owner, []).append(customer)
                change_owner(customer, to_owner, kind=OwnershipKind.TRANSFERRED, by=by, reason=reason, now=now)
        if to_owner is not None and to_owner.pk != by.pk:
            notify(to_owner, lambda: ngettext("%(who)s 转给您 %(n)d 个客户", "%(who)s 转给您 %(n)d 个客户", len(moving)) % {
                "who": by.display_name, "n": len(moving)},
                lambda: gettext("原因：%(reason)s") % {"reason": reason} + "\n" + "、".join(c.name for c in moving[:20]),
                link=reverse("customers:list") + "?scope=mine")
        for former, theirs in former_owners.items():
            notify(former, lambda: ngettext("您的 %(n)d 个客户已转给%(target)s", "您的 %(n)d 个客户已转给%(target)s",
                                    len(theirs)) % {"n": len(theirs), "target": target},
                   lambda: gettext("操作人：%(who)s；原因：%(reason)s") % {"who": by.display_name, "reason": reason}
                   + "\n" + "、".join(c.name for c in theirs[:20]))
    return moving


# --- the pool clock -------------------------------------------------------------------------------------
def pool_clock():
    """The start of the customer's pool clock (PostgreSQL GREATEST ignores NULLs), as ``return_due`` reads it."""
    return Greatest("last_follow_up_at", "owner_since", "created_at")


def _grade_days(policy):
    return [(Q(grade=Grade.A), policy.return_days_a), (Q(grade=Grade.B), policy.return_days_b),
            (~Q(grade__in=[Grade.A, Grade.B]), policy.return_days_c)]


def due_between(policy, after: dt.datetime | None, until: dt.datetime | None) -> Q:
    """Customers (annotated with ``pool_clock``) whose return time is in (after, until]."""
    parts = []
    for grade, days in _grade_days(policy):
        delta = dt.timedelta(days=days)
        condition = grade
        if until is not None:
            condition &= Q(pool_clock__lte=until - delta)
        if after is not None:
            condition &= Q(pool_clock__gt=after - delta)
        parts.append(condition)
    return reduce(operator.or_, parts)


def owned_with_clock():
    return Customer.objects.filter(owner__isnull=False).annotate(pool_clock=pool_clock())


def return_due_customers(now=None) -> int:
    """Give every owned customer past its return time back to the pool; returns how many went back."""
    now = now or timezone.now()
    policy = CustomerPolicy.current()
    ids = list(owned_with_clock().filter(due_between(policy, None, now)).order_by("pk").values_list("pk", flat=True))
    return sum(1 for pk in ids if return_one(pk, policy=policy, now=now))


def return_one(pk, *, policy=None, now=None) -> bool:
    """Give one customer back to the pool if it is past its return time (checked under the row lock)."""
    now = now or timezone.now()
    policy = policy or CustomerPolicy.current()
    with transaction.atomic():
        customer = (Customer.objects.select_for_update(of=("self",)).select_related("owner")
                    .filter(pk=pk, owner__isnull=False).first())
        if customer is None:
            return False
        due = policy.return_due(customer)
        if due is None or due > now:  # followed up since the list was read
            return False
        days = policy.return_days(customer.grade)
        former = customer.owner
        reason = gettext("超过 %(days)d 天未跟进，自动回收到客户池") % {"days": days}
        with audit.context(user=None, reason=reason):
            change_owner(customer, None, kind=OwnershipKind.AUTO_RETURNED, by=None, reason=reason, now=now)
        notify(former, lambda: gettext("客户已回收到客户池：%(name)s") % {"name": customer.name},
               lambda: gettext("%(days)d 天内没有跟进记录，客户已于 %(date)s 自动回收到客户池，%(block)d 天内您不能再次领取。") % {
                   "days": days, "date": date_format(timezone.localtime(now), "Y-m-d"),
                   "block": policy.reclaim_block_days},
               link=customer.get_absolute_url(), level=Notification.Level.WARNING)
    return True


def warning_link(customer: Customer, due: dt.datetime) -> str:
    """The link of the warning for one clock period: names the customer and its return time."""
    return f"{customer.get_absolute_url()}?tab=ownership&return_due={int(due.timestamp())}"


def warn_before_return(now=None) -> int:
    """Tell each owner, ``return_warning_days`` before, that their customer will return to the pool: once
    per customer and return time, however often this runs. Returns the number of warnings sent."""
    now = now or timezone.now()
    policy = CustomerPolicy.current()
    if not policy.return_warning_days:
        return 0
    window = dt.timedelta(days=policy.return_warning_days)
    sent = 0
    with transaction.atomic():
        with connection.cursor() as cursor:  # a retry beside the beat run waits here, then finds the warnings
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WARNING_LOCK])
        customers = list(owned_with_clock().filter(due_between(policy, now, now + window))
                         .select_related("owner").order_by("pk"))
        wanted = {(c.owner_id, warning_link(c, policy.return_due(c))): c for c in customers}
        done = set(Notification.objects.filter(recipient_id__in={owner for owner, _link in wanted},
                                               link__in=[link for _owner, link in wanted])
                   .values_list("recipient_id", "link"))
        for (owner_id, link), customer in wanted.items():
            if (owner_id, link) in done:
                continue
            due = policy.return_due(customer)
            note = notify(customer.owner, lambda: gettext("客户即将回收到客户池：%(name)s") % {"name": customer.name},
                          lambda: gettext("该客户将于 %(due)s 自动回收到客户池（%(days)d 天未跟进），请及时跟进。") % {
                              "due": date_format(timezone.localtime(due), "Y-m-d H:i"),
                              "days": policy.return_days(customer.grade)},
                          link=link, level=Notification.Level.REMINDER)
            sent += note is not None
    return sent


def returning_soon(user, *, now=None, limit: int = 200) -> list[tuple[Customer, dt.datetime]]:
    """``user``'s customers that return to the pool within the warning window (or are past due and wait for
    tonight's run), soonest first, with their return time. Two queries whatever the number."""
    now = now or timezone.now()
    policy = CustomerPolicy.current()
    window = dt.timedelta(days=policy.return_warning_days)
    rows = (Customer.objects.filter(owner=user).annotate(pool_clock=pool_clock())
            .filter(due_between(policy, None, now + window)).order_by("pool_clock", "pk")[:limit])
    result = [(customer, policy.return_due(customer)) for customer in rows]
    return sorted(result, key=lambda pair: (pair[1], pair[0].pk))
