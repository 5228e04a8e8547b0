"""After the permit (PROCEDURES.md §4; seed 5.3–5.5): the workers and their passes 《施工出入证》, completion
acceptance (初验) and the re-inspection three months later (复验) with their rectification notices
《装修验收整改通知书》, the claims against the deposits and the refund.

Flow after 已发许可证: 申报竣工 → 待竣工验收 → joint inspection: 初验合格 (signature; every pass returned or
declared lost) → 待复验, due 3 months after acceptance; or 验收不合格 → 验收整改中 with a notice and a deadline →
整改完成 → 待竣工验收 again. 复验合格 (signature) → 待退款审批, or 复验不合格 → 复验整改中 → 待复验. The property
manager approves the refund (signature) with the settlement shown: the claims are taken from the contractor's
deposit first, then the owner's deposit, and what remains is billed to the owner; the finance clerk pays the
deposits back (receipt numbers) → 已结案, which frees the unit for a new renovation.

A pass still out holds 初验合格 and 批准退款 back (the guards below); an open violation holds 申报竣工, 初验合格 and
批准退款 back through a block declared with ``qms.blocks.register_block`` (``site.VIOLATIONS_HOLD``); the move
refuses with every reason at once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit, blocks, workflow
from qms.attachments import attach, validate_upload
from qms.deadlines import DeadlineRule, deadlines_for
from qms.notifications import notify
from qms.numbering import next_number
from qms.people import Role, User
from qms.signatures import Meaning
from qms.texts import portal_text
from qms.workdays import add_working_days
from qms.refusals import Refused
from qms.workflow import Move
from renovation.models import (AcceptanceInspection, Application, ApplicationStatus, ClaimSource, DepositClaim,
                               EntryKind, FeeItem, InspectionStage, LedgerEntry, PassStatus, Payer, Worker)
from renovation.services.fees import (ZERO, applicable_items, balances, check_amount,
                                      deposit_items_held, item_totals, yuan)
from renovation.services.roles import ACCEPTANCE_INSPECTOR_ROLES, CASHIER_ROLES, DESK_ROLES, PASS_ROLES, require

S = ApplicationStatus
REINSPECTION_MONTHS = 3  # seed: 复验 three months after 初验合格
WORKER_STATES = (S.APPROVED, S.PERMITTED, S.ACCEPTANCE_RECTIFYING)
CLAIM_STATES = (S.PERMITTED, S.ACCEPTANCE, S.ACCEPTANCE_RECTIFYING, S.REINSPECTION, S.REINSPECTION_RECTIFYING,
                S.REFUND_APPROVAL)
PHOTO_TYPES = ("jpg", "jpeg", "png", "webp")
RECTIFYING_STATE = {InspectionStage.ACCEPTANCE: S.ACCEPTANCE_RECTIFYING,
                    InspectionStage.REINSPECTION: S.REINSPECTION_RECTIFYING}
PASSED_STATE = {InspectionStage.ACCEPTANCE: S.REINSPECTION, InspectionStage.REINSPECTION: S.REFUND_APPROVAL}
STAGE_OF_STATE = {S.ACCEPTANCE: InspectionStage.ACCEPTANCE, S.REINSPECTION: InspectionStage.REINSPECTION}


def _first_with_role(role):
    return User.objects.filter(groups__name=role, is_active=True).order_by("pk").first()


# --- what holds the way to the refund back -------------------------------------------------------------
def holding_back(application: Application, to, *own) -> str | None:
    """Every reason the move of ``application`` to ``to`` waits for, joined: ``own`` (this part's checks) and
    those declared with ``qms.blocks.register_block`` (an open violation, ``site.VIOLATIONS_HOLD``)."""
    reasons = [str(reason) for reason in own if reason]
    reasons += [reason for reason in blocks.block_reasons(application, to) if reason not in reasons]
    return "；".join(reasons) or None


# --- workers and passes ----------------------------------------------------------------------------------
def pass_fee_items(application: Application):
    """The per-worker lines of the fee schedule (工本费, pass deposit) that apply to the application."""
    return applicable_items(application).filter(per_worker=True).order_by("order", "id")


def register_worker(application: Application, by: User, *, name: str, id_number: str, phone: str, photo,
                    trade: str = "") -> Worker:
    """《施工人员登记表》: the worker with an ID photo gets a numbered pass; the per-worker fees are charged."""
    require(by, "renovation.register_worker")
    if application.status not in WORKER_STATES:
        raise Refused(gettext("申请批准后、竣工验收前才能登记施工人员。"))
    if photo is None:
        raise Refused(gettext("请上传施工人员的照片。"))
    ext = validate_upload(photo)
    if ext not in PHOTO_TYPES:
        raise Refused(gettext("照片须为图片文件（JPG、PNG 或 WEBP）。"))
    try:
        with transaction.atomic(), audit.context(user=by, reason=gettext("登记施工人员")):
            return _issue_pass(application, by, name=name, id_number=id_number.upper(), phone=phone, trade=trade,
                               photo=photo)
    except IntegrityError as error:
        if "renovation_worker_once_per_application" in str(error):
            raise Refused(gettext("身份证号 %(id)s 的施工人员已登记。") % {"id": id_number}) from error
        raise


def _issue_pass(application: Application, by: User, *, name, id_number, phone, trade, photo,
                replaces: Worker | None = None) -> Worker:
    """A numbered pass for the worker, and the per-worker lines of the fee schedule charged for it."""
    items = list(pass_fee_items(application))
    deposit = sum((item.default_amount for item in items if item.is_deposit), ZERO)
    attachment = attach(application, photo, by=by, description=gettext("%(name)s 的照片") % {"name": name})
    worker = Worker.objects.create(
        application=application, name=name, id_number=id_number, phone=phone, trade=trade, photo=attachment,
        pass_deposit=deposit, registered_by=by, replaces=replaces,
        pass_number=next_number("renovation_pass", prefix_default="CR", name_default="施工出入证"))
    note = (gettext("%(name)s（%(number)s）") % {"name": name, "number": worker.pass_number} if replaces is None else
            gettext("%(name)s（补办 %(number)s，原证 %(lost)s 遗失）") % {
                "name": name, "number": worker.pass_number, "lost": replaces.pass_number})
    LedgerEntry.objects.bulk_create([
        LedgerEntry(application=application, payer=item.payer, kind=EntryKind.CHARGE, fee_item=item,
                    amount=item.default_amount, recorded_by=by, note=note)
        for item in items if item.default_amount > 0])
    return worker


def replace_lost_pass(worker: Worker, by: User) -> Worker:
    """补办出入证: a new pass number for the same worker (the same registration and photo), the pass fee and deposit
    charged again as the fee schedule says; the lost pass stays recorded as lost (its deposit forfeited)."""
    require(by, "renovation.register_worker")
    application = worker.application
    if application.status not in WORKER_STATES:
        raise Refused(gettext("申请批准后、竣工验收前才能补办出入证。"))
    if worker.pass_status != PassStatus.LOST:
        raise Refused(gettext("出入证 %(number)s 未挂失，挂失后才能补办。") % {"number": worker.pass_number})
    already = gettext("出入证 %(number)s 已补办，新证编号 %(new)s。")
    replacement = Worker.objects.filter(replaces=worker).first()
    if replacement is not None:
        raise Refused(already % {"number": worker.pass_number, "new": replacement.pass_number})
    with worker.photo.file.open("rb") as stored:
        photo = ContentFile(stored.read(), name=worker.photo.original_name)
    try:
        with transaction.atomic(), audit.context(user=by, reason=gettext("补办施工出入证（原证 %(number)s 遗失）") % {
                "number": worker.pass_number}):
            return _issue_pass(application, by, name=worker.name, id_number=worker.id_number, phone=worker.phone,
                               trade=worker.trade, photo=photo, replaces=worker)
    except IntegrityError as error:
        if "replaces_id" in str(error):  # two clicks at once: the one-to-one keeps the second out
            replacement = Worker.objects.get(replaces=worker)
            raise Refused(already % {"number": worker.pass_number, "new": replacement.pass_number}) from error
        raise


def pass_cards_refusal(application: Application) -> str | None:
    """The 《施工出入证》 are printed once the per-worker fees (证件工本费, pass deposit) charged are paid."""
    totals = item_totals(application)
    unpaid = [(item, totals[item.pk]["outstanding"]) for item in pass_fee_items(application)
              if item.pk in totals and totals[item.pk]["outstanding"] > 0]
    if unpaid:
        return gettext("出入证费用未缴清，不能打印施工出入证：%(items)s。") % {"items": "；".join(
            gettext("%(item)s 欠缴 %(owed)s") % {"item": item, "owed": yuan(owed)} for item, owed in unpaid)}
    return None


def _pass_closed(worker, user, transition):
    Worker.objects.filter(pk=worker.pk).update(pass_closed_at=transition.at, pass_closed_by=user,
                                               lost_reason=transition.reason)
    worker.pass_closed_at, worker.pass_closed_by, worker.lost_reason = transition.at, user, transition.reason


# A pass is in use until it is handed back or declared lost (seed 5.4: every pass is returned at acceptance; a lost
# one forfeits its deposit).
PASS_PIPELINE = {
    PassStatus.ISSUED: {
        PassStatus.RETURNED: Move(_("交回出入证"), roles=PASS_ROLES, after=_pass_closed),
        PassStatus.LOST: Move(_("挂失"), roles=PASS_ROLES, reason=True, after=_pass_closed, style="outline-danger"),
    },
}
PASS_WORKFLOW = workflow.register(workflow.Workflow(
    Worker, PASS_PIPELINE, status_field="pass_status",
    badges={PassStatus.ISSUED: "success", PassStatus.RETURNED: "secondary", PassStatus.LOST: "secondary"}))


def _close_pass(worker: Worker, by: User, status: str, reason: str = "") -> None:
    current = Worker.objects.filter(pk=worker.pk).values_list("pass_status", flat=True).first()
    if current != PassStatus.ISSUED:
        raise Refused(gettext("出入证 %(number)s 已交回或挂失。") % {"number": worker.pass_number})
    worker.pass_status = current
    workflow.perform(worker, status, by, reason=reason)


def return_pass(worker: Worker, by: User) -> Worker:
    require(by, "renovation.register_worker")
    with transaction.atomic(), audit.context(user=by, reason=gettext("收回施工出入证 %(number)s") % {
            "number": worker.pass_number}):
        _close_pass(worker, by, PassStatus.RETURNED)
    return worker


def report_lost_pass(worker: Worker, by: User, *, reason: str) -> Worker:
    """A lost pass is cancelled and forfeits its deposit: a claim against the deposits."""
    require(by, "renovation.register_worker")
    reason = (reason or "").strip()
    if not reason:
        raise Refused(gettext("请填写挂失说明。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("挂失施工出入证 %(number)s：%(reason)s") % {
            "number": worker.pass_number, "reason": reason}):
        _close_pass(worker, by, PassStatus.LOST, reason)
        if worker.pass_deposit > 0:
            DepositClaim.objects.create(
                application=worker.application, source=ClaimSource.LOST_PASS, amount=worker.pass_deposit, worker=worker,
                recorded_by=by, reason=gettext("出入证 %(number)s（%(name)s）遗失，押金不退") % {
                    "number": worker.pass_number, "name": worker.name})
    return worker


def passes_refusal(application: Application) -> str | None:
    out = list(application.workers.filter(pass_status=PassStatus.ISSUED).values_list("name", "pass_number"))
    if out:
        return gettext("尚有 %(n)d 张施工出入证未交回或挂失：%(passes)s。") % {
            "n": len(out), "passes": "、".join(f"{name}（{number}）" for name, number in out)}
    return None


# --- claims against the deposits -------------------------------------------------------------------------
def add_claim(application: Application, by: User, *, source: str, amount: Decimal, reason: str,
              worker: Worker | None = None) -> DepositClaim:
    """An amount owed out of the deposits (damage found at acceptance, a violation's compensation, ...)."""
    require(by, "renovation.record_claim")
    if application.status not in CLAIM_STATES:
        raise Refused(gettext("发放施工许可证后、批准退款前才能登记扣款。"))
    amount = check_amount(amount)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(gettext("请填写扣款说明。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记应扣款项：%(reason)s") % {"reason": reason}):
        return DepositClaim.objects.create(application=application, source=source, amount=amount, reason=reason,
                                           worker=worker, recorded_by=by)


@dataclass(frozen=True)
class Settlement:
    """The refund of the deposits: the claims taken from the contractor's deposit first, then the owner's, and
    the rest billed to the owner."""

    claims: Decimal
    contractor_held: Decimal
    owner_held: Decimal
    from_contractor: Decimal
    from_owner: Decimal
    billed_to_owner: Decimal

    @property
    def refund_contractor(self) -> Decimal:
        return self.contractor_held - self.from_contractor

    @property
    def refund_owner(self) -> Decimal:
        return self.owner_held - self.from_owner


def settle(claims: Decimal, *, contractor_held: Decimal, owner_held: Decimal) -> Settlement:
    from_contractor = min(claims, contractor_held)
    from_owner = min(claims - from_contractor, owner_held)
    return Settlement(claims=claims, contractor_held=contractor_held, owner_held=owner_held,
                      from_contractor=from_contractor, from_owner=from_owner,
                      billed_to_owner=claims - from_contractor - from_owner)


def settlement_for(application: Application) -> Settlement:
    """The settlement of the application; the same before and after it is posted (deposits are only ever deducted
    and refunded by the settlement, so what they held is what was paid in)."""
    claims = application.claims.aggregate(total=Sum("amount", default=ZERO))["total"]
    held = {b.payer: b.deposit_paid for b in balances(application)}
    return settle(claims, contractor_held=held.get(Payer.CONTRACTOR, ZERO), owner_held=held.get(Payer.OWNER, ZERO))


def deposits_held_by_item(application: Application, payer: str) -> list[tuple[FeeItem, Decimal]]:
    """What each deposit item of ``payer`` still holds (paid − deducted − refunded), in fee-schedule order."""
    held = dict(deposit_items_held(application, payer))
    items = FeeItem.objects.filter(pk__in=held).order_by("order", "id")
    return [(item, held[item.pk]) for item in items if held[item.pk] > 0]


def _deduct(application: Application, by: User, payer: str, amount: Decimal, note: str) -> list[LedgerEntry]:
    entries = []
    for item, held in deposits_held_by_item(application, payer):
        if amount <= 0:
            break
        taken = min(held, amount)
        entries.append(LedgerEntry(application=application, payer=payer, kind=EntryKind.DEDUCTION, fee_item=item,
                                   amount=taken, recorded_by=by, note=note))
        amount -= taken
    return entries


def _refund_approved(application, user, transition):
    """Post the settlement: deductions from the deposits in order, and the remainder charged to the owner."""
    settlement = settlement_for(application)
    note = gettext("退款审批扣款（应扣合计 %(total)s）") % {"total": yuan(settlement.claims)}
    entries = (_deduct(application, user, Payer.CONTRACTOR, settlement.from_contractor, note)
               + _deduct(application, user, Payer.OWNER, settlement.from_owner, note))
    if settlement.billed_to_owner > 0:
        item = FeeItem.objects.get(code="owner_compensation")
        entries.append(LedgerEntry(application=application, payer=Payer.OWNER, kind=EntryKind.CHARGE, fee_item=item,
                                   amount=settlement.billed_to_owner, recorded_by=user,
                                   note=portal_text(_("押金不足抵扣，向业主补收"))))
    LedgerEntry.objects.bulk_create(entries)
    Application.objects.filter(pk=application.pk).update(refund_approved_at=transition.at)
    application.refund_approved_at = transition.at
    clerk = _first_with_role(Role.FINANCE_CLERK)
    if clerk is not None:
        notify(clerk, lambda: gettext("装修押金退款已批准：%(number)s") % {"number": application.number},
               lambda: gettext("请办理退款：施工单位 %(contractor)s，业主 %(owner)s；向业主补收 %(billed)s。") % {
                   "contractor": yuan(settlement.refund_contractor), "owner": yuan(settlement.refund_owner),
                   "billed": yuan(settlement.billed_to_owner)}, link=application.get_absolute_url())


def refund_refusal(application: Application) -> str | None:
    """Why the refund cannot be approved yet, besides the declared blocks (None when it can)."""
    return passes_refusal(application)


def closing_refusal(application: Application) -> str | None:
    for balance in balances(application):
        if balance.outstanding > 0:
            return gettext("%(payer)s尚欠 %(owed)s，收清后才能结案。") % {"payer": balance.label,
                                                                  "owed": yuan(balance.outstanding)}
        if balance.deposit_held > 0:
            return gettext("%(payer)s押金余额 %(held)s 尚未退还。") % {"payer": balance.label,
                                                             "held": yuan(balance.deposit_held)}
    return None


def pay_refunds(application: Application, by: User, *, receipts: dict[str, str]) -> Application:
    """The finance clerk pays back what each payer's deposits still hold (a receipt number per payer) and the
    renovation is closed."""
    require(by, "renovation.pay_refund")
    if application.status != S.REFUND_PAYMENT:
        raise Refused(gettext("退款经物业经理批准后才能办理。"))
    entries = []
    for balance in balances(application):
        if balance.outstanding > 0:
            raise Refused(gettext("%(payer)s尚欠 %(owed)s，收清后才能退款结案。") % {
                "payer": balance.label, "owed": yuan(balance.outstanding)})
        held = deposits_held_by_item(application, balance.payer)
        if not held:
            continue
        receipt = (receipts.get(balance.payer) or "").strip()
        if not receipt:
            raise Refused(gettext("请填写退给%(payer)s的退款凭证号。") % {"payer": balance.label})
        for index, (item, amount) in enumerate(held, 1):
            entries.append(LedgerEntry(application=application, payer=balance.payer, kind=EntryKind.REFUND,
                                       fee_item=item, amount=amount, recorded_by=by, note=portal_text(_("退还押金")),
                                       receipt_number=receipt if len(held) == 1 else f"{receipt}-{index}"))
    try:
        with transaction.atomic(), audit.context(user=by, reason=gettext("退还装修押金")):
            LedgerEntry.objects.bulk_create(entries)
            workflow.perform(application, S.CLOSED, by)
    except IntegrityError as error:
        if "renovation_ledger_receipt_unique" in str(error):
            raise Refused(gettext("退款凭证号已被使用，请核对。")) from error
        raise
    return application


# --- acceptance and re-inspection -------------------------------------------------------------------------
def _reinspection_due(application, now):
    accepted = application.accepted_at or now
    return max(accepted + relativedelta(months=REINSPECTION_MONTHS), add_working_days(now, 3))


def _rectification_due(application, now):
    latest = latest_inspection(application)
    day = latest.rectification_due if latest and latest.rectification_due else timezone.localdate(now)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(17, 30)))


REINSPECTION_DEADLINE = DeadlineRule("reinspection", _("装修复验（初验合格三个月后）：{record}"), due=_reinspection_due,
                                     responsible=lambda application: _first_with_role(Role.ENGINEERING_SUPERVISOR),
                                     remind_before=dt.timedelta(days=7), escalate_after=dt.timedelta(days=3))
RECTIFICATION_DEADLINE = DeadlineRule("rectification", _("装修验收整改期限：{record}"), due=_rectification_due,
                                      responsible=lambda application: application.received_by,
                                      remind_before=dt.timedelta(days=1))


def reinspection_due_at(application: Application):
    """When the re-inspection is (or was) due: the latest re-inspection deadline's due time, None before acceptance."""
    return (deadlines_for(application).filter(kind=REINSPECTION_DEADLINE.kind).order_by("-opened_at", "-pk")
            .values_list("due_at", flat=True).first())


def latest_inspection(application: Application, stage: str | None = None) -> AcceptanceInspection | None:
    qs = application.acceptance_inspections.all()
    if stage:
        qs = qs.filter(stage=stage)
    return qs.order_by("-inspected_at", "-id").first()


def _inspection_since_state(application, stage, passed: bool) -> str | None:
    latest = latest_inspection(application, stage)
    if latest is None or latest.inspected_at < application.status_changed_at or latest.passed != passed:
        return gettext("请先填写验收记录。")
    return None


def record_inspection(application: Application, by: User, *, passed: bool, participants: str, findings: str,
                      rectification_items: str = "", rectification_due: dt.date | None = None,
                      damage_amount: Decimal | None = None, damage_note: str = "", password: str = "") -> AcceptanceInspection:
    """The joint inspection at completion (初验) or the re-inspection (复验), and the move it leads to: passed —
    signed with the password; failed — a numbered 《装修验收整改通知书》 with its items and deadline."""
    stage = STAGE_OF_STATE.get(application.status)
    if stage is None:
        raise Refused(gettext("只有“待竣工验收”或“待复验”的装修可以登记验收。"))
    require(by, "renovation.inspect_completion")
    if stage == InspectionStage.REINSPECTION and application.accepted_at:
        earliest = timezone.localdate(application.accepted_at + relativedelta(months=REINSPECTION_MONTHS))
        if timezone.localdate() < earliest:
            raise Refused(gettext("复验须在初验合格三个月后进行（%(date)s 起）。") % {"date": earliest})
    if not participants.strip() or not findings.strip():
        raise Refused(gettext("请填写参加验收人员和验收情况。"))
    if not passed:
        if not rectification_items.strip():
            raise Refused(gettext("验收不合格须列明整改项目。"))
        if rectification_due is None or rectification_due < timezone.localdate():
            raise Refused(gettext("请填写不早于今天的整改期限。"))
    if damage_amount:
        check_amount(damage_amount)
        if not damage_note.strip():
            raise Refused(gettext("请说明损坏情况。"))
    target = PASSED_STATE[stage] if passed else RECTIFYING_STATE[stage]
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记%(stage)s") % {
            "stage": InspectionStage(stage).label}):
        inspection = AcceptanceInspection.objects.create(
            application=application, stage=stage, participants=participants.strip(), findings=findings.strip(),
            passed=passed, rectification_items="" if passed else rectification_items.strip(),
            rectification_due=None if passed else rectification_due, recorded_by=by,
            notice_number="" if passed else next_number("renovation_rectification", prefix_default="YSZG",
                                                        name_default="装修验收整改通知书"))
        if damage_amount:
            DepositClaim.objects.create(application=application, source=ClaimSource.DAMAGE, amount=damage_amount,
                                        reason=damage_note.strip(), recorded_by=by)
        workflow.perform(application, target, by, password=password, comment=findings.strip()[:200])
    return inspection


def _completion_reported(application, user, transition):
    Application.objects.filter(pk=application.pk).update(completion_reported_at=transition.at)
    application.completion_reported_at = transition.at


def _accepted(application, user, transition):
    Application.objects.filter(pk=application.pk).update(accepted_at=transition.at)
    application.accepted_at = transition.at


def _reinspected(application, user, transition):
    Application.objects.filter(pk=application.pk).update(reinspected_at=transition.at)
    application.reinspected_at = transition.at
    manager = _first_with_role(Role.PROPERTY_MANAGER)
    if manager is not None:
        settlement = settlement_for(application)
        notify(manager, lambda: gettext("装修复验合格，待审批退款：%(number)s") % {"number": application.number},
               lambda: gettext("应扣合计 %(claims)s；退施工单位 %(contractor)s，退业主 %(owner)s。") % {
                   "claims": yuan(settlement.claims), "contractor": yuan(settlement.refund_contractor),
                   "owner": yuan(settlement.refund_owner)}, link=application.get_absolute_url())


def _closed(application, user, transition):
    Application.objects.filter(pk=application.pk).update(closed_at=transition.at)
    application.closed_at = transition.at


def _acceptance_guard(application) -> str | None:
    return _inspection_since_state(application, InspectionStage.ACCEPTANCE, True) or passes_refusal(application)


def _closing_guard(application) -> str | None:
    return closing_refusal(application)


PIPELINE = {
    S.PERMITTED: {
        S.ACCEPTANCE: Move(_("申报竣工，申请验收"), roles=DESK_ROLES, after=_completion_reported, style="success"),
    },
    S.ACCEPTANCE: {
        S.REINSPECTION: Move(_("初验合格"), roles=ACCEPTANCE_INSPECTOR_ROLES, signature=Meaning.REVIEW, guard=_acceptance_guard,
                             closes=("rectification",), opens=(REINSPECTION_DEADLINE,), after=_accepted,
                             style="success"),
        S.ACCEPTANCE_RECTIFYING: Move(_("验收不合格，发整改通知"), roles=ACCEPTANCE_INSPECTOR_ROLES,
                                      guard=lambda a: _inspection_since_state(a, InspectionStage.ACCEPTANCE, False),
                                      opens=(RECTIFICATION_DEADLINE,), style="outline-warning"),
    },
    S.ACCEPTANCE_RECTIFYING: {
        S.ACCEPTANCE: Move(_("整改完成，申请重新验收"), roles=DESK_ROLES + (Role.ENGINEERING_SUPERVISOR,),
                           closes=("rectification",)),
    },
    S.REINSPECTION: {
        S.REFUND_APPROVAL: Move(_("复验合格"), roles=ACCEPTANCE_INSPECTOR_ROLES, signature=Meaning.REVIEW,
                                guard=lambda a: _inspection_since_state(a, InspectionStage.REINSPECTION, True),
                                closes=("reinspection", "rectification"), after=_reinspected, style="success"),
        S.REINSPECTION_RECTIFYING: Move(_("复验不合格，发整改通知"), roles=ACCEPTANCE_INSPECTOR_ROLES,
                                        guard=lambda a: _inspection_since_state(a, InspectionStage.REINSPECTION, False),
                                        closes=("reinspection",), opens=(RECTIFICATION_DEADLINE,),
                                        style="outline-warning"),
    },
    S.REINSPECTION_RECTIFYING: {
        S.REINSPECTION: Move(_("整改完成，申请复验"), roles=DESK_ROLES + (Role.ENGINEERING_SUPERVISOR,),
                             closes=("rectification",), opens=(REINSPECTION_DEADLINE,)),
    },
    S.REFUND_APPROVAL: {
        S.REFUND_PAYMENT: Move(_("批准退款"), roles=(Role.PROPERTY_MANAGER,), signature=Meaning.APPROVAL,
                               guard=refund_refusal, after=_refund_approved, style="success"),
    },
    S.REFUND_PAYMENT: {
        # made by ``pay_refunds`` (the refund entries and the closing in one transaction)
        S.CLOSED: Move(_("退款完成，结案"), roles=CASHIER_ROLES, guard=_closing_guard, closes=("*",), after=_closed,
                       style="success"),
    },
}


def awaiting(user) -> list[str]:
    """The states of this part that wait for ``user`` (for 我的待办)."""
    states = []
    if user.is_superuser or user.has_role(*DESK_ROLES):
        states += [S.ACCEPTANCE_RECTIFYING, S.REINSPECTION_RECTIFYING]
    if user.is_superuser or user.has_role(*ACCEPTANCE_INSPECTOR_ROLES):
        states += [S.ACCEPTANCE, S.REINSPECTION]
    if user.is_superuser or user.has_role(Role.PROPERTY_MANAGER):
        states.append(S.REFUND_APPROVAL)
    if user.is_superuser or user.has_role(*CASHIER_ROLES):
        states.append(S.REFUND_PAYMENT)
    return states


def may_register_workers(application: Application, user: User) -> bool:
    return application.status in WORKER_STATES and (user.is_superuser or user.has_role(*PASS_ROLES))
