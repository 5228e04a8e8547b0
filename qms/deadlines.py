"""Deadlines, reminders and escalation (PROCEDURES.md §8 "Reminders").

A deadline belongs to a record, has a kind ("plan", "approval" …), a responsible person and a due time.
The beat tick (``tick()``) sends, each exactly once:
  - a reminder to the responsible person ``remind_before`` ahead of the due time,
  - an overdue notice at the due time,
  - an escalation to their manager ``escalate_after`` past due, then to the next level after as long again.
Exactly-once holds even if two ticks run at once or one crashes halfway: each notice is a row unique on
(deadline, stage, due time) inserted in the same transaction as its notification.
The tick reads only deadlines whose ``next_action_at`` has come (a partial index over open deadlines), so
its cost grows with what is due, not with everything open.

When notices go out
  - Only in office hours of working days: a reminder or escalation that comes due on a public holiday or at 05:00
    is sent at the start of the next office period (``workdays.next_working_moment``); the overdue notice goes
    at the due time, and ``is_overdue`` turns true then. A deadline opened with ``any_hour`` (a regulatory clock
    that runs round the clock) is not held back.
  - Only the current stage: when several stages are due at once (a back-dated record, a tick that did not run),
    the latest is sent and the earlier ones are recorded as skipped (``DeadlineNotice.skipped``), not sent.
  - One escalation per person: escalation 1 goes to the responsible's manager; when that is the responsible
    himself it goes to the next level, and a person already told of this deadline's escalation is not told again.

Provisional due times and re-computation (``recompute``)
  A deadline opened through a rule (``DeadlineRule``, ``register_due_rule``) keeps the start it was counted from
  (``computed_from``), the calendar years the computation consulted and whether any of them was unconfirmed
  (``provisional``: the page says "（暂定：2027 年节假日未确认）"). When an administrator confirms a year or
  changes a day, the open deadlines computed across that year are re-computed after the change commits; each
  move is written to the record's audit trail and each responsible person gets one notification listing the
  records whose due time moved.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, models, transaction
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Subquery, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import registry, workdays
from qms.notifications import Notification, notify
from qms.registry import WorkItem

logger = logging.getLogger(__name__)


class Stage(models.TextChoices):
    REMINDER = "reminder", _("到期提醒")
    OVERDUE = "overdue", _("逾期通知")
    ESCALATION_1 = "escalation1", _("一级升级")
    ESCALATION_2 = "escalation2", _("二级升级")


class Deadline(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("进行中")
        MET = "met", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("记录类型"))
    object_id = models.PositiveBigIntegerField(_("记录编号"))
    record = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("期限类型"), max_length=40)
    title = models.CharField(_("事项"), max_length=200)
    # the title's catalogue key (a template in the portal's language, e.g. "审批退货单：{record}") and its values:
    # each reader sees the title in his own language; ``title`` keeps it in the portal's language for search
    title_key = models.CharField(_("事项模板"), max_length=200, blank=True, default="", db_default="")
    title_params = models.JSONField(_("事项参数"), default=dict, blank=True, db_default={})
    link = models.CharField(_("链接"), max_length=300, blank=True)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("责任人"),
                                    related_name="deadlines")
    due_at = models.DateTimeField(_("截止时间"))
    remind_before = models.DurationField(_("提前提醒"), default=dt.timedelta(hours=4))
    escalate_after = models.DurationField(_("逾期后升级间隔"), default=dt.timedelta(days=1))
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    next_action_at = models.DateTimeField(_("下次处理时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     verbose_name=_("已升级至"), related_name="escalated_deadlines")
    escalation_level = models.PositiveSmallIntegerField(_("升级级别"), default=0)
    # What a re-computation needs: the start the rule counted from and the calendar years it consulted.
    computed_from = models.DateTimeField(_("计算起点"), null=True, blank=True)
    # db_default too: the bulk generators write deadlines with COPY, naming only the columns they fill.
    calendar_years = ArrayField(models.PositiveSmallIntegerField(), verbose_name=_("依据的日历年份"), default=list,
                                db_default=[], blank=True)
    provisional_years = ArrayField(models.PositiveSmallIntegerField(), verbose_name=_("未确认的日历年份"),
                                   default=list, db_default=[], blank=True)
    provisional = models.BooleanField(_("暂定"), default=False, db_default=False)
    # A clock that runs round the clock (an adverse event's 12 h report): its notices are not held for office hours.
    any_hour = models.BooleanField(_("非工作时间也提醒"), default=False, db_default=False)

    class Meta:
        verbose_name = _("期限")
        verbose_name_plural = _("期限")
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["next_action_at"], name="deadline_due_action", condition=Q(state="open")),
            models.Index(fields=["responsible", "state", "due_at"], name="deadline_responsible"),
            models.Index(fields=["escalated_to", "state", "due_at"], name="deadline_escalated"),
            models.Index(fields=["content_type", "object_id", "state"], name="deadline_record"),
            GinIndex(fields=["calendar_years"], name="deadline_calendar_years", condition=Q(state="open")),
        ]

    def __str__(self):
        return f"{self.title} ({timezone.localtime(self.due_at):%Y-%m-%d %H:%M})"

    @property
    def shown_title(self) -> str:
        """The title in the reader's language (``title`` as stored when the deadline has no key)."""
        if self.title_key:
            try:
                return gettext(self.title_key).format(**self.title_params)
            except (KeyError, IndexError, ValueError):
                return self.title
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.state == self.State.OPEN and self.due_at < timezone.now()

    def stage_times(self) -> list[tuple[str, dt.datetime]]:
        return [
            (Stage.REMINDER, self.due_at - self.remind_before),
            (Stage.OVERDUE, self.due_at),
            (Stage.ESCALATION_1, self.due_at + self.escalate_after),
            (Stage.ESCALATION_2, self.due_at + 2 * self.escalate_after),
        ]

    def send_times(self, calendar: workdays.WorkingCalendar | None = None) -> list[tuple[str, dt.datetime]]:
        """When each stage's notice goes out: its time, moved to the next office period when it falls outside."""
        calendar = calendar or workdays.WorkingCalendar()
        return [(stage, calendar.next_working_moment(when)) for stage, when in self.stage_times()]


class DeadlineNotice(models.Model):
    """One reminder, overdue notice or escalation sent: the row that makes each exactly-once."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="notices", verbose_name=_("期限"))
    stage = models.CharField(_("阶段"), max_length=20, choices=Stage.choices)
    due_at = models.DateTimeField(_("对应截止时间"))
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                  verbose_name=_("接收人"))
    notification = models.ForeignKey(Notification, on_delete=models.SET_NULL, null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    # A stage passed over because a later one was already due: recorded, not sent.
    skipped = models.BooleanField(_("已跳过（未发送）"), default=False, db_default=False)

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")
        constraints = [models.UniqueConstraint(fields=["deadline", "stage", "due_at"], name="deadline_notice_once")]

    def __str__(self):
        return f"{self.deadline} · {self.get_stage_display()}"


@dataclass(frozen=True)
class DeadlineRule:
    """A clock a record runs, declared once:

        FIRST_REPLY = DeadlineRule("first_reply", _("首次答复客户：{record}"),
                                   due=lambda record, start: WorkingCalendar().add_working_hours(start, 2),
                                   responsible=lambda complaint: complaint.handler,
                                   condition=lambda complaint: complaint.is_complaint, start="received_at")

    ``due(record, start) -> aware datetime``; ``responsible(record) -> user``; ``condition(record) -> bool``
    whether this record runs the clock at all; ``start`` the record's field the clock counts from (None: the
    moment it is opened). A workflow move opens it (``Move(opens=(rule,))``) or a service calls ``rule.open``.
    A change of the working-day calendar re-computes it from the same start.
    """

    kind: str
    title: str  # may contain {record}
    due: Callable
    responsible: Callable
    # a timedelta, or ``(record) -> timedelta`` when it depends on the record (a serious event is reminded sooner)
    remind_before: dt.timedelta | Callable = dt.timedelta(hours=4)
    escalate_after: dt.timedelta | Callable = dt.timedelta(days=1)
    condition: Callable | None = None
    start: str | None = None
    any_hour: bool = False  # the notices go out when due even outside office hours
    # ``(record) -> dict``: more values for the title's template than ``{record}`` (a customer's name, a time),
    # kept with the deadline so that every reader sees the title in his own language
    title_params: Callable | None = None

    def __post_init__(self):
        register_due_rule(self.kind, self.due)

    def applies_to(self, record) -> bool:
        return self.condition is None or bool(self.condition(record))

    def start_of(self, record) -> dt.datetime:
        start = getattr(record, self.start) if self.start else None
        return start or timezone.now()

    def open(self, record, start: dt.datetime | None = None, responsible=None) -> Deadline | None:
        """Open (or re-date) the record's deadline of this kind; None when ``condition`` says the record does not
        run this clock. ``start`` overrides the declared start field; ``responsible`` the declared person."""
        if not self.applies_to(record):
            return None
        start = start or self.start_of(record)
        due, usage = compute_due(self.due, record, start)
        return open_deadline(record, self.kind, self.title,
                             responsible if responsible is not None else self.responsible(record), due,
                             remind_before=_per_record(self.remind_before, record),
                             escalate_after=_per_record(self.escalate_after, record),
                             computed_from=start, usage=usage, any_hour=self.any_hour,
                             title_params={"record": record, **(self.title_params(record) if self.title_params else {})})


def _per_record(value, record):
    return value(record) if callable(value) else value


# kind -> due(record, start): how ``recompute`` computes a deadline of that kind again.
_due_rules: dict[str, Callable] = {}


def register_due_rule(kind: str, due: Callable) -> None:
    """Declare how deadlines of ``kind`` are computed, ``due(record, start) -> aware datetime``, so that a change
    of the calendar re-computes them. A ``DeadlineRule`` registers itself. A due time lives only in its deadline
    row: records keep no copy of it (lists read it with ``with_open_due``)."""
    existing = _due_rules.get(kind)
    if existing is not None and existing is not due:
        raise ImproperlyConfigured(f"Two deadline rules compute the kind {kind!r}; give one another kind.")
    _due_rules[kind] = due


def compute_due(due: Callable, record, start: dt.datetime) -> tuple[dt.datetime, workdays.CalendarUsage]:
    """``due(record, start)`` and the calendar years it consulted (whether the result is provisional)."""
    with workdays.tracking() as usage:
        return due(record, start), usage


def provisional_label(deadline) -> str:
    """"（暂定：2027 年节假日未确认）" for a due time computed across a year nobody confirmed, else ""."""
    years = getattr(deadline, "provisional_years", None) or ()
    if not years:
        return ""
    return gettext("（暂定：%(years)s 年节假日未确认）") % {"years": "、".join(str(year) for year in sorted(years))}


def _content_type(record):
    return ContentType.objects.get_for_model(record, for_concrete_model=False)


def next_action_time(deadline: Deadline, calendar: workdays.WorkingCalendar | None = None) -> dt.datetime | None:
    done = set(deadline.notices.filter(due_at=deadline.due_at).values_list("stage", flat=True)) if deadline.pk else set()
    for stage, when in deadline.stage_times():
        if stage not in done:
            return _send_time(deadline, stage, when, calendar or workdays.WorkingCalendar())
    return None


def _send_time(deadline: Deadline, stage: str, when: dt.datetime, calendar: workdays.WorkingCalendar) -> dt.datetime:
    # Reminders and escalations wait for office hours; the overdue notice goes at the due time itself.
    if stage == Stage.OVERDUE or deadline.any_hour:
        return when
    return calendar.next_working_moment(when)


def open_deadline(record, kind: str, title: str, responsible, due_at: dt.datetime, *,
                  remind_before=dt.timedelta(hours=4), escalate_after=dt.timedelta(days=1),
                  computed_from: dt.datetime | None = None,
                  usage: workdays.CalendarUsage | None = None, any_hour: bool = False,
                  title_params: dict | None = None) -> Deadline:
    """Open (or move) the record's deadline of ``kind``; an open one of the same kind is re-dated.

    ``computed_from`` and ``usage`` (from ``compute_due``): the start the due time was counted from and the
    calendar years it consulted, so that the deadline is marked provisional and re-computed when they change.
    ``any_hour``: the notices go out when due even outside office hours (a clock that runs round the clock).
    ``title_params``: ``title`` is a template of the catalogue (``_("审批退货单：{record}")``) filled with these
    values, kept as its key so that every reader sees it in his own language.
    """
    link = record.get_absolute_url() if hasattr(record, "get_absolute_url") else ""
    existing = Deadline.objects.filter(content_type=_content_type(record), object_id=record.pk, kind=kind,
                                       state=Deadline.State.OPEN).first()
    deadline = existing or Deadline(content_type=_content_type(record), object_id=record.pk, kind=kind)
    if title_params is not None:
        with translation.override(settings.LANGUAGE_CODE):
            key = str(title)
        deadline.title_key, deadline.title_params = key[:200], {name: str(value) for name, value in title_params.items()}
        deadline.title = key.format(**deadline.title_params)[:200]
    else:
        deadline.title_key, deadline.title_params = "", {}
        deadline.title = str(title)[:200]
    deadline.link = link
    deadline.responsible = responsible
    deadline.due_at = due_at
    deadline.remind_before = remind_before
    deadline.escalate_after = escalate_after
    deadline.escalation_level = 0
    deadline.escalated_to = None
    deadline.computed_from = computed_from
    deadline.calendar_years = sorted(usage.years) if usage is not None else []
    deadline.provisional_years = sorted(usage.unconfirmed) if usage is not None else []
    deadline.provisional = bool(deadline.provisional_years)
    deadline.any_hour = any_hour
    deadline.next_action_at = due_at - remind_before
    deadline.save()
    deadline.next_action_at = next_action_time(deadline)
    deadline.save(update_fields=["next_action_at"])
    return deadline


def close_deadlines(record, kinds=("*",), state=Deadline.State.MET) -> int:
    """Close the record's open deadlines of ``kinds`` ("*" = all): the record moved on."""
    qs = Deadline.objects.filter(content_type=_content_type(record), object_id=record.pk, state=Deadline.State.OPEN)
    if "*" not in kinds:
        qs = qs.filter(kind__in=kinds)
    return qs.update(state=state, closed_at=timezone.now(), next_action_at=None)


def apply_move(record, move, by) -> None:
    """The deadline side of a workflow move: close what it closes, open what it opens."""
    if move.closes:
        close_deadlines(record, move.closes)
    for rule in move.opens:
        rule.open(record)


def deadlines_for(record):
    return Deadline.objects.filter(content_type=_content_type(record), object_id=record.pk).select_related(
        "responsible", "escalated_to")


def _open_rows(model: type, kinds=None):
    rows = Deadline.objects.filter(content_type=ContentType.objects.get_for_model(model, for_concrete_model=False),
                                   state=Deadline.State.OPEN, object_id=OuterRef("pk"))
    return rows.filter(kind__in=kinds) if kinds else rows


def with_open_due(queryset, *kinds: str, name: str = "open_due_at"):
    """``queryset`` annotated with ``name``: the due time of the record's earliest open deadline (of ``kinds``,
    or any), None when none is open — what a list shows and sorts by, read from the deadline rows themselves."""
    rows = _open_rows(queryset.model, kinds).order_by("due_at", "pk")
    return queryset.annotate(**{name: Subquery(rows.values("due_at")[:1])})


def with_overdue_flag(queryset, *kinds: str, name: str = "has_overdue", now: dt.datetime | None = None):
    """``queryset`` annotated with ``name``: True when the record's earliest open deadline (of ``kinds``) is past
    due. For a list's column: read per shown row from the deadline index, where ``overdue_q`` as an annotation is
    turned by PostgreSQL into a hash of every overdue deadline of the model, built on every page (``overdue_q``
    stays the filter's)."""
    due = f"_{name}_due"
    queryset = with_open_due(queryset, *kinds, name=due)
    return queryset.annotate(**{name: Case(When(**{f"{due}__lt": now or timezone.now()}, then=Value(True)),
                                           default=Value(False), output_field=BooleanField())})


def overdue_q(model: type, *kinds: str, now: dt.datetime | None = None):
    """A filter for records with an open deadline (of ``kinds``, or any) past its due time: one indexed EXISTS."""
    return Exists(_open_rows(model, kinds).filter(due_at__lt=now or timezone.now()))


# --- re-computation when the calendar changes ---------------------------------------------------------
# Above this many deadlines the re-computation runs in a Celery worker, not at the end of the admin's request.
RECOMPUTE_INLINE_LIMIT = getattr(settings, "QMS_RECOMPUTE_INLINE_LIMIT", 200)


@dataclass
class Moved:
    deadline: Deadline
    old_due: dt.datetime
    new_due: dt.datetime


def _depending_on(years):
    return Deadline.objects.filter(state=Deadline.State.OPEN, calendar_years__overlap=sorted(set(years)),
                                   computed_from__isnull=False)


def _when(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _recompute_one(deadline: Deadline, by) -> Moved | None:
    from qms import audit

    # a kind per person ("survey_collect:<user id>") is computed by its family's rule ("survey_collect")
    due_rule = _due_rules.get(deadline.kind) or _due_rules.get(deadline.kind.split(":", 1)[0])
    record = deadline.record
    if due_rule is None or record is None:
        logger.warning("Deadline %s (%s) depends on the calendar but has no registered rule; not re-computed",
                       deadline.pk, deadline.kind)
        return None
    new_due, usage = compute_due(due_rule, record, deadline.computed_from)
    old_due = deadline.due_at
    deadline.calendar_years = sorted(usage.years)
    deadline.provisional_years = sorted(usage.unconfirmed)
    deadline.provisional = usage.provisional
    fields = ["calendar_years", "provisional_years", "provisional"]
    moved = None
    if new_due != old_due:
        deadline.due_at = new_due
        deadline.next_action_at = next_action_time(deadline)  # the stages re-arm for the new due time
        fields += ["due_at", "next_action_at"]
        reason = gettext("工作日历调整：期限“%(title)s”由 %(old)s 改为 %(new)s") % {
            "title": deadline.title, "old": _when(old_due), "new": _when(new_due)}
        if audit.is_tracked(type(record)._meta.concrete_model):
            audit.note(record, user=by, reason=reason)
        moved = Moved(deadline, old_due, new_due)
    deadline.save(update_fields=fields)
    return moved


def recompute(years, by=None) -> list[Moved]:
    """Re-compute the open deadlines whose computation consulted ``years`` (a year was confirmed or a day of it
    changed): new due time from the same start and rule, provisional flag from the calendar as it is now.
    Each responsible person whose due times moved gets one notification listing them."""
    moved: list[Moved] = []
    with transaction.atomic():
        for deadline in (_depending_on(years).select_for_update(of=("self",)).select_related("responsible")
                         .order_by("pk")):
            result = _recompute_one(deadline, by)
            if result is not None:
                moved.append(result)
        by_person: dict[int, list[Moved]] = defaultdict(list)
        for item in moved:
            by_person[item.deadline.responsible_id].append(item)
        for items in by_person.values():
            person = items[0].deadline.responsible
            with translation.override(person.language or settings.LANGUAGE_CODE):  # the reader's language
                lines = [gettext("%(title)s：%(old)s → %(new)s%(note)s") % {
                    "title": item.deadline.shown_title, "old": _when(item.old_due), "new": _when(item.new_due),
                    "note": provisional_label(item.deadline)} for item in items]
                title = gettext("工作日历调整，%(count)d 项期限已改期") % {"count": len(items)}
            notify(person, title, "\n".join(lines), link=items[0].deadline.link if len(items) == 1 else "/")
    return moved


def recompute_on_calendar_change(sender, years, by=None, **kwargs) -> None:
    """The receiver of ``workdays.calendar_changed`` (connected in QmsConfig.ready)."""
    recompute_after_commit(years, by)


def recompute_after_commit(years, by=None) -> None:
    """Once the calendar change commits: re-compute here when few deadlines depend on it, else in a worker."""
    years = sorted(set(years))
    by_id = by.pk if by is not None else None

    def run():
        if _depending_on(years).count() > RECOMPUTE_INLINE_LIMIT:
            from qms.taskqueue import send_now

            send_now("qms.tasks.recompute_deadlines", years, by_id)
        else:
            recompute(years, by)

    transaction.on_commit(run)


# --- the tick ---------------------------------------------------------------------------------------
_escalation_chains: dict[type, Callable] = {}


def register_escalation(model: type, chain: Callable) -> None:
    """Who an overdue deadline of ``model``'s records escalates to: ``chain(deadline, level) -> user | None``
    (level 1, 2); None falls back to the default chain below."""
    _escalation_chains[model] = chain


def _escalation_target(deadline: Deadline, level: int):
    from qms.people import Role, User

    chain = _escalation_chains.get(ContentType.objects.get_for_id(deadline.content_type_id).model_class())
    if chain is not None:
        target = chain(deadline, level)
        if target is not None:
            return target
    person = deadline.responsible
    for _level in range(level):
        nxt = person.manager() if person else None
        if nxt is None:
            # Top of the chain: the management representative watches overdue deadlines.
            nxt = User.objects.filter(groups__name=Role.MR, is_active=True).exclude(pk=person.pk if person else None).first()
        person = nxt
    return person


def _escalation_recipient(deadline: Deadline, level: int, told: set[int]):
    """Who this escalation goes to, or None when it would tell nobody new: escalation 1 goes to the
    responsible's manager, or to the next level when that is the responsible himself; nobody is told twice."""
    target = _escalation_target(deadline, level)
    if level == 1 and (target is None or target.pk == deadline.responsible_id):
        target = _escalation_target(deadline, 2)
    if target is None or target.pk == deadline.responsible_id or target.pk in told:
        return None
    return target


def _notice_text(deadline: Deadline, stage: str, recipient=None) -> tuple[str, str, str]:
    """The notice of a stage, written in the recipient's language (an e-mail cannot be translated later)."""
    with translation.override(getattr(recipient, "language", "") or settings.LANGUAGE_CODE):
        due = timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M")
        who = deadline.responsible.display_name
        title = deadline.shown_title
        if stage == Stage.REMINDER:
            return (gettext("即将到期：%(title)s") % {"title": title},
                    gettext("截止时间 %(due)s，请及时处理。") % {"due": due}, Notification.Level.REMINDER)
        if stage == Stage.OVERDUE:
            return (gettext("已逾期：%(title)s") % {"title": title},
                    gettext("截止时间 %(due)s 已过，请尽快处理。") % {"due": due}, Notification.Level.WARNING)
        return (gettext("逾期升级：%(title)s") % {"title": title},
                gettext("%(who)s 负责的事项已于 %(due)s 逾期，请督促处理。") % {"who": who, "due": due},
                Notification.Level.ESCALATION)


def _record_notice(deadline: Deadline, stage: str, recipient, now: dt.datetime, *, skipped: bool):
    """The row that makes the stage exactly-once; None when another tick recorded it first."""
    try:
        with transaction.atomic():
            return DeadlineNotice.objects.create(deadline=deadline, stage=stage, due_at=deadline.due_at,
                                                 recipient=recipient, sent_at=now, skipped=skipped)
    except IntegrityError:
        return None


def _process(deadline_id: int, now: dt.datetime, calendar: workdays.WorkingCalendar | None = None) -> int:
    """Send what is due for one deadline, in one transaction. Returns the number of notices sent.

    Only the latest stage that has come is sent; earlier ones not yet sent are recorded as skipped."""
    sent = 0
    calendar = calendar or workdays.WorkingCalendar()
    with transaction.atomic():
        deadline = (Deadline.objects.select_for_update(skip_locked=True, of=("self",)).select_related("responsible")
                    .filter(pk=deadline_id, state=Deadline.State.OPEN).first())
        if deadline is None:
            return 0
        notices = list(deadline.notices.filter(due_at=deadline.due_at).values_list("stage", "recipient_id", "skipped"))
        done = {stage for stage, _recipient, _skipped in notices}
        told = {recipient for stage, recipient, skipped in notices
                if not skipped and recipient and stage in (Stage.ESCALATION_1, Stage.ESCALATION_2)}
        come = [stage for stage, when in deadline.stage_times()
                if stage not in done and _send_time(deadline, stage, when, calendar) <= now]
        for stage in come[:-1]:
            _record_notice(deadline, stage, None, now, skipped=True)
        for stage in come[-1:]:
            if stage in (Stage.REMINDER, Stage.OVERDUE):
                recipient = deadline.responsible
            else:
                level = 1 if stage == Stage.ESCALATION_1 else 2
                recipient = _escalation_recipient(deadline, level, told)
                deadline.escalation_level = level
                if recipient is not None:
                    deadline.escalated_to = recipient
            notice = _record_notice(deadline, stage, recipient, now, skipped=recipient is None)
            if notice is not None and recipient is not None:
                title, body, level_name = _notice_text(deadline, stage, recipient)
                notice.notification = notify(recipient, title, body, link=deadline.link, level=level_name)
                notice.save(update_fields=["notification"])
                sent += 1
        deadline.next_action_at = next_action_time(deadline, calendar)
        deadline.save(update_fields=["next_action_at", "escalation_level", "escalated_to"])
    return sent


def tick(now: dt.datetime | None = None, batch: int = 500) -> int:
    """Send every reminder, overdue notice and escalation that has come due. Safe to run concurrently."""
    now = now or timezone.now()
    calendar = workdays.WorkingCalendar()  # one snapshot of the holidays for the whole run
    total = 0
    last_id = 0
    while True:
        ids = list(
            Deadline.objects.filter(state=Deadline.State.OPEN, next_action_at__lte=now, pk__gt=last_id)
            .order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return total
        for deadline_id in ids:
            total += _process(deadline_id, now, calendar)
        last_id = ids[-1]


# --- my work ------------------------------------------------------------------------------------------
def open_deadlines_as_work(user) -> list[WorkItem]:
    """The user's open deadlines, and those escalated to them (at any level) that are still open."""
    # an OR of the three ways made PostgreSQL read every open deadline (17 ms for a production manager responsible
    # for 5,000 of 24,000): the first of each way instead (registry.most_urgent), in the query of the rows
    open_ = Deadline.objects.filter(state=Deadline.State.OPEN)
    escalation_notices = DeadlineNotice.objects.filter(recipient=user, stage__in=[Stage.ESCALATION_1, Stage.ESCALATION_2])
    order = ("due_at", "pk")
    ids = registry.most_urgent([open_.filter(responsible=user), open_.filter(escalated_to=user),
                                open_.filter(pk__in=escalation_notices.values("deadline_id"))], order)
    # the columns of a line only: the deadline's and its responsible's other columns were half of the provider's time
    rows = (Deadline.objects.filter(pk__in=ids).select_related("responsible")
            .only("title", "title_key", "title_params", "link", "due_at", "provisional_years", "responsible__username",
                  "responsible__full_name", "responsible__first_name", "responsible__last_name")
            .order_by(*order)[:registry.WORK_ITEMS_PER_PROVIDER + 1])
    items = []
    for d in rows:
        escalated = d.responsible_id != user.pk
        items.append(WorkItem(
            title=d.shown_title, url=d.link or "/", due=d.due_at, due_note=provisional_label(d),
            category=gettext("逾期升级") if escalated else gettext("期限"),
            detail=gettext("责任人：%(who)s") % {"who": d.responsible.display_name} if escalated else "",
            supporting=True, escalated=escalated,
        ))
    return items
