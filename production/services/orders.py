"""The production task order 《生产任务书》 (seed 003 §5.1): raised by PMC directly or from a line of a registered
contract, released (which opens its route card), produced, completed — or cancelled with a reason. Releasing is
held back while the contract has something that holds its production (``contract_holds``)."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit, blocks, numbering, workflow
from qms.people import Role
from qms.refusals import Refused
from qms.signatures import Meaning
from qms.workflow import Move, Workflow
from production.models import Lot, LotOperation, LotStatus, ProcessCard, TaskOrder, TaskOrderStatus
from production.services.holds import contract_holds

S = TaskOrderStatus

REGISTERED_CONTRACT = "registered"


def raise_order(by, *, process_card: ProcessCard, quantity: int, due_date, product: str = "",
                specification: str = "", contract_line=None, note: str = "") -> TaskOrder:
    """A draft task order with the next gapless number (SC-…). From a contract line, the line's contract must be
    registered and the product defaults to the line's."""
    if not process_card.is_active:
        raise Refused(gettext("工艺卡 %(code)s 已失效，不能用于下达生产。") % {"code": process_card.code})
    if not process_card.steps.exists():
        raise Refused(gettext("工艺卡 %(code)s 没有工序。") % {"code": process_card.code})
    contract = None
    if contract_line is not None:
        contract = contract_line.contract
        if contract.status != REGISTERED_CONTRACT:
            raise Refused(gettext("合同 %(contract)s 尚未登记，不能据此下达生产。") % {
                "contract": contract.number or contract.title})
        product = product or contract_line.product
        specification = specification or contract_line.specification
    product = product or process_card.product
    specification = specification or process_card.specification
    with transaction.atomic(), audit.context(user=by, reason=gettext("下达生产任务书")):
        order = TaskOrder(process_card=process_card, product=product, specification=specification,
                          quantity=quantity, due_date=due_date, contract=contract, contract_line=contract_line,
                          note=note, created_by=by)
        order.number = numbering.next_number("task_order", prefix_default="SC", name_default="生产任务书")
        order.save()
    return order


def open_route_card(order: TaskOrder, by, transition=None) -> Lot:
    """《路线跟踪卡》: one lot of the order's quantity (lot number = order number + "-01") with the operations of the
    process card, the lot standing at the first one (a move's after-hook, in the release's transaction)."""
    lot = Lot.objects.create(task_order=order, number=f"{order.number}-01", quantity=order.quantity)
    LotOperation.objects.bulk_create([
        LotOperation(lot=lot, sequence=step.sequence, name=step.name, work_centre=step.work_centre,
                     first_piece=step.first_piece, patrol=step.patrol, final=step.final)
        for step in order.process_card.steps.order_by("sequence")])
    first = lot.operations.order_by("sequence").first()
    Lot.objects.filter(pk=lot.pk).update(current=first)
    lot.current = first
    return lot


def lots_not_in_stock(order: TaskOrder) -> str | None:
    open_lots = list(order.lots.exclude(status=LotStatus.IN_STOCK).values_list("number", flat=True))
    if open_lots:
        return gettext("以下批次尚未入库：%(lots)s") % {"lots": "、".join(open_lots)}
    return None


def held_contract(order: TaskOrder) -> list[str]:
    return contract_holds(order.contract_id)


PIPELINE = {
    S.DRAFT: {
        # PMC's signed instruction to produce (seed 003 §5.1)
        S.RELEASED: Move(_("下达"), roles=(Role.PMC,), signature=Meaning.APPROVAL,
                         after=lambda order, by, t: open_route_card(order, by, t), show_blocked=True),
        S.CANCELLED: Move(_("取消"), roles=(Role.PMC,), reason=True, style="outline-danger"),
    },
    S.RELEASED: {
        S.IN_PRODUCTION: Move(_("开始生产"), roles=(Role.PRODUCTION, Role.PMC)),
        S.CANCELLED: Move(_("取消"), roles=(Role.PMC,), reason=True, style="outline-danger"),
    },
    S.IN_PRODUCTION: {
        S.COMPLETED: Move(_("完工"), roles=(Role.PMC, Role.PRODUCTION), guard=lots_not_in_stock, show_blocked=True),
    },
}
WORKFLOW = workflow.register(Workflow(TaskOrder, PIPELINE, badges={
    S.DRAFT: "secondary", S.RELEASED: "info", S.COMPLETED: "success", S.CANCELLED: "dark"},
    hand_over=workflow.role_holders_of_next_moves))

# an unmet special requirement or an open change of the contract holds the release back (issue 18)
blocks.register_block(blocked=TaskOrder, targets=(S.RELEASED,), reason=held_contract)
