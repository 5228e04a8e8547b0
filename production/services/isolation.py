"""The quality isolation area (PROCEDURES.md §6; seed 004 质量保证部隔离区管理制度, seed 001 §5.3).

Nonconforming or undetermined product goes into the isolation area with a line in 《隔离区产品跟踪台账》: a lot
found so by an inspector's result (the lot moves to 隔离中 through its own workflow) or goods a customer returned
(the hand-over complaints records, received through ``qms.registry.hand_over_nonconforming``). Then, declared in
``PIPELINE`` and enforced by ``qms.workflow.perform``:

    待评审 review ──评审 (engineer, signed: rework/repair + instruction)──▶ 处置中 rework
               ──评审 (engineer, signed: concession, who granted it)──▶ 已放行 released (the lot moves on)
               ──评审 (engineer, signed: scrap / return to supplier)──▶ 已关闭 closed (the lot is scrapped/returned)
    处置中 ──处置完成 (production)──▶ 待复检 reinspection (the product is 待判定 until inspected)
    待复检 ──复检 conforming or concession (quality, signed)──▶ 已放行 (the lot leaves the isolation area)
           ──复检 nonconforming (quality, signed)──▶ 待评审 (reviewed again)

Clocks on the working-day calendar: the review within 2 working days of entering (or re-entering) review, the
disposition within 5 working days of the review; reminders and escalation from the shared tick.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit, numbering, workflow
from qms.deadlines import Deadline, DeadlineRule
from qms.people import Role, User
from qms.refusals import Refused
from qms.signatures import Meaning
from qms.workdays import add_working_days
from qms.workflow import Move, Workflow
from production.models import (REWORKED, Disposition, InspectionRecord, InspectionStatus, IsolationEntry,
                               IsolationSource, IsolationStatus, Lot, LotOperation, LotStatus)

S = IsolationStatus
I = InspectionStatus

REVIEW_WORKING_DAYS = getattr(settings, "QMS_ISOLATION_REVIEW_WORKING_DAYS", 2)
DISPOSITION_WORKING_DAYS = getattr(settings, "QMS_ISOLATION_DISPOSITION_WORKING_DAYS", 5)
DEFAULT_LOCATION = getattr(settings, "QMS_ISOLATION_LOCATION", "质量保证部隔离区")

ENGINEER_ROLES = (Role.ENGINEERING,)
PRODUCTION_ROLES = (Role.PRODUCTION, Role.PMC)
INSPECTOR_ROLES = (Role.QUALITY,)
CLOCKS = ("isolation_review", "isolation_disposition")


def _holder(roles, fallback=None):
    """Who answers for a clock: a department manager holding the role, else the first holder, else ``fallback``."""
    holders = list(User.objects.filter(is_active=True, groups__name__in=roles).distinct().order_by("pk")[:20])
    return next((user for user in holders if user.manages_a_department()), holders[0] if holders else fallback)


REVIEW_DUE = DeadlineRule(
    "isolation_review", _("评审隔离产品：{record}"),
    due=lambda entry, start: add_working_days(start, REVIEW_WORKING_DAYS),  # seed 004: within 2 working days
    responsible=lambda entry: _holder(ENGINEER_ROLES, entry.placed_by), start="placed_at")

DISPOSITION_DUE = DeadlineRule(
    "isolation_disposition", _("完成隔离产品处置：{record}"),
    due=lambda entry, start: add_working_days(start, DISPOSITION_WORKING_DAYS),  # seed 004: within 5 working days
    responsible=lambda entry: _holder(PRODUCTION_ROLES, entry.reviewed_by), start="reviewed_at")

REVIEW_FIELDS = ("disposition", "instruction", "concession_by", "reviewed_by", "reviewed_at")
REINSPECTION_FIELDS = ("concession_by", "reinspection_result", "reinspection_note", "reinspected_by", "reinspected_at")


# --- what the entry's moves do to the lot (after-hooks, in the move's transaction) ----------------------------
def _lot_move(entry: IsolationEntry, to: str, by) -> None:
    if entry.lot_id is not None:
        lot = Lot.objects.select_related("current", "task_order").get(pk=entry.lot_id)
        workflow.perform(lot, to, by, system=True)


def _after_review(entry: IsolationEntry, by, transition) -> None:
    if entry.disposition == Disposition.CONCESSION and entry.operation_id:
        # the concession goes on the lot's papers, with who granted it (seed 001 §5.3)
        LotOperation.objects.filter(pk=entry.operation_id).update(
            inspection_status=I.CONCESSION, concession_by=entry.concession_by,
            concession_reason=entry.instruction)
        _lot_move(entry, LotStatus.IN_PROCESS, by)
    elif entry.disposition == Disposition.SCRAP:
        _lot_move(entry, LotStatus.SCRAPPED, by)
    elif entry.disposition == Disposition.RETURN_TO_SUPPLIER:
        _lot_move(entry, LotStatus.RETURNED, by)


def _after_rework(entry: IsolationEntry, by, transition) -> None:
    # reworked product has no clear status until quality inspects it again (seed 001 §5.3: 待判定)
    if entry.operation_id:
        LotOperation.objects.filter(pk=entry.operation_id).update(inspection_status=I.UNDETERMINED)


def _after_release(entry: IsolationEntry, by, transition) -> None:
    _lot_move(entry, LotStatus.IN_PROCESS, by)


def _back_to_review(entry: IsolationEntry, by, transition) -> None:
    REVIEW_DUE.open(entry, start=transition.at)


def _needs_concession_by(entry: IsolationEntry) -> str | None:
    if not entry.concession_by.strip():
        return gettext("让步接收须填写批准人。")
    return None


REVIEW = dict(roles=ENGINEER_ROLES, signature=Meaning.APPROVAL, fields=REVIEW_FIELDS, closes=("isolation_review",),
              after=_after_review, own_form=True)
REINSPECT = dict(roles=INSPECTOR_ROLES, signature=Meaning.VERIFICATION, fields=REINSPECTION_FIELDS, own_form=True)

PIPELINE = {
    S.AWAITING_REVIEW: {
        S.REWORK: Move(_("评审：返工/返修"), opens=(DISPOSITION_DUE,), **REVIEW),
        S.RELEASED: Move(_("评审：让步接收"), guard=_needs_concession_by, **REVIEW),
        S.CLOSED: Move(_("评审：报废/退供方"), **REVIEW),
    },
    S.REWORK: {
        S.REINSPECTION: Move(_("处置完成，提交复检"), roles=PRODUCTION_ROLES, fields=("rework_note", "reworked_by",
                                                                             "reworked_at"),
                             closes=("isolation_disposition",), after=_after_rework, own_form=True),
    },
    S.REINSPECTION: {
        S.RELEASED: Move(_("复检放行"), after=_after_release, **REINSPECT),
        S.AWAITING_REVIEW: Move(_("复检不合格，重新评审"), after=_back_to_review, **REINSPECT),
    },
}
WORKFLOW = workflow.register(Workflow(IsolationEntry, PIPELINE, badges={
    S.AWAITING_REVIEW: "warning", S.REWORK: "info", S.REINSPECTION: "primary", S.RELEASED: "success",
    S.CLOSED: "dark"}, hand_over=workflow.role_holders_of_next_moves))


# --- into the isolation area -----------------------------------------------------------------------------------
def _create(by, **fields) -> IsolationEntry:
    entry = IsolationEntry(placed_by=by, placed_at=timezone.now(), **fields)
    entry.number = numbering.next_number("isolation_entry", prefix_default="GL", name_default="隔离区产品跟踪台账")
    entry.save()
    REVIEW_DUE.open(entry)
    return entry


def isolate_lot(lot: Lot, record: InspectionRecord, by, *, location: str = "") -> IsolationEntry:
    """The lot found nonconforming or undetermined at its operation goes into the isolation area: the lot's move
    to 隔离中 and the ledger line, in the inspection's transaction (called by ``lots.record_inspection``)."""
    operation = record.operation
    with transaction.atomic(), audit.context(user=by, reason=gettext("移入隔离区")):
        workflow.perform(lot, LotStatus.ISOLATED, by, system=True, reason=gettext("检验判定：%(result)s") % {
            "result": InspectionStatus(record.result).label})
        order = lot.task_order
        reason = gettext("工序“%(op)s”检验判定为%(result)s") % {"op": operation.name,
                                                          "result": InspectionStatus(record.result).label}
        if record.note:
            reason = f"{reason}：{record.note}"
        return _create(by, source=IsolationSource.INSPECTION, lot=lot, operation=operation,
                       source_reference=lot.number, product=order.product, specification=order.specification,
                       batch=lot.number, quantity=operation.quantity_out or lot.quantity, found_status=record.result,
                       reason=reason, location=location or DEFAULT_LOCATION)


def receive_returned_goods(record, by, *, product: str, specification: str = "", batch: str, quantity: int,
                           reason: str, reference: str = "", location: str = "", **details) -> str:
    """The hand-over of a customer's returned goods to nonconforming-product control (complaints' return, through
    ``qms.registry.hand_over_nonconforming``): a ledger line, 待判定 until reviewed. Handed over twice (a corrected
    reference), the goods are still one line. Returns the ledger number."""
    content_type = ContentType.objects.get_for_model(record, for_concrete_model=False)
    existing = IsolationEntry.objects.filter(source_type=content_type, source_id=record.pk).first()
    if existing is not None:
        return existing.number
    with transaction.atomic(), audit.context(user=by, reason=gettext("退货移入隔离区")):
        entry = _create(by, source=IsolationSource.RETURN, source_type=content_type, source_id=record.pk,
                        source_reference=(reference or str(getattr(record, "number", "")))[:60], product=product,
                        specification=specification, batch=batch, quantity=quantity,
                        found_status=InspectionStatus.UNDETERMINED, reason=reason,
                        location=location or DEFAULT_LOCATION)
    return entry.number


def source_url(entry: IsolationEntry) -> str:
    """The page of the record that handed the goods over (a customer's return), for the entry's page."""
    if entry.source_type_id is None:
        return ""
    source = entry.source_type.model_class()._default_manager.filter(pk=entry.source_id).first()
    return source.get_absolute_url() if source is not None and hasattr(source, "get_absolute_url") else ""


# --- the review 《隔离产品评审表》 ------------------------------------------------------------------------------
def review(entry: IsolationEntry, by, *, disposition: str, instruction: str, concession_by: str = "",
           password: str = "") -> IsolationEntry:
    """The engineer's signed disposition and instruction. Rework/repair opens production's 5-day clock;
    concession lets the product out with who granted it; scrap and return to supplier close the line."""
    instruction, concession_by = (instruction or "").strip(), (concession_by or "").strip()
    if disposition not in Disposition.values:
        raise Refused(gettext("请选择处置方式。"))
    if not instruction:
        raise Refused(gettext("请填写返工/处置指令。"))
    if disposition != Disposition.CONCESSION:
        concession_by = ""
    target = (S.REWORK if disposition in REWORKED else S.RELEASED if disposition == Disposition.CONCESSION
              else S.CLOSED)
    try:
        workflow.perform(entry, target, by, password=password, comment=instruction, values={
            "disposition": disposition, "instruction": instruction, "concession_by": concession_by,
            "reviewed_by": by, "reviewed_at": timezone.now()})
    except Refused:
        entry.refresh_from_db()
        raise
    return entry


def complete_rework(entry: IsolationEntry, by, *, rework_note: str) -> IsolationEntry:
    """Production has done what the review said; the product waits for quality's re-inspection."""
    rework_note = (rework_note or "").strip()
    if not rework_note:
        raise Refused(gettext("请填写处置完成情况。"))
    try:
        workflow.perform(entry, S.REINSPECTION, by, values={"rework_note": rework_note, "reworked_by": by,
                                                            "reworked_at": timezone.now()})
    except Refused:
        entry.refresh_from_db()
        raise
    return entry


def reinspect(entry: IsolationEntry, by, *, result: str, note: str = "", concession_by: str = "",
              password: str = "") -> IsolationEntry:
    """Quality inspects the reworked product first (seed 004): conforming or concession → it leaves the isolation
    area (the lot is conforming again at its operation and moves on or into stock); nonconforming → reviewed
    again. The inspection is also an ``InspectionRecord`` on the lot's operation."""
    note, concession_by = (note or "").strip(), (concession_by or "").strip()
    if result not in (I.CONFORMING, I.CONCESSION, I.NONCONFORMING):
        raise Refused(gettext("请选择检验结论。"))
    if result == I.CONCESSION and not concession_by:
        raise Refused(gettext("让步接收须填写批准人。"))
    target = S.AWAITING_REVIEW if result == I.NONCONFORMING else S.RELEASED
    now = timezone.now()
    try:
        with transaction.atomic(), audit.context(user=by, reason=gettext("复检")):
            if entry.operation_id:
                InspectionRecord.objects.create(operation_id=entry.operation_id, kind="final", result=result,
                                                note=note or gettext("隔离品复检"), concession_by=concession_by,
                                                concession_reason=note if concession_by else "", inspector=by,
                                                inspected_at=now)
                LotOperation.objects.filter(pk=entry.operation_id).update(
                    inspection_status=result, inspected_by=by, inspected_at=now, concession_by=concession_by,
                    concession_reason=note if concession_by else "")
            values = {"reinspection_result": result, "reinspection_note": note, "reinspected_by": by,
                      "reinspected_at": now}
            if result == I.CONCESSION:
                values["concession_by"] = concession_by
            workflow.perform(entry, target, by, password=password, comment=note, values=values)
    except Refused:
        entry.refresh_from_db()
        raise
    return entry


# --- the isolation tag 《隔离卡》 -------------------------------------------------------------------------------
def tag_label(entry: IsolationEntry) -> dict:
    """What the tag on the isolated product says (a ``qms.labels`` label: its QR code opens the ledger line)."""
    return {
        "url": entry.get_absolute_url(),
        "title": gettext("隔离卡"),
        "fields": [
            (gettext("台账编号"), entry.number),
            (gettext("产品"), f"{entry.product} {entry.specification}".strip()),
            (gettext("批号"), entry.batch),
            (gettext("数量"), entry.quantity),
            (gettext("隔离原因"), entry.reason[:60]),
            (gettext("移入"), f"{entry.placed_by.display_name} {timezone.localtime(entry.placed_at):%Y-%m-%d}"),
            (gettext("存放位置"), entry.location),
        ],
        "status": gettext("隔离 · %(status)s") % {"status": entry.get_status_display()},
    }


# --- a CAPA from the review -------------------------------------------------------------------------------------
def capa_refusal(entry: IsolationEntry, user) -> str | None:
    from qms.capa import services as capa_services

    if not (user.is_superuser or user.has_perm("qms.raise_capa")):
        return gettext("只有品质部、管理者代表、总经理或部门经理可以提出纠正和预防措施。")
    if not entry.disposition:
        return gettext("评审后才能提出纠正和预防措施。")
    if capa_services.unverified_capas_for_source(entry).exists():
        return gettext("已有未关闭的纠正和预防措施。")
    return None


def raise_capa(entry: IsolationEntry, by):
    """One click from the review: a corrective action through the shared CAPA service, linked to the entry; the
    reviewing engineer answers for its plan."""
    from qms.capa import services as capa_services
    from qms.capa.models import CapaSource

    why_not = capa_refusal(entry, by)
    if why_not:
        raise Refused(why_not)
    title = gettext("隔离品 %(number)s %(product)s：%(disposition)s") % {
        "number": entry.number, "product": entry.product, "disposition": entry.get_disposition_display()}
    return capa_services.raise_capa(source=CapaSource.NONCONFORMING, title=title[:200], nonconformity=entry.reason,
                                    responsible=entry.reviewed_by or by, raised_by=by, source_record=entry,
                                    source_reference=entry.number)


# --- the management review's input (PROCEDURES.md §5: process and product quality) --------------------------------
REVIEW_LABEL = _("隔离区与不合格品")


def review_figures(start: dt.date, end: dt.date) -> list:
    """For the period (dates, both included): lines entered and how they were disposed, and the clocks that fell
    due with how many were met in time. Two queries."""
    from qms.registry import ReviewFigure

    tz = timezone.get_default_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    entered = IsolationEntry.objects.filter(placed_at__gte=since, placed_at__lt=until).aggregate(
        total=Count("pk"), returns=Count("pk", filter=Q(source=IsolationSource.RETURN)),
        **{value: Count("pk", filter=Q(disposition=value)) for value in Disposition.values})
    clocks = Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(IsolationEntry), kind__in=CLOCKS, due_at__gte=since,
        due_at__lt=min(until, timezone.now())).exclude(state=Deadline.State.CANCELLED).aggregate(
        due=Count("pk"), on_time=Count("pk", filter=Q(state=Deadline.State.MET, closed_at__lte=F("due_at"))))
    dispositions = "、".join(f"{label} {entered[value]}" for value, label in Disposition.choices if entered[value])
    from qms.review_inputs import ReviewSection, bar

    return ReviewSection(figures=[
        ReviewFigure(gettext("移入隔离区"), entered["total"],
                     gettext("其中客户退货 %(n)d") % {"n": entered["returns"]} if entered["returns"] else ""),
        ReviewFigure(gettext("评审处置"), dispositions or "—"),
        ReviewFigure(gettext("处置及时率"), f"{clocks['on_time']} / {clocks['due']}",
                     f"{round(100 * clocks['on_time'] / clocks['due'])}%" if clocks["due"] else ""),
    ], charts=[bar(gettext("处置方式"), [label for _value, label in Disposition.choices],
                   (gettext("数量"), [entered[value] for value in Disposition.values]))])


# --- the monthly on-time disposition rate ----------------------------------------------------------------------
def on_time_by_month(start: dt.date | None = None, now: dt.datetime | None = None) -> list[dict]:
    """Per month of the due time: the isolation clocks (review 2 days, disposition 5 days) that fell due, and how
    many were met by their due time — one grouped query over the deadline rows (a cancelled clock does not
    count; an open one counts once its due time has passed)."""
    now = now or timezone.now()
    rows = Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(IsolationEntry), kind__in=CLOCKS).exclude(
        state=Deadline.State.CANCELLED).filter(Q(due_at__lte=now) | Q(state=Deadline.State.MET))
    if start is not None:
        rows = rows.filter(due_at__date__gte=start)
    grouped = (rows.annotate(month=TruncMonth("due_at", tzinfo=timezone.get_default_timezone()))
               .values("month").order_by("month")
               .annotate(due=Count("pk"), on_time=Count("pk", filter=Q(state=Deadline.State.MET,
                                                                       closed_at__lte=F("due_at")))))
    result = []
    for row in grouped:
        rate = round(100 * row["on_time"] / row["due"], 1) if row["due"] else None
        result.append({"month": row["month"].strftime("%Y-%m"), "due": row["due"], "on_time": row["on_time"],
                       "rate": rate})
    return result

