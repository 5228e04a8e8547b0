"""Advisory notices 《忠告性通知》 (PROCEDURES.md §3; seed 002 §4.9 "管理者代表及时编制书面通知，通知用户和公告机构").

When a product risk is found, the management representative drafts a notice (product, batches, the risk, what
customers should do) and chooses the customers it goes to. The flow, declared once in ``PIPELINE`` and enforced
by ``qms.workflow.perform``:

    草稿 draft ──签发 (the MR's signature, password re-asked)──▶ 已发布 issued ──关闭──▶ 已关闭 closed
    草稿 ──撤销草稿 (reason)──▶ 已关闭

Issuing sets the sending time of every recipient, tells each customer's owner (customer service for customers
in the pool) to pass the notice on and get it acknowledged, and opens a follow-up deadline for the issuer: every
recipient acknowledged within 5 working days (``FOLLOW_UP_WORKING_DAYS``). Each acknowledgement (who at the
customer, when) is recorded; the last one meets the deadline. A notice closes once every recipient has
acknowledged — or earlier with a written reason (e.g. a customer that no longer exists). The time the authority
was told is recorded separately. Nothing is deleted; every change is audited.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import forms_moves
from complaints.models import AdvisoryNotice, NoticeRecipient, NoticeStatus
from qms import Refused, audit, deadlines, trace, workflow
from qms.notifications import notify
from qms.numbering import next_number
from qms.people import Role, User
from qms.registry import WorkItem
from qms.signatures import Meaning
from qms.deadlines import DeadlineRule
from qms.workdays import WorkingCalendar
from qms.workflow import Move

FOLLOW_UP_KIND = "notice_acknowledgement"
FOLLOW_UP_WORKING_DAYS = getattr(settings, "QMS_NOTICE_FOLLOW_UP_WORKING_DAYS", 5)
# Who sees every notice (drafts included); others see the issued notices that name a customer they own.
SEES_ALL = (Role.MR, Role.GM, Role.QUALITY, Role.CUSTOMER_SERVICE)
# Who may record an acknowledgement beside the owner of the recipient customer.
ACKNOWLEDGERS = (Role.MR, Role.QUALITY, Role.CUSTOMER_SERVICE)

# What the issuing signature binds: the notice as issued, not the times recorded afterwards.
AdvisoryNotice.SIGNED_FIELDS = ("number", "title", "product", "batches", "risk", "actions", "complaint_id",
                                "drafted_by_id")

DRAFT_FIELDS = ("title", "product", "batches", "risk", "actions", "complaint")


# --- who may --------------------------------------------------------------------------------------------
def may_acknowledge(recipient, user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.has_role(*ACKNOWLEDGERS)
                                             or (recipient.customer.owner_id is not None
                                                 and recipient.customer.owner_id == user.pk)))


def _is_mr(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.has_role(Role.MR)))


# --- drafting -------------------------------------------------------------------------------------------
def _clean(values: dict) -> dict:
    cleaned = {name: (value.strip() if isinstance(value, str) else value) for name, value in values.items()}
    missing = [label for name, label in (("title", gettext("标题")), ("product", gettext("产品")),
                                         ("risk", gettext("风险说明")), ("actions", gettext("建议客户采取的措施")))
               if not cleaned.get(name)]
    if missing:
        raise Refused(gettext("请填写：%(fields)s。") % {"fields": "、".join(missing)})
    return cleaned


def proposed_recipients(batches: str) -> list[trace.Recipient]:
    """The customers that received the notice's batches, as the trace registered in the core finds them (material
    batch → lots → shipments → customers): proposed for the MR to confirm instead of a hand-picked list."""
    return trace.recipients_for(trace.split_batches(batches))


def draft_notice(*, by, title: str, product: str, risk: str, actions: str, customers, batches: str = "",
                 complaint=None) -> AdvisoryNotice:
    """The MR drafts a notice and chooses its recipients; numbered ZG-<year>-<seq>."""
    if not _is_mr(by):
        raise Refused(gettext("只有管理者代表可以起草忠告性通知。"))
    values = _clean({"title": title, "product": product, "batches": batches, "risk": risk, "actions": actions,
                     "complaint": complaint})
    with transaction.atomic(), audit.context(user=by, reason=gettext("起草忠告性通知")):
        notice = AdvisoryNotice(drafted_by=by, **values)
        notice.number = next_number("advisory_notice", prefix_default="ZG", name_default="忠告性通知")
        notice.save()
        NoticeRecipient.objects.bulk_create([NoticeRecipient(notice=notice, customer=c) for c in _unique(customers)])
    return notice


def _unique(customers) -> list:
    seen, result = set(), []
    for customer in customers:
        if customer.pk not in seen:
            seen.add(customer.pk)
            result.append(customer)
    return result


def update_draft(notice: AdvisoryNotice, *, by, customers, **values) -> AdvisoryNotice:
    """Edit a draft and its recipient list (a recipient taken off a draft is removed; the trail keeps it)."""
    if not _is_mr(by):
        raise Refused(gettext("只有管理者代表可以修改忠告性通知。"))
    unknown = set(values) - set(DRAFT_FIELDS)
    if unknown:
        raise TypeError(f"not a draft field: {', '.join(sorted(unknown))}")
    values = _clean({name: values.get(name, getattr(notice, name)) for name in DRAFT_FIELDS})
    wanted = {c.pk: c for c in _unique(customers)}
    with transaction.atomic(), audit.context(user=by, reason=gettext("修改忠告性通知草稿")):
        locked = AdvisoryNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.status != NoticeStatus.DRAFT:
            raise Refused(gettext("只有草稿可以修改。"))
        for name, value in values.items():
            setattr(notice, name, value)
        notice.save(update_fields=[*DRAFT_FIELDS, "updated_at"])
        current = set(notice.recipients.values_list("customer_id", flat=True))
        notice.recipients.exclude(customer_id__in=wanted).delete()
        NoticeRecipient.objects.bulk_create([NoticeRecipient(notice=notice, customer=c)
                                             for pk, c in wanted.items() if pk not in current])
    return notice


# --- the flow -------------------------------------------------------------------------------------------
def _issue_ready(notice) -> str | None:
    if not notice.recipients.exists():
        return gettext("请至少选择一个接收通知的客户。")
    return None


def unacknowledged(notice):
    return notice.recipients.filter(acknowledged_at__isnull=True)


def _pending_message(notice) -> str | None:
    pending = unacknowledged(notice).count()
    return gettext("尚有 %(n)d 个客户未确认收到，关闭须填写理由。") % {"n": pending} if pending else None


def _recipient_owners(notice) -> dict:
    """{user: [customer names]}: each recipient customer's owner, customer service for customers in the pool."""
    service_team = list(User.objects.filter(groups__name=Role.CUSTOMER_SERVICE, is_active=True).order_by("pk"))
    result: dict = {}
    for recipient in notice.recipients.select_related("customer__owner").order_by("pk"):
        owner = recipient.customer.owner
        for person in ([owner] if owner is not None and owner.is_active else service_team):
            result.setdefault(person, []).append(recipient.customer.name)
    return result


def _follow_up_due(notice, start, calendar: WorkingCalendar | None = None):
    return (calendar or WorkingCalendar()).add_working_days(start, FOLLOW_UP_WORKING_DAYS)


# Every recipient acknowledged within 5 working days of the issue, followed up by the issuer.
FOLLOW_UP = DeadlineRule(FOLLOW_UP_KIND, _("跟进忠告性通知的客户确认：{record}"), due=_follow_up_due,
                         responsible=lambda notice: _issuer(notice), remind_before=dt.timedelta(days=1),
                         escalate_after=dt.timedelta(days=1), start="issued_at")


def _after_issue(notice, by, transition) -> None:
    at = transition.at
    AdvisoryNotice.objects.filter(pk=notice.pk).update(issued_at=at)
    notice.issued_at = at
    notice.recipients.filter(sent_at__isnull=True).update(sent_at=at)
    due = FOLLOW_UP.open(notice, responsible=by).due_at
    link = notice.get_absolute_url()
    for person, names in _recipient_owners(notice).items():
        if person.pk == by.pk:
            continue
        notify(person, lambda: gettext("忠告性通知 %(number)s：%(title)s") % {"number": notice.number, "title": notice.title},
               lambda: gettext("请将通知转达以下客户并记录其确认收到：%(customers)s。须于 %(due)s 前全部确认。") % {
                   "customers": "、".join(names), "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")},
               link=link)


PIPELINE = {
    NoticeStatus.DRAFT: {
        NoticeStatus.ISSUED: Move(_("签发"), roles=(Role.MR,), signature=Meaning.APPROVAL, guard=_issue_ready,
                                  form=forms_moves.NoticeIssueForm, after=_after_issue, style="success"),
        NoticeStatus.CLOSED: Move(_("撤销草稿"), roles=(Role.MR,), reason=True, closes=("*",),
                                  form=forms_moves.NoticeWithdrawForm, style="outline-danger"),
    },
    NoticeStatus.ISSUED: {
        # closing early, while some customers have not acknowledged, needs a written reason
        NoticeStatus.CLOSED: Move(_("关闭"), roles=(Role.MR,), reason=lambda notice: unacknowledged(notice).exists(),
                                  form=forms_moves.NoticeCloseForm, closes=("*",), style="outline-success"),
    },
}

WORKFLOW = workflow.register(workflow.Workflow(AdvisoryNotice, PIPELINE, badges={
    NoticeStatus.DRAFT: "secondary", NoticeStatus.ISSUED: "primary", NoticeStatus.CLOSED: "success"}))


def issue_notice(notice: AdvisoryNotice, *, by, password: str, comment: str = ""):
    """签发: only the MR, who re-enters the password; the recipients are sent the notice now."""
    return workflow.perform(notice, NoticeStatus.ISSUED, by, password=password, comment=comment)


def close_notice(notice: AdvisoryNotice, *, by, reason: str = ""):
    """Close an issued notice: once all recipients acknowledged, or earlier with a reason; or withdraw a draft
    (a reason)."""
    if notice.status == NoticeStatus.ISSUED and not (reason or "").strip() and workflow.may_act(
            WORKFLOW.move(NoticeStatus.ISSUED, NoticeStatus.CLOSED), notice, by):
        why_not = _pending_message(notice)
        if why_not:
            raise workflow.TransitionRefused(why_not)
    return workflow.perform(notice, NoticeStatus.CLOSED, by, reason=reason)


# --- acknowledgements and the authority ---------------------------------------------------------------
def acknowledgement_refusal(recipient, user) -> str | None:
    notice = recipient.notice
    if notice.status == NoticeStatus.DRAFT:
        return gettext("通知尚未签发。")
    if notice.status == NoticeStatus.CLOSED:
        return gettext("通知已关闭，不能再登记。")
    if recipient.acknowledged_at is not None:
        return gettext("%(customer)s 已于 %(at)s 确认收到。") % {
            "customer": recipient.customer.name,
            "at": timezone.localtime(recipient.acknowledged_at).strftime("%Y-%m-%d %H:%M")}
    if not may_acknowledge(recipient, user):
        return gettext("只有该客户的负责人、客户服务、品质部或管理者代表可以登记确认。")
    return None


def record_acknowledgement(recipient: NoticeRecipient, *, by, acknowledged_by: str,
                           acknowledged_at: dt.datetime | None = None, note: str = "") -> NoticeRecipient:
    """Record that the customer acknowledged the notice (who at the customer, when); the last one meets the
    follow-up deadline and tells the issuer."""
    why_not = acknowledgement_refusal(recipient, by)
    if why_not:
        raise Refused(why_not)
    acknowledged_by = (acknowledged_by or "").strip()
    if not acknowledged_by:
        raise Refused(gettext("请填写客户方确认人。"))
    now = timezone.now()
    acknowledged_at = acknowledged_at or now
    if acknowledged_at > now + dt.timedelta(minutes=5):
        raise Refused(gettext("确认时间不能晚于现在。"))
    if recipient.sent_at and acknowledged_at < recipient.sent_at:
        raise Refused(gettext("确认时间不能早于通知发送时间。"))
    notice = recipient.notice
    reason = gettext("登记客户确认收到忠告性通知：%(customer)s") % {"customer": recipient.customer.name}
    with transaction.atomic(), audit.context(user=by, reason=reason):
        updated = NoticeRecipient.objects.filter(pk=recipient.pk, acknowledged_at__isnull=True,
                                                 notice__status=NoticeStatus.ISSUED).update(
            acknowledged_at=acknowledged_at, acknowledged_by=acknowledged_by[:50], note=(note or "").strip()[:200])
        if not updated:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
        recipient.acknowledged_at, recipient.acknowledged_by = acknowledged_at, acknowledged_by[:50]
        recipient.note = (note or "").strip()[:200]
        if not unacknowledged(notice).exists():
            deadlines.close_deadlines(notice, (FOLLOW_UP_KIND,))
            issuer = _issuer(notice)
            if issuer is not None and issuer.pk != by.pk:
                notify(issuer, lambda: gettext("忠告性通知 %(number)s 的客户已全部确认收到") % {"number": notice.number},
                       lambda: gettext("可以关闭此通知。"), link=notice.get_absolute_url())
    return recipient


def _issuer(notice):
    transition = (workflow.transitions_for(notice).filter(to_status=NoticeStatus.ISSUED).order_by("-at").first())
    return transition.by if transition is not None else notice.drafted_by


def record_authority_notified(notice: AdvisoryNotice, *, by, notified_at: dt.datetime) -> AdvisoryNotice:
    """Record when the authority (公告机构 / the regulator) was told of the notice."""
    if not _is_mr(by):
        raise Refused(gettext("只有管理者代表可以登记报告监管部门的时间。"))
    if notice.status == NoticeStatus.DRAFT:
        raise Refused(gettext("通知签发后才能登记报告监管部门的时间。"))
    if notice.authority_notified_at is not None:
        raise Refused(gettext("已登记报告监管部门的时间：%(at)s。") % {
            "at": timezone.localtime(notice.authority_notified_at).strftime("%Y-%m-%d %H:%M")})
    if notified_at is None:
        raise Refused(gettext("请填写报告监管部门的时间。"))
    if notified_at > timezone.now() + dt.timedelta(minutes=5):
        raise Refused(gettext("报告时间不能晚于现在。"))
    if notified_at < notice.created_at:
        raise Refused(gettext("报告时间不能早于通知起草时间。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记报告监管部门的时间")):
        updated = AdvisoryNotice.objects.filter(pk=notice.pk, authority_notified_at__isnull=True).update(
            authority_notified_at=notified_at, updated_at=timezone.now())
        if not updated:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
        notice.authority_notified_at = notified_at
    return notice


# --- my work --------------------------------------------------------------------------------------------
def notice_work(user) -> list[WorkItem]:
    """The customers of the user's whose acknowledgement of an issued notice is still outstanding."""
    rows = (NoticeRecipient.objects.filter(customer__owner=user, acknowledged_at__isnull=True,
                                           notice__status=NoticeStatus.ISSUED)
            .select_related("notice", "customer").order_by("notice__issued_at", "pk")[:100])
    items = []
    calendar = WorkingCalendar()
    for recipient in rows:
        notice = recipient.notice
        due = calendar.add_working_days(notice.issued_at, FOLLOW_UP_WORKING_DAYS) if notice.issued_at else None
        items.append(WorkItem(
            title=gettext("转达忠告性通知并记录确认：%(number)s → %(customer)s") % {
                "number": notice.number, "customer": recipient.customer.name},
            url=notice.get_absolute_url(), category=gettext("忠告性通知"), due=due, detail=notice.title,
        ))
    return items
