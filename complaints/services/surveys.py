"""The yearly customer satisfaction survey 客户满意度调查 (PROCEDURES.md §2 "Satisfaction survey": at least yearly,
in October by default — ``settings.QMS_SURVEY_MONTH``; results analysed by quality; §3 intake channel 调查).

A campaign (准备中 → 调查中 → 已结束, through the shared workflow):
  ``create_campaign`` makes the campaign with its scored questions (1–5) and its recipients: one
  ``SurveyResponse`` per chosen customer (by default every A/B key account that has an owner), not yet sent.
  Questions and recipients are edited while it is a draft.
  开始调查 stamps every response ``sent_at``, tells each owner which of their customers to survey, and opens a
  shared deadline per owner ("survey_collect:<user id>") due on the campaign's closing day (its last working
  day), so that uncollected results are reminded and escalated like every other deadline.
  Results are entered per response (``enter_response``) or imported from Excel (``complaints.imports``), both
  through the same service. A collector's deadline is met when none of their customers is left unanswered.
  结束调查 cancels the deadlines still open (results never collected).

Low scores (seed 002 顾客反馈: survey results are customer feedback): a response with any answer at or below
``campaign.low_score`` raises one feedback item (a 建议 of channel 调查, through
``complaints.services.complaints.receive``) listing the low-scored questions; its description carries the
response's address, which is how a second entry, an import or the closing sweep finds it and raises nothing
twice.

The yearly draft: ``prepare_yearly_campaign`` (the daily beat task ``complaints.survey_tasks``) creates the
year's campaign in draft during the survey month when the year has none, and tells the MR and customer service.
"""
from __future__ import annotations

import datetime as dt
import logging
import zlib
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.models import (CampaignStatus, Channel, Complaint, FeedbackType, SurveyAnswer, SurveyCampaign,
                               SurveyQuestion, SurveyResponse)
from complaints.services import worded
from customers.models import Customer, Grade
from qms import Refused, audit, deadlines, workflow
from qms.deadlines import Deadline, DeadlineRule
from qms.excel.export import ExportWorkbook, write_rows
from qms.notifications import notify
from qms.people import Role, User
from qms.workdays import WorkingCalendar
from qms.workflow import Move

logger = logging.getLogger(__name__)

# The questions of a new campaign. They are data (like an import file's headers): stored in Chinese.
DEFAULT_QUESTIONS = ["产品质量", "交货及时性", "服务态度", "技术支持", "价格", "投诉处理"]
SCORES = (1, 2, 3, 4, 5)
SCORE_LABELS = {5: _("非常满意"), 4: _("满意"), 3: _("一般"), 2: _("不满意"), 1: _("非常不满意")}
DEFAULT_GRADES = (Grade.A, Grade.B)  # 大客户 surveyed by default (§1 ABC classification)
# Column headers of the results import, which question texts may not take.
RESERVED_TEXTS = ("客户编号", "客户名称", "填写人", "回收日期", "意见和建议")

MANAGERS = (Role.CUSTOMER_SERVICE, Role.MR)  # create, edit, open, import (§3.2 customer service runs the survey)
CLOSERS = (Role.CUSTOMER_SERVICE, Role.MR, Role.QUALITY)
SEES_ALL = (Role.CUSTOMER_SERVICE, Role.MR, Role.QUALITY, Role.GM)  # §2: quality analyses the results

COLLECT = "survey_collect"
COLLECT_DUE_TIME = dt.time(17, 30)
COLLECT_REMIND_BEFORE = dt.timedelta(days=3)
_YEARLY_LOCK = zlib.crc32(b"complaints.surveys.prepare_yearly_campaign")


# --- who may ----------------------------------------------------------------------------------------------
def may_manage(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and (user.is_superuser or user.has_role(*MANAGERS)))


def may_enter(user, response: SurveyResponse | None) -> bool:
    """Customer service and the MR enter any result; an owner those of their own customers."""
    if may_manage(user):
        return True
    return bool(response is not None and user and user.is_authenticated and user.is_active
                and response.customer.owner_id == user.pk)


# --- dates ------------------------------------------------------------------------------------------------
def _last_working_day(day: dt.date, working_calendar: WorkingCalendar | None = None) -> dt.date:
    working_calendar = working_calendar or WorkingCalendar()
    candidate = day
    for _i in range(31):
        if working_calendar.is_working_day(candidate):
            return candidate
        candidate -= dt.timedelta(days=1)
    return day


def default_dates(year: int, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """From the survey month's first day (or today, when that has passed) to the last working day of the
    month after it begins."""
    today = today or timezone.localdate()
    opens_on = max(dt.date(year, settings.QMS_SURVEY_MONTH, 1), today)
    closes_on = _last_working_day(opens_on + relativedelta(months=1) - dt.timedelta(days=1))
    return opens_on, max(closes_on, opens_on)


def collect_due(campaign: SurveyCampaign) -> dt.datetime:
    """17:30 of the closing day, or of the last working day before it."""
    day = _last_working_day(campaign.closes_on)
    return dt.datetime.combine(day, COLLECT_DUE_TIME, tzinfo=timezone.get_default_timezone())


def default_title(year: int) -> str:
    return gettext("%(year)s 年度客户满意度调查") % {"year": year}


# --- creating and editing a draft ---------------------------------------------------------------------------
def default_recipients():
    """Every A/B customer (大客户) with an owner; pool and recycle-bin customers are not surveyed."""
    return Customer.objects.filter(owner__isnull=False, grade__in=DEFAULT_GRADES).order_by("grade", "name", "pk")


def clean_questions(texts) -> list[str]:
    """Question texts, stripped, without blanks; refused when repeated or when one takes an import header."""
    result = []
    for text in texts:
        text = " ".join(str(text).split())
        if not text:
            continue
        if len(text) > 200:
            raise Refused(gettext("问题“%(text)s…”超过 200 个字。") % {"text": text[:20]})
        if text in result:
            raise Refused(gettext("问题“%(text)s”重复了。") % {"text": text})
        if text in RESERVED_TEXTS:
            raise Refused(gettext("“%(text)s”是导入模板的固定列名，不能用作问题。") % {"text": text})
        result.append(text)
    if not result:
        raise Refused(gettext("请至少设置一个调查问题。"))
    return result


def _check_dates(opens_on: dt.date, closes_on: dt.date) -> None:
    if closes_on < opens_on:
        raise Refused(gettext("截止日期不能早于开始日期。"))


def _check_low_score(low_score: int) -> None:
    if not 1 <= int(low_score) <= 4:
        raise Refused(gettext("低分阈值应在 1 到 4 分之间。"))


def _create(*, by: User, year: int, title: str, opens_on: dt.date, closes_on: dt.date, low_score: int,
            questions: list[str], customers, reason: str) -> SurveyCampaign:
    with transaction.atomic(), audit.context(user=by, reason=reason):
        campaign = SurveyCampaign.objects.create(year=year, title=title, opens_on=opens_on, closes_on=closes_on,
                                                 low_score=low_score, created_by=by)
        SurveyQuestion.objects.bulk_create(
            [SurveyQuestion(campaign=campaign, order=index, text=text) for index, text in enumerate(questions, 1)])
        for customer in customers:
            SurveyResponse.objects.create(campaign=campaign, customer=customer)
    return campaign


def create_campaign(*, by: User, year: int, title: str = "", opens_on: dt.date | None = None,
                    closes_on: dt.date | None = None, low_score: int = 3, questions=None,
                    customers=None) -> SurveyCampaign:
    """A draft campaign with its questions (default ``DEFAULT_QUESTIONS``) and recipients (default
    ``default_recipients()``)."""
    if not may_manage(by):
        raise Refused(gettext("只有客户服务或管理者代表可以发起满意度调查。"))
    default_open, default_close = default_dates(year)
    opens_on = opens_on or default_open
    closes_on = closes_on or max(default_close, opens_on)
    _check_dates(opens_on, closes_on)
    _check_low_score(low_score)
    questions = clean_questions(DEFAULT_QUESTIONS if questions is None else questions)
    customers = list(default_recipients() if customers is None else customers)
    return _create(by=by, year=year, title=(title or "").strip() or default_title(year), opens_on=opens_on,
                   closes_on=closes_on, low_score=low_score, questions=questions, customers=customers,
                   reason=gettext("发起满意度调查"))


def _draft_only(campaign: SurveyCampaign, by: User) -> None:
    if not may_manage(by):
        raise Refused(gettext("只有客户服务或管理者代表可以修改满意度调查。"))
    if campaign.status != CampaignStatus.DRAFT:
        raise Refused(gettext("调查已开始，不能再修改问题、调查对象和日期。"))


def update_campaign(campaign: SurveyCampaign, *, by: User, title: str, opens_on: dt.date, closes_on: dt.date,
                    low_score: int, questions) -> SurveyCampaign:
    """Edit a draft: its title, dates, low-score threshold and questions (in the order given)."""
    _draft_only(campaign, by)
    _check_dates(opens_on, closes_on)
    _check_low_score(low_score)
    texts = clean_questions(questions)
    with transaction.atomic(), audit.context(user=by, reason=gettext("修改满意度调查")):
        locked = SurveyCampaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != CampaignStatus.DRAFT:
            raise Refused(gettext("调查已开始，不能再修改问题、调查对象和日期。"))
        campaign.title, campaign.opens_on, campaign.closes_on, campaign.low_score = (
            title.strip() or default_title(campaign.year), opens_on, closes_on, low_score)
        campaign.save(update_fields=["title", "opens_on", "closes_on", "low_score"])
        existing = {q.text: q for q in campaign.questions.all()}
        # A draft has no answers yet: questions no longer wanted go, kept ones are renumbered.
        SurveyQuestion.objects.filter(campaign=campaign).exclude(text__in=texts).delete()
        for order, text in enumerate(texts, 1):
            question = existing.get(text)
            if question is None:
                SurveyQuestion.objects.create(campaign=campaign, order=order, text=text)
            elif question.order != order:
                SurveyQuestion.objects.filter(pk=question.pk).update(order=order)
    return campaign


def set_recipients(campaign: SurveyCampaign, *, by: User, customers) -> tuple[int, int]:
    """Make the draft's recipients exactly ``customers``; returns (added, removed). A draft's responses are
    unsent and empty, so removing a customer removes its placeholder (the audit trail keeps the row)."""
    _draft_only(campaign, by)
    wanted = {c.pk for c in customers}
    with transaction.atomic(), audit.context(user=by, reason=gettext("修改调查对象")):
        current = set(SurveyResponse.objects.filter(campaign=campaign).values_list("customer_id", flat=True))
        removed = current - wanted
        SurveyResponse.objects.filter(campaign=campaign, customer_id__in=removed, sent_at__isnull=True,
                                      submitted_at__isnull=True).delete()
        for customer_id in sorted(wanted - current):
            SurveyResponse.objects.create(campaign=campaign, customer_id=customer_id)
    return len(wanted - current), len(removed)


# --- opening and closing (the workflow) --------------------------------------------------------------------
def _ready_to_open(campaign: SurveyCampaign) -> str | None:
    if not campaign.questions.exists():
        return gettext("请先设置调查问题。")
    if not campaign.responses.exists():
        return gettext("请先选择调查对象（客户）。")
    if campaign.closes_on < timezone.localdate():
        return gettext("截止日期 %(day)s 已过，请先修改截止日期。") % {"day": campaign.closes_on.isoformat()}
    return None


def _collector(response: SurveyResponse, campaign: SurveyCampaign):
    """Who collects a customer's answers: its owner (a pool customer's: the campaign's creator)."""
    return response.customer.owner if response.customer.owner_id else campaign.created_by


def _pending_by_collector(campaign: SurveyCampaign) -> dict[int, list[SurveyResponse]]:
    pending: dict[int, list[SurveyResponse]] = {}
    rows = (SurveyResponse.objects.filter(campaign=campaign, submitted_at__isnull=True)
            .select_related("customer__owner").order_by("customer__name", "pk"))
    for response in rows:
        pending.setdefault(_collector(response, campaign).pk, []).append(response)
    return pending


def _collect_kind(user_id: int) -> str:
    return f"{COLLECT}:{user_id}"


def _collect_due(campaign: SurveyCampaign, start) -> dt.datetime:
    return collect_due(campaign)


# Each collector's deadline (one per collector: kind ``survey_collect:<user id>``, see ``worded``): the results
# of their customers collected and entered by the campaign's closing day.
COLLECT_DEADLINE = DeadlineRule(COLLECT, _("收集满意度调查结果：{record}"), due=_collect_due,
                                responsible=lambda campaign: campaign.created_by, remind_before=COLLECT_REMIND_BEFORE)


def sync_collect_deadlines(campaign: SurveyCampaign) -> None:
    """Each collector with unanswered customers has an open deadline while the campaign is open; a collector
    with none left has theirs met. Open deadlines are left as they are (their reminders already sent)."""
    pending = _pending_by_collector(campaign)
    open_kinds = set(deadlines.deadlines_for(campaign).filter(state=Deadline.State.OPEN, kind__startswith=COLLECT)
                     .values_list("kind", flat=True))
    wanted = {_collect_kind(user_id): responses for user_id, responses in pending.items()}
    done = sorted(open_kinds - set(wanted))
    if done:
        deadlines.close_deadlines(campaign, done)
    if campaign.status != CampaignStatus.OPEN:
        return
    for kind, responses in wanted.items():
        if kind in open_kinds:
            continue
        collector = _collector(responses[0], campaign)
        title = gettext("收集满意度调查结果：%(title)s（%(n)d 个客户）") % {"title": campaign.title, "n": len(responses)}
        worded(COLLECT_DEADLINE, title, kind=kind).open(campaign, responsible=collector)


def _after_open(campaign: SurveyCampaign, user, transition) -> None:
    now = timezone.now()
    SurveyResponse.objects.filter(campaign=campaign, sent_at__isnull=True).update(sent_at=now)
    link = campaign.get_absolute_url() + "?tab=responses"
    due = timezone.localtime(collect_due(campaign)).strftime("%Y-%m-%d %H:%M")
    for user_id, responses in _pending_by_collector(campaign).items():
        collector = _collector(responses[0], campaign)
        names = "、".join(r.customer.name for r in responses[:10])
        if len(responses) > 10:
            names += gettext("等 %(n)d 个客户") % {"n": len(responses)}
        notify(collector, lambda: gettext("请收集客户满意度调查：%(title)s") % {"title": campaign.title},
               lambda: gettext("请向以下客户发放《客户满意度调查表》，并于 %(due)s 前收回、录入结果：%(names)s。") % {
                   "due": due, "names": names}, link=link)
    sync_collect_deadlines(campaign)


def _after_close(campaign: SurveyCampaign, user, transition) -> None:
    # results never collected: the collectors' deadlines are cancelled, not met
    kinds = list(deadlines.deadlines_for(campaign).filter(state=Deadline.State.OPEN, kind__startswith=COLLECT)
                 .values_list("kind", flat=True))
    if kinds:
        deadlines.close_deadlines(campaign, kinds, state=Deadline.State.CANCELLED)
    for response in SurveyResponse.objects.filter(campaign=campaign, submitted_at__isnull=False).order_by("pk"):
        raise_low_score_feedback(response, by=user)


PIPELINE = {
    CampaignStatus.DRAFT: {
        CampaignStatus.OPEN: Move(_("开始调查"), roles=MANAGERS, guard=_ready_to_open, after=_after_open,
                                  style="success"),
    },
    CampaignStatus.OPEN: {
        CampaignStatus.CLOSED: Move(_("结束调查"), roles=CLOSERS, after=_after_close, style="outline-secondary"),
    },
}

WORKFLOW = workflow.register(workflow.Workflow(SurveyCampaign, PIPELINE, badges={
    CampaignStatus.DRAFT: "secondary", CampaignStatus.OPEN: "primary", CampaignStatus.CLOSED: "success"}))


def open_campaign(campaign: SurveyCampaign, *, by: User):
    return workflow.perform(campaign, CampaignStatus.OPEN, by)


def close_campaign(campaign: SurveyCampaign, *, by: User):
    return workflow.perform(campaign, CampaignStatus.CLOSED, by)


# --- results ----------------------------------------------------------------------------------------------
def response_url(response: SurveyResponse) -> str:
    return reverse("complaints:survey_response", args=[response.pk])


def _describe_scores(answers) -> str:
    return "；".join(f"{a.question.text} {a.score}" for a in answers)


def enter_response(response: SurveyResponse, *, by: User, scores: dict, respondent: str = "", comment: str = "",
                   submitted_at: dt.datetime | None = None, reason: str = "") -> SurveyResponse:
    """Record (or correct) one customer's answers: ``scores`` {question id: 1–5 or None (not answered)}.

    A correction of results already entered needs a reason; the audit row of the response then says which
    scores changed from what. Low scores raise their feedback item; the collector's deadline is met when none
    of their customers is left unanswered.
    """
    campaign = response.campaign
    if campaign.status != CampaignStatus.OPEN:
        raise Refused(gettext("调查“%(title)s”%(status)s，不能录入结果。") % {
            "title": campaign.title, "status": campaign.get_status_display()})
    if not may_enter(by, response):
        raise Refused(gettext("只有客户负责人、客户服务或管理者代表可以录入此客户的调查结果。"))
    questions = {q.pk: q for q in campaign.questions.all()}
    given = {}
    for question_id, score in scores.items():
        if int(question_id) not in questions:
            raise Refused(gettext("问题不属于本次调查。"))
        if score in (None, ""):
            continue
        if int(score) not in SCORES:
            raise Refused(gettext("得分应为 1 到 5 分。"))
        given[int(question_id)] = int(score)
    if not given:
        raise Refused(gettext("请至少填写一项得分。"))
    if submitted_at and submitted_at > timezone.now() + dt.timedelta(minutes=5):
        raise Refused(gettext("回收时间不能晚于现在。"))
    reason = (reason or "").strip()
    respondent, comment = (respondent or "").strip()[:50], (comment or "").strip()
    with transaction.atomic():
        locked = SurveyResponse.objects.select_for_update().get(pk=response.pk)
        if not SurveyCampaign.objects.filter(pk=campaign.pk, status=CampaignStatus.OPEN).exists():
            raise Refused(gettext("调查“%(title)s”已结束，不能录入结果。") % {"title": campaign.title})
        submitted_at = submitted_at or locked.submitted_at or timezone.now()
        old = {a.question_id: a.score for a in SurveyAnswer.objects.filter(response=locked)}
        changes = []
        if locked.submitted_at is not None:
            for question_id, question in questions.items():
                before, after = old.get(question_id), given.get(question_id)
                if before != after:
                    changes.append(f"{question.text} {before or '—'}→{after or '—'}")
            edited = (changes or locked.comment != comment or locked.respondent != respondent
                      or locked.submitted_at != submitted_at)
            if edited and not reason:
                raise Refused(gettext("修改已录入的调查结果需要填写修改理由。"))
        audit_reason = gettext("录入满意度调查结果") if locked.submitted_at is None else (
            gettext("修改满意度调查结果：%(reason)s") % {"reason": reason}
            + (gettext("（%(changes)s）") % {"changes": "；".join(changes)} if changes else ""))
        with audit.context(user=by, reason=audit_reason):
            SurveyAnswer.objects.filter(response=locked).exclude(question_id__in=list(given)).delete()
            for question_id, score in given.items():
                SurveyAnswer.objects.update_or_create(response=locked, question_id=question_id,
                                                      defaults={"score": score})
            before = (locked.respondent, locked.comment, locked.submitted_at, locked.entered_by_id, locked.sent_at)
            locked.respondent = respondent
            locked.comment = comment
            locked.submitted_at = submitted_at
            locked.entered_by = by
            locked.sent_at = locked.sent_at or submitted_at
            locked.save(update_fields=["respondent", "comment", "submitted_at", "entered_by", "sent_at"])
            after = (locked.respondent, locked.comment, locked.submitted_at, locked.entered_by_id, locked.sent_at)
            if changes and before == after:
                # only scores changed (an untracked table): the response's history still says what and why
                audit.note(locked, user=by, reason=audit_reason)
        raise_low_score_feedback(locked, by=by)
        sync_collect_deadlines(campaign)
    response.refresh_from_db()
    return response


def feedback_for(response: SurveyResponse) -> Complaint | None:
    """The feedback item raised from this response's low scores, if any (its description carries the link)."""
    return (Complaint.objects.filter(channel=Channel.SURVEY, customer_id=response.customer_id,
                                     description__contains=response_url(response))
            .order_by("pk").first())


def raise_low_score_feedback(response: SurveyResponse, *, by: User) -> Complaint | None:
    """One feedback item per response with any answer at or below the campaign's low score; idempotent
    (returns the existing one). None when no answer is low."""
    from complaints.services.complaints import receive  # the intake service (首问负责制, numbering, clocks)

    with transaction.atomic():
        response = (SurveyResponse.objects.select_for_update(of=("self",))
                    .select_related("campaign", "customer").get(pk=response.pk))
        campaign = response.campaign
        low = list(SurveyAnswer.objects.filter(response=response, score__lte=campaign.low_score)
                   .select_related("question").order_by("question__order", "question_id"))
        if not low:
            return None
        existing = feedback_for(response)
        if existing is not None:
            return existing
        lines = [gettext("客户满意度调查《%(title)s》中，以下项目得分不高于 %(low)d 分：") % {
            "title": campaign.title, "low": campaign.low_score}]
        lines += [gettext("- %(question)s：%(score)d 分（%(label)s）") % {
            "question": a.question.text, "score": a.score, "label": SCORE_LABELS[a.score]} for a in low]
        if response.comment:
            lines.append(gettext("客户意见和建议：%(comment)s") % {"comment": response.comment})
        lines.append(gettext("调查答卷：%(url)s") % {"url": response_url(response)})
        return receive(by=by, channel=Channel.SURVEY, type=FeedbackType.SUGGESTION, customer=response.customer,
                       customer_name=response.customer.name, description="\n".join(lines),
                       contact_name=response.respondent[:50])


def feedback_by_response(campaign: SurveyCampaign) -> dict[int, Complaint]:
    """{response id: its feedback item} for a campaign, in two queries."""
    responses: dict[int, list[int]] = {}
    rows = list(SurveyResponse.objects.filter(campaign=campaign).values_list("pk", "customer_id"))
    for pk, customer_id in rows:
        responses.setdefault(customer_id, []).append(pk)
    result = {}
    complaints = (Complaint.objects.filter(channel=Channel.SURVEY, customer_id__in=list(responses))
                  .only("pk", "number", "status", "description", "customer_id").order_by("pk"))
    for complaint in complaints:
        for pk in responses.get(complaint.customer_id, []):
            if pk not in result and reverse("complaints:survey_response", args=[pk]) in complaint.description:
                result[pk] = complaint
    return result


# --- the yearly draft ---------------------------------------------------------------------------------------
def _survey_owner() -> User | None:
    for role in (Role.MR, Role.CUSTOMER_SERVICE):
        user = User.objects.filter(groups__name=role, is_active=True).order_by("pk").first()
        if user:
            return user
    return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


def prepare_yearly_campaign(today: dt.date | None = None) -> SurveyCampaign | None:
    """In the survey month (``settings.QMS_SURVEY_MONTH``), the year's campaign exists: created in draft with the
    default questions and recipients if the year has none, and the MR and customer service told to review and
    open it. Idempotent (a second run, or two at once, creates nothing more); run daily so that a missed first
    day is caught up within the month."""
    today = today or timezone.localdate()
    if today.month != settings.QMS_SURVEY_MONTH:
        return None
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_YEARLY_LOCK])
        if SurveyCampaign.objects.filter(year=today.year).exists():
            return None
        by = _survey_owner()
        if by is None:
            logger.warning("No MR, customer service or administrator to own the %s satisfaction survey", today.year)
            return None
        opens_on, closes_on = default_dates(today.year, today)
        campaign = _create(by=by, year=today.year, title=default_title(today.year), opens_on=opens_on,
                           closes_on=closes_on, low_score=3, questions=list(DEFAULT_QUESTIONS),
                           customers=list(default_recipients()),
                           reason=gettext("按计划生成年度满意度调查（%(month)d 月）") % {
                               "month": settings.QMS_SURVEY_MONTH})
        recipients = User.objects.filter(groups__name__in=MANAGERS, is_active=True).distinct().order_by("pk")
        count = campaign.responses.count()
        for user in recipients:
            notify(user, lambda: gettext("已生成%(title)s（准备中）") % {"title": campaign.title},
                   lambda: gettext("调查对象 %(n)d 个客户，截止日期 %(day)s。请确认调查问题和调查对象后开始调查。") % {
                       "n": count, "day": campaign.closes_on.isoformat()},
                   link=campaign.get_absolute_url())
    return campaign


# --- analysis -----------------------------------------------------------------------------------------------
def _round(value, digits=2):
    return None if value is None else round(float(value), digits)


def _percent(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class QuestionFigures:
    question: SurveyQuestion
    answers: int = 0
    average: float | None = None
    index: float | None = None  # 满意度指数: the average as a percentage of 5
    distribution: list = field(default_factory=lambda: [0, 0, 0, 0, 0])  # counts of 1, 2, 3, 4, 5
    low: int = 0  # answers at or below the low score


@dataclass
class GradeFigures:
    grade: str
    label: str
    recipients: int = 0
    returned: int = 0
    rate: float | None = None
    answers: int = 0
    average: float | None = None


@dataclass
class Analysis:
    campaign: SurveyCampaign
    questions: list
    grades: list
    sent: int
    returned: int
    rate: float | None
    answers: int
    average: float | None
    index: float | None
    low_responses: int


def analyse(campaign: SurveyCampaign) -> Analysis:
    """Per question: answers, average, 1–5 distribution; per customer grade: response rate and average; the
    campaign's response rate and overall average. A constant number of queries."""
    answers = SurveyAnswer.objects.filter(response__campaign=campaign)
    questions = list(campaign.questions.order_by("order", "pk"))
    by_question = {q.pk: QuestionFigures(question=q) for q in questions}
    for row in answers.order_by().values("question_id", "score").annotate(n=Count("pk")):
        figures = by_question.get(row["question_id"])
        if figures is None or row["score"] not in SCORES:
            continue
        figures.distribution[row["score"] - 1] += row["n"]
        figures.answers += row["n"]
        if row["score"] <= campaign.low_score:
            figures.low += row["n"]
    for figures in by_question.values():
        if figures.answers:
            total = sum(score * n for score, n in zip(SCORES, figures.distribution))
            figures.average = round(total / figures.answers, 2)
            figures.index = round(100.0 * total / figures.answers / 5, 1)
    grade_rows = {g: GradeFigures(grade=g, label=str(label)) for g, label in Grade.choices}
    responses = SurveyResponse.objects.filter(campaign=campaign)
    for row in (responses.order_by().values("customer__grade")
                .annotate(n=Count("pk"), back=Count("pk", filter=Q(submitted_at__isnull=False)))):
        figures = grade_rows.setdefault(row["customer__grade"], GradeFigures(grade=row["customer__grade"],
                                                                               label=row["customer__grade"]))
        figures.recipients, figures.returned = row["n"], row["back"]
        figures.rate = _percent(row["back"], row["n"])
    for row in answers.order_by().values("response__customer__grade").annotate(n=Count("pk"), avg=Avg("score")):
        figures = grade_rows.get(row["response__customer__grade"])
        if figures is not None:
            figures.answers, figures.average = row["n"], _round(row["avg"])
    totals = responses.aggregate(sent=Count("pk", filter=Q(sent_at__isnull=False)),
                                 returned=Count("pk", filter=Q(submitted_at__isnull=False)))
    overall = answers.aggregate(n=Count("pk"), avg=Avg("score"))
    low_responses = responses.filter(Exists(SurveyAnswer.objects.filter(
        response=OuterRef("pk"), score__lte=campaign.low_score))).count()
    average = _round(overall["avg"])
    index = round(float(overall["avg"]) * 20, 1) if overall["avg"] is not None else None
    return Analysis(
        campaign=campaign, questions=[by_question[q.pk] for q in questions],
        grades=[g for g in grade_rows.values() if g.recipients],
        sent=totals["sent"], returned=totals["returned"], rate=_percent(totals["returned"], totals["sent"]),
        answers=overall["n"], average=average, index=index,
        low_responses=low_responses,
    )


def chart_data(analysis: Analysis) -> dict:
    """The figures the page's charts draw (static/js/survey_charts.js); the tables show the same."""
    return {
        "questions": {
            "labels": [f.question.text for f in analysis.questions],
            "averages": [f.average for f in analysis.questions],
            "averageLabel": gettext("平均分"),
            "distribution": [
                {"label": f"{score} {SCORE_LABELS[score]}", "values": [f.distribution[score - 1]
                                                                     for f in analysis.questions]}
                for score in SCORES
            ],
        },
        "grades": {
            "labels": [g.label for g in analysis.grades],
            "averages": [g.average for g in analysis.grades],
            "rates": [g.rate for g in analysis.grades],
            "averageLabel": gettext("平均分"),
            "rateLabel": gettext("回收率（%）"),
        },
    }


def response_rows(campaign: SurveyCampaign):
    """The campaign's responses for the page and the export, with their answers and collectors."""
    return (SurveyResponse.objects.filter(campaign=campaign)
            .select_related("customer__owner", "entered_by")
            .prefetch_related("answers")
            .order_by("customer__grade", "customer__name", "pk"))


def analysis_workbook(campaign: SurveyCampaign):
    """The analysis and every response as an .xlsx (a rewound temporary file): 汇总, 按问题, 按客户等级, 答卷明细."""
    analysis = analyse(campaign)
    questions = [f.question for f in analysis.questions]
    feedback = feedback_by_response(campaign)
    workbook = ExportWorkbook()
    summary = workbook.sheet(gettext("汇总"))
    write_rows(summary, [gettext("项目"), gettext("数值")], [
        [gettext("调查"), campaign.title],
        [gettext("年度"), campaign.year],
        [gettext("调查期间"), f"{campaign.opens_on:%Y-%m-%d} ~ {campaign.closes_on:%Y-%m-%d}"],
        [gettext("状态"), campaign.get_status_display()],
        [gettext("发出份数"), analysis.sent],
        [gettext("回收份数"), analysis.returned],
        [gettext("回收率（%）"), analysis.rate],
        [gettext("总平均分"), analysis.average],
        [gettext("满意度指数（%）"), analysis.index],
        [gettext("低分答卷数（不高于 %(low)d 分）") % {"low": campaign.low_score}, analysis.low_responses],
    ])
    by_question = workbook.sheet(gettext("按问题"))
    write_rows(by_question, [gettext("问题"), gettext("答题数"), gettext("平均分"), gettext("满意度指数（%）")]
               + [f"{score} {SCORE_LABELS[score]}" for score in SCORES] + [gettext("低分数")],
               ([f.question.text, f.answers, f.average, f.index, *f.distribution, f.low] for f in analysis.questions))
    by_grade = workbook.sheet(gettext("按客户等级"))
    write_rows(by_grade, [gettext("客户等级"), gettext("调查对象"), gettext("回收份数"), gettext("回收率（%）"),
                          gettext("答题数"), gettext("平均分")],
               ([g.label, g.recipients, g.returned, g.rate, g.answers, g.average] for g in analysis.grades))
    details = workbook.sheet(gettext("答卷明细"))

    def rows():
        for response in response_rows(campaign):
            scores = {a.question_id: a.score for a in response.answers.all()}
            complaint = feedback.get(response.pk)
            yield [response.customer_id, response.customer.name, response.customer.grade,
                   response.customer.owner.display_name if response.customer.owner_id else "",
                   response.sent_at, response.submitted_at, response.respondent,
                   *[scores.get(q.pk) for q in questions], response.comment,
                   complaint.number if complaint else ""]

    write_rows(details, [gettext("客户编号"), gettext("客户名称"), gettext("客户等级"), gettext("负责人"),
                         gettext("发出时间"), gettext("回收时间"), gettext("填写人"), *[q.text for q in questions],
                         gettext("意见和建议"), gettext("顾客反馈编号")], rows())
    return workbook.finish()
