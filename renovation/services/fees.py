"""Fees and deposits 《业主装修收费一览表》 (PROCEDURES.md §4 "Formalities and fees"; seed 5.2.4), water and power,
and the construction permit 《施工许可证》.

Every amount is a ledger entry (Decimal, positive; its kind gives the direction): 应收 charge, 收款 payment,
扣款 deduction, 退款 refund. A mistyped charge or payment is never edited: it is reversed (冲销) by a new entry of
kind reversal that points at it with the opposite amount, signed by a checker, and counts with the kind it reverses
(so every total below is net of reversals). For each payer (owner, contractor):
  应收 charged, 已收 paid, 欠缴 outstanding = charged − paid,
  押金余额 deposit held = deposit payments − deductions − refunds.
The permit is issued only when every required item charged is paid in full and water and power are on.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit
from qms.texts import portal_text
from qms.people import User, refusal_for
from qms.signatures import Meaning, check_password_or_refuse, sign
from qms.refusals import Refused
from renovation.models import (Application, ApplicationStatus, ContractorKind, EntryKind, FeeItem, LedgerEntry,
                               Payer)
from renovation.services.roles import require

S = ApplicationStatus
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
REVERSIBLE_KINDS = (EntryKind.CHARGE, EntryKind.PAYMENT)
# from approval to the refund: fees, pass fees for workers registered later, the owner's compensation
LEDGER_STATES = (S.APPROVED, S.PERMITTED, S.ACCEPTANCE, S.ACCEPTANCE_RECTIFYING, S.REINSPECTION,
                 S.REINSPECTION_RECTIFYING, S.REFUND_APPROVAL, S.REFUND_PAYMENT)


def yuan(amount: Decimal) -> str:
    return f"-¥{-amount:,.2f}" if amount < 0 else f"¥{amount:,.2f}"


def applicable_items(application: Application):
    """The fee items that apply: contractor items only when a contractor company is hired."""
    items = FeeItem.objects.filter(is_active=True)
    if application.contractor_kind != ContractorKind.COMPANY:
        items = items.exclude(payer=Payer.CONTRACTOR)
    return items


def charge_defaults(application: Application, by: User) -> list[LedgerEntry]:
    """On approval: charge every applicable item that is due before the permit at its default amount."""
    entries = []
    for item in applicable_items(application).filter(required_for_permit=True, per_worker=False):
        if item.default_amount > 0:
            entries.append(LedgerEntry(application=application, payer=item.payer, kind=EntryKind.CHARGE, fee_item=item,
                                       amount=item.default_amount, recorded_by=by,
                                       note=portal_text(_("按收费一览表计收"))))
    with audit.context(user=by, reason=gettext("装修申请批准，按收费一览表计收")):
        LedgerEntry.objects.bulk_create(entries)
    return entries


def check_amount(amount) -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError("amounts are Decimal")
    if amount <= 0:
        raise Refused(gettext("金额必须大于 0。"))
    if amount != amount.quantize(CENT):
        raise Refused(gettext("金额最多两位小数（精确到分）。"))
    return amount


def post_entry(application: Application, by: User, *, kind: str, fee_item: FeeItem, amount: Decimal,
               quantity: int = 1, receipt_number: str = "", note: str = "") -> LedgerEntry:
    """Record a charge or a payment (deductions and refunds belong to acceptance and refund)."""
    amount = check_amount(amount)
    receipt_number = (receipt_number or "").strip()
    if application.status not in LEDGER_STATES:
        raise Refused(gettext("申请批准后才能登记收费。"))
    if kind == EntryKind.PAYMENT:
        require(by, "renovation.record_payment")
        if not receipt_number:
            raise Refused(gettext("收款须填写收据号。"))
        owed = item_totals(application).get(fee_item.pk, {}).get("outstanding", ZERO)
        if amount > owed:
            raise Refused(gettext("收款 %(amount)s 超过“%(item)s”的欠缴金额 %(owed)s。") % {
                "amount": yuan(amount), "item": fee_item.name, "owed": yuan(owed)})
    elif kind == EntryKind.CHARGE:
        require(by, "renovation.record_charge")
        if fee_item.payer == Payer.CONTRACTOR and application.contractor_kind != ContractorKind.COMPANY:
            raise Refused(gettext("自行装修不收取施工单位的费用。"))
    else:
        raise Refused(gettext("扣款和退款在验收、退押金时办理。"))
    try:
        with transaction.atomic(), audit.context(user=by, reason=gettext("登记装修收费")):
            return LedgerEntry.objects.create(application=application, payer=fee_item.payer, kind=kind,
                                              fee_item=fee_item, quantity=quantity, amount=amount,
                                              receipt_number=receipt_number, note=note, recorded_by=by)
    except IntegrityError as error:
        if "renovation_ledger_receipt_unique" in str(error):
            raise Refused(gettext("收据号 %(number)s 已被使用。") % {"number": receipt_number}) from error
        raise


def reversal_refusal(entry: LedgerEntry, by: User) -> str | None:
    """Why ``by`` may not reverse ``entry`` (None when they may); the password is checked by ``reverse_entry``."""
    application = entry.application
    if not by.has_perm("renovation.reverse_ledger_entry"):
        return refusal_for("renovation.reverse_ledger_entry")
    if entry.recorded_by_id == by.pk:
        return gettext("不能冲销自己登记的记录：请由财务或物业经理复核后冲销。")
    if entry.kind not in REVERSIBLE_KINDS:
        return gettext("只能冲销应收和收款记录；扣款和退款由退款结算生成。")
    if application.status not in LEDGER_STATES:
        return gettext("只有批准后、结案前的装修可以冲销台账记录。")
    reversal = LedgerEntry.objects.filter(reverses=entry).first()
    if reversal is not None:
        return gettext("该记录已于 %(when)s 冲销（%(reason)s），不能再次冲销。") % {
            "when": timezone.localtime(reversal.recorded_at).strftime("%Y-%m-%d %H:%M"), "reason": reversal.note}
    if application.refund_approved_at and (entry.kind == EntryKind.CHARGE or entry.fee_item.is_deposit):
        # the settlement is posted from the deposits and charges as they stood when it was approved
        return gettext("退款已批准，只能冲销补收款项的收款。")
    totals = item_totals(application).get(entry.fee_item_id, {"charged": ZERO, "paid": ZERO})
    if entry.kind == EntryKind.CHARGE and totals["charged"] - entry.amount < totals["paid"]:
        return gettext("冲销后“%(item)s”的已收 %(paid)s 将超过应收 %(charged)s：请先冲销多收的款项。") % {
            "item": entry.fee_item.name, "paid": yuan(totals["paid"]), "charged": yuan(totals["charged"] - entry.amount)}
    if entry.kind == EntryKind.PAYMENT and entry.fee_item.is_deposit:
        held = dict(deposit_items_held(application, entry.payer)).get(entry.fee_item_id, ZERO)
        if held < entry.amount:
            return gettext("“%(item)s”的押金余额 %(held)s 少于此笔收款，已扣款或退还的押金不能冲销。") % {
                "item": entry.fee_item.name, "held": yuan(held)}
    return None


def reverse_entry(entry: LedgerEntry, by: User, *, reason: str, password: str) -> LedgerEntry:
    """冲销: a new entry of kind reversal with the opposite amount, pointing at ``entry``, with the reason and the
    signature (password re-entry) of the checker; ``entry`` itself is never changed."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused(gettext("请填写冲销原因。"))
    refusal = reversal_refusal(entry, by)
    if refusal:
        raise Refused(refusal)
    check_password_or_refuse(by, password)
    try:
        with transaction.atomic(), audit.context(user=by, reason=gettext("冲销%(kind)s %(item)s %(amount)s：%(reason)s") % {
                "kind": entry.get_kind_display(), "item": entry.fee_item.name, "amount": yuan(entry.amount),
                "reason": reason}):
            reversal = LedgerEntry.objects.create(
                application=entry.application, payer=entry.payer, kind=EntryKind.REVERSAL, fee_item=entry.fee_item,
                quantity=entry.quantity, amount=-entry.amount, note=reason[:200], recorded_by=by, reverses=entry)
            reversal.signature = sign(reversal, by, password, Meaning.APPROVAL, comment=reason,
                                      step=gettext("冲销台账记录"))
            reversal.save(update_fields=["signature"])
    except IntegrityError as error:
        if "reverses_id" in str(error):  # two checkers at once: the one-to-one keeps the second out
            raise Refused(gettext("该记录已被冲销，不能再次冲销。")) from error
        raise
    return reversal


def of_kind(*kinds) -> Q:
    """The entries of ``kinds`` and the reversals of such entries (negative amounts): a sum over it is the net."""
    return Q(kind__in=kinds) | Q(kind=EntryKind.REVERSAL, reverses__kind__in=kinds)


def _sum(kind, **extra):
    return Sum("amount", filter=of_kind(kind) & Q(**extra), default=ZERO)


@dataclass
class PayerBalance:
    payer: str
    label: str
    charged: Decimal = ZERO
    paid: Decimal = ZERO
    deducted: Decimal = ZERO
    refunded: Decimal = ZERO
    deposit_paid: Decimal = ZERO

    @property
    def outstanding(self) -> Decimal:
        return self.charged - self.paid

    @property
    def deposit_held(self) -> Decimal:
        return self.deposit_paid - self.deducted - self.refunded


def balances(application: Application) -> list[PayerBalance]:
    """The balance of each payer, from one grouped query."""
    rows = {r["payer"]: r for r in application.ledger.order_by().values("payer").annotate(
        charged=_sum(EntryKind.CHARGE), paid=_sum(EntryKind.PAYMENT), deducted=_sum(EntryKind.DEDUCTION),
        refunded=_sum(EntryKind.REFUND), deposit_paid=_sum(EntryKind.PAYMENT, fee_item__is_deposit=True))}
    result = []
    for payer, label in Payer.choices:
        if payer == Payer.CONTRACTOR and application.contractor_kind != ContractorKind.COMPANY and payer not in rows:
            continue
        row = rows.get(payer, {})
        result.append(PayerBalance(payer=payer, label=str(label), **{k: row.get(k, ZERO) for k in (
            "charged", "paid", "deducted", "refunded", "deposit_paid")}))
    return result


def item_totals(application: Application) -> dict[int, dict]:
    rows = application.ledger.order_by().values("fee_item").annotate(charged=_sum(EntryKind.CHARGE),
                                                                     paid=_sum(EntryKind.PAYMENT))
    return {r["fee_item"]: {"charged": r["charged"], "paid": r["paid"], "outstanding": r["charged"] - r["paid"]}
            for r in rows}


def deposit_items_held(application: Application, payer: str) -> list[tuple[int, Decimal]]:
    """(fee item id, what the deposit item of ``payer`` still holds: paid − deducted − refunded, net of reversals)."""
    rows = (application.ledger.filter(payer=payer, fee_item__is_deposit=True).order_by().values("fee_item")
            .annotate(paid=_sum(EntryKind.PAYMENT),
                      out=Sum("amount", filter=of_kind(EntryKind.DEDUCTION, EntryKind.REFUND), default=ZERO)))
    return [(row["fee_item"], row["paid"] - row["out"]) for row in rows]


def unpaid_required(application: Application) -> list[tuple[FeeItem, Decimal]]:
    """Required items not charged yet (amount None) or not paid in full (the amount still owed)."""
    totals = item_totals(application)
    missing = []
    for item in applicable_items(application).filter(required_for_permit=True):
        row = totals.get(item.pk)
        if row is None or row["charged"] <= 0:
            if not item.per_worker and item.default_amount > 0:
                missing.append((item, None))
        elif row["outstanding"] > 0:
            missing.append((item, row["outstanding"]))
    return missing


def permit_refusal(application: Application) -> str | None:
    if application.status != S.APPROVED:
        return gettext("申请经物业经理批准后才能发放施工许可证。")
    unpaid = unpaid_required(application)
    if unpaid:
        parts = [gettext("%(item)s 未计收") % {"item": item} if owed is None else
                 gettext("%(item)s 欠缴 %(owed)s") % {"item": item, "owed": yuan(owed)} for item, owed in unpaid]
        return gettext("费用未缴清，不能发放施工许可证：%(items)s。") % {"items": "；".join(parts)}
    if application.utilities_on_at is None:
        return gettext("尚未登记开通水电，不能发放施工许可证。")
    return None


def record_utilities_on(application: Application, by: User, *, note: str = "") -> Application:
    """Seed 5.2.4.6: once the formalities are done, water and power are switched on."""
    require(by, "renovation.record_utilities")
    if application.status not in LEDGER_STATES:
        raise Refused(gettext("申请批准后才能开通水电。"))
    if application.utilities_on_at is not None:
        raise Refused(gettext("水电已于 %(when)s 开通。") % {
            "when": timezone.localtime(application.utilities_on_at).strftime("%Y-%m-%d %H:%M")})
    unpaid = unpaid_required(application)
    if unpaid:
        raise Refused(gettext("费用未缴清，不能开通水电：%(items)s。") % {
            "items": "、".join(str(item) for item, _owed in unpaid)})
    with transaction.atomic(), audit.context(user=by, reason=gettext("开通水电")):
        now = timezone.now()
        updated = Application.objects.filter(pk=application.pk, utilities_on_at__isnull=True).update(
            utilities_on_at=now, utilities_on_by=by, utilities_note=note)
        if not updated:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
        application.utilities_on_at, application.utilities_on_by, application.utilities_note = now, by, note
    return application


def fee_schedule(application: Application) -> list[dict]:
    totals = item_totals(application)
    result = []
    for item in applicable_items(application):
        row = totals.get(item.pk, {"charged": ZERO, "paid": ZERO, "outstanding": ZERO})
        result.append({"item": item, **row})
    return result


def ensure_fee_items(**kwargs) -> None:
    """The default fee items exist (migration 0002, and again after every migrate or flush, like the roles)."""
    from renovation.migrations_data import DEFAULT_FEE_ITEMS

    existing = set(FeeItem.objects.values_list("code", flat=True))
    FeeItem.objects.bulk_create([
        FeeItem(code=code, name=name, payer=payer, default_amount=amount, is_deposit=deposit, per_worker=per_worker,
                required_for_permit=required, order=order)
        for code, name, payer, amount, deposit, per_worker, required, order in DEFAULT_FEE_ITEMS if code not in existing])
