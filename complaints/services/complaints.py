"""Complaints and customer feedback from intake to closure (PROCEDURES.md §3).

Intake (``receive``)
  Anyone may record what a customer tells them (首问负责制): the receiver stays responsible — the clocks and
  "我的待办" are theirs — until the hand-over to a responsible department and handler is recorded (the
  move to 已分派). A complaint from a key account (customer grade A) is flagged, shown with a priority badge
  and must be handled by a senior person: the handler of a key-account complaint must be a department
  manager (by default the manager of the responsible department).

The clocks of §3, each a shared deadline (``qms.deadlines``) of a ``Clock`` kind, computed on the working-day
calendar (``qms.workdays``: statutory holidays and adjusted working days) from the time of receipt:
  first reply           8 office hours                 met by 登记首次答复
  on-site visit         8 office hours (when needed)   met by 登记到场处理
  investigation started 1 working day                  met on entering 调查中
  accepted reply        2 working days                 met by 登记客户认可的答复
  written reply         one working week (5 days)      met by 登记书面答复 (the 处理方案)
Feedback that is not a complaint (suggestion, praise, inquiry) has the first-reply clock only. An overdue
clock escalates to the responsible department's manager, then to the management representative
(``escalation_target``, registered with ``qms.deadlines`` in ``ComplaintsConfig.ready``).

The flow (``PIPELINE``): 已登记 → 已分派 → 调查中 → 处理中 → 待客户确认 → 待回访 → 已关闭, and 无效投诉 from
已分派 or 调查中 with the explanation given to the customer. Each move that needs data declares the fields it
records (``Move.fields``) and its form (``complaints.forms_moves``, shown by the core move view); they are
written in the move's own guarded UPDATE, and the move's ``after`` hook checks them (``_checked``: a move
attempted without its data is refused with the reason, in Chinese, and undone). ``advance`` makes a move with
its data from code (tests, the demo). Closing (and declaring a complaint invalid) is signed. A complaint does not close while a CAPA raised from it is not verified, unless
the management representative (``complaints.override_capa_close``) signs an override with a reason.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import forms_moves
from complaints.services.closing import closing_reason, on_site_missing, unverified_capas
from complaints.models import OPEN_COMPLAINT_STATUSES, Channel, Clock, Complaint, ComplaintStatus, FeedbackType
from qms import Refused, audit, deadlines, registry, workflow
from qms.notifications import notify
from qms.numbering import next_number
from qms.people import Role, User, works_in
from qms.registry import WorkItem
from qms.signatures import Meaning
from qms.deadlines import DeadlineRule
from qms.links import url_maker
from qms.workdays import WorkingCalendar
from qms.workflow import Move, TransitionRefused

# Customer grades that are key accounts (大客户): flagged, handled first and by senior staff.
KEY_ACCOUNT_GRADES = tuple(getattr(settings, "QMS_KEY_ACCOUNT_GRADES", ("A",)))
# Who sees every complaint; everyone else sees those they received or handle, of their department or of
# the customers they own.
SEES_ALL = (Role.CUSTOMER_SERVICE, Role.QUALITY, Role.MR, Role.GM)
# Who coordinates complaint handling beside the handler and the handler's department manager.
COORDINATORS = (Role.CUSTOMER_SERVICE, Role.QUALITY, Role.MR)

FIRST_REPLY_HOURS = 8
ON_SITE_HOURS = 8
INVESTIGATION_WORKING_DAYS = 1
ACCEPTED_REPLY_WORKING_DAYS = 2
WRITTEN_REPLY_WORKING_DAYS = 5  # "one week"

OPEN_STATUSES = OPEN_COMPLAINT_STATUSES
FINAL_STATUSES = (ComplaintStatus.CLOSED, ComplaintStatus.INVALID)


# --- key accounts, people ------------------------------------------------------------------------------
def is_key_account_customer(customer) -> bool:
    if customer is None:
        return False
    flag = getattr(customer, "is_key_account", None)
    if isinstance(flag, bool):
        return flag
    return customer.grade in KEY_ACCOUNT_GRADES


def is_senior(user) -> bool:
    """Senior staff for a key-account complaint: a department manager."""
    return bool(user and user.is_active and user.manages_a_department())


def owner_id(complaint) -> int:
    """首问负责制: the receiver is responsible until the hand-over to a handler is recorded."""
    return complaint.responsible_id or complaint.received_by_id


def owner(complaint):
    return complaint.responsible if complaint.responsible_id else complaint.received_by


def _department_manager_id(complaint):
    department = complaint.responsible_department
    return department.manager_id if department is not None else None


def may_assign(complaint, user) -> bool:
    return user.pk == complaint.received_by_id or user.has_role(*COORDINATORS)


def may_handle(complaint, user) -> bool:
    """The person responsible now, the responsible department's manager, or a coordinator."""
    return (user.pk == owner_id(complaint) or (_department_manager_id(complaint) or 0) == user.pk
            or user.has_role(*COORDINATORS))


def may_close(complaint, user) -> bool:
    """Closing is an approval: a coordinator or the responsible department's manager signs it."""
    return user.has_role(*COORDINATORS) or (_department_manager_id(complaint) or 0) == user.pk


def _mr():
    return User.objects.filter(groups__name=Role.MR, is_active=True).order_by("pk").first()


# --- clocks --------------------------------------------------------------------------------------------
def _runs_every_clock(complaint) -> bool:
    """Feedback that is not a complaint (suggestion, praise, inquiry) runs the first-reply clock only."""
    return complaint.type == FeedbackType.COMPLAINT


def _needs_on_site(complaint) -> bool:
    return complaint.type == FeedbackType.COMPLAINT and complaint.requires_on_site


def _working_hours(hours: int) -> Callable:
    def due(complaint, start, calendar: WorkingCalendar | None = None):  # the bulk generator passes its calendar
        return (calendar or WorkingCalendar()).add_working_hours(start, hours)
    return due


def _working_days(days: int) -> Callable:
    def due(complaint, start, calendar: WorkingCalendar | None = None):
        return (calendar or WorkingCalendar()).add_working_days(start, days)
    return due


# Every clock counts from the time of receipt; a change of the working-day calendar re-computes the open ones
# from it (qms.deadlines). The person responsible now (首问负责制: the receiver until the hand-over) owns them.
CLOCKS = (
    DeadlineRule(Clock.FIRST_REPLY, _("首次答复客户：{record}"), due=_working_hours(FIRST_REPLY_HOURS),
                 responsible=owner, remind_before=dt.timedelta(hours=2), escalate_after=dt.timedelta(hours=4),
                 start="received_at"),
    DeadlineRule(Clock.ON_SITE, _("到场处理：{record}"), due=_working_hours(ON_SITE_HOURS), responsible=owner,
                 remind_before=dt.timedelta(hours=2), escalate_after=dt.timedelta(hours=4),
                 condition=_needs_on_site, start="received_at"),
    DeadlineRule(Clock.INVESTIGATION, _("开始调查：{record}"), due=_working_days(INVESTIGATION_WORKING_DAYS),
                 responsible=owner, remind_before=dt.timedelta(hours=4), escalate_after=dt.timedelta(days=1),
                 condition=_runs_every_clock, start="received_at"),
    DeadlineRule(Clock.ACCEPTED_REPLY, _("给出客户认可的答复：{record}"),
                 due=_working_days(ACCEPTED_REPLY_WORKING_DAYS), responsible=owner,
                 remind_before=dt.timedelta(hours=4), escalate_after=dt.timedelta(days=1),
                 condition=_runs_every_clock, start="received_at"),
    DeadlineRule(Clock.WRITTEN_REPLY, _("书面处理方案答复客户：{record}"),
                 due=_working_days(WRITTEN_REPLY_WORKING_DAYS), responsible=owner,
                 remind_before=dt.timedelta(days=1), escalate_after=dt.timedelta(days=1),
                 condition=_runs_every_clock, start="received_at"),
)
CLOCK_RULES = {rule.kind: rule for rule in CLOCKS}
# The complaint's field recording when each clock was met.
MET_FIELDS = {
    Clock.FIRST_REPLY: "first_replied_at",
    Clock.ON_SITE: "on_site_at",
    Clock.INVESTIGATION: "investigation_started_at",
    Clock.ACCEPTED_REPLY: "accepted_reply_at",
    Clock.WRITTEN_REPLY: "written_reply_at",
}


def open_clocks(complaint) -> list:
    """Open the clocks the complaint runs, each due from its time of receipt."""
    return [deadline for deadline in (rule.open(complaint) for rule in CLOCKS) if deadline is not None]


def escalation_target(deadline, level: int):
    """§3 "Overdue clocks escalate": first to the responsible department's manager, then to the MR."""
    if level >= 2:
        return _mr()
    complaint = (Complaint.objects.select_related("responsible_department__manager")
                 .filter(pk=deadline.object_id).first())
    manager = None
    if complaint is not None and complaint.responsible_department_id:
        manager = complaint.responsible_department.manager
    if manager is None:
        manager = deadline.responsible.manager()
    if manager is None or manager.pk == deadline.responsible_id or not manager.is_active:
        return _mr()
    return manager



def clock_rows(complaint) -> list[dict]:
    """The clocks of one complaint for its page and PDF: due, met, on time or late, escalation."""
    rows = []
    by_kind = {}
    for deadline in deadlines.deadlines_for(complaint).filter(kind__in=Clock.values).order_by("pk"):
        by_kind[deadline.kind] = deadline
    now = timezone.now()
    for rule in CLOCKS:
        deadline = by_kind.get(rule.kind)
        if deadline is None:
            continue
        met_at = getattr(complaint, MET_FIELDS[rule.kind])
        if met_at is not None:
            state, css = (gettext("按时完成"), "success") if met_at <= deadline.due_at else (gettext("超时完成"), "warning")
        elif deadline.state == deadlines.Deadline.State.CANCELLED:
            state, css = gettext("未执行（已结案）"), "secondary"
        elif deadline.due_at < now:
            state, css = gettext("已逾期"), "danger"
        else:
            state, css = gettext("进行中"), "primary"
        rows.append({"clock": rule.kind, "label": Clock(rule.kind).label, "deadline": deadline,
                     "due_at": deadline.due_at, "met_at": met_at, "state": state, "css": css,
                     "responsible": deadline.responsible, "escalated_to": deadline.escalated_to,
                     "overdue": met_at is None and deadline.state == deadlines.Deadline.State.OPEN
                     and deadline.due_at < now})
    return rows


def _hand_over_clocks(complaint, to_user) -> int:
    """首问负责制: on the recorded hand-over the open clocks pass from the receiver to the handler."""
    return deadlines.Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Complaint), object_id=complaint.pk,
        state=deadlines.Deadline.State.OPEN, kind__in=Clock.values,
    ).update(responsible=to_user)


# --- intake --------------------------------------------------------------------------------------------
RECEIVE_FIELDS = frozenset({"contact_name", "contact_phone", "product", "batch", "quantity", "customer_request",
                            "requires_on_site"})
NUMBER_KEYS = {
    FeedbackType.COMPLAINT: ("complaint", "TS", "客户投诉"),
}
FEEDBACK_NUMBER_KEY = ("feedback", "FK", "顾客反馈")


def receive(*, by, channel, description, type=FeedbackType.COMPLAINT, customer=None, customer_name="",
            received_at=None, **fields) -> Complaint:
    """Record a complaint or other feedback (《客户投诉记录表》/《顾客信息反馈记录表》): numbered, key accounts
    flagged from the customer, clocks opened, the customer-service team told; audited, one transaction."""
    unknown = set(fields) - RECEIVE_FIELDS
    if unknown:
        raise TypeError(f"receive() got unexpected fields: {', '.join(sorted(unknown))}")
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if type not in FeedbackType.values:
        raise ValueError(f"unknown feedback type {type!r}")
    description = (description or "").strip()
    if not description:
        raise Refused(gettext("请填写问题描述。"))
    name = (customer_name or (customer.name if customer is not None else "")).strip()
    if not name:
        raise Refused(gettext("请选择客户或填写客户名称。"))
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + dt.timedelta(minutes=5):
        raise Refused(gettext("受理时间不能晚于现在。"))
    key, prefix, doc_name = NUMBER_KEYS.get(type, FEEDBACK_NUMBER_KEY)
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记客户投诉/反馈")):
        complaint = Complaint(type=type, channel=channel, customer=customer, customer_name=name[:100],
                              is_key_account=is_key_account_customer(customer), description=description,
                              received_by=by, received_at=received_at, **fields)
        complaint.number = next_number(key, received_at, prefix_default=prefix, name_default=doc_name)
        complaint.save()
        open_clocks(complaint)
        _announce(complaint, by)
    return complaint


def _announce(complaint, by) -> None:
    """The customer-service team hears of every new complaint; a key account's also reaches the MR."""
    recipients = list(User.objects.filter(groups__name=Role.CUSTOMER_SERVICE, is_active=True).exclude(pk=by.pk)
                      .distinct())
    if complaint.is_key_account:
        mr = _mr()
        if mr is not None and mr.pk != by.pk and mr not in recipients:
            recipients.append(mr)
    def title():  # written in each recipient's language
        return gettext("%(prefix)s新%(type)s：%(number)s %(customer)s") % {
            "prefix": gettext("【大客户】") if complaint.is_key_account else "", "type": complaint.get_type_display(),
            "number": complaint.number, "customer": complaint.customer_name}

    def body():
        return gettext("%(who)s 于 %(at)s 经%(channel)s受理：%(text)s") % {
            "who": by.display_name, "at": timezone.localtime(complaint.received_at).strftime("%Y-%m-%d %H:%M"),
            "channel": complaint.get_channel_display(), "text": complaint.description[:200]}

    for recipient in recipients:
        notify(recipient, title, body, link=complaint.get_absolute_url())


# --- the flow ------------------------------------------------------------------------------------------
def _capa_services():
    from qms.capa import services as capa_services

    return capa_services


# What a move records is checked once it is written, in the move's own transaction (its ``after`` hook): the
# button is offered whatever the record holds now, and a move refused here is undone as a whole.
def _assignment_ready(complaint, by, transition) -> str | None:
    if not complaint.responsible_department_id:
        return gettext("请选择责任部门。")
    if not complaint.responsible_id:
        return gettext("请选择处理人。")
    if not complaint.responsible.is_active:
        return gettext("处理人已停用，请另选。")
    if not works_in(complaint.responsible, complaint.responsible_department):
        return gettext("处理人 %(name)s 不属于责任部门 %(department)s，请另选。") % {
            "name": complaint.responsible.display_name, "department": complaint.responsible_department}
    if complaint.is_key_account and not is_senior(complaint.responsible):
        return gettext("大客户投诉须由部门经理（高级别人员）亲自处理，请选择部门经理作为处理人。")
    return None


def _investigation_ready(complaint, by, transition) -> str | None:
    if complaint.is_valid is None:
        return gettext("请填写投诉是否成立。")
    if complaint.is_valid is False:
        return gettext("投诉不成立时，请使用“判定为无效投诉”并填写对客户的解释。")
    missing = [label for field, label in (("responsibility", gettext("责任归属")), ("severity", gettext("严重程度")),
                                          ("cause", gettext("原因分析")))
               if not str(getattr(complaint, field) or "").strip()]
    if missing:
        return gettext("调查结论不完整，请填写：%(fields)s。") % {"fields": "、".join(missing)}
    return None


def _invalid_ready(complaint, by, transition) -> str | None:
    if not (complaint.invalid_explanation or "").strip():
        return gettext("判定为无效投诉须填写对客户的解释。")
    return None


def _correction_ready(complaint, by, transition) -> str | None:
    if not complaint.correction_kind:
        return gettext("请选择处理方式。")
    if not (complaint.correction or "").strip():
        return gettext("请填写处理措施。")
    return None


def _confirmation_ready(complaint, by, transition) -> str | None:
    if not (complaint.customer_confirmation or "").strip():
        return gettext("请记录客户的确认（签字确认或电话确认的记录）。")
    return None


def _close_ready(complaint, by, transition) -> str | None:
    """The closing's checks; the move's form hands over why nobody went on site (``on_site_waiver``) and the MR's
    reason to close over an unverified CAPA (``capa_override``) as ``transition.inputs``."""
    inputs = getattr(transition, "inputs", {}) or {}
    if not (complaint.return_visit_opinion or "").strip():
        return gettext("请填写回访意见。")
    if on_site_missing(complaint) and not (inputs.get("on_site_waiver") or "").strip():
        return gettext("此投诉要求到场处理，但没有登记到场时间；如确未到场，请填写未到场的原因后再关闭。")
    pending = list(unverified_capas(complaint).values_list("number", flat=True))
    if pending:
        if not (inputs.get("capa_override") or "").strip():
            return gettext("关联的纠正和预防措施 %(numbers)s 尚未验证关闭，投诉不能关闭；如确需关闭，"
                           "须由管理者代表填写理由并签字。") % {"numbers": "、".join(pending)}
        if not by.has_perm("complaints.override_capa_close"):
            return gettext("只有管理者代表可以在纠正措施未验证时签字关闭投诉。")
    return None


def _feedback_close_ready(complaint) -> str | None:
    if complaint.type == FeedbackType.COMPLAINT:
        return gettext("投诉须经调查、处理、客户确认和回访后关闭。")
    return None


def _set(complaint, **values) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(**values)
    for name, value in values.items():
        setattr(complaint, name, value)


def _cancel_open_clocks(complaint) -> None:
    """The handling clocks stop with the complaint; an adverse-event report still due keeps running."""
    deadlines.close_deadlines(complaint, tuple(Clock.values), state=deadlines.Deadline.State.CANCELLED)


def _checked(check: Callable, then: Callable | None = None) -> Callable:
    """An ``after`` hook that first checks what the move recorded (``check(complaint, by, transition)`` → refusal
    text or None): refused, the move's transaction is undone and the record is left in its state."""
    def after(complaint, by, transition) -> None:
        why_not = check(complaint, by, transition)
        if why_not:
            complaint.status = transition.from_status
            raise TransitionRefused(why_not)
        if then is not None:
            then(complaint, by, transition)
    return after


def _after_assignment(complaint, by, transition) -> None:
    _hand_over_clocks(complaint, complaint.responsible)
    if complaint.responsible_id != by.pk:
        notify(complaint.responsible,
               lambda: gettext("%(prefix)s请处理投诉：%(number)s %(customer)s") % {
                   "prefix": gettext("【大客户】") if complaint.is_key_account else "", "number": complaint.number,
                   "customer": complaint.customer_name},
               lambda: gettext("%(who)s 已将此投诉分派给您（%(department)s）。") % {
                   "who": by.display_name, "department": complaint.responsible_department},
               link=complaint.get_absolute_url())


def _after_investigation_started(complaint, by, transition) -> None:
    _set(complaint, investigation_started_at=transition.at)


def _after_invalid(complaint, by, transition) -> None:
    _set(complaint, closed_at=transition.at)
    _cancel_open_clocks(complaint)


def _after_confirmed(complaint, by, transition) -> None:
    _set(complaint, confirmed_at=transition.at)


def _after_closed(complaint, by, transition) -> None:
    _set(complaint, closed_at=transition.at)
    _cancel_open_clocks(complaint)


def _after_feedback_answered(complaint, by, transition) -> None:
    """Feedback answered and closed: the answer (the move's reason) is the first reply."""
    if complaint.first_replied_at is None:
        _set(complaint, first_replied_at=transition.at)
    _after_closed(complaint, by, transition)


# The fields each move records: its form asks for them and ``workflow.perform(values=…)`` writes them in the move's
# own guarded UPDATE. Declaring a complaint invalid records is_valid = False before the signature, which binds it.
INVALID = Move(_("判定为无效投诉"), actor=may_handle, signature=Meaning.CONFIRMATION,
               fields=("invalid_explanation", "is_valid"), form=forms_moves.InvalidForm,
               closes=(Clock.INVESTIGATION,), after=_checked(_invalid_ready, _after_invalid), style="outline-danger")
FEEDBACK_CLOSE = Move(_("答复并关闭"), actor=may_handle, reason=True, guard=_feedback_close_ready,
                      form=forms_moves.FeedbackCloseForm, closes=(Clock.FIRST_REPLY,), after=_after_feedback_answered,
                      style="outline-success")

PIPELINE = {
    ComplaintStatus.RECEIVED: {
        ComplaintStatus.ASSIGNED: Move(_("受理分派"), actor=may_assign,
                                       fields=("responsible_department", "responsible"), form=forms_moves.AssignForm,
                                       after=_checked(_assignment_ready, _after_assignment)),
        ComplaintStatus.CLOSED: FEEDBACK_CLOSE,
    },
    ComplaintStatus.ASSIGNED: {
        ComplaintStatus.INVESTIGATING: Move(_("开始调查"), actor=may_handle, closes=(Clock.INVESTIGATION,),
                                            after=_after_investigation_started),
        ComplaintStatus.INVALID: INVALID,
        ComplaintStatus.CLOSED: FEEDBACK_CLOSE,
    },
    ComplaintStatus.INVESTIGATING: {
        ComplaintStatus.CORRECTING: Move(_("提交调查结论"), actor=may_handle,
                                         fields=("is_valid", "responsibility", "severity", "cause"),
                                         form=forms_moves.InvestigationForm, after=_checked(_investigation_ready)),
        ComplaintStatus.INVALID: INVALID,
    },
    ComplaintStatus.CORRECTING: {
        ComplaintStatus.CONFIRMING: Move(_("登记处理措施"), actor=may_handle, fields=("correction_kind", "correction"),
                                         form=forms_moves.ComplaintMoveForm, after=_checked(_correction_ready)),
    },
    ComplaintStatus.CONFIRMING: {
        ComplaintStatus.RETURN_VISIT: Move(_("记录客户确认"), actor=may_handle, fields=("customer_confirmation",),
                                           form=forms_moves.ComplaintMoveForm,
                                           after=_checked(_confirmation_ready, _after_confirmed), style="success"),
        ComplaintStatus.CORRECTING: Move(_("客户不认可，重新处理"), actor=may_handle, reason=True,
                                         style="outline-warning"),
    },
    ComplaintStatus.RETURN_VISIT: {
        ComplaintStatus.CLOSED: Move(_("回访并关闭"), actor=may_close, signature=Meaning.APPROVAL,
                                     fields=("return_visit_opinion",), form=forms_moves.CloseForm,
                                     after=_checked(_close_ready, _after_closed), style="success"),
    },
}

WORKFLOW = workflow.register(workflow.Workflow(Complaint, PIPELINE, badges={
    ComplaintStatus.RECEIVED: "secondary", ComplaintStatus.ASSIGNED: "info", ComplaintStatus.INVESTIGATING: "primary",
    ComplaintStatus.CORRECTING: "primary", ComplaintStatus.CONFIRMING: "warning",
    ComplaintStatus.RETURN_VISIT: "warning", ComplaintStatus.CLOSED: "success", ComplaintStatus.INVALID: "dark",
}))


def move_for(complaint, to) -> Move | None:
    return WORKFLOW.move(complaint.status, to)


def advance(complaint, to, by, *, data: dict | None = None, reason: str = "", password: str = "",
            comment: str = "", override_reason: str = "", on_site_waiver: str = ""):
    """Make the move with the data it records (its ``Move.fields``), as the core move view does with the move's
    form; refused → nothing saved and the record reloaded.

    Closing while a linked CAPA is unverified needs ``override_reason`` from a user holding
    ``complaints.override_capa_close`` (the MR); the override is the move's reason and is signed.
    Closing a complaint that required an on-site visit nobody recorded needs ``on_site_waiver``, why nobody went;
    it becomes part of the move's reason, in the audit trail.
    """
    move = move_for(complaint, to)
    values = dict(data or {})
    if move is not None:
        unexpected = set(values) - set(move.fields)
        if unexpected:
            raise TypeError(f"fields not recorded by this move: {', '.join(sorted(unexpected))}")
        if to == ComplaintStatus.INVALID:
            values["is_valid"] = False
        elif values and "is_valid" in move.fields:
            values.setdefault("is_valid", True)
    inputs = {}
    if to == ComplaintStatus.CLOSED and complaint.status == ComplaintStatus.RETURN_VISIT:
        override_reason, on_site_waiver = (override_reason or "").strip(), (on_site_waiver or "").strip()
        if override_reason and not by.has_perm("complaints.override_capa_close"):
            raise TransitionRefused(gettext("只有管理者代表可以在纠正措施未验证时签字关闭投诉。"))
        inputs = {"capa_override": override_reason, "on_site_waiver": on_site_waiver}
        reason = closing_reason(complaint, reason=reason, override_reason=override_reason,
                                on_site_waiver=on_site_waiver)
    try:
        return workflow.perform(complaint, to, by, reason=reason, password=password, comment=comment,
                                values=values, inputs=inputs)
    except Exception:
        complaint.refresh_from_db()
        raise


# --- the clock actions ---------------------------------------------------------------------------------
CLOCK_ACTIONS = {
    Clock.FIRST_REPLY: _("登记首次答复"),
    Clock.ON_SITE: _("登记到场处理"),
    Clock.ACCEPTED_REPLY: _("登记客户认可的答复"),
    Clock.WRITTEN_REPLY: _("登记书面答复"),
}


def clock_action_refusal(complaint, clock, user) -> str | None:
    if clock not in CLOCK_ACTIONS:
        return gettext("没有此项登记。")
    if complaint.status in FINAL_STATUSES:
        return gettext("投诉已%(status)s，不能再登记。") % {"status": complaint.get_status_display()}
    if not (user.is_superuser or may_handle(complaint, user)):
        return gettext("只有当前责任人、责任部门经理或客户服务/品质人员可以登记。")
    met_field = MET_FIELDS[clock]
    if getattr(complaint, met_field) is not None:
        return gettext("“%(action)s”已于 %(at)s 登记。") % {
            "action": CLOCK_ACTIONS[clock], "at": timezone.localtime(getattr(complaint, met_field))
            .strftime("%Y-%m-%d %H:%M")}
    if clock == Clock.ON_SITE and not complaint.requires_on_site:
        return gettext("此投诉不需要到场处理。")
    if clock in (Clock.ACCEPTED_REPLY, Clock.WRITTEN_REPLY) and complaint.status == ComplaintStatus.RECEIVED:
        return gettext("请先受理分派，再登记答复。")
    return None


def available_clock_actions(complaint, user) -> list[dict]:
    return [{"clock": clock, "label": label}
            for clock, label in CLOCK_ACTIONS.items() if clock_action_refusal(complaint, clock, user) is None]


def record_clock(complaint, clock, by, *, note: str = "", written_reply: str = "") -> Complaint:
    """Record that a clock's action was done now (首次答复, 到场, 客户认可的答复, 书面答复): the clock is met."""
    why_not = clock_action_refusal(complaint, clock, by)
    if why_not:
        raise Refused(why_not)
    written_reply = (written_reply or "").strip()
    if clock == Clock.WRITTEN_REPLY and not written_reply:
        raise Refused(gettext("请填写书面答复（处理方案）的内容。"))
    met_field = MET_FIELDS[clock]
    now = timezone.now()
    values = {met_field: now}
    if clock == Clock.WRITTEN_REPLY:
        values["written_reply"] = written_reply
    label = str(CLOCK_ACTIONS[clock])
    with transaction.atomic(), audit.context(user=by, reason=f"{label}：{note.strip()}" if note.strip() else label):
        updated = Complaint.objects.filter(pk=complaint.pk, status=complaint.status,
                                           **{f"{met_field}__isnull": True}).update(updated_at=now, **values)
        if not updated:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
        deadlines.close_deadlines(complaint, (clock,))
    for name, value in values.items():
        setattr(complaint, name, value)
    return complaint


# --- CAPA ----------------------------------------------------------------------------------------------
def capa_refusal(complaint, user) -> str | None:
    if complaint.status in FINAL_STATUSES or complaint.status == ComplaintStatus.RECEIVED:
        return gettext("投诉受理分派后、关闭前才能提出纠正和预防措施。")
    if not (user.is_superuser or user.has_perm("qms.raise_capa") or may_handle(complaint, user)):
        return gettext("您没有权限提出纠正和预防措施。")
    return None


def raise_capa(complaint, by, *, title: str = "", nonconformity: str = "", responsible=None,
               responsible_department=None, kind: str = "corrective"):
    """§3 "Investigation → correction → CAPA": one click from the complaint, linked back to it."""
    why_not = capa_refusal(complaint, by)
    if why_not:
        raise Refused(why_not)
    from qms.capa.models import CapaSource

    responsible = responsible or complaint.responsible or complaint.received_by
    return _capa_services().raise_capa(
        source=CapaSource.COMPLAINT, kind=kind,
        title=(title or gettext("客户投诉 %(number)s：%(product)s") % {
            "number": complaint.number, "product": complaint.product or complaint.customer_name})[:200],
        nonconformity=nonconformity or complaint.cause or complaint.description,
        responsible=responsible,
        responsible_department=responsible_department or complaint.responsible_department or responsible.department,
        raised_by=by, source_record=complaint, source_reference=complaint.number,
    )


def capas_of(complaint):
    return _capa_services().capas_for_source(complaint).select_related("responsible_department")


# --- my work -------------------------------------------------------------------------------------------
NEXT_STEP = {
    ComplaintStatus.RECEIVED: _("受理分派"),
    ComplaintStatus.ASSIGNED: _("开始调查"),
    ComplaintStatus.INVESTIGATING: _("提交调查结论"),
    ComplaintStatus.CORRECTING: _("登记处理措施"),
    ComplaintStatus.CONFIRMING: _("记录客户确认"),
    ComplaintStatus.RETURN_VISIT: _("回访并关闭"),
}


def complaint_work(user) -> list[WorkItem]:
    """Each open complaint the user is responsible for now (the receiver until the hand-over, then the
    handler), with its next step; key accounts flagged; due = its earliest open clock."""
    # the first of each way (handler; receiver before the hand-over) from the partial index complaint_open_work:
    # an OR of the two read all 1,188 open complaints of a production manager to sort them (4.9 ms)
    open_ = Complaint.objects.filter(status__in=OPEN_STATUSES)
    order = ("-is_key_account", "received_at", "pk")
    ids = registry.most_urgent([open_.filter(responsible=user),
                                open_.filter(responsible__isnull=True, received_by=user)], order)
    rows = (deadlines.with_open_due(Complaint.objects.filter(pk__in=ids), name="next_due")
            .only("pk", "number", "customer_name", "status", "is_key_account", "type")
            .order_by(*order)[:registry.WORK_ITEMS_PER_PROVIDER + 1])
    # each text translated once per page, each link made from one reverse (get_status_display translated the eight
    # statuses for every line: a millisecond of the page)
    title, category, key_account = gettext("%(step)s：%(number)s %(customer)s"), gettext("客户投诉"), gettext("大客户 · ")
    steps = {status: str(step) for status, step in NEXT_STEP.items()}
    statuses = {status: str(label) for status, label in ComplaintStatus.choices}
    url_of = url_maker(Complaint)
    return [WorkItem(title=title % {"step": steps[complaint.status], "number": complaint.number,
                                    "customer": complaint.customer_name},
                     url=url_of(complaint), category=category, due=complaint.next_due,
                     detail=(key_account if complaint.is_key_account else "") + statuses[complaint.status],
                     priority=complaint.is_key_account)
            for complaint in rows]
