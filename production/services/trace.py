"""Traceability both ways (PROCEDURES.md §6; seed 003 §5.2.9 标识和可追溯性, seed 004 质量跟踪: "清查那些客户购买过").

Forward, from a material's batch or heat number: the operations that issued it (《领料单》) → their lots and task
orders → the shipments whose lines carry those lots' numbers → the customers that received them.
Backward, from a product batch a complaint or an adverse event names: the lot → its task order and route card →
the materials issued to it, their batch numbers and suppliers; and the shipments of that batch.

``trace(batches)`` answers both in four queries whatever the number of lots, operations and shipments, each on an
index of the batch columns (case-insensitive: ``Upper`` indexes on ``MaterialIssue.batch_number``, ``Lot.number``
and ``ShipmentLine.batch_number``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Upper
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.contracts.fulfilment_models import ShipmentLine, ShipmentStatus
from production.models import MAY_MOVE_ON, InspectionStatus, Lot, LotOperation, LotStatus, MaterialIssue
from qms.trace import Recipient, split_batches


def _keys(batches) -> list[str]:
    if isinstance(batches, str):
        batches = split_batches(batches)
    return sorted({b.strip().upper() for b in batches if b and b.strip()})


@dataclass
class CustomerRow:
    customer_id: int
    name: str
    shipments: list = field(default_factory=list)
    batches: list = field(default_factory=list)


@dataclass
class Trace:
    keys: list[str]
    used_in: list[MaterialIssue]  # forward: where the material batch was issued
    lots: list[Lot]  # the lots named by the batch or made with the material
    materials: list[MaterialIssue]  # backward: what went into the lots named by the batch
    shipment_lines: list[ShipmentLine]

    @property
    def customers(self) -> list[CustomerRow]:
        rows: dict[int, CustomerRow] = {}
        for line in self.shipment_lines:
            customer = line.shipment.customer
            row = rows.setdefault(customer.pk, CustomerRow(customer.pk, customer.name))
            if line.shipment.number not in row.shipments:
                row.shipments.append(line.shipment.number)
            if line.batch_number not in row.batches:
                row.batches.append(line.batch_number)
        return sorted(rows.values(), key=lambda r: (r.name, r.customer_id))

    @property
    def suppliers(self) -> list[str]:
        return sorted({m.supplier for m in self.materials if m.supplier})

    @property
    def found(self) -> bool:
        return bool(self.used_in or self.lots or self.shipment_lines)


def trace(batches) -> Trace:
    """Both ways from ``batches`` (a list, or text with several numbers): four queries, each on a batch index."""
    keys = _keys(batches)
    if not keys:
        return Trace(keys, [], [], [], [])
    used_in = list(MaterialIssue.objects.annotate(batch_key=Upper("batch_number")).filter(batch_key__in=keys)
                   .select_related("operation__lot__task_order").order_by("issued_at", "pk"))
    named_lots = Lot.objects.annotate(number_key=Upper("number")).filter(number_key__in=keys)
    lots = {lot.pk: lot for lot in named_lots.select_related("task_order__process_card", "current")}
    for issue in used_in:
        lots.setdefault(issue.operation.lot_id, issue.operation.lot)
    # the lots named by the batch as a subquery: one query whether the batch names a lot or not
    materials = list(MaterialIssue.objects.filter(operation__lot__in=named_lots.values("pk"))
                     .select_related("operation__lot").order_by("operation__lot_id", "operation__sequence", "pk"))
    shipped_keys = sorted(set(keys) | {lot.number.upper() for lot in lots.values()})
    lines = list(ShipmentLine.objects.annotate(batch_key=Upper("batch_number"))
                 .filter(~Q(shipment__status=ShipmentStatus.CANCELLED), batch_key__in=shipped_keys)
                 .select_related("shipment__customer", "shipment__contract", "contract_line")
                 .order_by("shipment__customer__name", "-shipment__shipped_at", "pk"))
    return Trace(keys, used_in, sorted(lots.values(), key=lambda lot: lot.number), materials, lines)


def recipients(batches) -> list[Recipient]:
    """The customers that received ``batches`` or lots made with them (what ``qms.trace`` asks production)."""
    return [Recipient(row.customer_id, row.name, tuple(row.shipments), tuple(row.batches))
            for row in trace(batches).customers]


EXPORT_HEADERS = (_("客户"), _("发货单号"), _("发货状态"), _("发货时间"), _("合同"), _("产品"), _("发货批号"), _("数量"),
                  _("生产任务书"))


def export_rows(result: Trace):
    """One row per shipment line of the trace: who got the batch (the recall or advisory notice list)."""
    orders = {lot.number.upper(): lot.task_order.number for lot in result.lots}
    for line in result.shipment_lines:
        shipment = line.shipment
        yield [shipment.customer.name, shipment.number, shipment.get_status_display(), shipment.shipped_at,
               shipment.contract.number or shipment.contract.title, line.contract_line.product, line.batch_number,
               line.quantity, orders.get(line.batch_number.upper(), "")]


# --- shipping: only conforming (or concession) product in stock leaves (seed 001 §5.4) ---------------------------
def unshippable(shipment) -> list[str]:
    """Why the lines of ``shipment`` that name a production lot may not ship: the lot is not in stock, or its
    inspection status at its last operation is not conforming or concession. A block on the shipment's 发货 move,
    registered through ``qms.blocks`` so that customers does not import production."""
    keys = _keys(shipment.lines.values_list("batch_number", flat=True))
    if not keys:
        return []
    last_status = Subquery(LotOperation.objects.filter(lot=OuterRef("pk")).order_by("-sequence")
                           .values("inspection_status")[:1])
    reasons = []
    for lot in (Lot.objects.annotate(number_key=Upper("number"), last_status=last_status)
                .filter(number_key__in=keys).order_by("number")):
        if lot.status != LotStatus.IN_STOCK:
            reasons.append(gettext("批号 %(lot)s 的产品尚未入库（%(status)s），不能发货。") % {
                "lot": lot.number, "status": lot.get_status_display()})
        elif lot.last_status not in MAY_MOVE_ON:
            status = InspectionStatus(lot.last_status).label if lot.last_status else "—"
            reasons.append(gettext("批号 %(lot)s 的检验状态为%(status)s，只有合格或让步接收的产品才能发货。") % {
                "lot": lot.number, "status": status})
    return reasons
