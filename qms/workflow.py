"""States and moves of controlled records, declared once as data and enforced in one place.

    PIPELINE = {
        Status.RAISED: {Status.PLAN_SUBMITTED: Move(_("提交计划"), roles=…, closes=("plan",))},
        Status.PLAN_SUBMITTED: {Status.APPROVED: Move(_("批准"), roles=(Role.MR,), signature=Meaning.APPROVAL,
                                                      not_by="submitted_by")},
    }
    workflow.register(Workflow(Capa, PIPELINE))

``perform(record, to, by, …)`` checks the move (who may, reason, password and signature, separation of
duties, the app's guard), then in one transaction: a guarded ``UPDATE … WHERE status = old`` (0 rows →
"此记录已被他人更新"), the status-change log row, the signature, the deadlines opened and closed, and the
app's ``after`` hook. Views never set ``status`` themselves.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit, list_counts, signatures
from qms.blocks import block_reasons
from qms.refusals import Refused


class TransitionRefused(Refused):
    """A move that was not made; ``str(error)`` is the translated reason shown to the user."""


@dataclass(frozen=True)
class Move:
    label: str
    roles: tuple[str, ...] = ()  # any of these roles may make the move ("" = anyone who can see the record)
    perm: str | None = None  # or a Django/rules permission checked with the record
    # a callable (record, user) -> bool for who may, e.g. "the responsible person"
    actor: Callable | None = None
    signature: str | None = None  # a signatures.Meaning value: the move asks for the password
    # a written reason is required: True, or ``(record) -> bool`` when it depends on the record (closing a notice
    # that some customers have not acknowledged)
    reason: bool | Callable = False
    not_by: str | None = None  # name of a user field: that person may not make this move (separation of duties)
    guard: Callable | None = None  # (record) -> refusal text or None
    opens: tuple = ()  # deadline rules (qms.deadlines.DeadlineRule) opened when the move is made
    closes: tuple[str, ...] = ()  # deadline kinds closed ("*": all the record's open deadlines)
    after: Callable | None = None  # (record, user, transition) -> None, inside the same transaction
    style: str = "primary"
    # the button is shown disabled with the guard's reason while only the guard refuses (the next step of the
    # person who may make it, e.g. "请先添加至少一项措施"), instead of being left out without a word
    show_blocked: bool = False
    # fields of the record the move records (a disposition, an acceptance result): the move's form asks for them
    # and ``perform(..., values=…)`` writes them in the move's own guarded UPDATE
    fields: tuple[str, ...] = ()
    # ``(record) -> refusal text or None`` on the record carrying the values the move's form entered (``fields``):
    # what those values must satisfy (a result written down, a date given). Unlike ``guard`` it does not hide the
    # button, which is where the values are entered; ``perform`` refuses with it and writes nothing.
    check: Callable | None = None
    # a move the system makes on whoever's behalf (a tick, a task): ``perform(..., system=True)`` skips who-may
    system: bool = False
    # the move is made on the app's own form (an action page with checks of its own, e.g. a visit's record with
    # its contacts): the core shows no button for it and its move view refuses it
    own_form: bool = False
    # the move's form, a subclass of qms.views.records.MoveForm, when the move asks for more than its model fields
    # (a handler limited to the chosen department, an input its ``after`` hook reads from ``transition.inputs``)
    form: type | None = None

    def needs_reason(self, record) -> bool:
        return bool(self.reason(record)) if callable(self.reason) else bool(self.reason)


@dataclass
class Workflow:
    model: type
    pipeline: dict
    status_field: str = "status"
    # Who takes the record over after a move: ``hand_over(record, move) -> users``; they are told at once, in the
    # portal and by e-mail, unless they made the move themselves. ``role_holders_of_next_moves`` and
    # ``responsible_of_opened_deadlines`` below serve most procedures.
    hand_over: Callable | None = None
    # the colour of each state's badge (Bootstrap text-bg-*: "success", "secondary", "warning", …; else "primary")
    badges: dict = field(default_factory=dict)
    moves_by_target: dict = field(init=False)

    def __post_init__(self):
        self.moves_by_target = {}
        for source, targets in self.pipeline.items():
            for target, move in targets.items():
                self.moves_by_target.setdefault(target, []).append((source, move))

    def move(self, source, target) -> Move | None:
        return self.pipeline.get(source, {}).get(target)

    def badge(self, status) -> str:
        return self.badges.get(status, "primary")


_workflows: dict[type, Workflow] = {}


def register(wf: Workflow) -> Workflow:
    _workflows[wf.model] = wf
    audit.register_status_field(wf.model, wf.status_field)
    return wf


def workflow_for(model_or_record) -> Workflow | None:
    model = model_or_record if isinstance(model_or_record, type) else type(model_or_record)
    return _workflows.get(model)


class Transition(models.Model):
    """One row per move made: the status-change log shown on the record and in the audit trail."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("记录类型"))
    object_id = models.PositiveBigIntegerField(_("记录编号"))
    record = GenericForeignKey("content_type", "object_id")
    from_status = models.CharField(_("原状态"), max_length=40)
    to_status = models.CharField(_("新状态"), max_length=40)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    reason = models.TextField(_("理由"), blank=True)
    signature = models.OneToOneField(signatures.Signature, null=True, blank=True, on_delete=models.PROTECT,
                                     verbose_name=_("签名"))

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="transition_record")]
        triggers = [pgtrigger.Protect(name="transition_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
                    audit.RefuseTruncate()]

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"


def status_label(model, value) -> str:
    wf = workflow_for(model)
    field_obj = model._meta.get_field(wf.status_field if wf else "status")
    return str(dict(field_obj.flatchoices).get(value, value))


def refusal(record, to, user, move: Move | None = None, *, holding_back: bool = True) -> str | None:
    """Why ``user`` may not move ``record`` to ``to`` now (None when allowed). Reason and password are
    checked at ``perform`` time; this is what decides which buttons the detail page shows."""
    wf = workflow_for(record)
    if wf is None:
        return gettext("此类记录没有定义流程。")
    current = getattr(record, wf.status_field)
    move = move or wf.move(current, to)
    if move is None:
        return gettext("当前状态“%(current)s”下不能执行此操作。") % {"current": status_label(type(record), current)}
    if move.system:
        return gettext("“%(move)s”由系统自动完成。") % {"move": move.label}
    if not may_act(move, record, user):
        return gettext("您没有权限执行“%(move)s”。") % {"move": move.label}
    if move.not_by and getattr(record, f"{move.not_by}_id", None) == user.pk:
        return gettext("不能由提交人本人执行“%(move)s”（职责分离）。") % {"move": move.label}
    return what_holds_back(record, to, move) if holding_back else None


def what_holds_back(record, to, move: Move) -> str | None:
    """Every reason the move cannot be made now, joined: its guard's and each declared block's (qms.blocks)."""
    reasons = []
    if move.guard:
        found = move.guard(record)
        if found:
            reasons.append(str(found))
    reasons.extend(reason for reason in block_reasons(record, to) if reason not in reasons)
    return "；".join(reasons) if reasons else None


def may_act(move: Move, record, user) -> bool:
    if user is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    allowed_by = []
    if move.roles:
        allowed_by.append(user.has_role(*move.roles))
    if move.perm:
        allowed_by.append(user.has_perm(move.perm, record))
    if move.actor:
        allowed_by.append(bool(move.actor(record, user)))
    return any(allowed_by) if allowed_by else True


def available_moves(record, user) -> list[dict]:
    """The moves ``user`` may make on ``record`` now, for the buttons of the detail page."""
    wf = workflow_for(record)
    if wf is None:
        return []
    current = getattr(record, wf.status_field)
    result = []
    for target, move in wf.pipeline.get(current, {}).items():
        if move.system or move.own_form:
            continue
        if refusal(record, target, user, move) is None:
            result.append({"to": target, "move": move, "label": move.label, "from": current,
                           "meaning_label": signatures.Meaning(move.signature).label if move.signature else ""})
    return result


def blocked_moves(record, user) -> list[dict]:
    """The moves declared ``show_blocked`` that ``user`` may make but whose guard refuses now, each with its
    ``reason``: the detail page shows them disabled with the reason."""
    wf = workflow_for(record)
    if wf is None:
        return []
    current = getattr(record, wf.status_field)
    result = []
    for target, move in wf.pipeline.get(current, {}).items():
        if not move.show_blocked or move.system or move.own_form:
            continue
        if refusal(record, target, user, move, holding_back=False) is not None:
            continue
        reason = what_holds_back(record, target, move)
        if reason:
            result.append({"to": target, "move": move, "label": move.label, "reason": reason})
    return result


def perform(record, to, by, *, reason: str = "", password: str = "", comment: str = "",
            expected_from=None, values: dict | None = None, system: bool = False,
            inputs: dict | None = None) -> Transition:
    """Make the move, or raise ``TransitionRefused`` / ``signatures.SignatureRefused`` and change nothing.

    ``values``: the fields the move records (``Move.fields``), written in the same guarded UPDATE.
    ``inputs``: what the move's form asked for besides the record's fields, for its ``after`` hook
    (``transition.inputs``).
    ``system``: the system makes a move declared ``Move(system=True)`` on behalf of ``by`` (a tick, a task): who
    may is not asked; what holds the move back still is.
    """
    from qms import deadlines

    wf = workflow_for(record)
    if wf is None:
        raise TransitionRefused(gettext("此类记录没有定义流程。"))
    model = type(record)
    fresh = model._default_manager.filter(pk=record.pk).values_list(wf.status_field, flat=True).first()
    source = expected_from if expected_from is not None else getattr(record, wf.status_field)
    if fresh != source:
        raise TransitionRefused(gettext("此记录已被他人更新，请刷新后重试。"))
    setattr(record, wf.status_field, source)
    move = wf.move(source, to)
    values = dict(values or {})
    if move is not None and set(values) - set(move.fields):
        raise TransitionRefused(gettext("“%(move)s”不记录这些内容。") % {"move": move.label})
    previous = {name: getattr(record, name) for name in values}
    for name, value in values.items():
        setattr(record, name, value)
    try:
        if system:
            if move is None or not move.system:
                raise TransitionRefused(refusal(record, to, by, move) or gettext("不能执行此操作。"))
            why_not = what_holds_back(record, to, move)
        else:
            why_not = refusal(record, to, by, move)
        if why_not:
            raise TransitionRefused(why_not)
        if move.check and (wrong := move.check(record)):
            raise TransitionRefused(str(wrong))
        reason = (reason or "").strip()
        if move.needs_reason(record) and not reason:
            raise TransitionRefused(gettext("“%(move)s”需要填写理由。") % {"move": move.label})
        if move.signature:
            signatures.check_password_or_refuse(by, password)
    except Refused:
        for name, value in previous.items():
            setattr(record, name, value)
        raise

    with transaction.atomic(), audit.context(user=by, reason=reason or move.label):
        now = timezone.now()
        updates = {**values, wf.status_field: to}
        if any(f.name == "status_changed_at" for f in model._meta.fields):
            updates["status_changed_at"] = now
        changed = model._default_manager.filter(pk=record.pk, **{wf.status_field: source}).update(**updates)
        if changed != 1:
            raise TransitionRefused(gettext("此记录已被他人更新，请刷新后重试。"))
        for name, value in updates.items():
            setattr(record, name, value)
        list_counts.bump(model)
        signature = None
        if move.signature:
            signature = signatures.sign(record, by, password, move.signature, comment=comment or reason,
                                        step=move.label)
        transition = Transition.objects.create(
            content_type=ContentType.objects.get_for_model(record, for_concrete_model=False), object_id=record.pk,
            from_status=source, to_status=to, by=by, at=now, reason=reason, signature=signature,
        )
        transition.inputs = dict(inputs or {})
        deadlines.apply_move(record, move, by)
        if move.after:
            move.after(record, by, transition)
        if wf.hand_over is not None:
            _tell_who_takes_over(wf, record, move, by, transition)
    return transition


# --- hand-overs: the next responsible person is told -------------------------------------------------------
def _forward(move: Move) -> bool:
    """A move that carries the record on (not a cancellation, a void or a return for rework)."""
    return "*" not in move.closes and not move.style.startswith("outline")


def role_holders_of_next_moves(record, move: Move) -> list:
    """The active holders of the roles that may make the record's next forward moves (e.g. the security officer
    once the engineering review passed)."""
    from qms.people import User

    wf = workflow_for(record)
    roles = {role for next_move in wf.pipeline.get(getattr(record, wf.status_field), {}).values()
             if _forward(next_move) for role in next_move.roles if role}
    if not roles:
        return []
    return list(User.objects.filter(is_active=True, groups__name__in=roles).distinct())


def responsible_of_opened_deadlines(record, move: Move) -> list:
    """The people responsible for the deadlines the move opened (e.g. the MR for a submitted CAPA plan)."""
    return [person for rule in move.opens if (person := rule.responsible(record)) is not None]


def _tell_who_takes_over(wf: Workflow, record, move: Move, by, transition) -> None:
    tell_who_takes_over(record, wf.hand_over(record, move), by=by, done=move.label, at=transition.at)


def tell_who_takes_over(record, people, *, by, done: str, at) -> None:
    """Tell ``people`` (in the portal and by e-mail) that ``record`` is now theirs to handle, because ``by`` did
    ``done`` at ``at``; whoever did it is not told. Also for a record that starts in a working state (a
    registered application goes straight to its first reviewer)."""
    from qms.notifications import notify

    people = {person.pk: person for person in people if person.is_active and person.pk != by.pk}
    if not people:
        return
    wf = workflow_for(record)
    link = record.get_absolute_url() if hasattr(record, "get_absolute_url") else ""
    for person in people.values():
        # written in the reader's language (the e-mail cannot be translated later), whoever made the move
        with translation.override(getattr(person, "language", "") or settings.LANGUAGE_CODE):
            state = status_label(type(record), getattr(record, wf.status_field)) if wf else ""
            title = gettext("待您处理：%(record)s（%(state)s）") % {"record": record, "state": state}
            body = gettext("%(who)s 已于 %(when)s 完成“%(done)s”，现在轮到您处理。") % {
                "who": by.display_name, "when": timezone.localtime(at).strftime("%Y-%m-%d %H:%M"), "done": done}
        notify(person, title, body, link=link)


def transitions_for(record):
    return (
        Transition.objects.filter(content_type=ContentType.objects.get_for_model(record, for_concrete_model=False),
                                  object_id=record.pk)
        .select_related("by", "signature")
    )


def status_history(record) -> list:
    """The record's transitions, oldest first, each with ``from_label`` and ``to_label`` in the user's language:
    what the 状态流转 table of a record's page and of its PDF shows."""
    rows = list(transitions_for(record).order_by("at", "pk"))
    model = type(record)
    for row in rows:
        row.from_label = status_label(model, row.from_status)
        row.to_label = status_label(model, row.to_status)
    return rows
