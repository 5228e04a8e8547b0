"""Demo data of special requirements, shipments and customer property (§2), in every state; registered after the
key-account seeders in ``customers.demo.SEEDERS``. Idempotent: nothing is added once a demo requirement exists.

Three registered contracts of demo customers are made directly (the review's demo makes its own):
- 北京华信 (sales): a packaging requirement for all its contracts, verified; a "changes must be notified"
  requirement, verified; shipments confirmed, with a problem (→ a complaint), awaiting confirmation, cancelled;
- 深圳前海 (sales): a delivery requirement for one contract passed to the departments, one of them acknowledged —
  that contract's planned shipment is held back with the reason; another requirement awaiting the MR, one withdrawn;
- 上海浦江 (sales2): an export shipment ready to go (its week counts from the arrival), one whose confirmation is
  overdue;
- customer property in custody, reported damaged (with the notice to the customer), returned and closed.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from customers.contracts.fulfilment_models import RequirementKind, RequirementScope, SpecialRequirement
from customers.contracts.models import Contract, ContractLine, ContractStatus
from customers.contracts.services import property as property_service
from customers.contracts.services import shipments as shipment_service
from customers.contracts.services import special_requirements as requirement_service
from qms import workflow
from qms.demo import DEMO_PASSWORD
from qms.people import Department

CONTRACTS = [
    # customer, owner, number, title, lines (product, spec, quantity, unit price)
    ("北京华信科技股份有限公司", "sales", "HT2026-F001", "一次性输液器年度供货合同",
     [("一次性使用输液器", "带针 0.7mm", 20000, "1.85"), ("一次性使用延长管", "150cm", 5000, "0.92")]),
    ("深圳前海电子商务有限公司", "sales", "HT2026-F002", "医用防护口罩订单",
     [("医用防护口罩", "KN95 独立包装", 50000, "0.68")]),
    ("上海浦江国际贸易有限公司", "sales2", "HT2026-F003", "出口注射器订单",
     [("一次性使用无菌注射器", "5ml", 30000, "0.45")]),
]


def _contract(users, customer_name, owner_code, number, title, lines):
    from customers.models import Customer

    customer = Customer.objects.filter(name=customer_name).first()
    if customer is None:
        return None
    owner = users[owner_code]
    contract, created = Contract.objects.get_or_create(number=number, defaults={
        "customer": customer, "title": title, "delivery_date": timezone.localdate() + dt.timedelta(days=45),
        "owner": owner, "created_by": owner, "status": ContractStatus.REGISTERED, "registered_at": timezone.now(),
        "registered_by": owner, "delivery_address": customer.address or ""})
    if created:
        for no, (product, spec, quantity, price) in enumerate(lines, start=1):
            ContractLine.objects.create(contract=contract, line_no=no, product=product, specification=spec,
                                        quantity=Decimal(quantity), unit_price=Decimal(price))
    return contract


def _departments(*codes):
    return list(Department.objects.filter(code__in=codes).order_by("code"))


def _review(users, requirement, note):
    workflow.perform(requirement, "communicated", users["mr"], password=DEMO_PASSWORD, values={"review_note": note})


def _acknowledge(users, requirement, code, measures):
    department = Department.objects.get(code=code)
    requirement_service.acknowledge(requirement, department, by=department.manager, password=DEMO_PASSWORD,
                                    measures=measures)


def seed_fulfilment(users, stdout):
    if SpecialRequirement.objects.exists():
        return
    contracts = [_contract(users, *row) for row in CONTRACTS]
    if any(contract is None for contract in contracts):
        return  # the key-account demo customers are not there
    huaxin, qianhai, pujiang = contracts
    now = timezone.now()

    # --- special requirements -----------------------------------------------------------------------------
    packaging = requirement_service.capture(
        by=users["sales"], customer=huaxin.customer, kind=RequirementKind.PACKAGING, title="外箱标签按客户模板",
        text="每个外箱贴客户物料编码及批号标签，标签格式按客户提供的模板 LBL-07；每箱 500 支。",
        departments=_departments("production", "quality"))
    _review(users, packaging, "要求明确，传递生产部、品质部落实。")
    _acknowledge(users, packaging, "production", "包装作业指导书 WI-PK-03 增加客户标签一节。")
    _acknowledge(users, packaging, "quality", "成品检验增加标签核对项。")
    workflow.perform(packaging, "verified", users["quality"], password=DEMO_PASSWORD,
                     values={"verification_note": "首批抽查 5 箱，标签内容与格式符合客户模板。"})

    notify_changes = requirement_service.capture(
        by=users["sales"], customer=huaxin.customer, kind=RequirementKind.CHANGE_NOTIFICATION,
        title="材料、工艺、产地变更须提前通知",
        text="原材料、生产工艺或生产地点的任何变更，须提前 90 天书面通知客户并经客户批准。",
        departments=_departments("engineering", "quality"))
    _review(users, notify_changes, "变更控制程序须读取此要求。")
    _acknowledge(users, notify_changes, "engineering", "变更申请单增加“须通知顾客”检查项。")
    _acknowledge(users, notify_changes, "quality", "变更评审时核对顾客特殊要求一览表。")
    workflow.perform(notify_changes, "verified", users["quality"], password=DEMO_PASSWORD,
                     values={"verification_note": "变更控制流程已纳入此要求。"})

    delivery = requirement_service.capture(
        by=users["sales"], customer=qianhai.customer, kind=RequirementKind.DELIVERY, title="随货提供出厂检验报告",
        text="每批随货提供出厂检验报告及环氧乙烷残留检测报告，报告须加盖质检章。",
        departments=_departments("production", "quality"), scope=RequirementScope.ONE_CONTRACT, contract=qianhai)
    _review(users, delivery, "传递生产部、品质部。")
    _acknowledge(users, delivery, "quality", "检验报告模板增加环氧乙烷残留一项。")  # production has not yet

    requirement_service.capture(
        by=users["sales"], customer=qianhai.customer, kind=RequirementKind.QUALITY_SYSTEM,
        title="年度二方审核", text="客户每年对我司质量管理体系进行一次二方审核，须提前两周确认日期。",
        departments=_departments("quality"))
    withdrawn = requirement_service.capture(
        by=users["sales"], customer=qianhai.customer, kind=RequirementKind.OTHER, title="指定物流承运商",
        text="须使用客户指定的物流承运商。", departments=_departments("production"))
    workflow.perform(withdrawn, "withdrawn", users["mr"], reason="客户已取消此要求（2026-11 邮件）。")

    # --- shipments ----------------------------------------------------------------------------------------
    line1, line2 = huaxin.lines.order_by("line_no")
    confirmed = shipment_service.create_shipment(by=users["sales"], contract=huaxin,
                                                 lines=[(line1, 5000, "B2611-031"), (line2, 1000, "B2611-032")],
                                                 carrier="顺丰速运", waybill="SF1234567890")
    shipment_service.ship(confirmed, by=users["sales"], shipped_at=now - dt.timedelta(days=20))
    shipment_service.record_confirmation(confirmed, by=users["sales"], ok=True, channel="phone",
                                         contact="王建国", note="客户确认已收货，数量、质量无异常。")
    problem = shipment_service.create_shipment(by=users["sales"], contract=huaxin, lines=[(line1, 3000, "B2611-045")],
                                               carrier="德邦物流", waybill="DB998877")
    shipment_service.ship(problem, by=users["sales"], shipped_at=now - dt.timedelta(days=9))
    shipment_service.record_confirmation(problem, by=users["sales"], ok=False, channel="email",
                                         contact="王建国", note="到货 2 箱外箱破损，内包装受潮约 60 支。")
    awaiting = shipment_service.create_shipment(by=users["sales"], contract=huaxin, lines=[(line1, 2000, "B2612-002")],
                                                carrier="顺丰速运")
    shipment_service.ship(awaiting, by=users["sales"], shipped_at=now - dt.timedelta(days=2))
    cancelled = shipment_service.create_shipment(by=users["sales"], contract=huaxin, lines=[(line2, 500, "B2612-003")])
    workflow.perform(cancelled, "cancelled", users["sales"], reason="客户要求与下批合并发货。")

    (qianhai_line,) = qianhai.lines.all()
    shipment_service.create_shipment(by=users["sales"], contract=qianhai, lines=[(qianhai_line, 10000, "B2612-010")],
                                     note="待生产部确认随货检验报告要求后发货。")  # held back by ``delivery``

    (pujiang_line,) = pujiang.lines.all()
    shipment_service.create_shipment(by=users["sales2"], contract=pujiang, lines=[(pujiang_line, 8000, "B2612-020")],
                                     carrier="中远海运", is_export=True,
                                     expected_arrival_on=timezone.localdate() + dt.timedelta(days=30))
    overdue = shipment_service.create_shipment(by=users["sales2"], contract=pujiang,
                                               lines=[(pujiang_line, 6000, "B2611-088")], carrier="中通快递")
    shipment_service.ship(overdue, by=users["sales2"], shipped_at=now - dt.timedelta(days=12))  # confirmation overdue

    # --- customer property --------------------------------------------------------------------------------
    def register(owner_code, customer, **values):
        return property_service.register(by=users[owner_code], password=DEMO_PASSWORD, customer=customer, **values)

    register("sales", huaxin.customer, contract=huaxin, kind="drawing", name="输液器外包装设计图", identifier="DWG-PK-2026-01",
             handed_over_by="客户包装工程师 刘洋", storage_location="技术部资料柜 T-2", condition="A3 图纸 6 张，完好",
             received_on=timezone.localdate() - dt.timedelta(days=40))
    mould = register("sales", huaxin.customer, kind="mould", name="延长管接头注塑模具", identifier="M-0032",
                     handed_over_by="客户采购 周工", storage_location="模具库 A-3", condition="完好，附模具图纸一套",
                     received_on=timezone.localdate() - dt.timedelta(days=60))
    property_service.report_incident(mould, by=users["production"], kind="damaged",
                                     description="换模时分型面碰伤，产品出现飞边。",
                                     notice_text="贵司提供的延长管接头注塑模具 M-0032 在换模时分型面碰伤，我司拟委托原模具厂修复，"
                                                 "修复期间暂停该接头生产，请确认。",
                                     notified_on=timezone.localdate() - dt.timedelta(days=3), notified_contact="周工",
                                     channel="phone")
    sample = register("sales", qianhai.customer, kind="sample", name="口罩对比样品", quantity=20,
                      handed_over_by="客户质量部 陈敏", storage_location="品质部留样柜 Q-5", condition="密封完好",
                      received_on=timezone.localdate() - dt.timedelta(days=30))
    workflow.perform(sample, "returned", users["sales"], password=DEMO_PASSWORD,
                     values={"returned_on": timezone.localdate() - dt.timedelta(days=5), "returned_to": "陈敏",
                             "return_note": "对比试验完成，样品全部归还"})
    lost = register("sales2", pujiang.customer, kind="tool", name="注射器刻度检具", identifier="GJ-05",
                    handed_over_by="客户品质 Tom Lee", storage_location="品质部检具柜 Q-1", condition="完好，带校准证书",
                    received_on=timezone.localdate() - dt.timedelta(days=90))
    property_service.report_incident(lost, by=users["quality"], kind="lost", description="年度盘点时未找到。",
                                     notice_text="贵司提供的注射器刻度检具 GJ-05 于年度盘点时未能找到，我司已按原规格重新制作并送检，"
                                                 "特此通知。", notified_on=timezone.localdate() - dt.timedelta(days=20),
                                     notified_contact="Tom Lee", channel="email")
    workflow.perform(lost, "closed", users["mr"], reason="客户同意以我司重新制作并经校准的检具替代（邮件确认）。")
    stdout.write("  顾客特殊要求、发货记录与顾客财产示例数据已生成\n")
