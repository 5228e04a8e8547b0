"""Payments (回款, §2 "Opportunities and payments"): a contract's payment plan (回款计划), the payment records finance
enters against its instalments, their reversal, the reminder before and the escalation after a due instalment,
the customer's payment integrity (overdue instalments) that the contract classification reads, and the
receivables per customer and per owner.

Rules
  - The plan's total equals the contract's amount; an instalment with a payment recorded against it is neither
    changed nor removed (the others are, while the plan is edited).
  - Only finance records payments; a payment is at most the instalment's outstanding amount. The instalment's
    ``paid_amount`` and ``settled_at`` are kept here, in the same transaction as the record.
  - A wrong payment is never edited or deleted: a reversal record (冲销, negative amount, with its reason) cancels
    it, and the right one is entered anew.
  - Each open instalment of an accepted contract runs a deadline (``payment_due``) for the contract's owner: the
    reminder goes out on the ``REMIND_WORKING_DAYS``-th working day before the due date, the overdue notice at the
    end of the due date's office hours, the escalation to the owner's department manager on the
    ``ESCALATE_WORKING_DAYS``-th working day after it (qms.deadlines, on the working-day calendar).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, DecimalField, Exists, F, Min, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.contracts.models import Contract, ContractStatus, Payment, PaymentInstalment, PaymentKind
from qms import Refused, audit, deadlines, workdays
from qms.deadlines import DeadlineRule
from qms.people import refusal_for, visible_to

RECORD_PERMISSION = "customers.record_payment"
PLAN_PERMISSION = "customers.plan_payments"
# the contracts whose plan runs: payments are expected (and recorded) once the contract is accepted
ACTIVE_STATUSES = (ContractStatus.APPROVED, ContractStatus.REGISTERED, ContractStatus.COMPLETED)
# a contract not accepted or cancelled has no plan to keep
CLOSED_STATUSES = (ContractStatus.REJECTED, ContractStatus.CANCELLED)
REMIND_WORKING_DAYS = 3
ESCALATE_WORKING_DAYS = 3
ZERO = Decimal("0.00")


# --- the clock of an instalment --------------------------------------------------------------------------
def _office_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, workdays.office_periods()[0][0]))


def _office_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, workdays.office_periods()[-1][1]))


def _working_day_before(day: dt.date, n: int, calendar: workdays.WorkingCalendar) -> dt.date:
    while n > 0:
        day -= dt.timedelta(days=1)
        if calendar.is_working_day(day):
            n -= 1
    return day


def due_time(instalment: PaymentInstalment, start=None) -> dt.datetime:
    """The end of office hours on the planned date: the money is due that day (a contract date, not moved
    for a holiday)."""
    return _office_end(instalment.due_on)


def reminder_time(instalment: PaymentInstalment) -> dt.datetime:
    """08:30 of the ``REMIND_WORKING_DAYS``-th working day before the due date."""
    return _office_start(_working_day_before(instalment.due_on, REMIND_WORKING_DAYS, workdays.WorkingCalendar()))


def escalation_time(instalment: PaymentInstalment) -> dt.datetime:
    """08:30 of the ``ESCALATE_WORKING_DAYS``-th working day after the due date."""
    return _office_start(workdays.WorkingCalendar().add_working_days(instalment.due_on, ESCALATE_WORKING_DAYS))


PAYMENT_DUE = DeadlineRule(
    "payment_due", _("催收回款：{record}"), due=due_time,
    responsible=lambda instalment: instalment.contract.owner,
    remind_before=lambda instalment: due_time(instalment) - reminder_time(instalment),
    escalate_after=lambda instalment: escalation_time(instalment) - due_time(instalment),
    condition=lambda instalment: instalment.settled_at is None and instalment.contract.status in ACTIVE_STATUSES,
)


def sync_deadline(instalment: PaymentInstalment) -> None:
    """Open (or re-date) the instalment's deadline while it is due, close it once settled (or the contract is no
    longer active)."""
    if PAYMENT_DUE.applies_to(instalment):
        PAYMENT_DUE.open(instalment)
    else:
        state = deadlines.Deadline.State.MET if instalment.settled_at else deadlines.Deadline.State.CANCELLED
        deadlines.close_deadlines(instalment, (PAYMENT_DUE.kind,), state=state)


def sync_payment_deadlines(contract: Contract) -> None:
    """Every instalment's deadline after the contract's status changed (helper A's registration calls it: the
    reminders of an accepted contract's plan start then; a cancelled contract's stop)."""
    for instalment in contract.instalments.select_related("contract__owner__department"):
        sync_deadline(instalment)


# --- what an instalment shows ----------------------------------------------------------------------------
class InstalmentState:
    SETTLED = "settled"
    OVERDUE = "overdue"
    PARTLY_PAID = "partly_paid"
    OPEN = "open"

    LABELS = {SETTLED: _("已结清"), OVERDUE: _("已逾期"), PARTLY_PAID: _("部分回款"), OPEN: _("未到期")}
    BADGES = {SETTLED: "success", OVERDUE: "danger", PARTLY_PAID: "warning", OPEN: "secondary"}


def instalment_state(instalment: PaymentInstalment, today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    if instalment.settled_at is not None:
        return InstalmentState.SETTLED
    if instalment.due_on < today:
        return InstalmentState.OVERDUE
    if instalment.paid_amount > 0:
        return InstalmentState.PARTLY_PAID
    return InstalmentState.OPEN


@dataclass
class PlanLine:
    instalment: PaymentInstalment
    state: str
    locked: bool  # a payment is recorded against it: it is kept as it is

    @property
    def state_label(self):
        return InstalmentState.LABELS[self.state]

    @property
    def badge(self):
        return InstalmentState.BADGES[self.state]


@dataclass
class Plan:
    contract: Contract
    lines: list
    planned: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.planned - self.paid

    @property
    def mismatch(self) -> Decimal:
        """Contract amount minus the plan's total (0 when the plan is complete)."""
        return self.contract.total_amount - self.planned


def with_payments_flag(queryset):
    return queryset.annotate(has_payments=Exists(Payment.objects.filter(instalment=OuterRef("pk"))))


def plan_of(contract: Contract, today: dt.date | None = None) -> Plan:
    today = today or timezone.localdate()
    instalments = list(with_payments_flag(contract.instalments.all()).order_by("seq"))
    lines = [PlanLine(i, instalment_state(i, today), i.has_payments) for i in instalments]
    return Plan(contract, lines, planned=sum((i.amount for i in instalments), ZERO),
                paid=sum((i.paid_amount for i in instalments), ZERO))


# --- the plan ----------------------------------------------------------------------------------------------
@dataclass
class PlanRow:
    """One row of the plan as edited: ``pk`` of an existing instalment or None for a new one."""

    due_on: dt.date
    amount: Decimal
    note: str = ""
    pk: int | None = None


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


@transaction.atomic
def save_plan(contract: Contract, rows: list[PlanRow], *, by) -> list[PaymentInstalment]:
    """Replace the contract's plan by ``rows`` (in instalment order). Instalments with a payment recorded are kept
    unchanged; the total must equal the contract's amount. Refused with the reason, nothing saved."""
    contract = (Contract.objects.select_for_update(of=("self",)).select_related("owner__department")
                .get(pk=contract.pk))
    if contract.status in CLOSED_STATUSES:
        raise Refused(gettext("合同%(status)s，不能再编辑回款计划。") % {"status": contract.get_status_display()})
    existing = {i.pk: i for i in with_payments_flag(contract.instalments.select_for_update(of=("self",)))}
    kept = {row.pk for row in rows if row.pk is not None}
    strangers = kept - set(existing)
    if strangers:
        raise Refused(gettext("回款计划已被他人修改，请刷新后重试。"))
    for number, row in enumerate(rows, 1):
        if row.due_on is None or row.amount is None or row.amount <= 0:
            raise Refused(gettext("第 %(n)d 行：请填写计划回款日期和大于 0 的金额。") % {"n": number})
    for instalment in existing.values():
        if not (instalment.has_payments or instalment.paid_amount):
            continue
        row = next((row for row in rows if row.pk == instalment.pk), None)
        if row is None or row.due_on != instalment.due_on or row.amount != instalment.amount:
            raise Refused(gettext("第 %(seq)d 期已有回款记录，不能修改或删除（如回款有误，请财务冲销）。")
                          % {"seq": instalment.seq})
    dates = [row.due_on for row in rows]
    if dates != sorted(dates):
        raise Refused(gettext("各期计划回款日期应按期次先后排列。"))
    total = sum((row.amount for row in rows), ZERO)
    if total != contract.total_amount:
        raise Refused(gettext("回款计划合计 %(plan)s 元，与合同金额 %(total)s 元不一致（相差 %(diff)s 元），"
                              "请调整后再保存。") % {"plan": _money(total), "total": _money(contract.total_amount),
                                                  "diff": _money(contract.total_amount - total)})
    with audit.context(user=by, reason=gettext("编辑回款计划")):
        for pk, instalment in existing.items():
            if pk not in kept:  # an unpaid instalment taken out of the plan (the audit trail keeps the row)
                deadlines.close_deadlines(instalment, (PAYMENT_DUE.kind,), state=deadlines.Deadline.State.CANCELLED)
                instalment.delete()
        next_seq = max((i.seq for i in existing.values()), default=0) + 1
        saved = []
        for row in rows:
            instalment = existing.get(row.pk)
            if instalment is None:
                instalment = PaymentInstalment(contract=contract, seq=next_seq)
                next_seq += 1
            elif (instalment.due_on, instalment.amount, instalment.note) == (row.due_on, row.amount, row.note):
                saved.append(instalment)
                continue
            instalment.due_on, instalment.amount, instalment.note = row.due_on, row.amount, row.note
            instalment.contract = contract
            instalment.save()
            sync_deadline(instalment)
            saved.append(instalment)
    return saved


# --- payment records ---------------------------------------------------------------------------------------
def _refuse_unless_finance(by) -> None:
    if not by.has_perm(RECORD_PERMISSION):
        raise Refused(refusal_for(RECORD_PERMISSION))


def _locked_instalment(pk) -> PaymentInstalment:
    return (PaymentInstalment.objects.select_for_update(of=("self",))
            .select_related("contract__owner__department", "contract__customer").get(pk=pk))


@transaction.atomic
def record_payment(instalment: PaymentInstalment, *, by, amount: Decimal, received_on: dt.date, method: str = "",
                   reference: str = "") -> Payment:
    """Finance records money received against ``instalment``: at most its outstanding amount. The instalment's
    paid amount goes up (settled when it reaches the planned amount: its deadline closes)."""
    _refuse_unless_finance(by)
    instalment = _locked_instalment(instalment.pk)
    contract = instalment.contract
    if contract.status not in ACTIVE_STATUSES:
        raise Refused(gettext("合同%(status)s：只有已批准、已登记或已完成的合同可以登记回款。")
                      % {"status": contract.get_status_display()})
    if amount is None or amount <= 0:
        raise Refused(gettext("回款金额应大于 0。"))
    if received_on > timezone.localdate():
        raise Refused(gettext("回款日期不能晚于今天。"))
    outstanding = instalment.amount - instalment.paid_amount
    if amount > outstanding:
        raise Refused(gettext("回款金额 %(amount)s 元超过第 %(seq)d 期未回款金额 %(outstanding)s 元。")
                      % {"amount": _money(amount), "seq": instalment.seq, "outstanding": _money(outstanding)})
    now = timezone.now()
    with audit.context(user=by, reason=gettext("登记回款")):
        payment = Payment.objects.create(contract=contract, instalment=instalment, kind=PaymentKind.PAYMENT,
                                         amount=amount, received_on=received_on, method=method, reference=reference,
                                         recorded_by=by, recorded_at=now)
        instalment.paid_amount += amount
        instalment.settled_at = now if instalment.paid_amount == instalment.amount else None
        instalment.save(update_fields=["paid_amount", "settled_at"])
        sync_deadline(instalment)
    return payment


@transaction.atomic
def reverse_payment(payment: Payment, *, by, reason: str) -> Payment:
    """A correction: a reversal record (the negative amount, today, with ``reason``) cancels ``payment``; the
    instalment's paid amount goes down again (and its deadline re-opens when it is due). Nothing is deleted."""
    _refuse_unless_finance(by)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(gettext("请填写冲销原因。"))
    payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
    if payment.kind != PaymentKind.PAYMENT:
        raise Refused(gettext("冲销记录不能再冲销。"))
    if Payment.objects.filter(reverses=payment).exists():
        raise Refused(gettext("该回款记录已冲销。"))
    instalment = _locked_instalment(payment.instalment_id)
    now = timezone.now()
    with audit.context(user=by, reason=gettext("冲销回款：%(reason)s") % {"reason": reason}):
        reversal = Payment.objects.create(contract=instalment.contract, instalment=instalment,
                                          kind=PaymentKind.REVERSAL, reverses=payment, reason=reason,
                                          amount=-payment.amount, received_on=timezone.localdate(),
                                          method=payment.method, reference=payment.reference, recorded_by=by,
                                          recorded_at=now)
        instalment.paid_amount -= payment.amount
        instalment.settled_at = None
        instalment.save(update_fields=["paid_amount", "settled_at"])
        sync_deadline(instalment)
    return reversal


# --- the customer's payment integrity (read by the contract classification) ---------------------------------
def overdue_instalments(customer, today: dt.date | None = None):
    """The customer's instalments past their due date and not fully paid, on accepted contracts."""
    today = today or timezone.localdate()
    return (PaymentInstalment.objects.filter(contract__customer=customer, contract__status__in=ACTIVE_STATUSES,
                                             settled_at__isnull=True, due_on__lt=today)
            .select_related("contract").order_by("due_on", "pk"))


@dataclass(frozen=True)
class PaymentIntegrity:
    overdue_count: int
    overdue_amount: Decimal
    oldest_due_on: dt.date | None
    paid_late_count: int  # instalments settled after their due date

    @property
    def has_overdue(self) -> bool:
        return self.overdue_count > 0

    def days_overdue(self, today: dt.date | None = None) -> int:
        if self.oldest_due_on is None:
            return 0
        return ((today or timezone.localdate()) - self.oldest_due_on).days

    def summary(self) -> str:
        """One line for the contract's integrity section: "逾期回款 2 期，共 30,000.00 元，最长逾期 45 天"."""
        if not self.has_overdue:
            if self.paid_late_count:
                return gettext("无逾期未回款；曾逾期后结清 %(n)d 期。") % {"n": self.paid_late_count}
            return gettext("无逾期回款。")
        return gettext("逾期回款 %(n)d 期，共 %(amount)s 元，最长逾期 %(days)d 天。") % {
            "n": self.overdue_count, "amount": _money(self.overdue_amount), "days": self.days_overdue()}


def customer_instalments(user, customer):
    """The instalments of the customer's accepted contracts that ``user`` may see: overdue first, then by date."""
    return (visible_to(user, PaymentInstalment.objects.filter(contract__customer=customer,
                                                              contract__status__in=ACTIVE_STATUSES))
            .select_related("contract").order_by(F("settled_at").desc(nulls_first=True), "due_on", "pk"))


def payment_integrity(customer, today: dt.date | None = None) -> PaymentIntegrity:
    """The customer's overdue payments, in one aggregate query: what helper A's classification (payment risk) and
    the key-account record show."""
    today = today or timezone.localdate()
    overdue = Q(settled_at__isnull=True, due_on__lt=today)
    figures = PaymentInstalment.objects.filter(
        contract__customer=customer, contract__status__in=ACTIVE_STATUSES).aggregate(
        overdue_count=Count("pk", filter=overdue),
        overdue_amount=Coalesce(Sum(F("amount") - F("paid_amount"), filter=overdue), Value(ZERO),
                                output_field=DecimalField()),
        oldest_due_on=Min("due_on", filter=overdue),
        paid_late_count=Count("pk", filter=Q(settled_at__isnull=False, settled_at__date__gt=F("due_on"))))
    return PaymentIntegrity(**figures)


# --- receivables -------------------------------------------------------------------------------------------
@dataclass
class ReceivableRow:
    key: int | None
    label: str
    instalments: int
    planned: Decimal
    paid: Decimal
    due: Decimal  # outstanding of what is due by today
    overdue: Decimal  # outstanding of what is past its due date
    oldest_overdue_on: dt.date | None = None

    @property
    def outstanding(self) -> Decimal:
        return self.planned - self.paid


GROUPINGS = {"customer": ("contract__customer_id", "contract__customer__name"),
             "owner": ("contract__owner_id", "contract__owner__full_name", "contract__owner__username")}


def receivables(user, by: str = "customer", today: dt.date | None = None, *, owner=None,
                customer_name: str = "") -> tuple[list[ReceivableRow], ReceivableRow]:
    """Receivables of the accepted contracts ``user`` may see, per customer or per owner: planned, paid,
    outstanding, due and overdue — ONE grouped query. Returns the rows (largest overdue first) and the total."""
    today = today or timezone.localdate()
    fields = GROUPINGS.get(by, GROUPINGS["customer"])
    queryset = visible_to(user, PaymentInstalment.objects.filter(contract__status__in=ACTIVE_STATUSES))
    if owner is not None:
        queryset = queryset.filter(contract__owner=owner)
    if customer_name:
        queryset = queryset.filter(contract__customer__name__icontains=customer_name)
    rest = F("amount") - F("paid_amount")
    money = DecimalField(max_digits=16, decimal_places=2)
    groups = (queryset.order_by().values_list(*fields)
              .annotate(n=Count("pk"), planned=Sum("amount"), paid=Sum("paid_amount"),
                        due=Coalesce(Sum(rest, filter=Q(due_on__lte=today)), Value(ZERO), output_field=money),
                        overdue=Coalesce(Sum(rest, filter=Q(due_on__lt=today, settled_at__isnull=True)), Value(ZERO),
                                         output_field=money),
                        oldest=Min("due_on", filter=Q(due_on__lt=today, settled_at__isnull=True))))
    rows = []
    for values in groups:
        key, *names = values[:len(fields)]
        n, planned, paid, due, overdue, oldest = values[len(fields):]
        label = next((name for name in names if name), "") or str(key)
        rows.append(ReceivableRow(key, label, n, planned, paid, due, overdue, oldest))
    rows.sort(key=lambda row: (-row.overdue, -row.outstanding, row.label))
    total = ReceivableRow(None, gettext("合计"), sum(r.instalments for r in rows),
                          sum((r.planned for r in rows), ZERO), sum((r.paid for r in rows), ZERO),
                          sum((r.due for r in rows), ZERO), sum((r.overdue for r in rows), ZERO),
                          min((r.oldest_overdue_on for r in rows if r.oldest_overdue_on), default=None))
    return rows, total


def may_plan(user, contract: Contract) -> bool:
    return user.has_perm(PLAN_PERMISSION, contract) and contract.status not in CLOSED_STATUSES


def may_record(user, contract: Contract) -> bool:
    return user.has_perm(RECORD_PERMISSION) and contract.status in ACTIVE_STATUSES

