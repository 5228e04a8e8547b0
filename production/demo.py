"""Demo data of production: a process card and task orders in every state, with lots at every inspection
status (conforming, nonconforming, undetermined, concession, in stock), and the isolation ledger with a line in
every state (awaiting review, in rework, awaiting re-inspection, released, closed by scrap)."""
import datetime as dt
from decimal import Decimal

from django.utils import timezone

from qms import workflow
from production.models import InspectionStatus as I, LotStatus, ProcessCard, ProcessStep, TaskOrder, \
    TaskOrderStatus as S
from production.services import discipline, isolation, lots, orders, service_records, setup
from qms.refusals import Refused

PASSWORD = "Demo@2026"
STEPS = [(10, "下料", "下料车间", True, False, False), (20, "注塑", "注塑车间", True, True, False),
         (30, "组装", "装配线 1", False, True, True)]


def _card():
    card, created = ProcessCard.objects.get_or_create(code="GY-001", defaults={
        "product": "一次性使用输液器", "specification": "DEHP-free 1.5m"})
    if created:
        for sequence, name, centre, first, patrol, final in STEPS:
            ProcessStep.objects.create(card=card, sequence=sequence, name=name, work_centre=centre,
                                       first_piece=first, patrol=patrol, final=final)
    return card


def _order(card, users, quantity, status=S.DRAFT):
    order = orders.raise_order(users["pmc"], process_card=card, quantity=quantity,
                               due_date=timezone.localdate() + dt.timedelta(days=20), note="按标准包装")
    if status in (S.RELEASED, S.IN_PRODUCTION, S.COMPLETED):
        workflow.perform(order, S.RELEASED, users["pmc"], password=PASSWORD)
    if status in (S.IN_PRODUCTION, S.COMPLETED):
        workflow.perform(order, S.IN_PRODUCTION, users["production"])
    if status == S.CANCELLED:
        workflow.perform(order, S.CANCELLED, users["pmc"], reason="客户取消订单")
    return order


def _verify_setup(operation, users, *, trigger=None, passed=True, note=""):
    """A setup verification of the operation 《作业准备验证表》, signed by the inspector."""
    trigger = trigger or setup.suggested_trigger(operation)
    verification = setup.request(operation, users["production"], trigger=trigger, note=note)
    values = {"method": "first_piece" if trigger == "first_run" else "last_piece",
              "first_piece_result": "首件尺寸、外观与封样件一致" if passed else "首件壁厚 0.42mm，超出 0.45±0.02",
              "last_piece_result": "" if trigger == "first_run" else "与上批末件比较一致"}
    if passed:
        workflow.perform(verification, "passed", users["quality"], password=PASSWORD, values=values)
    else:
        workflow.perform(verification, "failed", users["quality"], password=PASSWORD, values=values,
                         reason="首件不合格，调整模具后重新验证")
    return verification


def _work_and_inspect(lot, users, result, **extra):
    operation = lot.current
    if setup.refusal(operation):
        _verify_setup(operation, users)
    lots.record_work(operation, users["production"], operator=users["production"], quantity_in=lot.quantity,
                     quantity_out=lot.quantity, quantity_scrap=0)
    lots.issue_material(operation, users["production"], material="PVC 粒料", batch_number="HN-2026-0815",
                        quantity=Decimal("12.5"), unit="kg", supplier="宁波镇海塑料化工有限公司")
    lots.record_check(operation, users["production"], check="self", result="pass")
    lots.record_check(operation, users["pmc"], check="mutual", result="pass")
    lots.record_check(operation, users["quality"], check="dedicated", result="pass" if result in (
        I.CONFORMING, I.CONCESSION) else "fail")
    lots.record_inspection(operation, users["quality"], kind="first_piece", result=result, password=PASSWORD,
                           **extra)
    lot.refresh_from_db()


def seed(users, stdout) -> None:
    if TaskOrder.objects.exists():
        return
    card = _card()
    _order(card, users, 500)
    _order(card, users, 800, S.RELEASED)
    _order(card, users, 300, S.CANCELLED)
    pending = _order(card, users, 1000, S.IN_PRODUCTION).lots.get()  # at its first operation, 待检
    for result, extra in ((I.CONFORMING, {"note": "首件合格"}), (I.NONCONFORMING, {"note": "毛刺超标"}), (I.UNDETERMINED, {"note": "尺寸临界，待复检"}),
                          (I.CONCESSION, {"concession_by": "总经理 王总", "concession_reason": "外观轻微划痕，不影响使用"})):
        lot = _order(card, users, 200, S.IN_PRODUCTION).lots.get()
        _work_and_inspect(lot, users, result, **extra)
    done = _order(card, users, 600, S.IN_PRODUCTION)
    lot = done.lots.get()
    while lot.status == LotStatus.IN_PROCESS:
        _work_and_inspect(lot, users, I.CONFORMING)
        lots.move_on(lot, users["production"])
        lot.refresh_from_db()
    workflow.perform(done, S.COMPLETED, users["pmc"])
    _isolation(card, users)
    _ship(lot, users, stdout)
    _service_records(users)
    _process_control(users, pending)
    stdout.write(f"production: {TaskOrder.objects.count()} task orders, lot {pending.number} awaiting inspection\n")


def _isolated(card, users, note):
    lot = _order(card, users, 150, S.IN_PRODUCTION).lots.get()
    _work_and_inspect(lot, users, I.NONCONFORMING, note=note)
    return lot.isolation_entries.get()


def _isolation(card, users) -> None:
    """The isolation ledger beyond the two lines the inspections above put there (awaiting review)."""
    engineer, production, quality = users["engineering"], users["production"], users["quality"]
    rework = _isolated(card, users, "注塑件缺料")
    isolation.review(rework, engineer, disposition="rework", instruction="补注塑后全检尺寸", password=PASSWORD)
    reinspection = _isolated(card, users, "焊点虚焊")
    isolation.review(reinspection, engineer, disposition="repair", instruction="重新焊接并做拉力试验",
                     password=PASSWORD)
    isolation.complete_rework(reinspection, production, rework_note="已重新焊接 150 件，拉力试验合格")
    released = _isolated(card, users, "外包装印字不清")
    isolation.review(released, engineer, disposition="rework", instruction="更换外包装", password=PASSWORD)
    isolation.complete_rework(released, production, rework_note="已更换外包装")
    isolation.reinspect(released, quality, result="conforming", note="复检合格", password=PASSWORD)
    concession = _isolated(card, users, "外观轻微划痕")
    isolation.review(concession, engineer, disposition="concession", instruction="不影响使用，让步接收",
                     concession_by="总经理 王总", password=PASSWORD)
    scrapped = _isolated(card, users, "管路破裂")
    isolation.review(scrapped, engineer, disposition="scrap", instruction="整批报废，按废品处理", password=PASSWORD)
    to_supplier = _isolated(card, users, "原料粒子杂质超标")
    isolation.review(to_supplier, engineer, disposition="return_to_supplier", instruction="原料批次退回供方",
                     password=PASSWORD)




def _ship(lot, users, stdout) -> None:
    """The lot in stock shipped on a registered contract, so that the trace of HN-2026-0815 reaches a customer."""
    from customers.contracts.models import Contract
    from customers.contracts.services import shipments

    contract = Contract.objects.filter(status="registered").order_by("pk").first()
    line = contract.lines.order_by("line_no").first() if contract else None
    if line is None:
        return
    try:
        shipment = shipments.create_shipment(by=users["sales"] if contract.owner is None else contract.owner,
                                             contract=contract, lines=[(line, 1, lot.number)], carrier="顺丰物流")
        shipments.ship(shipment, by=users["pmc"])
    except Refused as refusal:  # the contract's own holds (a special requirement): the demo leaves it planned
        stdout.write(f"production: shipment of {lot.number} left planned ({refusal})\n")


def _service_records(users) -> None:
    """A field service record and a customer opinion in every state, linked to the first complaint if any."""
    from complaints.models import Complaint

    complaint = Complaint.objects.order_by("pk").first()
    for status in ("open", "confirmed", "filed"):
        record = service_records.record_field_service(
            by=users["service"], customer_name=complaint.customer_name if complaint else "杭州仁和医院",
            site="杭州市上城区解放路 848 号 输液室", product="一次性使用输液器", batch="SC-2026-0001-01",
            problem="滴斗与管路连接处渗漏 3 支", work_done="现场更换 50 支，留样 3 支带回分析；讲解正确的排气方法",
            complaint=complaint)
        if status in ("confirmed", "filed"):
            workflow.perform(record, "confirmed", users["service"],
                             values={"customer_signatory": "刘护士长", "customer_comment": "处理及时，满意"})
        if status == "filed":
            workflow.perform(record, "filed", users["sales"])
    for status in ("registered", "answered", "closed"):
        opinion = service_records.register_opinion(
            by=users["sales"], customer_name=complaint.customer_name if complaint else "杭州仁和医院",
            kind="after_acceptance" if status != "closed" else "rejected", product="一次性使用输液器",
            batch="SC-2026-0001-01", opinion="验收合格后使用中发现滴斗渗漏", rectification_request="书面说明原因并提供整改报告",
            complaint=complaint)
        if status in ("answered", "closed"):
            workflow.perform(opinion, "answered", users["quality"], password=PASSWORD, values={
                "cause": "粘接工序固化时间不足", "measures": "固化时间由 30 s 调整为 45 s，增加拉力抽检",
                "reply": "已书面答复顾客并提供整改报告"})
        if status == "closed":
            workflow.perform(opinion, "closed", users["sales"], values={"outcome": "顾客确认满意"})

def _process_control(users, pending_lot) -> None:
    """Setup verifications failed and awaiting (the passed ones came with the work above), the discipline checks of
    the last period (done) and of this one (due), and specification changes requested, issued and refused."""
    _verify_setup(pending_lot.current, users, trigger="die_change", passed=False, note="更换模具 M-12")
    setup.request(pending_lot.current, users["production"], trigger="die_change", note="模具 M-12 调整后重新验证")

    today = timezone.localdate()
    start, _end = discipline.period_of(today)
    for check in discipline.schedule_discipline_checks(start - dt.timedelta(days=1)):
        workflow.perform(check, "done", users["engineering"], password=PASSWORD, values={
            "findings": "工艺文件现行有效；操作者按作业指导书操作；首件记录齐全。", "conclusion": "compliant"})
    discipline.schedule_discipline_checks(today)

    discipline.request_spec_change(users["production"], title="注塑保压时间由 8s 调整为 10s",
                                   description="注塑工序保压时间 8s → 10s", reason="产品表面缩痕", process_card=_card())
    issued = discipline.request_spec_change(users["quality"], title="装配扭矩由 2.0 N·m 调整为 2.2 N·m",
                                            description="组装工序扭矩 2.0 → 2.2 N·m", reason="客户反馈接头松动",
                                            process_card=_card())
    workflow.perform(issued, "issued", users["engineering"], password=PASSWORD, values={
        "review_note": "同意；同步修订控制计划与作业指导书", "effective_date": today + dt.timedelta(days=3)})
    refused = discipline.request_spec_change(users["pmc"], title="取消下料首件检验", description="下料工序不再做首件检验",
                                             reason="提高效率")
    workflow.perform(refused, "rejected", users["engineering"], password=PASSWORD,
                     values={"review_note": "首件检验为控制计划要求，不予取消"}, reason="不符合控制计划")
