"""Helpers for the production tests: a process card, a task order taken along its workflow, a lot worked and
inspected at its current operation."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from qms import workflow
from production.models import ProcessCard, ProcessStep, TaskOrderStatus as S
from production.services import lots, orders

PASSWORD = "Demo@2026"


def card(code="GY-T01", steps=((10, "下料"), (20, "组装"))):
    process_card = ProcessCard.objects.create(code=code, product="一次性使用输液器", specification="1.5m")
    for sequence, name in steps:
        ProcessStep.objects.create(card=process_card, sequence=sequence, name=name, work_centre="一车间",
                                   first_piece=True, final=sequence == steps[-1][0])
    return process_card


def order(people, *, process_card=None, quantity=100, status=S.DRAFT, **fields):
    process_card = process_card or card(code=f"GY-{quantity}-{ProcessCard.objects.count()}")
    task_order = orders.raise_order(people["pmc"], process_card=process_card, quantity=quantity,
                                    due_date=timezone.localdate() + dt.timedelta(days=10), **fields)
    if status in (S.RELEASED, S.IN_PRODUCTION):
        workflow.perform(task_order, S.RELEASED, people["pmc"], password=PASSWORD)
    if status == S.IN_PRODUCTION:
        workflow.perform(task_order, S.IN_PRODUCTION, people["production"])
    task_order.refresh_from_db()
    return task_order


def lot(people, **kwargs):
    return order(people, status=S.IN_PRODUCTION, **kwargs).lots.select_related("current", "task_order").get()


def inspect(people, the_lot, result, **extra):
    record = lots.record_inspection(the_lot.current, people["quality"], kind="first_piece", result=result,
                                    password=PASSWORD, **extra)
    the_lot.refresh_from_db()
    return record


def contract(people, number="HT-2026-0001"):
    """A registered contract with one line (as the contract register holds it)."""
    from customers.tests.factories import make_customer
    from customers.tests.test_contract_figures import make_contract

    customer = make_customer(people["sales2"], name=f"杭州西湖精密仪器有限公司{number}")
    return make_contract(customer, people["sales2"], number=number)


def contract_order(people, **kwargs):
    """A task order raised from the line of a registered contract."""
    return order(people, contract_line=contract(people).lines.get(), **kwargs)


def setup_verified(people, operation, trigger=None):
    """The operation's setup verification requested by production and passed by the inspector (signed)."""
    from production.services import setup

    verification = setup.request(operation, people["production"], trigger=trigger or setup.suggested_trigger(operation))
    workflow.perform(verification, "passed", people["quality"], password=PASSWORD, values={
        "method": "first_piece", "first_piece_result": "首件尺寸与封样件一致",
        "last_piece_result": "" if verification.trigger == "first_run" else "末件与首件一致"})
    return verification


def field_service(people, complaint=None, by="service"):
    """A field service record as the person who went on site fills it in (待顾客确认)."""
    from production.services import service_records

    return service_records.record_field_service(
        by=people[by], customer_name="杭州仁和医院", site="杭州市上城区解放路 848 号 输液室", product="一次性使用输液器",
        batch="SC-2026-0001-01", problem="滴斗与管路连接处渗漏 3 支", work_done="现场更换 50 支，留样 3 支带回分析",
        complaint=complaint)


def opinion(people, complaint=None, by="service"):
    """A customer opinion taken down by marketing (待品保部处理)."""
    from production.services import service_records

    return service_records.register_opinion(
        by=people[by], customer_name="杭州仁和医院", kind="after_acceptance", product="一次性使用输液器",
        batch="SC-2026-0001-01", opinion="验收合格后使用中发现渗漏", rectification_request="书面说明原因并提供整改报告",
        complaint=complaint)
