"""Demo data of key accounts (PROCEDURES.md §1), registered in ``CustomersConfig.ready`` in the order of
``SEEDERS``; each seeder is idempotent.

- ``seed_customers``: 24 companies of grades A, B and C owned by the two salespeople or in the pool, with
  contacts, follow-ups of various ages (some close to returning to the pool) and business records, so that the
  lists, the pool clock and the ABC grading have something to show.
- ``seed_pool``: three customers a few days from returning to the pool (their owners get tonight's warning
  now), and one that already went back to the pool from sales2 — who may not claim it again for the
  reclaim-block period.
- ``seed_visits``: this month's visit plan for the demo customers; one visit arranged with its record overdue
  (escalated to the sales manager), two arranged for the coming days, one recorded.
- ``seed_contracts`` (``customers.contracts.demo_review``): contracts in every state of the review and register.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.contracts import demo_sales
from customers.models import (BusinessRecord, Contact, Customer, CustomerOption, CustomerPolicy, FollowUpKind,
                              OptionKind, Rating, Region, Visit, VisitKind, VisitStatus)
from customers.contracts.demo_review import seed_contracts
from customers.contracts.demo_fulfilment import seed_fulfilment
from customers.services import pool
from customers.services import visits as visit_service
from customers.services.records import create_customer, record_follow_up
from qms import audit, deadlines
from qms.workdays import WorkingCalendar

# name, grade, owner ("sales", "sales2" or None: the pool), (province, city) codes, industry, yearly revenue (元),
# days since created, days since the last follow-up (None: never), contact (name, position, mobile)
CUSTOMERS = [
    ("北京华信科技股份有限公司", "A", "sales", ("11", "110108"), "制造业", 1_200_000, 420, 6, ("王建国", "采购总监", "13801012345")),
    ("上海浦江国际贸易有限公司", "A", "sales2", ("31", "310115"), "对外贸易", 950_000, 380, 12, ("李晓梅", "总经理", "13916023456")),
    ("深圳前海电子商务有限公司", "A", "sales", ("44", "4403"), "电子商务", 860_000, 300, 20, ("陈志强", "运营总监", "13723034567")),
    ("杭州西湖教育咨询有限公司", "A", "sales2", ("33", "3301"), "教育/培训", 700_000, 260, 83, ("赵丽", "校长", "13605745678")),
    ("苏州工业园区精密机械有限公司", "B", "sales", ("32", "3205"), "制造业", 210_000, 200, 9, ("周明", "设备部经理", "13962156789")),
    ("广州天河物业管理有限公司", "B", "sales2", ("44", "4401"), "物业/地产", 180_000, 190, 15, ("吴芳", "行政主管", "13802267890")),
    ("南京金陵对外贸易有限公司", "B", "sales", ("32", "3201"), "对外贸易", 160_000, 150, 55, ("郑伟", "业务经理", "13913378901")),
    ("成都天府软件园信息技术有限公司", "B", "sales2", ("51", "5101"), "电子商务", 140_000, 140, 28, ("孙磊", "技术总监", "13881489012")),
    ("武汉光谷生物医疗器械有限公司", "B", "sales", ("42", "4201"), "制造业", 120_000, 120, 40, ("钱红", "质量经理", "13971590123")),
    ("天津滨海新区港务物流有限公司", "B", "sales2", ("12", "120116"), "其他", 100_000, 110, 3, ("冯军", "物流经理", "13502201234")),
    ("青岛海滨食品有限公司", "C", "sales", ("37", "3702"), "制造业", 40_000, 100, 25, ("褚静", "采购员", "13806392345")),
    ("北京朝阳启明培训学校", "C", "sales2", ("11", "110105"), "教育/培训", 35_000, 95, 27, ("卫东", "教务主任", "13701113456")),
    ("上海静安优品网络科技有限公司", "C", "sales", ("31", "310106"), "电子商务", 30_000, 90, 2, ("蒋丽娟", "市场经理", "13524564567")),
    ("深圳南山创新电子有限公司", "C", "sales2", ("44", "4403"), "制造业", 25_000, 80, 18, ("沈涛", "采购经理", "13612345678")),
    ("杭州滨江云端数据服务有限公司", "C", "sales", ("33", "3301"), "电子商务", 20_000, 70, 29, ("韩梅", "商务经理", "15868126789")),
    ("苏州吴中家居用品有限公司", "C", "sales2", ("32", "3205"), "其他", 18_000, 60, 10, ("杨帆", "总经理助理", "15062147890")),
    ("广州越秀职业培训中心", "C", "sales", ("44", "4401"), "教育/培训", 15_000, 50, 22, ("朱琳", "培训主管", "18620258901")),
    ("南京江宁汽车配件有限公司", "C", "sales2", ("32", "3201"), "制造业", 12_000, 45, None, ("秦峰", "采购主管", "18951769012")),
    ("成都锦江文化传播有限公司", "C", "sales", ("51", "5101"), "其他", 9_000, 35, 14, ("尤佳", "策划总监", "18980070123")),
    ("武汉江汉跨境电商有限公司", "C", "sales2", ("42", "4201"), "对外贸易", 8_000, 30, 5, ("许诺", "运营主管", "18607181234")),
    ("天津和平区明德教育科技有限公司", "C", None, ("12", "120101"), "教育/培训", 6_000, 200, None, ("何静", "负责人", "13820092345")),
    ("青岛崂山矿泉水有限公司", "C", None, ("37", "3702"), "制造业", 5_000, 160, None, ("吕强", "销售经理", "13953203456")),
    ("重庆渝中商贸有限公司", "C", None, ("50", "500103"), "对外贸易", 0, 30, None, ("施洋", "经理", "13908314567")),
    ("西安高新区智能装备有限公司", "C", None, ("61", "6101"), "制造业", 0, 10, None, ("张涛", "技术经理", "13709215678")),
]

STATUS_BY_GRADE = {"A": "合作中", "B": "合作中", "C": "意向客户"}
RATING_BY_GRADE = {"A": Rating.THREE, "B": Rating.TWO, "C": Rating.ONE}
FOLLOW_UP_TEXT = {
    FollowUpKind.CALL: "电话沟通下季度采购计划，客户表示需求稳定。",
    FollowUpKind.VISIT: "上门拜访，了解新产线建设进度，介绍新产品。",
    FollowUpKind.EMAIL: "发送报价单及产品资料，等待客户确认。",
}


def _option(kind, label):
    return CustomerOption.objects.filter(kind=kind, label=label).first()


def _region(code):
    return Region.objects.filter(code=code).first()


@transaction.atomic
def seed_customers(users, stdout):
    names = [row[0] for row in CUSTOMERS]
    if Customer.all_objects.filter(name__in=names).exists():
        return
    now = timezone.now()
    today = timezone.localdate()
    for (name, grade, owner_code, (province, city), industry, revenue, created_days, follow_up_days,
         (contact_name, position, mobile)) in CUSTOMERS:
        owner = users.get(owner_code) if owner_code else None
        creator = owner or users["sales"]
        customer = create_customer(
            by=creator, owner=owner, to_pool=owner is None,
            contacts=[Contact(name=contact_name, position=position, mobile=mobile, salutation=contact_name[0] + "总"
                              if "总" in position else "", is_primary=True)],
            reason="演示数据",
            name=name, grade=grade, rating=RATING_BY_GRADE[grade],
            industry=_option(OptionKind.INDUSTRY, industry), status=_option(OptionKind.STATUS, STATUS_BY_GRADE[grade]),
            source=_option(OptionKind.SOURCE, "客户介绍" if grade == "A" else "电话营销"),
            nature=_option(OptionKind.NATURE, "民营"),
            revenue_band=_option(OptionKind.REVENUE, "50万以上" if revenue >= 500_000 else "20-50万"
                                 if revenue >= 200_000 else "10-20万" if revenue >= 100_000 else "0-10万"),
            province=_region(province), city=_region(city), address="科技路 88 号",
            relationship_started_on=today - dt.timedelta(days=created_days) if grade != "C" else None,
            needs="稳定供货、快速响应售后。" if grade == "A" else "",
        )
        created_at = now - dt.timedelta(days=created_days)
        with audit.context(user=creator, reason="演示数据"):
            Customer.objects.filter(pk=customer.pk).update(
                created_at=created_at, owner_since=created_at if owner else None,
                pool_entered_at=None if owner else created_at)
        customer.refresh_from_db()
        contact = customer.contacts.first()
        if follow_up_days is not None and owner is not None:
            kinds = [FollowUpKind.VISIT, FollowUpKind.EMAIL, FollowUpKind.CALL]
            for index, days in enumerate(sorted({min(created_days, follow_up_days + 30 * k) for k in (2, 1, 0)},
                                                reverse=True)):
                kind = kinds[index % len(kinds)]
                record_follow_up(customer, by=owner, kind=kind, content=FOLLOW_UP_TEXT[kind], contact=contact,
                                 occurred_at=now - dt.timedelta(days=days, hours=2),
                                 next_step="月底前回访确认订单" if days == follow_up_days else "")
        if revenue:
            # the year's revenue in four orders, the last one recent enough for this year's ABC analysis
            quarters = [Decimal(revenue) * share for share in (Decimal("0.4"), Decimal("0.3"), Decimal("0.2"),
                                                                Decimal("0.1"))]
            with audit.context(user=creator, reason="演示数据"):
                BusinessRecord.objects.bulk_create([
                    BusinessRecord(customer=customer,
                                   occurred_on=today - dt.timedelta(days=min(created_days, 20 + 80 * i)),
                                   amount=amount.quantize(Decimal("0.01")), description=f"第 {4 - i} 批订单",
                                   recorded_by=creator)
                    for i, amount in enumerate(quarters)])
    stdout.write(f"  customers: {len(CUSTOMERS)} demo customers\n")


# --- the customer pool ------------------------------------------------------------------------------------
# name, grade, owner code, days before the return time (negative: already past), contact (name, position, mobile)
ABOUT_TO_RETURN = [
    ("厦门鹭岛进出口贸易有限公司", "C", "sales2", 3, ("林海", "采购经理", "13906011234")),
    ("合肥科联电子技术有限公司", "B", "sales", 5, ("方敏", "技术主管", "13856021234")),
    ("长沙湘江机电设备有限公司", "C", "sales2", 2, ("欧阳平", "设备科长", "13787031234")),
]
RETURNED = ("郑州中原物流装备有限公司", "C", "sales2", ("马俊", "物流总监", "13838041234"))


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


# --- visits -----------------------------------------------------------------------------------------------
def seed_visits(users, stdout):
    """This month's plan for the demo customers; one visit arranged with its record overdue (escalated to the
    sales manager), two arranged for the coming days, one recorded. Idempotent."""
    names = [row[0] for row in CUSTOMERS]
    demo_customers = list(Customer.objects.filter(name__in=names, owner__isnull=False).select_related("owner"))
    if not demo_customers:
        return
    today = timezone.localdate()
    result = visit_service.generate_visit_plans(today, customers=demo_customers)
    month_visits = (Visit.objects.filter(customer__in=demo_customers, period_start__gte=today.replace(day=1),
                                         period_start__lte=today)
                    .select_related("customer__owner", "owner"))
    if month_visits.exclude(status=VisitStatus.PLANNED).exclude(period_end__lt=today).exists():
        stdout.write(f"  visits: {result.created} planned\n")
        return
    now = timezone.now()
    # The demo starts mid-month: the weeks already past were never planned for real, so they are cancelled
    # rather than left to flood the managers with escalations.
    for visit in month_visits.filter(period_end__lt=today, status__in=visit_service.OPEN_STATUSES):
        visit_service.cancel_visit(visit, by=users["mr"], reason="演示数据：生成计划前已过去的周期")
    by_owner = {}
    planned = month_visits.filter(kind=VisitKind.VISIT, status=VisitStatus.PLANNED)
    for visit in planned.order_by("customer__created_at", "pk"):
        by_owner.setdefault(visit.owner.username, []).append(visit)
    sales2, sales = by_owner.get("sales2", []), by_owner.get("sales", [])
    if sales2:
        # arranged some days ago, record never handed in: overdue long enough (holidays included) for the tick
        # to escalate it to the sales manager
        arranged_at = timezone.localtime(now - dt.timedelta(days=3)).replace(hour=10, minute=0, second=0,
                                                                               microsecond=0)
        # (escalations wait for office hours of a working day, and only the current stage is sent: the demo ticks
        # at the moment escalation 1 went out, so that it reaches the sales manager)
        calendar = WorkingCalendar()
        escalation_1 = calendar.next_working_moment(visit_service.record_due(arranged_at) + dt.timedelta(days=1))
        while escalation_1 >= now:
            arranged_at -= dt.timedelta(days=1)
            escalation_1 = calendar.next_working_moment(visit_service.record_due(arranged_at) + dt.timedelta(days=1))
        visit_service.arrange_visit(sales2[0], by=sales2[0].owner, arranged_at=arranged_at)
        deadlines.tick(now=escalation_1)
    for visit in (sales[:1] + sales2[1:2]):
        tomorrow = timezone.localtime(now + dt.timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
        visit_service.arrange_visit(visit, by=visit.owner, arranged_at=tomorrow)
    if len(sales) > 1:
        visit = sales[1]
        visit_service.record_visit(visit, by=visit.owner, visited_at=now - dt.timedelta(hours=2),
                                   contact=visit.customer.primary_contact, purpose="了解季度采购计划",
                                   content="上门拜访采购部，确认下季度需求稳定，客户希望缩短交期。",
                                   outcome="客户同意试用新型号样品。", next_step="一周内寄送样品")
    deadlines.tick()
    stdout.write(f"  visits: {result.created} planned, 3 arranged (1 overdue), 1 recorded\n")


# §2 special requirements, shipments and customer property come after the customers and contracts they belong to
SEEDERS = [seed_customers, seed_pool, seed_visits, seed_contracts, *demo_sales.SEEDERS, seed_fulfilment]
