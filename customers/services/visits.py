"""Visits, phone contacts and service return visits (PROCEDURES.md §1 "Visits"; seed 004 客户关系管理制度 /
客户服务体系 "五、客户回访制度").

The plan
  ``generate_visit_plans(month)`` gives every owned customer (not in the pool, not in the recycle bin), for
  that calendar month: ``CustomerPolicy.visits_per_month(grade)`` visits (走访); for grade C, when the policy
  asks for it, one phone contact (电话联系) per ISO week of the month, each week clipped to the month (a
  fragment without a working day is skipped); and
  a service return visit (服务回访) monthly in the first year of the relationship, then one per calendar
  quarter (generated in the quarter's first month). It is idempotent: what exists for a customer, kind and
  period is counted, cancelled plans included, and only the shortfall is created. Each planned visit opens
  a "visit_plan" deadline due at 17:30 of the last working day of its period, so that an overdue plan escalates to the
  owner's manager through the deadline tick.

Arranging and recording
  The owner phones the customer first: the agreed time (→ 已约定, and the record is then due by 12:00 of the
  next working day after it — the "visit_record" deadline), or a note that the customer could not talk (the
  visit stays 待安排). The record (回访记录) closes both deadlines and creates the customer's follow-up, which
  resets the pool clock. A record handed in after its due time is accepted and flagged late.

Every change of status is a move of the visit's workflow (``WORKFLOW``, ``qms.workflow``): one guarded
update that also writes what the move records, its status-change row, its audit context and, in the move's
``after``, its deadline changes and the follow-up — in one transaction, whichever page makes it.
"""
from __future__ import annotations

import calendar
import datetime as dt
import dataclasses
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers import rules as customer_rules
from customers.models import (Customer, CustomerPolicy, FollowUpKind, Grade, Visit, VisitKind, VisitStatus)
from customers.services.records import record_follow_up
from qms import audit, deadlines, workflow
from qms.workflow import Move
from qms.workdays import WorkingCalendar
from qms.refusals import Refused

PLAN_DEADLINE = "visit_plan"
RECORD_DEADLINE = "visit_record"

# The record is handed in the same day or by noon of the next working day (§1 "Visits").
RECORD_DUE_TIME = dt.time(12, 0)
# A plan is due at the end of the last day of its period, at the end of office hours.
PLAN_DUE_TIME = dt.time(17, 30)

OPEN_STATUSES = (VisitStatus.PLANNED, VisitStatus.ARRANGED)


def _local(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=timezone.get_default_timezone())


# --- periods and due times ------------------------------------------------------------------------------
def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def weeks_of_month(month: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The ISO weeks (Monday–Sunday) that touch the month, each clipped to the month."""
    first, last = month_bounds(month)
    weeks = []
    monday = first - dt.timedelta(days=first.weekday())
    while monday <= last:
        weeks.append((max(monday, first), min(monday + dt.timedelta(days=6), last)))
        monday += dt.timedelta(days=7)
    return weeks


def relationship_start(customer: Customer) -> dt.date:
    return customer.relationship_started_on or timezone.localtime(customer.created_at).date()


def return_visit_period(customer: Customer, month: dt.date) -> tuple[dt.date, dt.date] | None:
    """The service return visit due for ``customer`` from ``month``, if any (seed 004 客户回访制度: every month
    in the first year of the relationship, every quarter after it)."""
    first, last = month_bounds(month)
    start = relationship_start(customer)
    if start > last:
        return None
    if first < start + relativedelta(years=1):
        return first, last
    if first.month not in (1, 4, 7, 10):
        return None
    return first, month_bounds(first + relativedelta(months=2))[1]


def record_due(visit_time: dt.datetime, working_calendar: WorkingCalendar | None = None) -> dt.datetime:
    """12:00 of the next working day after the visit (holidays and adjusted working days count)."""
    day = timezone.localtime(visit_time).date()
    next_day = (working_calendar or WorkingCalendar()).add_working_days(day, 1)
    return _local(next_day, RECORD_DUE_TIME)


def last_working_day(start: dt.date, end: dt.date, working_calendar: WorkingCalendar | None = None) -> dt.date | None:
    working_calendar = working_calendar or WorkingCalendar()
    day = end
    while day >= start:
        if working_calendar.is_working_day(day):
            return day
        day -= dt.timedelta(days=1)
    return None


def plan_due(visit: Visit, working_calendar: WorkingCalendar | None = None) -> dt.datetime:
    """17:30 of the period's last working day (a week ending on Sunday is due on Friday; the end of the period
    itself when it holds no working day)."""
    day = last_working_day(visit.period_start, visit.period_end, working_calendar) or visit.period_end
    return _local(day, PLAN_DUE_TIME)


# --- the record's due time and lateness, read from the "visit_record" deadline row ----------------------
# The row keeps the due time and, once closed, when it was met: nothing is copied onto the visit.
def _record_rows(visit_pk=None):
    rows = deadlines.Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Visit), kind=RECORD_DEADLINE,
        object_id=OuterRef("pk") if visit_pk is None else visit_pk)
    return rows.order_by("-pk")


def late_q(now: dt.datetime | None = None):
    """Visits whose record was handed in after its due time, or is still not handed in past it (one EXISTS)."""
    State = deadlines.Deadline.State
    return Exists(_record_rows().filter(Q(state=State.MET, closed_at__gt=F("due_at"))
                                        | Q(state=State.OPEN, due_at__lt=now or timezone.now())))


def with_record_due(queryset, now: dt.datetime | None = None):
    """``queryset`` annotated with ``record_due_at`` (when the record is or was due; None before an arrangement)
    and ``record_late`` (``is_late``), from the deadline rows: what lists and pages show."""
    return queryset.annotate(record_due_at=Subquery(_record_rows().values("due_at")[:1]), record_late=late_q(now))


def record_due_at(visit: Visit) -> dt.datetime | None:
    """When the visit's record is (or was) due; None when no time was agreed and nothing is recorded yet."""
    if "record_due_at" in visit.__dict__:
        return visit.record_due_at
    return _record_rows(visit.pk).values_list("due_at", flat=True).first()


def is_late(visit: Visit) -> bool:
    """Recorded after its due time, or still unrecorded past it."""
    if "record_late" in visit.__dict__:
        return visit.record_late
    return Visit.objects.filter(pk=visit.pk).filter(late_q()).exists()


def is_overdue(visit: Visit, today: dt.date | None = None) -> bool:
    """Open past the end of its period, or arranged with its record past due."""
    if visit.status not in OPEN_STATUSES:
        return False
    today = today or timezone.localdate()
    return visit.period_end < today or is_late(visit)


# --- deadlines: declared once, re-computed when the working-day calendar changes --------------------------
def _visit_title_values(visit: Visit) -> dict:
    return {"kind": visit.get_kind_display(), "customer": visit.customer.name,
            "start": visit.period_start.strftime("%m-%d"), "end": visit.period_end.strftime("%m-%d"),
            "at": timezone.localtime(visit.arranged_at or visit.visited_at).strftime("%m-%d %H:%M")
            if (visit.arranged_at or visit.visited_at) else ""}


# the visit or call of the period is made by 17:30 of its last working day
PLAN_RULE = deadlines.DeadlineRule(
    PLAN_DEADLINE, _("{kind}计划：{customer}（{start} 至 {end}）"), due=lambda visit, start: plan_due(visit),
    responsible=lambda visit: visit.owner, title_params=_visit_title_values, start="created_at",
    remind_before=lambda visit: dt.timedelta(days=1) if visit.kind == VisitKind.PHONE else dt.timedelta(days=3))
# its record is handed in by 12:00 of the next working day after the agreed time
RECORD_RULE = deadlines.DeadlineRule(
    RECORD_DEADLINE, _("提交回访记录：{customer}（{kind}，约定 {at}）"), due=lambda visit, start: record_due(start),
    responsible=lambda visit: visit.owner, title_params=_visit_title_values, start="arranged_at")
# recorded without an agreed time (a call made straight away): due from the visit itself, written as met
RECORDED_RULE = dataclasses.replace(RECORD_RULE, title=_("提交回访记录：{customer}（{kind}，回访于 {at}）"),
                                    start="visited_at")


def _open_plan_deadline(visit: Visit, working_calendar: WorkingCalendar | None = None):
    return PLAN_RULE.open(visit)


# --- the monthly plan -----------------------------------------------------------------------------------
@dataclass
class PlanResult:
    customers: int = 0
    visits: int = 0
    phones: int = 0
    return_visits: int = 0

    @property
    def created(self) -> int:
        return self.visits + self.phones + self.return_visits


def plans_for(customer: Customer, month: dt.date, policy: CustomerPolicy,
              working_calendar: WorkingCalendar | None = None) -> list[tuple[str, dt.date, dt.date, int]]:
    """What the plan asks of ``customer`` in ``month``: (kind, period start, period end, how many).

    A week's fragment at either end of the month without a working day in it (a lone Sunday, the first days of
    May or October off for the holidays) gets no phone contact: nobody can be called at work then, and the
    weeks around it have theirs."""
    working_calendar = working_calendar or WorkingCalendar()
    first, last = month_bounds(month)
    wanted = []
    visits = policy.visits_per_month(customer.grade)
    if visits:
        wanted.append((VisitKind.VISIT, first, last, visits))
    if customer.grade == Grade.C and policy.weekly_phone_for_c:
        wanted.extend((VisitKind.PHONE, start, end, 1) for start, end in weeks_of_month(month)
                      if last_working_day(start, end, working_calendar))
    period = return_visit_period(customer, month)
    if period:
        wanted.append((VisitKind.RETURN_VISIT, period[0], period[1], 1))
    return wanted


def _plan_customer(customer_id: int, month: dt.date, policy: CustomerPolicy, result: PlanResult,
                   working_calendar: WorkingCalendar) -> None:
    with transaction.atomic():
        # One plan run per customer at a time: a second run (a retry, two workers) waits and then finds it done.
        customer = (Customer.objects.select_for_update(of=("self",)).select_related("owner")
                    .filter(pk=customer_id, owner__isnull=False).first())
        if customer is None:
            return
        wanted = plans_for(customer, month, policy, working_calendar)
        if not wanted:
            return
        existing = dict(((row["kind"], row["period_start"]), row["n"]) for row in
                        Visit.objects.filter(customer=customer, period_start__in={w[1] for w in wanted})
                        .values("kind", "period_start").annotate(n=Count("pk")))
        created = []
        for kind, start, end, count in wanted:
            for _i in range(max(0, count - existing.get((kind, start), 0))):
                created.append(Visit(customer=customer, owner=customer.owner, kind=kind, period_start=start,
                                     period_end=end, status=VisitStatus.PLANNED))
        if not created:
            return
        with audit.context(reason=gettext("生成 %(month)s 回访计划") % {"month": month.strftime("%Y-%m")}):
            for visit in created:
                visit.save()
                _open_plan_deadline(visit, working_calendar)
        result.customers += 1
        for visit in created:
            if visit.kind == VisitKind.VISIT:
                result.visits += 1
            elif visit.kind == VisitKind.PHONE:
                result.phones += 1
            else:
                result.return_visits += 1


def generate_visit_plans(month: dt.date, *, customers=None) -> PlanResult:
    """The plan of ``month`` for every owned customer (or those of ``customers``); idempotent."""
    policy = CustomerPolicy.current()
    queryset = Customer.objects.filter(owner__isnull=False)
    if customers is not None:
        queryset = queryset.filter(pk__in=[getattr(c, "pk", c) for c in customers])
    result = PlanResult()
    working_calendar = WorkingCalendar()  # one snapshot of the holidays for the whole run
    for customer_id in queryset.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=2000):
        _plan_customer(customer_id, month, policy, result, working_calendar)
    return result


# --- who may (declared in customers.rules) -----------------------------------------------------------------
def may_work_on(user, visit: Visit) -> bool:
    """Arranging and recording: the visit's owner, or the customer's owner now (after a hand-over)."""
    return customer_rules.works_on_visit.test(user, visit)


def may_cancel(user, visit: Visit | None = None) -> bool:
    """Cancelling a plan: the owner's manager, the general manager or the management representative."""
    return customer_rules.cancels_visit.test(user, visit)


# --- the workflow ----------------------------------------------------------------------------------------
def _arranged(visit: Visit, by, transition) -> None:
    """The agreed time sets when the record is due and (re-)opens its deadline; a further note leaves both."""
    due = record_due(visit.arranged_at)
    if _record_rows(visit.pk).filter(state=deadlines.Deadline.State.OPEN, due_at=due).exists():
        return
    RECORD_RULE.open(visit)


def _recorded(visit: Visit, by, transition) -> None:
    """The record creates the customer's follow-up (which resets the pool clock). Not arranged beforehand (e.g. a
    phone contact made straight away), it was due from the visit itself: that deadline is written as met now, so
    that every recorded visit's lateness is read from its deadline row."""
    if not _record_rows(visit.pk).exists():
        deadline = RECORDED_RULE.open(visit)
        deadlines.Deadline.objects.filter(pk=deadline.pk).update(
            state=deadlines.Deadline.State.MET, closed_at=transition.at, next_action_at=None)
    kind = FollowUpKind.CALL if visit.kind == VisitKind.PHONE else FollowUpKind.VISIT
    text = "\n".join(part for part in (
        gettext("【%(kind)s】%(purpose)s") % {"kind": visit.get_kind_display(), "purpose": visit.purpose},
        visit.content, gettext("结果：%(outcome)s") % {"outcome": visit.outcome} if visit.outcome else "") if part)
    follow_up = record_follow_up(visit.customer, by=by, kind=kind, content=text, occurred_at=visit.visited_at,
                                 contact=visit.contact, next_step=visit.next_step)
    Visit.objects.filter(pk=visit.pk).update(follow_up=follow_up, recorded_at=transition.at)
    visit.follow_up, visit.recorded_at = follow_up, transition.at


def _cancelled(visit: Visit, by, transition) -> None:
    deadlines.close_deadlines(visit, ("*",), state=deadlines.Deadline.State.CANCELLED)


def _customer_in_pool(visit: Visit, user) -> bool:
    """A customer gone to the pool has nobody to visit it: whoever put it there cancels its open visits."""
    return visit.customer.owner_id is None


# The visit's own forms make these moves (the contacts offered are the customer's, the time checked against the
# plan): own_form keeps them off the core move page.
NOTE = Move(_("记录预约说明"), perm="customers.record_visit", fields=("arrangement_note",), own_form=True)
ARRANGE = Move(_("约定回访时间"), perm="customers.record_visit", fields=("arranged_at", "arrangement_note"),
               after=_arranged, own_form=True)
RECORD = Move(_("登记回访记录"), perm="customers.record_visit", style="success",
              fields=("visited_at", "contact", "purpose", "content", "outcome", "next_step"),
              closes=(PLAN_DEADLINE, RECORD_DEADLINE), after=_recorded, own_form=True)
# The reason is kept as the cancelled plan's outcome (the model has no field of its own for it).
CANCEL = Move(_("取消回访计划"), perm="customers.cancel_visit", actor=_customer_in_pool, reason=True,
              fields=("outcome",), style="outline-danger", after=_cancelled, own_form=True)

# What may follow what; the same state again is a further note (planned) or a new arrangement (arranged).
PIPELINE = {
    VisitStatus.PLANNED: {VisitStatus.PLANNED: NOTE, VisitStatus.ARRANGED: ARRANGE, VisitStatus.RECORDED: RECORD,
                          VisitStatus.CANCELLED: CANCEL},
    VisitStatus.ARRANGED: {VisitStatus.ARRANGED: ARRANGE, VisitStatus.RECORDED: RECORD,
                           VisitStatus.CANCELLED: CANCEL},
    VisitStatus.RECORDED: {},
    VisitStatus.CANCELLED: {},
}
WORKFLOW = workflow.register(workflow.Workflow(Visit, PIPELINE, badges={
    VisitStatus.PLANNED: "secondary", VisitStatus.ARRANGED: "primary", VisitStatus.RECORDED: "success",
    VisitStatus.CANCELLED: "light"}))


# --- actions ---------------------------------------------------------------------------------------------
def _check_open(visit: Visit) -> None:
    if visit.status not in OPEN_STATUSES:
        raise Refused(gettext("此回访已%(status)s，不能再修改。") % {"status": visit.get_status_display()})


def arrange_visit(visit: Visit, *, by, arranged_at: dt.datetime | None = None, note: str = "") -> Visit:
    """The result of the owner's phone call: the agreed time (→ 已约定, record deadline opened), or a note that
    the customer could not talk (stays as it is)."""
    if not may_work_on(by, visit):
        raise Refused(gettext("只有负责人可以预约和登记此回访。"))
    _check_open(visit)
    note = (note or "").strip()
    if arranged_at is None and not note:
        raise Refused(gettext("请填写与客户约定的时间，或说明客户不便沟通的情况。"))
    if arranged_at is None:
        workflow.perform(visit, visit.status, by, reason=gettext("客户不便沟通：%(note)s") % {"note": note},
                         values={"arrangement_note": note[:200]})
        return visit
    reason = gettext("与客户约定%(kind)s时间 %(at)s") % {
        "kind": visit.get_kind_display(), "at": timezone.localtime(arranged_at).strftime("%Y-%m-%d %H:%M")}
    workflow.perform(visit, VisitStatus.ARRANGED, by, reason=reason,
                     values={"arranged_at": arranged_at, "arrangement_note": note[:200]})
    return visit


def record_visit(visit: Visit, *, by, visited_at: dt.datetime, content: str, contact=None, purpose: str = "",
                 outcome: str = "", next_step: str = "") -> Visit:
    """The visit record (回访记录): closes the plan and record deadlines, creates the customer's follow-up
    (which resets the pool clock). A record after its due time is accepted and flagged late."""
    if not may_work_on(by, visit):
        raise Refused(gettext("只有负责人可以预约和登记此回访。"))
    _check_open(visit)
    if not (content or "").strip():
        raise Refused(gettext("请填写回访内容。"))
    if contact is not None and contact.customer_id != visit.customer_id:
        raise Refused(gettext("联系人不属于此客户。"))
    workflow.perform(visit, VisitStatus.RECORDED, by, reason=gettext("登记回访记录"), values={
        "visited_at": visited_at, "contact": contact, "purpose": purpose, "content": content, "outcome": outcome,
        "next_step": next_step})
    return visit


def cancel_visit(visit: Visit, *, by, reason: str) -> Visit:
    """Cancel a plan with a reason: the owner's manager, the GM or the MR only."""
    if not may_cancel(by, visit):
        raise Refused(gettext("只有负责人的部门经理、总经理或管理者代表可以取消回访计划。"))
    _check_open(visit)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(gettext("请填写取消原因。"))
    workflow.perform(visit, VisitStatus.CANCELLED, by, reason=gettext("取消回访计划：%(reason)s") % {"reason": reason},
                     values={"outcome": gettext("取消原因：%(reason)s") % {"reason": reason}})
    return visit


def hand_over_open_visits(customer: Customer, *, by) -> int:
    """After the customer changed hands: its open visits follow it to the new owner (their deadlines too);
    a customer gone to the pool has nobody to visit it, so its open visits are cancelled."""
    open_visits = list(Visit.objects.filter(customer=customer, status__in=OPEN_STATUSES)
                       .exclude(owner_id=customer.owner_id).select_related("customer"))
    if not open_visits:
        return 0
    with transaction.atomic():
        if customer.owner_id is None:
            # made for the person who put the customer there (the visit's owner when nobody did: the nightly
            # return to the pool)
            for visit in open_visits:
                workflow.perform(visit, VisitStatus.CANCELLED, by or visit.owner,
                                 reason=gettext("客户进入客户池，取消未完成的回访"),
                                 values={"outcome": gettext("取消原因：客户进入客户池")})
            return len(open_visits)
        with audit.context(user=by, reason=gettext("客户转移，回访随客户移交新负责人")):
            Visit.objects.filter(pk__in=[v.pk for v in open_visits]).update(owner=customer.owner_id)
            for visit in open_visits:
                visit.owner_id = customer.owner_id
                deadlines.Deadline.objects.filter(
                    content_type__app_label="customers", content_type__model="visit", object_id=visit.pk,
                    state=deadlines.Deadline.State.OPEN).update(responsible=customer.owner_id)
    return len(open_visits)
