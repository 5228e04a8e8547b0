"""The status label of a lot 《检验状态标识》 (seed 001 §5.3): what it is, where it stands, its inspection status
in large text and who set it, with a QR code that opens the lot's page (qms.labels)."""
from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from production.models import InspectionStatus, Lot, LotOperation


def _operation_shown(lot: Lot, operations: list[LotOperation]) -> LotOperation | None:
    """The operation the label speaks for: the current one, or the last one for a lot that has left the line."""
    if lot.current_id:
        return next((op for op in operations if op.pk == lot.current_id), lot.current)
    return operations[-1] if operations else None


def lot_label(lot: Lot, operations: list[LotOperation] | None = None) -> dict:
    if operations is None:
        operations = list(lot.operations.select_related("inspected_by").order_by("sequence"))
    operation = _operation_shown(lot, operations)
    order = lot.task_order
    status = operation.get_inspection_status_display() if operation else InspectionStatus.UNDETERMINED.label
    when = operation.inspected_at if operation and operation.inspected_at else timezone.now()
    inspector = operation.inspected_by.display_name if operation and operation.inspected_by_id else ""
    return {
        "url": lot.get_absolute_url(),
        "title": gettext("检验状态标识"),
        "fields": [
            (gettext("批号"), lot.number),
            (gettext("产品"), order.product),
            (gettext("规格"), order.specification or "—"),
            (gettext("数量"), lot.quantity),
            (gettext("工序"), f"{operation.sequence} {operation.name}" if operation else "—"),
            (gettext("日期"), date_format(timezone.localtime(when), "Y-m-d")),
            (gettext("检验员"), inspector or "—"),
        ],
        "status": status,
    }


def order_labels(order) -> list[dict]:
    """One status label per lot of the task order, in a fixed number of queries."""
    lots = list(order.lots.select_related("task_order", "current").order_by("number"))
    operations: dict[int, list[LotOperation]] = {}
    for operation in LotOperation.objects.filter(lot__in=lots).select_related("inspected_by").order_by(
            "lot", "sequence"):
        operations.setdefault(operation.lot_id, []).append(operation)
    return [lot_label(lot, operations.get(lot.pk, [])) for lot in lots]
