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
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms.notifications import Notification, notify
from qms.registry import WorkItem, register_work_provider


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

    class Meta:
        verbose_name = _("期限")
        verbose_name_plural = _("期限")
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["next_action_at"], name="deadline_due_action", condition=Q(state="open")),
            models.Index(fields=["responsible", "state", "due_at"], name="deadline_responsible"),
            models.Index(fields=["escalated_to", "state", "due_at"], name="deadline_escalated"),
            models.Index(fields=["content_type", "object_id", "state"], name="deadline_record"),
        ]

    def __str__(self):
        return f"{self.title} ({timezone.localtime(self.due_at):%Y-%m-%d %H:%M})"

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


class DeadlineNotice(models.Model):
    """One reminder, overdue notice or escalation sent: the row that makes each exactly-once."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="notices", verbose_name=_("期限"))
    stage = models.CharField(_("阶段"), max_length=20, choices=Stage.choices)
    due_at = models.DateTimeField(_("对应截止时间"))
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                  verbose_name=_("接收人"))
    notification = models.ForeignKey(Notification, on_delete=models.SET_NULL, null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now)

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")
        constraints = [models.UniqueConstraint(fields=["deadline", "stage", "due_at"], name="deadline_notice_once")]

    def __str__(self):
        return f"{self.deadline} · {self.get_stage_display()}"


@dataclass(frozen=True)
class DeadlineRule:
    """What a workflow move opens: ``due(record, now) -> aware datetime``, ``responsible(record) -> user``."""

    kind: str
    title: str  # may contain {record}
    due: Callable
    responsible: Callable
    remind_before: dt.timedelta = dt.timedelta(hours=4)
    escalate_after: dt.timedelta = dt.timedelta(days=1)


def _content_type(record):
    return ContentType.objects.get_for_model(record, for_concrete_model=False)


def next_action_time(deadline: Deadline) -> dt.datetime | None:
    sent = set(deadline.notices.filter(due_at=deadline.due_at).values_list("stage", flat=True)) if deadline.pk else set()
    for stage, when in deadline.stage_times():
        if stage not in sent:
            return when
    return None


def open_deadline(record, kind: str, title: str, responsible, due_at: dt.datetime, *,
                  remind_before=dt.timedelta(hours=4), escalate_after=dt.timedelta(days=1)) -> Deadline:
    """Open (or move) the record's deadline of ``kind``; an open one of the same kind is re-dated."""
    link = record.get_absolute_url() if hasattr(record, "get_absolute_url") else ""
    existing = Deadline.objects.filter(content_type=_content_type(record), object_id=record.pk, kind=kind,
                                       state=Deadline.State.OPEN).first()
    deadline = existing or Deadline(content_type=_content_type(record), object_id=record.pk, kind=kind)
    deadline.title = str(title)[:200]
    deadline.link = link
    deadline.responsible = responsible
    deadline.due_at = due_at
    deadline.remind_before = remind_before
    deadline.escalate_after = escalate_after
    deadline.escalation_level = 0
    deadline.escalated_to = None
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
    now = timezone.now()
    for rule in move.opens:
        open_deadline(record, rule.kind, rule.title.format(record=record), rule.responsible(record),
                      rule.due(record, now), remind_before=rule.remind_before, escalate_after=rule.escalate_after)


def deadlines_for(record):
    return Deadline.objects.filter(content_type=_content_type(record), object_id=record.pk).select_related(
        "responsible", "escalated_to")


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


def _notice_text(deadline: Deadline, stage: str) -> tuple[str, str, str]:
    due = timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M")
    who = deadline.responsible.display_name
    if stage == Stage.REMINDER:
        return (gettext("即将到期：%(title)s") % {"title": deadline.title},
                gettext("截止时间 %(due)s，请及时处理。") % {"due": due}, Notification.Level.REMINDER)
    if stage == Stage.OVERDUE:
        return (gettext("已逾期：%(title)s") % {"title": deadline.title},
                gettext("截止时间 %(due)s 已过，请尽快处理。") % {"due": due}, Notification.Level.WARNING)
    return (gettext("逾期升级：%(title)s") % {"title": deadline.title},
            gettext("%(who)s 负责的事项已于 %(due)s 逾期，请督促处理。") % {"who": who, "due": due},
            Notification.Level.ESCALATION)


def _process(deadline_id: int, now: dt.datetime) -> int:
    """Send what is due for one deadline, in one transaction. Returns the number of notices sent."""
    sent = 0
    with transaction.atomic():
        deadline = (Deadline.objects.select_for_update(skip_locked=True, of=("self",)).select_related("responsible")
                    .filter(pk=deadline_id, state=Deadline.State.OPEN).first())
        if deadline is None:
            return 0
        done = set(deadline.notices.filter(due_at=deadline.due_at).values_list("stage", flat=True))
        for stage, when in deadline.stage_times():
            if when > now or stage in done:
                continue
            if stage in (Stage.REMINDER, Stage.OVERDUE):
                recipient = deadline.responsible
            else:
                level = 1 if stage == Stage.ESCALATION_1 else 2
                recipient = _escalation_target(deadline, level)
                deadline.escalation_level = level
                deadline.escalated_to = recipient
            try:
                with transaction.atomic():
                    notice = DeadlineNotice.objects.create(deadline=deadline, stage=stage, due_at=deadline.due_at,
                                                           recipient=recipient, sent_at=now)
            except IntegrityError:
                continue  # another tick sent it
            if recipient is not None:
                title, body, level_name = _notice_text(deadline, stage)
                notice.notification = notify(recipient, title, body, link=deadline.link, level=level_name)
                notice.save(update_fields=["notification"])
            sent += 1
        deadline.next_action_at = next_action_time(deadline)
        deadline.save(update_fields=["next_action_at", "escalation_level", "escalated_to"])
    return sent


def tick(now: dt.datetime | None = None, batch: int = 500) -> int:
    """Send every reminder, overdue notice and escalation that has come due. Safe to run concurrently."""
    now = now or timezone.now()
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
            total += _process(deadline_id, now)
        last_id = ids[-1]


# --- my work ------------------------------------------------------------------------------------------
@register_work_provider
def open_deadlines_as_work(user) -> list[WorkItem]:
    """The user's open deadlines, and those escalated to them (at any level) that are still open."""
    escalated_to_user = Exists(DeadlineNotice.objects.filter(
        deadline=OuterRef("pk"), recipient=user, stage__in=[Stage.ESCALATION_1, Stage.ESCALATION_2]))
    rows = (Deadline.objects.filter(Q(responsible=user) | Q(escalated_to=user) | escalated_to_user,
                                    state=Deadline.State.OPEN)
            .select_related("responsible").order_by("due_at")[:200])
    items = []
    for d in rows:
        escalated = d.responsible_id != user.pk
        items.append(WorkItem(
            title=d.title, url=d.link or "/", due=d.due_at,
            category=gettext("逾期升级") if escalated else gettext("期限"),
            detail=gettext("责任人：%(who)s") % {"who": d.responsible.display_name} if escalated else "",
            supporting=True,
        ))
    return items
