"""Shipments and the after-sales confirmation (PROCEDURES.md §2 "After shipment"; seed 002 §5.7.1).

    待发货 planned ──确认发货 (sales/PMC; the time the goods left)──▶ 已发货待确认 shipped
        ──客户确认无异常──▶ 客户已确认 confirmed
        ──客户反馈问题 (the problem's text)──▶ 客户反馈问题 problem: a complaint is opened, pre-filled from the shipment
    planned ──取消发货 (reason)──▶ cancelled.  Nothing is deleted.

Shipping is refused, with every reason at once, while the contract is not registered (合同台账) or a special
requirement that applies to it is unmet (``qms.blocks.holds("customers.Contract", …, "delivery")``), and when a
line would ship more than the contract line has left.

"一周内" (seed 002 §5.7.1 "货物发出一周内…与客户确认收货情况及货物的品质、数量"): we read one week as one
*working* week, 5 working days on the holiday calendar — the same day of the next week in an ordinary week, and
longer across 国庆 or 春节, when the customer cannot be reached to confirm. For a foreign customer "视船期而定":
the week counts from the expected arrival (``expected_arrival_on``) when that is later than the shipment.
The confirmation clock (``CONFIRMATION_DUE``) is the contract owner's, reminded a day ahead and escalated to his
manager a day after.

Batch numbers are what complaints and adverse events trace back to customers by: ``trace_batch``.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce, Upper
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.contracts.fulfilment_models import ConfirmationChannel, Shipment, ShipmentLine, ShipmentStatus
from customers.contracts.fulfilment_move_forms import RequiredMoveForm, ShipForm
from customers.contracts.models import Contract, ContractStatus
from customers.contracts.services.special_requirements import DELIVERY
from qms import Refused, audit, blocks, workflow
from qms.deadlines import DeadlineRule
from qms.numbering import next_number
from qms.people import Role
from qms.workdays import WorkingCalendar
from qms.workflow import Move

S = ShipmentStatus
CONFIRMATION_WORKING_DAYS = getattr(settings, "QMS_SHIPMENT_CONFIRMATION_WORKING_DAYS", 5)
OPEN_STATUSES = (S.PLANNED, S.SHIPPED)
SHIP_ROLES = (Role.SALES, Role.PMC)
CONFIRM_ROLES = (Role.SALES, Role.CUSTOMER_SERVICE)
# who sees every shipment besides those who see the customer: quality traces batches, PMC and production ship
SEES_ALL = (Role.GM, Role.MR, Role.QUALITY, Role.CUSTOMER_SERVICE, Role.PMC, Role.PRODUCTION)
SHIPPABLE_CONTRACT_STATUSES = (ContractStatus.REGISTERED,)


# --- the one-week confirmation -------------------------------------------------------------------------
def confirmation_start(shipment, start: dt.datetime) -> dt.datetime:
    """The moment the week counts from: the shipment, or the expected arrival of a foreign customer's goods."""
    arrival = shipment.expected_arrival_on if shipment.is_export else None
    local = timezone.localtime(start)
    if arrival is not None and arrival > local.date():
        return local.replace(year=arrival.year, month=arrival.month, day=arrival.day)
    return local


def confirmation_due(shipment, start: dt.datetime, calendar: WorkingCalendar | None = None) -> dt.datetime:
    return (calendar or WorkingCalendar()).add_working_days(confirmation_start(shipment, start),
                                                            CONFIRMATION_WORKING_DAYS)


def _owner(shipment):
    return shipment.contract.owner


CONFIRMATION_DUE = DeadlineRule("shipment_confirmation", _("发货后一周内与客户确认收货、数量和质量：{record}"),
                                due=confirmation_due, responsible=_owner, start="shipped_at",
                                remind_before=dt.timedelta(days=1), escalate_after=dt.timedelta(days=1))


# --- quantities ----------------------------------------------------------------------------------------
def shipped_quantities(contract_id, exclude_shipment_id=None) -> dict[int, Decimal]:
    """{contract line id: quantity in shipments not cancelled}."""
    rows = ShipmentLine.objects.filter(shipment__contract_id=contract_id).exclude(shipment__status=S.CANCELLED)
    if exclude_shipment_id is not None:
        rows = rows.exclude(shipment_id=exclude_shipment_id)
    return {row["contract_line_id"]: row["total"] for row in rows.values("contract_line_id")
            .annotate(total=Coalesce(Sum("quantity"), Value(0, output_field=DecimalField())))}


def over_shipped(shipment) -> list[str]:
    """Each line of ``shipment`` that would take its contract line over the ordered quantity, worded."""
    already = shipped_quantities(shipment.contract_id, exclude_shipment_id=shipment.pk)
    problems = []
    for line in shipment.lines.select_related("contract_line"):
        ordered = line.contract_line.quantity
        if already.get(line.contract_line_id, 0) + line.quantity > ordered:
            problems.append(gettext("第 %(no)s 行 %(product)s 发货数量超过合同剩余数量（合同 %(ordered)s，已发 %(done)s，"
                                    "本次 %(now)s）。") % {
                "no": line.contract_line.line_no, "product": line.contract_line.product, "ordered": ordered,
                "done": already.get(line.contract_line_id, 0), "now": line.quantity})
    return problems


# --- the workflow --------------------------------------------------------------------------------------
def contract_not_shippable(contract) -> str | None:
    if contract.status not in SHIPPABLE_CONTRACT_STATUSES:
        return gettext("合同 %(contract)s 尚未登记（当前状态：%(status)s），不能发货。") % {
            "contract": contract.number or contract.title, "status": contract.get_status_display()}
    return None


def _ship_guard(shipment) -> str | None:
    reasons = [reason for reason in (contract_not_shippable(shipment.contract),) if reason]
    if not shipment.lines.exists():
        reasons.append(gettext("发货记录没有发货明细。"))
    reasons.extend(over_shipped(shipment))
    return "；".join(reasons) or None


def _delivery_holds(shipment) -> list[str]:
    return blocks.holds("customers.Contract", shipment.contract_id, DELIVERY)


def _after_shipped(shipment, by, transition) -> None:
    Shipment.objects.filter(pk=shipment.pk).update(shipped_by=by)
    shipment.shipped_by = by


def _after_confirmed(shipment, by, transition) -> None:
    now = timezone.now()
    Shipment.objects.filter(pk=shipment.pk).update(received_ok=True, confirmed_at=now, confirmed_by=by)
    shipment.received_ok, shipment.confirmed_at, shipment.confirmed_by = True, now, by


CHANNELS = {ConfirmationChannel.PHONE: "phone", ConfirmationChannel.FAX: "fax", ConfirmationChannel.EMAIL: "email",
            ConfirmationChannel.VISIT: "visit"}


def complaint_fields(shipment) -> dict:
    """What the complaint opened from a problem at confirmation is pre-filled with: the customer, the contact,
    the product and batch numbers shipped, the quantity and the problem as the customer told it."""
    lines = list(shipment.lines.select_related("contract_line").order_by("contract_line__line_no", "pk"))
    products = list(dict.fromkeys(line.contract_line.product for line in lines))
    batches = list(dict.fromkeys(line.batch_number for line in lines))
    quantity = sum((line.quantity for line in lines), Decimal(0))
    description = gettext("发货 %(number)s（合同 %(contract)s，%(when)s 发货）售后确认时客户反馈：%(problem)s") % {
        "number": shipment.number, "contract": shipment.contract.number or shipment.contract.title,
        "when": timezone.localtime(shipment.shipped_at).strftime("%Y-%m-%d") if shipment.shipped_at else "—",
        "problem": shipment.confirmation_note}
    return {
        "channel": CHANNELS.get(shipment.confirmation_channel, "phone"),
        "customer": shipment.customer, "description": description,
        "contact_name": shipment.confirmation_contact[:50],
        "product": "、".join(products)[:100], "batch": "、".join(batches)[:50],
        "quantity": int(quantity) if quantity else None,
    }


def _after_problem(shipment, by, transition) -> None:
    from complaints.services import complaints as complaint_service

    now = timezone.now()
    complaint = complaint_service.receive(by=by, **complaint_fields(shipment))
    Shipment.objects.filter(pk=shipment.pk).update(received_ok=False, confirmed_at=now, confirmed_by=by,
                                                   complaint=complaint)
    shipment.received_ok, shipment.confirmed_at, shipment.confirmed_by = False, now, by
    shipment.complaint = complaint


CONFIRMATION_FIELDS = ("confirmation_channel", "confirmation_contact", "confirmation_note")

PIPELINE = {
    S.PLANNED: {
        S.SHIPPED: Move(_("确认发货"), roles=SHIP_ROLES, fields=("shipped_at",), form=ShipForm, guard=_ship_guard,
                        opens=(CONFIRMATION_DUE,), after=_after_shipped, show_blocked=True, style="success"),
        S.CANCELLED: Move(_("取消发货"), roles=SHIP_ROLES, reason=True, closes=("*",), style="outline-danger"),
    },
    S.SHIPPED: {
        S.CONFIRMED: Move(_("客户确认无异常"), roles=CONFIRM_ROLES, fields=CONFIRMATION_FIELDS, form=RequiredMoveForm,
                          closes=("shipment_confirmation",), after=_after_confirmed, style="success"),
        S.PROBLEM: Move(_("客户反馈问题（转投诉）"), roles=CONFIRM_ROLES, fields=CONFIRMATION_FIELDS,
                        form=RequiredMoveForm, closes=("shipment_confirmation",), after=_after_problem,
                        style="outline-warning"),
    },
}

WORKFLOW = workflow.register(workflow.Workflow(
    Shipment, PIPELINE, badges={S.PLANNED: "warning", S.SHIPPED: "info", S.CONFIRMED: "success",
                                S.PROBLEM: "danger", S.CANCELLED: "secondary"}))

blocks.register_block(blocked=Shipment, targets=(S.SHIPPED,), reason=_delivery_holds)


# --- actions -------------------------------------------------------------------------------------------
def _clean(text) -> str:
    return (text or "").strip()


def create_shipment(*, by, contract: Contract, lines, planned_on: dt.date | None = None, carrier: str = "",
                    waybill: str = "", delivery_address: str = "", is_export: bool = False,
                    expected_arrival_on: dt.date | None = None, note: str = "") -> Shipment:
    """A shipment of ``contract``: ``lines`` are (contract line, quantity, batch number). Refused when a line
    is not the contract's, has no batch number or would ship more than the contract line has left; the contract's
    registration and special requirements are checked when it is shipped (and shown on the shipment meanwhile)."""
    if not (by.is_superuser or by.has_role(*SHIP_ROLES)):
        raise Refused(gettext("只有销售或 PMC 可以填写发货记录。"))
    if contract.status in (ContractStatus.CANCELLED, ContractStatus.REJECTED, ContractStatus.COMPLETED):
        raise Refused(gettext("合同 %(contract)s 已%(status)s，不能再发货。") % {
            "contract": contract.number or contract.title, "status": contract.get_status_display()})
    rows = [(line, Decimal(quantity or 0), _clean(batch)) for line, quantity, batch in lines if line is not None]
    rows = [row for row in rows if row[1] or row[2]]
    if not rows:
        raise Refused(gettext("请至少填写一行发货数量和批号。"))
    problems = []
    already = shipped_quantities(contract.pk)
    for line, quantity, batch in rows:
        if line.contract_id != contract.pk:
            problems.append(gettext("第 %(no)s 行不属于此合同。") % {"no": line.line_no})
            continue
        if quantity <= 0:
            problems.append(gettext("第 %(no)s 行 %(product)s 发货数量须大于 0。") % {"no": line.line_no,
                                                                              "product": line.product})
        if not batch:
            problems.append(gettext("第 %(no)s 行 %(product)s 须填写批号（投诉和不良事件据此追溯到客户）。")
                            % {"no": line.line_no, "product": line.product})
        if quantity > 0 and already.get(line.pk, 0) + quantity > line.quantity:
            problems.append(gettext("第 %(no)s 行 %(product)s 发货数量超过合同剩余数量（合同 %(ordered)s，已发 %(done)s）。")
                            % {"no": line.line_no, "product": line.product, "ordered": line.quantity,
                               "done": already.get(line.pk, 0)})
    if is_export and expected_arrival_on is None:
        problems.append(gettext("国外客户请填写预计到港/到货日期（确认期限视船期而定）。"))
    if problems:
        raise Refused("；".join(problems))
    with transaction.atomic(), audit.context(user=by, reason=gettext("填写发货记录")):
        shipment = Shipment(contract=contract, customer_id=contract.customer_id, created_by=by,
                            planned_on=planned_on or timezone.localdate(), carrier=_clean(carrier),
                            waybill=_clean(waybill), delivery_address=_clean(delivery_address) or contract.delivery_address,
                            is_export=bool(is_export), expected_arrival_on=expected_arrival_on if is_export else None,
                            note=_clean(note))
        shipment.number = next_number("shipment", prefix_default="FH", name_default=gettext("发货记录"))
        shipment.save()
        ShipmentLine.objects.bulk_create([ShipmentLine(shipment=shipment, contract_line=line, quantity=quantity,
                                                       batch_number=batch) for line, quantity, batch in rows])
    return shipment


def ship(shipment: Shipment, *, by, shipped_at: dt.datetime | None = None) -> Shipment:
    workflow.perform(shipment, S.SHIPPED, by, values={"shipped_at": shipped_at or timezone.now()})
    return shipment


def record_confirmation(shipment: Shipment, *, by, ok: bool, channel: str, contact: str, note: str) -> Shipment:
    """The customer's answer within the week: no problem, or a problem (its text) that opens a complaint."""
    values = {"confirmation_channel": channel, "confirmation_contact": _clean(contact),
              "confirmation_note": _clean(note)}
    if not all(values.values()):
        raise Refused(gettext("请填写确认方式、客户确认人和确认记录。"))
    workflow.perform(shipment, S.CONFIRMED if ok else S.PROBLEM, by, values=values)
    return shipment


def trace_batch(batch: str):
    """The shipment lines of ``batch`` (case-insensitive, exact), with their shipment, contract and customer: who
    received a batch that a complaint or an adverse event names."""
    return (ShipmentLine.objects.filter(~Q(shipment__status=S.CANCELLED))
            .annotate(batch_upper=Upper("batch_number")).filter(batch_upper=_clean(batch).upper())
            .select_related("shipment__customer", "shipment__contract", "contract_line")
            .order_by("-shipment__shipped_at", "pk"))


def customers_for_batch(batch: str):
    from customers.models import Customer

    return Customer.all_objects.filter(pk__in=trace_batch(batch).values("shipment__customer_id")).order_by("name")
