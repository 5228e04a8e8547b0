"""Implementation of an approved change (seed 000 第五篇 §5.4): the change coordinator gives each affected department
its task with a working-day deadline (reminders and escalation from ``qms.deadlines``); a task that slips needs a
written report with the reason and a new date, kept with the task; the execution report 《变更执行报告》 closes
implementation once every task is done."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import Refused, audit, deadlines
from qms.deadlines import DeadlineRule
from qms.people import Role
from qms.workdays import add_working_days
from changes.models import ChangeRequest, ChangeStatus, ChangeTask, TaskSlip, TaskStatus

S = ChangeStatus
TASK_KIND = "change_task"
END_OF_DAY = dt.time(17, 30)


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, END_OF_DAY))


def _task_due(task: ChangeTask, start):
    """The task's working days from when it was given, or the new date of its latest slip report."""
    latest = task.slips.order_by("-reported_at", "-pk").first()
    if latest is not None:
        return _end_of(latest.new_date)
    return add_working_days(start, task.working_days)


TASK_DUE = DeadlineRule(TASK_KIND, _("完成变更实施任务：{record}"), due=_task_due,
                        responsible=lambda task: task.responsible, start="created_at")


def is_coordinator(change: ChangeRequest, user) -> bool:
    return change.coordinator_id == user.pk or user.has_role(Role.MR)


def set_coordinator(change: ChangeRequest, by, *, coordinator) -> ChangeRequest:
    if change.status != S.IMPLEMENTING:
        raise Refused(gettext("只有实施中的变更可以指定变更协调人。"))
    if not by.has_role(Role.MR):
        raise Refused(gettext("变更协调人由管理者代表指定。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("指定变更协调人")):
        ChangeRequest.objects.filter(pk=change.pk).update(coordinator=coordinator)
        change.coordinator = coordinator
    return change


def add_task(change: ChangeRequest, by, *, department, responsible, description: str, working_days: int
             ) -> ChangeTask:
    if change.status != S.IMPLEMENTING:
        raise Refused(gettext("只有实施中的变更可以下达实施任务。"))
    if not is_coordinator(change, by):
        raise Refused(gettext("实施任务由变更协调人下达。"))
    if not change.affected_departments.filter(pk=department.pk).exists():
        raise Refused(gettext("%(department)s 不是此变更的受影响部门。") % {"department": department})
    with transaction.atomic(), audit.context(user=by, reason=gettext("下达变更实施任务")):
        task = ChangeTask.objects.create(change=change, department=department, responsible=responsible,
                                         description=description, working_days=working_days)
        TASK_DUE.open(task)
    return task


def due_of(task: ChangeTask):
    row = deadlines.deadlines_for(task).filter(kind=TASK_KIND).order_by("-pk").first()
    return row.due_at if row is not None else None


def may_report(task: ChangeTask, user) -> bool:
    return task.responsible_id == user.pk or is_coordinator(task.change, user)


def report_slip(task: ChangeTask, by, *, reason: str, new_date: dt.date) -> TaskSlip:
    """A slipping task: the written report with the reason and the new date; the deadline moves to that date."""
    if task.status != TaskStatus.OPEN or task.change.status != S.IMPLEMENTING:
        raise Refused(gettext("只有进行中的任务可以报告延期。"))
    if not may_report(task, by):
        raise Refused(gettext("延期报告由任务责任人或变更协调人提交。"))
    reason = (reason or "").strip()
    if not reason:
        raise Refused(gettext("请填写延期原因。"))
    previous = due_of(task)
    if previous is not None and new_date <= timezone.localdate(previous):
        raise Refused(gettext("新的完成日期须晚于原到期日 %(due)s。") % {
            "due": timezone.localtime(previous).strftime("%Y-%m-%d")})
    with transaction.atomic(), audit.context(user=by, reason=gettext("变更任务延期：%(reason)s") % {"reason": reason}):
        slip = TaskSlip.objects.create(task=task, reason=reason, new_date=new_date,
                                       previous_due_at=previous or timezone.now(), reported_by=by)
        TASK_DUE.open(task)
    return slip


def complete_task(task: ChangeTask, by, *, result: str) -> ChangeTask:
    if task.status != TaskStatus.OPEN:
        raise Refused(gettext("此任务已完成。"))
    if not may_report(task, by):
        raise Refused(gettext("任务由责任人或变更协调人确认完成。"))
    if not (result or "").strip():
        raise Refused(gettext("请填写完成情况。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("完成变更实施任务")):
        changed = ChangeTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
            status=TaskStatus.DONE, done_at=timezone.now(), result=result)
        if changed != 1:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
        deadlines.close_deadlines(task, (TASK_KIND,))
    task.refresh_from_db()
    return task


def execution_refusal(change: ChangeRequest) -> str | None:
    """The execution report closes implementation only with a coordinator and every task done."""
    if change.coordinator_id is None:
        return gettext("尚未指定变更协调人。")
    tasks = list(change.tasks.all())
    if not tasks:
        return gettext("尚未下达实施任务。")
    open_ = [str(task.department) for task in tasks if task.status != TaskStatus.DONE]
    if open_:
        return gettext("以下部门的实施任务尚未完成：%(departments)s") % {"departments": "、".join(open_)}
    return None
