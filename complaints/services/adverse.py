"""Medical-device adverse events (医疗器械不良事件; PROCEDURES.md §3; seed 004 医疗器械不良事件报告管理制度).

A complaint is flagged as a *suspected* adverse event with its consequence (``AdverseSeriousness``). The report
to the regulator is due, counted in calendar hours from the moment the company learned of the event — the
complaint's time of receipt (``received_at``), not the time it was flagged:
  death (导致死亡)        within 12 hours                       seed 004 (四)2 "死亡病例必须在12小时内报告"
  serious (严重伤害)      within 72 hours                       seed 004 (四)2 "最迟不超过72小时"
  other (其他)            in the quarterly aggregate report     seed 004 (四)3 "应当每季度…集中(报告)"
The quarterly aggregate report of a quarter is due by the 10th day after the quarter ends (17:30, the end of
office hours), e.g. events learned of in January–March are reported by 10 April.

Flagging opens a shared deadline (``qms.deadlines``) of kind ``adverse_report`` for the quality lead (质管部
fills in and submits 《医疗器械不良事件报告书》), and tells the management representative at once for a death
or serious injury. Recording the report is signed (password re-asked) and meets the deadline. Once reported,
the event's classification and description are frozen (a later finding is a supplementary report, outside the
portal). Affected stock can be frozen: production and quality are told which batch to freeze, and the freeze
is kept on the complaint's audit trail (``freezes_of``). Every change is audited.
"""
from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from complaints.models import AdverseSeriousness, Complaint
from complaints.services import complaints as complaint_service
from complaints.services import worded
from qms import Refused, audit, deadlines, signatures
from qms.deadlines import DeadlineRule
from qms.notifications import Notification, notify
from qms.people import Department, Role, User

DEADLINE_KIND = "adverse_report"
DEATH_REPORT_HOURS = 12
SERIOUS_REPORT_HOURS = 72
QUARTERLY_REPORT_DAY = 10  # the aggregate report is due by the 10th day after the quarter ends
QUARTERLY_REPORT_TIME = dt.time(17, 30)
# The signature's step, stored as its msgid so that the report's signature is found whatever the signer's language.
REPORT_STEP = gettext_noop("上报医疗器械不良事件")
# What a freeze note carries in its audit context, so that the freezes of an event can be listed again.
FREEZE_TAG = "adverse_freeze"

# How early the person responsible is reminded, and how soon an overdue report escalates, per consequence.
REMINDERS = {
    AdverseSeriousness.DEATH: (dt.timedelta(hours=4), dt.timedelta(hours=2)),
    AdverseSeriousness.SERIOUS: (dt.timedelta(hours=24), dt.timedelta(hours=12)),
    AdverseSeriousness.OTHER: (dt.timedelta(days=5), dt.timedelta(days=2)),
}

# Who reports to the regulator: the quality department (质管部) and the MR (企业质量负责人).
REPORTERS = (Role.QUALITY, Role.MR)

DUE_RULE_TEXT = _("报告期限自公司获知事件之时（投诉受理时间）起按日历小时计算：导致死亡的 12 小时内，严重伤害的 "
                  "72 小时内；其他可疑不良事件纳入季度汇总报告，于季度结束后第 10 日 17:30 前报告"
                  "（例如 1–3 月获知的事件于 4 月 10 日前报告）。")


# --- quarters and due times ----------------------------------------------------------------------------
def quarter_of(when: dt.datetime | dt.date) -> tuple[int, int]:
    if isinstance(when, dt.datetime):
        when = timezone.localtime(when).date()
    return when.year, (when.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the quarter as aware local datetimes."""
    tz = timezone.get_default_timezone()
    start = dt.datetime(year, 3 * quarter - 2, 1, tzinfo=tz)
    end = dt.datetime(year + 1, 1, 1, tzinfo=tz) if quarter == 4 else dt.datetime(year, 3 * quarter + 1, 1, tzinfo=tz)
    return start, end


def quarterly_report_due(year: int, quarter: int) -> dt.datetime:
    """The 10th day after the quarter's last day, at the end of office hours."""
    last_day = quarter_bounds(year, quarter)[1].date() - dt.timedelta(days=1)
    day = last_day + dt.timedelta(days=QUARTERLY_REPORT_DAY)
    return dt.datetime.combine(day, QUARTERLY_REPORT_TIME, tzinfo=timezone.get_default_timezone())


def quarter_key(year: int, quarter: int) -> str:
    return f"{year}Q{quarter}"


def parse_quarter(key: str) -> tuple[int, int] | None:
    key = (key or "").strip().upper()
    if len(key) != 6 or key[4] != "Q" or not key[:4].isdigit() or key[5] not in "1234":
        return None
    return int(key[:4]), int(key[5])


def quarter_label(year: int, quarter: int) -> str:
    return gettext("%(year)d 年第 %(q)d 季度") % {"year": year, "q": quarter}


def recent_quarters(count: int = 8, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """(key, label) of the current quarter and the ``count - 1`` before it, newest first."""
    year, quarter = quarter_of(now or timezone.now())
    result = []
    for _i in range(count):
        result.append((quarter_key(year, quarter), quarter_label(year, quarter)))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return result


def report_due(seriousness: str, learned_at: dt.datetime) -> dt.datetime:
    """When the report of an event of ``seriousness`` learned of at ``learned_at`` is due (see the module)."""
    if seriousness == AdverseSeriousness.DEATH:
        return learned_at + dt.timedelta(hours=DEATH_REPORT_HOURS)
    if seriousness == AdverseSeriousness.SERIOUS:
        return learned_at + dt.timedelta(hours=SERIOUS_REPORT_HOURS)
    if seriousness == AdverseSeriousness.OTHER:
        return quarterly_report_due(*quarter_of(learned_at))
    raise ValueError(f"unknown seriousness {seriousness!r}")


def _report_due(complaint, start) -> dt.datetime:
    return report_due(complaint.adverse_seriousness, start)


# The report to the regulator, counted from the time of receipt; reminded and escalated sooner the graver the
# consequence. §3.5 the 12 h / 72 h report runs round the clock: its reminders and escalations are not held to
# office hours.
REPORT_DEADLINE = DeadlineRule(DEADLINE_KIND, _("上报医疗器械不良事件：{record}"), due=_report_due,
                               responsible=lambda complaint: quality_lead(),
                               remind_before=lambda complaint: REMINDERS[complaint.adverse_seriousness][0],
                               escalate_after=lambda complaint: REMINDERS[complaint.adverse_seriousness][1],
                               start="received_at", any_hour=True)


# --- people and permissions ----------------------------------------------------------------------------
def quality_lead() -> User | None:
    """The quality department's manager (质管部), else any quality user, else the MR."""
    manager_id = (Department.objects.filter(manager__groups__name=Role.QUALITY, manager__is_active=True)
                  .order_by("pk").values_list("manager", flat=True).first())
    if manager_id:
        return User.objects.get(pk=manager_id)
    return (User.objects.filter(groups__name=Role.QUALITY, is_active=True).order_by("pk").first()
            or management_representative())


def management_representative() -> User | None:
    return User.objects.filter(groups__name=Role.MR, is_active=True).order_by("pk").first()


def may_report(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.has_role(*REPORTERS)))


def may_flag(complaint, user) -> bool:
    """Whoever handles the complaint, and quality and the MR: seed 004 "一经发现…应当立即向质管部…报告"."""
    return bool(user and user.is_active and (user.is_superuser or may_report(user)
                                             or complaint_service.may_handle(complaint, user)))


# --- flagging --------------------------------------------------------------------------------------------
def _deadline_title(complaint, seriousness) -> str:
    return gettext("上报医疗器械不良事件（%(seriousness)s）：%(number)s %(product)s") % {
        "seriousness": AdverseSeriousness(seriousness).label, "number": complaint.number,
        "product": complaint.product or complaint.customer_name}


def flag_adverse_event(complaint: Complaint, *, seriousness: str, description: str, by) -> Complaint:
    """Flag (or re-classify, until it is reported) a complaint as a suspected adverse event: due time from the
    time of receipt, the ``adverse_report`` deadline for the quality lead, the MR told at once of a death or a
    serious injury; audited, one transaction."""
    if seriousness not in AdverseSeriousness.values:
        raise Refused(gettext("请选择事件后果。"))
    description = (description or "").strip()
    if not description:
        raise Refused(gettext("请填写事件经过。"))
    if not may_flag(complaint, by):
        raise Refused(gettext("只有投诉的处理人员、品质部或管理者代表可以标记疑似不良事件。"))
    if complaint.adverse_reported_at is not None:
        raise Refused(gettext("此不良事件已于 %(at)s 上报，不能再修改；如有新情况请提交补充报告。") % {
            "at": timezone.localtime(complaint.adverse_reported_at).strftime("%Y-%m-%d %H:%M")})
    due = report_due(seriousness, complaint.received_at)
    responsible = quality_lead() or by
    was_flagged = complaint.is_adverse_event
    label = AdverseSeriousness(seriousness).label
    reason = (gettext("重新判定疑似医疗器械不良事件：%(s)s") if was_flagged
              else gettext("标记为疑似医疗器械不良事件：%(s)s")) % {"s": label}
    now = timezone.now()
    with transaction.atomic(), audit.context(user=by, reason=reason):
        updated = Complaint.objects.filter(pk=complaint.pk, adverse_reported_at__isnull=True).update(
            is_adverse_event=True, adverse_seriousness=seriousness, adverse_description=description, updated_at=now)
        if not updated:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
        complaint.is_adverse_event, complaint.adverse_seriousness = True, seriousness
        complaint.adverse_description, complaint.report_due_at = description, due
        worded(REPORT_DEADLINE, _deadline_title(complaint, seriousness)).open(complaint, responsible=responsible)
        _announce(complaint, by, responsible, due)
    return complaint


def _announce(complaint, by, responsible, due) -> None:
    link = complaint.get_absolute_url() + "?tab=adverse"
    urgent = complaint.adverse_seriousness in (AdverseSeriousness.DEATH, AdverseSeriousness.SERIOUS)
    def title():  # written in each recipient's language
        return gettext("%(urgent)s疑似医疗器械不良事件（%(seriousness)s）：%(number)s %(customer)s") % {
            "urgent": gettext("【紧急】") if urgent else "",
            "seriousness": complaint.get_adverse_seriousness_display(), "number": complaint.number,
            "customer": complaint.customer_name}

    def body():
        return gettext("%(who)s 标记。产品：%(product)s，批号：%(batch)s。须于 %(due)s 前向监管部门报告。%(text)s") % {
            "who": by.display_name, "product": complaint.product or "—", "batch": complaint.batch or "—",
            "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"), "text": complaint.adverse_description[:200]}

    level = Notification.Level.WARNING if urgent else Notification.Level.INFO
    recipients = []
    if responsible is not None and responsible.pk != by.pk:
        recipients.append(responsible)
    if urgent:  # seed 004 (四)1: reported at once to the quality department and the company's quality head
        mr = management_representative()
        if mr is not None and mr.pk != by.pk and mr not in recipients:
            recipients.append(mr)
    for recipient in recipients:
        notify(recipient, title, body, link=link, level=level)


# --- the report -------------------------------------------------------------------------------------------
def report_refusal(complaint, user) -> str | None:
    if not complaint.is_adverse_event:
        return gettext("此投诉未标记为疑似医疗器械不良事件。")
    if complaint.adverse_reported_at is not None:
        return gettext("此不良事件已于 %(at)s 上报。") % {
            "at": timezone.localtime(complaint.adverse_reported_at).strftime("%Y-%m-%d %H:%M")}
    if not may_report(user):
        return gettext("只有品质部或管理者代表可以登记向监管部门的报告。")
    return None


def record_report(complaint: Complaint, *, reported_at: dt.datetime, by, password: str, authority: str = "",
                  reference: str = "") -> signatures.Signature:
    """Record that the report went to the regulator at ``reported_at``: signed (password re-asked), the
    ``adverse_report`` deadline met; the event's classification and description are frozen from now on."""
    why_not = report_refusal(complaint, by)
    if why_not:
        raise Refused(why_not)
    now = timezone.now()
    if reported_at is None:
        raise Refused(gettext("请填写报告时间。"))
    if reported_at > now + dt.timedelta(minutes=5):
        raise Refused(gettext("报告时间不能晚于现在。"))
    if reported_at < complaint.received_at:
        raise Refused(gettext("报告时间不能早于获知事件的时间（投诉受理时间）。"))
    signatures.check_password_or_refuse(by, password)
    due = report_due_at(complaint)
    late = due is not None and reported_at > due
    parts = [gettext("事件后果：%(s)s") % {"s": complaint.get_adverse_seriousness_display()},
             gettext("报告时间：%(at)s") % {"at": timezone.localtime(reported_at).strftime("%Y-%m-%d %H:%M")}]
    if authority.strip():
        parts.append(gettext("报告至：%(a)s") % {"a": authority.strip()})
    if reference.strip():
        parts.append(gettext("报告编号：%(r)s") % {"r": reference.strip()})
    if late:
        parts.append(gettext("超过报告期限 %(due)s") % {
            "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")})
    summary = "；".join(parts)
    with transaction.atomic(), audit.context(user=by, reason=gettext("上报医疗器械不良事件：%(s)s") % {"s": summary}):
        updated = Complaint.objects.filter(pk=complaint.pk, is_adverse_event=True,
                                           adverse_reported_at__isnull=True).update(adverse_reported_at=reported_at,
                                                                                    updated_at=now)
        if not updated:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
        complaint.adverse_reported_at = reported_at
        signature = signatures.sign(complaint, by, password, signatures.Meaning.CONFIRMATION, comment=summary,
                                    step=REPORT_STEP)
        deadlines.close_deadlines(complaint, (DEADLINE_KIND,))
    return signature


def report_signature(complaint):
    """The signature of the report to the regulator, or None."""
    return (signatures.Signature.objects.filter(content_type=ContentType.objects.get_for_model(Complaint),
                                                object_id=complaint.pk, step=REPORT_STEP)
            .order_by("-signed_at").first()) if complaint.adverse_reported_at else None


# --- freezing affected stock ---------------------------------------------------------------------------
def freeze_refusal(complaint, user) -> str | None:
    if not complaint.is_adverse_event:
        return gettext("只有疑似医疗器械不良事件可以从此处冻结库存。")
    if not may_report(user):
        return gettext("只有品质部或管理者代表可以要求冻结库存。")
    return None


def freeze_stock(complaint: Complaint, *, batch: str, by, note: str = "") -> list:
    """Ask production and quality to freeze (封存, stop issuing) the stock of ``batch``: each is told at once,
    and the request is kept on the complaint's audit trail. Returns the people told."""
    why_not = freeze_refusal(complaint, by)
    if why_not:
        raise Refused(why_not)
    batch = (batch or "").strip()
    if not batch:
        raise Refused(gettext("请填写要冻结的批号。"))
    note = (note or "").strip()
    reason = gettext("冻结库存：批号 %(batch)s") % {"batch": batch}
    if note:
        reason = f"{reason}；{note}"
    recipients = list(User.objects.filter(groups__name__in=[Role.PRODUCTION, Role.QUALITY], is_active=True)
                      .distinct().order_by("pk"))
    def title():  # written in each recipient's language
        return gettext("【紧急】请立即冻结批号 %(batch)s 的库存（%(product)s）") % {
            "batch": batch, "product": complaint.product or complaint.customer_name}

    def body():
        return gettext("%(who)s 因疑似医疗器械不良事件 %(number)s 要求冻结该批号库存，停止发货和使用，移入隔离区待处理。"
                       "%(note)s") % {"who": by.display_name, "number": complaint.number, "note": note}

    link = reverse("complaints:detail", args=[complaint.pk]) + "?tab=adverse"
    with transaction.atomic(), audit.context(user=by, reason=reason):
        fresh = Complaint.objects.get(pk=complaint.pk)
        audit.note(fresh, user=by, reason=reason, **{FREEZE_TAG: batch})
        for recipient in recipients:
            notify(recipient, title, body, link=link, level=Notification.Level.WARNING)
    return recipients


def freezes_of(complaint) -> list[dict]:
    """The stock freezes requested for the event, oldest first: batch, when, who, the note as recorded."""
    events = (audit.event_model(Complaint).objects
              .filter(pgh_obj_id=complaint.pk, pgh_context__has_key=FREEZE_TAG).order_by("pgh_created_at", "pgh_id"))
    return [{"batch": e.pgh_context.get(FREEZE_TAG, ""), "at": e.pgh_created_at,
             "by": e.pgh_context.get("user_name", ""), "reason": e.pgh_context.get("reason", "")} for e in events]


# --- reading ---------------------------------------------------------------------------------------------
def _report_deadlines():
    return deadlines.Deadline.objects.filter(content_type=ContentType.objects.get_for_model(Complaint),
                                             kind=DEADLINE_KIND).order_by("-pk")


def with_report_due(queryset):
    """``queryset`` of complaints annotated with ``report_due_at``: the due time of the report to the regulator,
    read from its deadline (open, or met by the report), None when the complaint was never flagged."""
    return queryset.annotate(report_due_at=Subquery(
        _report_deadlines().filter(object_id=OuterRef("pk")).values("due_at")[:1]))


def report_due_at(complaint) -> dt.datetime | None:
    """When the report of the flagged ``complaint`` is (or was) due: its deadline's due time."""
    if "report_due_at" not in complaint.__dict__:
        complaint.report_due_at = (_report_deadlines().filter(object_id=complaint.pk)
                                   .values_list("due_at", flat=True).first())
    return complaint.report_due_at


def adverse_state(complaint, now: dt.datetime | None = None) -> tuple[str, str]:
    """(label, css) of the report: reported (on time / late), overdue, or pending."""
    now = now or timezone.now()
    due = report_due_at(complaint)
    if complaint.adverse_reported_at is not None:
        if due is not None and complaint.adverse_reported_at > due:
            return gettext("已报告（超期）"), "warning"
        return gettext("已报告"), "success"
    if due is not None and due < now:
        return gettext("已逾期未报告"), "danger"
    return gettext("待报告"), "primary"
