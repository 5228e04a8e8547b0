"""CAPA services: raising, planning, actions and the workflow (PROCEDURES.md §3).

Flow: 提出 raised (plan due within 2 working days) → 提交计划 (responsible) → 批准 (MR, signature;
not the submitter) → 实施 (actions with due dates) → 验证 (quality, signature): effective → 关闭;
not effective → a new round back to planning. It cannot close unverified: the only way to 已关闭 is
quality's verification.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit, signatures, workflow
from qms.capa.models import Capa, CapaAction, CapaRound, CapaSource, CapaStatus, CapaVerification
from qms.deadlines import DeadlineRule
from qms.people import Role, User
from qms.signatures import Meaning
from qms.workflow import Move, TransitionRefused

PLAN_WORKING_DAYS = 2  # §3: the responsible department submits its plan within 2 days
APPROVAL_WORKING_DAYS = getattr(settings, "QMS_CAPA_APPROVAL_WORKING_DAYS", 2)
VERIFICATION_WORKING_DAYS = getattr(settings, "QMS_CAPA_VERIFICATION_WORKING_DAYS", 5)


def _working_days_from(now, days):
    from qms.workdays import add_working_days

    return add_working_days(now, days)


def _mr(_capa=None):
    return User.objects.filter(groups__name=Role.MR, is_active=True).order_by("pk").first()


def _quality_lead(_capa=None):
    from qms.people import Department

    manager = (Department.objects.filter(members__groups__name=Role.QUALITY, manager__isnull=False)
               .values_list("manager", flat=True).first())
    if manager:
        return User.objects.get(pk=manager)
    return User.objects.filter(groups__name=Role.QUALITY, is_active=True).order_by("pk").first()


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(17, 30)))


def _implementation_due(capa, now):
    last = capa.actions.filter(round=capa.round).order_by("-due_date").values_list("due_date", flat=True).first()
    return _end_of_day(last) if last else _working_days_from(now, 10)


# A source whose procedure gives the plan another time: a management review's output is answered with measures
# within 7 days of receipt (seed 000 第四篇 5.7.2 七天内, calendar days).
PLAN_DAYS_BY_SOURCE = {CapaSource.MANAGEMENT_REVIEW: 7}


def _plan_due(capa, now):
    days = PLAN_DAYS_BY_SOURCE.get(capa.source)
    return now + dt.timedelta(days=days) if days else _working_days_from(now, PLAN_WORKING_DAYS)


PLAN_DEADLINE = DeadlineRule("plan", _("制定纠正措施计划：{record}"), due=_plan_due,
                             responsible=lambda capa: capa.responsible)
APPROVAL_DEADLINE = DeadlineRule("approval", _("批准纠正措施计划：{record}"),
                                 due=lambda capa, now: _working_days_from(now, APPROVAL_WORKING_DAYS),
                                 responsible=_mr)
IMPLEMENTATION_DEADLINE = DeadlineRule("implementation", _("实施纠正措施：{record}"), due=_implementation_due,
                                       responsible=lambda capa: capa.responsible)
VERIFICATION_DEADLINE = DeadlineRule("verification", _("验证纠正措施有效性：{record}"),
                                     due=lambda capa, now: _working_days_from(now, VERIFICATION_WORKING_DAYS),
                                     responsible=_quality_lead)


# What the due time of each step's open deadline row is called on the CAPA pages and the PDF.
DUE_LABELS = {
    PLAN_DEADLINE.kind: _("计划提交期限"),
    APPROVAL_DEADLINE.kind: _("计划批准期限"),
    IMPLEMENTATION_DEADLINE.kind: _("措施实施期限"),
    VERIFICATION_DEADLINE.kind: _("有效性验证期限"),
}


def due_label(kind: str | None) -> str:
    return str(DUE_LABELS.get(kind, _("当前期限")))


def is_responsible(capa, user) -> bool:
    """The responsible person, or the manager of the responsible department."""
    return user.pk == capa.responsible_id or (
        capa.responsible_department.manager_id is not None and capa.responsible_department.manager_id == user.pk)


def _plan_complete(capa) -> str | None:
    if not capa.cause_analysis.strip():
        return gettext("请先填写原因分析。")
    if not capa.plan.strip():
        return gettext("请先填写措施计划。")
    if not capa.actions.filter(round=capa.round).exists():
        return gettext("请先添加至少一项措施。")
    return None


def _actions_done(capa) -> str | None:
    open_count = capa.actions.filter(round=capa.round, done_at__isnull=True).count()
    if open_count:
        return gettext("还有 %(n)d 项措施未完成。") % {"n": open_count}
    return None


def _record_submitter(capa, user, transition):
    Capa.objects.filter(pk=capa.pk).update(submitted_by=user)
    capa.submitted_by = user


def _verified_effective(capa, user, transition):
    CapaVerification.objects.create(capa=capa, round=capa.round, result=CapaVerification.Result.EFFECTIVE,
                                    comment=transition.reason or transition.signature.comment, verified_by=user)


def _verified_not_effective(capa, user, transition):
    CapaVerification.objects.create(capa=capa, round=capa.round, result=CapaVerification.Result.NOT_EFFECTIVE,
                                    comment=transition.reason, verified_by=user)
    # The round's plan is kept as it was signed (its approval and this verification stay bound to it); the
    # next round's cause analysis and plan are written afresh.
    stored = Capa.objects.values("cause_analysis", "plan").get(pk=capa.pk)
    CapaRound.objects.create(capa=capa, number=capa.round, **stored)
    capa.round += 1
    Capa.objects.filter(pk=capa.pk).update(round=capa.round, submitted_by=None, cause_analysis="", plan="")
    capa.submitted_by, capa.cause_analysis, capa.plan = None, "", ""


def _round_content(capa, number):
    """The signed content of an earlier round: the CAPA's controlled fields with that round's plan."""
    kept = CapaRound.objects.filter(capa_id=capa.pk, number=number).values("cause_analysis", "plan").first()
    if kept is None:
        return None
    content = {name: getattr(capa, name) for name in Capa.SIGNED_FIELDS}
    content.update(kept, round=number)
    return content


signatures.register_rounds(Capa, current=lambda capa: capa.round, content=_round_content)


def _reopen_plan(capa, user, transition):
    Capa.objects.filter(pk=capa.pk).update(submitted_by=None)
    capa.submitted_by = None


VOID = Move(_("作废"), roles=(Role.MR,), reason=True, closes=("*",), style="outline-danger")

PIPELINE = {
    CapaStatus.RAISED: {
        CapaStatus.PLAN_SUBMITTED: Move(_("提交计划"), actor=is_responsible, guard=_plan_complete,
                                        closes=("plan",), opens=(APPROVAL_DEADLINE,), after=_record_submitter,
                                        show_blocked=True),
        CapaStatus.VOIDED: VOID,
    },
    CapaStatus.PLAN_SUBMITTED: {
        CapaStatus.APPROVED: Move(_("批准计划"), roles=(Role.MR,), signature=Meaning.APPROVAL,
                                  not_by="submitted_by", closes=("approval",), opens=(IMPLEMENTATION_DEADLINE,),
                                  style="success"),
        CapaStatus.RAISED: Move(_("退回修改"), roles=(Role.MR,), reason=True, closes=("approval",),
                                opens=(PLAN_DEADLINE,), after=_reopen_plan, style="outline-warning"),
        CapaStatus.VOIDED: VOID,
    },
    CapaStatus.APPROVED: {
        CapaStatus.IMPLEMENTED: Move(_("实施完成"), actor=is_responsible, guard=_actions_done,
                                     closes=("implementation",), opens=(VERIFICATION_DEADLINE,), show_blocked=True),
        CapaStatus.VOIDED: VOID,
    },
    CapaStatus.IMPLEMENTED: {
        CapaStatus.CLOSED: Move(_("验证有效并关闭"), roles=(Role.QUALITY,), signature=Meaning.VERIFICATION,
                                reason=True, closes=("*",), after=_verified_effective, style="success"),
        CapaStatus.RAISED: Move(_("验证无效，开始新一轮"), roles=(Role.QUALITY,), signature=Meaning.VERIFICATION,
                                reason=True, closes=("*",), opens=(PLAN_DEADLINE,), after=_verified_not_effective,
                                style="outline-danger"),
        CapaStatus.VOIDED: VOID,
    },
}

WORKFLOW = workflow.register(workflow.Workflow(
    Capa, PIPELINE, hand_over=workflow.responsible_of_opened_deadlines,
    badges={CapaStatus.CLOSED: "success", CapaStatus.VOIDED: "secondary", CapaStatus.RAISED: "warning"}))


def raise_capa(*, source: str, title: str, nonconformity: str, responsible: User, raised_by: User,
               responsible_department=None, kind: str = "corrective", source_record=None,
               source_reference: str = "") -> Capa:
    """Raise a CAPA (every procedure app calls this). The plan is due within 2 working days."""
    from qms.numbering import next_number

    if source not in CapaSource.values:
        raise ValueError(f"unknown CAPA source {source!r}")
    department = responsible_department or responsible.department
    if department is None:
        raise TransitionRefused(gettext("责任人没有所属部门，请先在通讯录中设置。"))
    now = timezone.now()
    with transaction.atomic(), audit.context(user=raised_by, reason=gettext("提出纠正和预防措施")):
        capa = Capa(
            number=next_number("capa", prefix_default="CAPA"), kind=kind, source=source, title=title,
            nonconformity=nonconformity, responsible=responsible, responsible_department=department,
            raised_by=raised_by, raised_at=now, source_reference=source_reference,
        )
        if source_record is not None:
            capa.source_type = ContentType.objects.get_for_model(source_record, for_concrete_model=False)
            capa.source_id = source_record.pk
            capa.source_reference = capa.source_reference or str(source_record)
        capa.save()
        PLAN_DEADLINE.open(capa, start=now, responsible=responsible)
    return capa


def edit_plan(capa: Capa, user: User, *, cause_analysis: str, plan: str) -> Capa:
    if capa.status != CapaStatus.RAISED:
        raise TransitionRefused(gettext("只有“待制定计划”状态下可以修改计划。"))
    if not (user.is_superuser or is_responsible(capa, user)):
        raise TransitionRefused(gettext("只有责任人或责任部门经理可以制定计划。"))
    with transaction.atomic(), audit.context(user=user, reason=gettext("制定措施计划")):
        capa.cause_analysis = cause_analysis
        capa.plan = plan
        capa.save(update_fields=["cause_analysis", "plan", "updated_at"])
    return capa


def action_due_refusal(due_date: dt.date) -> str | None:
    """An action is planned from today on: a due date already past would be overdue the day it is approved."""
    if due_date < timezone.localdate():
        return gettext("完成期限不能早于今天（%(today)s）。") % {"today": timezone.localdate().isoformat()}
    return None


def add_action(capa: Capa, user: User, *, description: str, owner: User, due_date: dt.date) -> CapaAction:
    if refused := action_due_refusal(due_date):
        raise TransitionRefused(refused)
    if capa.status != CapaStatus.RAISED:
        raise TransitionRefused(gettext("只有“待制定计划”状态下可以增加措施。"))
    if not (user.is_superuser or is_responsible(capa, user)):
        raise TransitionRefused(gettext("只有责任人或责任部门经理可以增加措施。"))
    with transaction.atomic(), audit.context(user=user, reason=gettext("增加措施")):
        return CapaAction.objects.create(capa=capa, round=capa.round, description=description, owner=owner,
                                         due_date=due_date)


def complete_action(action: CapaAction, user: User, *, result: str) -> CapaAction:
    capa = action.capa
    if capa.status != CapaStatus.APPROVED:
        raise TransitionRefused(gettext("计划批准后才能登记措施完成情况。"))
    if action.done_at is not None:
        raise TransitionRefused(gettext("该措施已登记完成。"))
    if not (user.is_superuser or user.pk == action.owner_id or is_responsible(capa, user)):
        raise TransitionRefused(gettext("只有执行人或责任人可以登记完成情况。"))
    if not result.strip():
        raise TransitionRefused(gettext("请填写完成情况。"))
    with transaction.atomic(), audit.context(user=user, reason=gettext("登记措施完成")):
        updated = CapaAction.objects.filter(pk=action.pk, done_at__isnull=True).update(done_at=timezone.now(),
                                                                                        result=result)
        if not updated:
            raise TransitionRefused(gettext("此记录已被他人更新，请刷新后重试。"))
        action.refresh_from_db()
    return action


def capas_for_source(record):
    """The CAPAs raised from ``record`` (a complaint, a review …), for the source's own page."""
    return Capa.objects.filter(source_type=ContentType.objects.get_for_model(record, for_concrete_model=False),
                               source_id=record.pk).select_related("responsible")


def unverified_capas_for_source(record):
    return capas_for_source(record).exclude(status__in=[CapaStatus.CLOSED, CapaStatus.VOIDED])
