"""The lot on its route card 《路线跟踪卡》 (seeds 001 and 003): what each operation records — operator, quantities,
material issued 《领料单》 and the three checks 三检 — and the lot's inspection status at the operation, set only by
an inspector's result. Only conforming or concession product moves on to the next operation or into stock
(seed 001 §5.4); a lot without a clear status is 待判定 and must be re-inspected.

A result of 不合格 or 待判定 takes the lot into the isolation area (隔离中, ``production.services.isolation``):
it leaves it only through the review and a re-inspection there (back 在制), or is scrapped or returned to the
supplier by the review."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit, blocks, signatures, workflow
from qms.people import Role
from qms.refusals import Refused
from qms.workflow import Move, TransitionRefused, Workflow
from production.models import (MAY_MOVE_ON, CheckResult, InspectionRecord, InspectionStatus, Lot, LotOperation,
                               LotStatus, MaterialIssue, TaskOrderStatus)
from production.services.holds import contract_holds, product_holds

S = LotStatus
I = InspectionStatus

OPERATOR_ROLES = (Role.PRODUCTION, Role.PMC)
INSPECTOR_ROLES = (Role.QUALITY,)


def _current(lot: Lot) -> LotOperation | None:
    return lot.current


def _next_operation(lot: Lot) -> LotOperation | None:
    current = _current(lot)
    if current is None:
        return None
    return lot.operations.filter(sequence__gt=current.sequence).order_by("sequence").first()


def status_refusal(lot: Lot) -> str | None:
    """Why the lot may not leave its current operation: its inspection status there (seed 001 §5.4)."""
    current = _current(lot)
    if current is None:
        return gettext("批次 %(lot)s 没有当前工序。") % {"lot": lot.number}
    if lot.task_order.status != TaskOrderStatus.IN_PRODUCTION:
        return gettext("生产任务书 %(order)s 不在生产中。") % {"order": lot.task_order.number}
    status = current.inspection_status
    if status in MAY_MOVE_ON:
        return None
    if status == I.UNDETERMINED:
        return gettext("批次 %(lot)s 在工序“%(op)s”的检验状态为待判定，须重新检验后才能转序。") % {
            "lot": lot.number, "op": current.name}
    return gettext("批次 %(lot)s 在工序“%(op)s”的检验状态为%(status)s，只有合格或让步接收的产品才能转入下道工序或入库。") % {
        "lot": lot.number, "op": current.name, "status": current.get_inspection_status_display()}


def next_refusal(lot: Lot) -> str | None:
    if _current(lot) is not None and _next_operation(lot) is None:
        return gettext("“%(op)s”已是最后一道工序，请办理入库。") % {"op": lot.current.name}
    return status_refusal(lot)


def stock_refusal(lot: Lot) -> str | None:
    following = _next_operation(lot)
    if following is not None:
        return gettext("还有后续工序“%(op)s”未完成，不能入库。") % {"op": following.name}
    return status_refusal(lot)


def _advance(lot: Lot, by, transition) -> None:
    """The move's after-hook: the lot stands at the next operation — one guarded UPDATE, so that two moves made at
    once cannot both take the lot on."""
    following = _next_operation(lot)
    changed = Lot.objects.filter(pk=lot.pk, current_id=lot.current_id).update(current=following)
    if changed != 1:
        raise TransitionRefused(gettext("此记录已被他人更新，请刷新后重试。"))
    lot.current = following
    if following is not None and following.quantity_in is None:
        previous = LotOperation.objects.filter(lot=lot, sequence__lt=following.sequence).order_by(
            "-sequence").values_list("quantity_out", flat=True).first()
        if previous is not None:
            LotOperation.objects.filter(pk=following.pk).update(quantity_in=previous)


def _to_stock(lot: Lot, by, transition) -> None:
    changed = Lot.objects.filter(pk=lot.pk, current_id=lot.current_id).update(current=None)
    if changed != 1:
        raise TransitionRefused(gettext("此记录已被他人更新，请刷新后重试。"))
    lot.current = None


def isolated_refusal(lot: Lot) -> str | None:
    """A lot in the isolation area moves nowhere until its review and re-inspection let it out (seed 004)."""
    from production.models import IsolationStatus

    entry = lot.isolation_entries.exclude(status__in=(IsolationStatus.RELEASED, IsolationStatus.CLOSED)).first()
    return gettext("批次 %(lot)s 在隔离区（台账 %(entry)s，%(state)s），只有合格或让步接收的产品才能转入下道工序或入库：须经评审处置并复检合格后放行。") % {
        "lot": lot.number, "entry": entry.number if entry else "—",
        "state": entry.get_status_display() if entry else LotStatus.ISOLATED.label}


def held_contract(lot: Lot) -> list[str]:
    if lot.status == S.ISOLATED:  # letting it out of the isolation area is not a production step; moving on is
        return []
    return contract_holds(lot.task_order.contract_id)


PIPELINE = {
    S.IN_PROCESS: {
        S.IN_PROCESS: Move(_("转下道工序"), roles=OPERATOR_ROLES, guard=next_refusal, after=_advance,
                           show_blocked=True),
        S.IN_STOCK: Move(_("入库"), roles=OPERATOR_ROLES, guard=stock_refusal, after=_to_stock, show_blocked=True,
                         style="success"),
        # an inspector's result of 不合格/待判定 (record_inspection → isolation.isolate_lot)
        S.ISOLATED: Move(_("移入隔离区"), system=True),
    },
    S.ISOLATED: {
        # never allowed: shown disabled on the lot's page with why (the isolation area's review lets it out)
        S.IN_STOCK: Move(_("转序/入库"), roles=OPERATOR_ROLES, guard=isolated_refusal, show_blocked=True),
        # the isolation area's re-inspection (or concession) lets it out, at the same operation
        S.IN_PROCESS: Move(_("解除隔离"), system=True),
        S.SCRAPPED: Move(_("报废"), system=True),
        S.RETURNED: Move(_("退供方"), system=True),
    },
}
WORKFLOW = workflow.register(Workflow(Lot, PIPELINE, badges={
    S.ISOLATED: "danger", S.IN_STOCK: "success", S.SCRAPPED: "dark", S.RETURNED: "dark"}))

# an unmet special requirement or an open change of the contract holds every move of its lots (issue 18)
blocks.register_block(blocked=Lot, targets=(S.IN_PROCESS, S.IN_STOCK), reason=held_contract)


def held_product(lot: Lot) -> list[str]:
    return product_holds(lot.task_order.process_card_id)


# a change of the product not yet confirmed by the MR holds its lots (§7: released only after the confirmation)
blocks.register_block(blocked=Lot, targets=(S.IN_PROCESS, S.IN_STOCK), reason=held_product)


def move_on(lot: Lot, by) -> None:
    """The lot to its next operation, or into stock after the last one (the shared transition, refused with why)."""
    if lot.status == S.ISOLATED:
        raise TransitionRefused(isolated_refusal(lot))
    target = S.IN_STOCK if lot.current_id and _next_operation(lot) is None else S.IN_PROCESS
    workflow.perform(lot, target, by)


# --- what an operation records ---------------------------------------------------------------------------------
def _refuse_unless_current(operation: LotOperation) -> None:
    lot = operation.lot
    if lot.status == S.ISOLATED:
        raise Refused(isolated_refusal(lot))
    if lot.status != S.IN_PROCESS or lot.current_id != operation.pk:
        raise Refused(gettext("批次 %(lot)s 当前不在工序“%(op)s”。") % {"lot": lot.number, "op": operation.name})
    if lot.task_order.status != TaskOrderStatus.IN_PRODUCTION:
        raise Refused(gettext("生产任务书 %(order)s 不在生产中。") % {"order": lot.task_order.number})


def record_work(operation: LotOperation, by, *, operator, quantity_in: int, quantity_out: int,
                quantity_scrap: int) -> LotOperation:
    """Who worked the operation and the quantities in, out and scrapped."""
    _refuse_unless_current(operation)
    from production.services import setup  # the setup verification guard (seed 003 §5.2.7)
    if why_not := setup.refusal(operation):
        raise Refused(why_not)
    if quantity_out + quantity_scrap > quantity_in:
        raise Refused(gettext("产出数与报废数之和不能大于投入数。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记工序记录")):
        operation.operator, operation.quantity_in = operator, quantity_in
        operation.quantity_out, operation.quantity_scrap = quantity_out, quantity_scrap
        operation.save(update_fields=["operator", "quantity_in", "quantity_out", "quantity_scrap"])
    return operation


def issue_material(operation: LotOperation, by, *, material: str, batch_number: str, quantity,
                   unit: str = "件", supplier: str = "") -> MaterialIssue:
    """A row of 《领料单》 for the operation (the batch or heat number keeps the lot traceable to it)."""
    _refuse_unless_current(operation)
    with transaction.atomic(), audit.context(user=by, reason=gettext("领料")):
        return MaterialIssue.objects.create(operation=operation, material=material.strip(),
                                            batch_number=batch_number.strip(), quantity=quantity, unit=unit,
                                            supplier=(supplier or "").strip(), issued_by=by)


CHECKS = {
    "self": ("self_check", _("自检")),
    "mutual": ("mutual_check", _("互检")),
    "dedicated": ("dedicated_check", _("专检")),
}


def record_check(operation: LotOperation, by, *, check: str, result: str) -> LotOperation:
    """One of the three checks 三检 with its result and who made it. The dedicated check is the inspector's; the
    mutual check is made by someone other than the self-checker."""
    _refuse_unless_current(operation)
    if check not in CHECKS or result not in CheckResult.values:
        raise Refused(gettext("无效的检查项目。"))
    field, label = CHECKS[check]
    if check == "dedicated" and not by.has_role(*INSPECTOR_ROLES):
        raise Refused(gettext("专检须由品质部检验员进行。"))
    if check == "mutual" and operation.self_check_by_id == by.pk:
        raise Refused(gettext("互检不能由自检人本人进行。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记%(check)s") % {"check": label}):
        setattr(operation, field, result)
        setattr(operation, f"{field}_by", by)
        operation.save(update_fields=[field, f"{field}_by"])
    return operation


def record_inspection(operation: LotOperation, by, *, kind: str, result: str, note: str = "",
                      concession_by: str = "", concession_reason: str = "", password: str = "",
                      isolation_location: str = "") -> InspectionRecord:
    """An inspector's result at the operation (signed with the password): the lot's inspection status there
    becomes the result. 让步接收 needs who granted it and why, recorded on the lot's papers. 不合格 or 待判定 puts
    the lot into the isolation area (at ``isolation_location``, else the quality department's)."""
    _refuse_unless_current(operation)
    if not by.has_role(*INSPECTOR_ROLES) and not by.is_superuser:
        raise Refused(gettext("检验状态只能由品质部检验员根据检验结果判定。"))
    if result not in InspectionStatus.values or result == I.PENDING:
        raise Refused(gettext("请选择检验结论。"))
    concession_by, concession_reason = concession_by.strip(), concession_reason.strip()
    if result == I.CONCESSION and not (concession_by and concession_reason):
        raise Refused(gettext("让步接收须填写批准人和让步理由。"))
    if result != I.CONCESSION:
        concession_by = concession_reason = ""
    signatures.check_password_or_refuse(by, password)
    now = timezone.now()
    with transaction.atomic(), audit.context(user=by, reason=gettext("检验判定：%(result)s") % {
            "result": InspectionStatus(result).label}):
        record = InspectionRecord.objects.create(operation=operation, kind=kind, result=result, note=note,
                                                 concession_by=concession_by, concession_reason=concession_reason,
                                                 inspector=by, inspected_at=now)
        LotOperation.objects.filter(pk=operation.pk).update(
            inspection_status=result, inspected_by=by, inspected_at=now, concession_by=concession_by,
            concession_reason=concession_reason)
        signatures.sign(operation, by, password, signatures.Meaning.VERIFICATION,
                        comment=note, step=gettext("检验判定"))
        operation.refresh_from_db()
        if result in (I.NONCONFORMING, I.UNDETERMINED):
            # nonconforming or undetermined product goes into the isolation area (seed 004)
            from production.services import isolation

            isolation.isolate_lot(operation.lot, record, by, location=isolation_location.strip())
    return record
