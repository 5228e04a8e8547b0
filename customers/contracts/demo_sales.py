"""Demo data of opportunities and payments (§2 商机 / 回款), registered in ``customers.demo.SEEDERS`` after the
customers; idempotent.

- ``seed_opportunities``: opportunities of the demo key accounts in every stage (won and lost with their reasons),
  for the two salespeople, so that the list and the funnel have something to show.
- ``seed_payments``: four registered contracts (rows made directly; the contract pages are helper A's) with their
  payment plans: one paid in full (with a reversed and re-entered payment), one partly paid with an overdue
  instalment, one with an instalment long overdue (escalated) and one due in a few days
  (reminded), the last one won from an opportunity.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.contracts.models import (Contract, ContractLine, ContractStatus, Opportunity, OpportunityStage,
                                        PaymentInstalment)
from customers.contracts.services import opportunities, payments
from customers.models import Customer
from qms import audit, deadlines, workflow
from qms.numbering import next_number
from qms.workdays import WorkingCalendar

S = OpportunityStage

# customer, owner code, title, amount, days to the expected close, stages passed (the last is where it stands),
# reason of the last move (won / lost)
OPPORTUNITIES = [
    ("北京华信科技股份有限公司", "sales", "手术室设备更新项目", 680_000, 45, [S.LEAD], ""),
    ("深圳前海电子商务有限公司", "sales", "电商渠道年度框架采购", 320_000, 30, [S.NEEDS], ""),
    ("上海浦江国际贸易有限公司", "sales2", "出口型号认证与首批订单", 450_000, 25, [S.NEEDS, S.PROPOSAL], ""),
    ("苏州工业园区精密机械有限公司", "sales", "精密配件二期", 180_000, 15, [S.PROPOSAL, S.NEGOTIATION], ""),
    ("广州天河物业管理有限公司", "sales2", "物业消毒设备替换", 96_000, 20, [S.NEGOTIATION], ""),
    ("武汉光谷生物医疗器械有限公司", "sales", "检测试剂配套耗材", 260_000, 10,
     [S.NEEDS, S.PROPOSAL, S.NEGOTIATION, S.WON], "客户确认报价与交期，已签回合同。"),
    ("杭州西湖教育咨询有限公司", "sales2", "实训室设备", 150_000, 5, [S.PROPOSAL, S.LOST],
     "客户预算削减，项目取消。"),
    ("成都天府软件园信息技术有限公司", "sales2", "机房配套设备", 75_000, 35, [S.LEAD], ""),
]


@transaction.atomic
def seed_opportunities(users, stdout):
    titles = [row[2] for row in OPPORTUNITIES]
    if Opportunity.objects.filter(title__in=titles).exists():
        return
    customers = {c.name: c for c in Customer.objects.filter(name__in=[row[0] for row in OPPORTUNITIES],
                                                            owner__isnull=False)}
    today = timezone.localdate()
    made = 0
    for name, owner_code, title, amount, days, stages, reason in OPPORTUNITIES:
        customer = customers.get(name)
        if customer is None:
            continue
        owner = users[owner_code]
        opportunity = opportunities.create_opportunity(
            by=owner, customer=customer, owner=customer.owner, title=title, expected_amount=Decimal(amount),
            expected_close_on=today + dt.timedelta(days=days), stage=stages[0], notes="演示数据")
        for stage in stages[1:]:
            workflow.perform(opportunity, stage, customer.owner, reason=reason if stage in (S.WON, S.LOST) else "")
        made += 1
    stdout.write(f"  opportunities: {made} in every stage\n")


# title, customer, owner code, amount, from the won opportunity (its title) or "", plan: (days from today,
# share of the amount in %, paid share of that instalment in %) — past days are due already
CONTRACTS = [
    ("华信年度耗材供货合同", "北京华信科技股份有限公司", "sales", 300_000, "",
     [(-90, 30, 100), (-30, 40, 100), (20, 30, 0)]),
    ("浦江出口首批订单", "上海浦江国际贸易有限公司", "sales2", 200_000, "",
     [(-40, 50, 40), (25, 50, 0)]),
    ("天河物业消毒设备合同", "广州天河物业管理有限公司", "sales2", 80_000, "",
     [(-25, 60, 0), (None, 40, 0)]),
    ("检测试剂配套耗材合同", "武汉光谷生物医疗器械有限公司", "sales", 260_000, "检测试剂配套耗材",
     [(-5, 30, 100), (45, 70, 0)]),
]


def _in_working_days(n: int) -> dt.date:
    return WorkingCalendar().add_working_days(timezone.localdate(), n)


@transaction.atomic
def seed_payments(users, stdout):
    titles = [row[0] for row in CONTRACTS]
    if Contract.objects.filter(title__in=titles).exists():
        return
    customers = {c.name: c for c in Customer.objects.filter(name__in=[row[1] for row in CONTRACTS])}
    finance = users["finance"]
    today = timezone.localdate()
    now = timezone.now()
    made = 0
    for title, customer_name, owner_code, amount, from_opportunity, plan in CONTRACTS:
        customer = customers.get(customer_name)
        if customer is None:
            continue
        owner = users[owner_code]
        opportunity = Opportunity.objects.filter(title=from_opportunity).first() if from_opportunity else None
        ordered_on = today + dt.timedelta(days=min(days or 0 for days, _share, _paid in plan) - 10)
        with audit.context(user=owner, reason="演示数据"):
            contract = Contract.objects.create(
                number=next_number("contract", ordered_on, prefix_default="HT", name_default="合同"),
                customer=customer, opportunity=opportunity, title=title, ordered_on=ordered_on,
                delivery_date=ordered_on + dt.timedelta(days=30), payment_terms="按回款计划分期付款",
                total_amount=Decimal(amount), owner=owner, created_by=owner, status=ContractStatus.REGISTERED,
                status_changed_at=now, registered_at=now, registered_by=users["gm"])
            ContractLine.objects.create(contract=contract, line_no=1, product=title.replace("合同", ""),
                                        quantity=Decimal(1), unit_price=Decimal(amount))
        rows = []
        for days, share, _paid in plan:
            due_on = _in_working_days(2) if days is None else today + dt.timedelta(days=days)
            rows.append(payments.PlanRow(due_on=due_on, amount=(Decimal(amount) * share / 100).quantize(
                Decimal("0.01"))))
        instalments = payments.save_plan(contract, rows, by=owner)
        for instalment, (_days, _share, paid) in zip(instalments, plan):
            if not paid:
                continue
            received_on = min(instalment.due_on, today)
            value = (instalment.amount * paid / 100).quantize(Decimal("0.01"))
            if title == CONTRACTS[0][0] and instalment.seq == 1:
                # entered with a wrong amount, reversed by finance, entered again
                wrong = payments.record_payment(instalment, by=finance, amount=value - Decimal("1000"),
                                                received_on=received_on, method="银行转账", reference="YH-0001")
                payments.reverse_payment(wrong, by=finance, reason="金额录入错误，按银行回单重新登记")
                instalment.refresh_from_db()
            payments.record_payment(instalment, by=finance, amount=value, received_on=received_on,
                                    method="银行转账", reference=f"YH-{contract.pk:04d}-{instalment.seq}")
        made += 1
    # the back-dated plans: the tick at each overdue instalment's escalation moment first (the sales manager is
    # told), then now (only the latest stage of a deadline is sent at once)
    calendar = WorkingCalendar()
    for instalment in PaymentInstalment.objects.filter(contract__title__in=titles, settled_at__isnull=True,
                                                       due_on__lt=today).select_related("contract").order_by("due_on"):
        moment = calendar.next_working_moment(payments.escalation_time(instalment))
        if moment < now:
            deadlines.tick(now=moment)
    deadlines.tick()
    stdout.write(f"  payments: {made} registered contracts with payment plans (paid, partly paid, overdue)\n")


SEEDERS = [seed_opportunities, seed_payments]
