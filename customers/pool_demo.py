"""Demo data of the customer pool (PROCEDURES.md §1): three customers a few days from returning to the pool (their
owners get tonight's warning now), and one that already went back to the pool from sales2 — who may not claim
it again for the reclaim-block period. Idempotent."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from customers.models import Contact, Customer, CustomerPolicy, FollowUpKind
from customers.services import pool
from customers.services.records import create_customer, record_follow_up
from qms import audit
from qms.registry import register_demo_seeder

# name, grade, owner code, days before the return time (negative: already past), contact (name, position, mobile)
ABOUT_TO_RETURN = [
    ("厦门鹭岛进出口贸易有限公司", "C", "sales2", 3, ("林海", "采购经理", "13906011234")),
    ("合肥科联电子技术有限公司", "B", "sales", 5, ("方敏", "技术主管", "13856021234")),
    ("长沙湘江机电设备有限公司", "C", "sales2", 2, ("欧阳平", "设备科长", "13787031234")),
]
RETURNED = ("郑州中原物流装备有限公司", "C", "sales2", ("马俊", "物流总监", "13838041234"))


@register_demo_seeder
@transaction.atomic
def seed_pool(users, stdout):
    names = [row[0] for row in ABOUT_TO_RETURN] + [RETURNED[0]]
    if Customer.all_objects.filter(name__in=names).exists():
        return
    policy = CustomerPolicy.current()
    now = timezone.now()
    for name, grade, owner_code, days_left, contact in ABOUT_TO_RETURN:
        owner = users[owner_code]
        customer = _customer(owner, name, grade, contact, created_days=policy.return_days(grade) + 60, now=now)
        record_follow_up(customer, by=owner, kind=FollowUpKind.CALL, contact=customer.contacts.first(),
                         content="电话沟通采购计划，客户表示下月再议。",
                         occurred_at=now - dt.timedelta(days=policy.return_days(grade) - days_left))
    name, grade, owner_code, contact = RETURNED
    customer = _customer(users[owner_code], name, grade, contact, created_days=policy.return_days(grade) + 5, now=now)
    pool.return_one(customer.pk, policy=policy, now=now)
    warned = pool.warn_before_return(now)
    stdout.write(f"  pool: {len(ABOUT_TO_RETURN)} customers about to return ({warned} warnings), 1 returned\n")


def _customer(owner, name, grade, contact, *, created_days, now) -> Customer:
    contact_name, position, mobile = contact
    customer = create_customer(by=owner, owner=owner, reason="演示数据", name=name, grade=grade,
                               contacts=[Contact(name=contact_name, position=position, mobile=mobile, is_primary=True)])
    created_at = now - dt.timedelta(days=created_days)
    with audit.context(user=owner, reason="演示数据"):
        Customer.objects.filter(pk=customer.pk).update(created_at=created_at, owner_since=created_at)
    customer.refresh_from_db()
    return customer
