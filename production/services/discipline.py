"""Process discipline 《工艺纪律检查表》 and engineering specification changes 《工程规范更改》 (seed 003 §5.2.3,
§5.2.8).

Every two months (January–February, March–April, …) each production line (a work centre of the active process
cards) gets its check, created by the beat task ``production.tasks.schedule_discipline_checks`` and due on the
period's last working day; engineering or quality records the findings and signs. The ``discipline_check``
clock reminds the engineering lead before it is due and escalates when overdue.

A specification change is reviewed by engineering and issued (or refused) within 5 working days of the request
(the ``spec_change_issue`` clock on the holiday calendar), with the date it takes effect in production."""
from __future__ import annotations

import calendar
import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit, numbering, workflow
from qms.deadlines import DeadlineRule
from qms.people import Role, User
from qms.refusals import Refused
from qms.signatures import Meaning
from qms.workdays import WorkingCalendar, add_working_days, office_periods
from qms.workflow import Move, Workflow
from production.models import ProcessStep
from production.setup_models import DisciplineCheck, DisciplineStatus, SpecChange, SpecChangeStatus

D = DisciplineStatus
C = SpecChangeStatus
CHECKER_ROLES = (Role.ENGINEERING, Role.QUALITY)
SPEC_REQUESTER_ROLES = (Role.PRODUCTION, Role.PMC, Role.QUALITY, Role.ENGINEERING)
SPEC_REVIEWER_ROLES = (Role.ENGINEERING,)
SPEC_CHANGE_WORKING_DAYS = 5  # seed 003 §5.2.8 1)


def engineering_lead(_record=None):
    return User.objects.filter(groups__name=Role.ENGINEERING, is_active=True).order_by("pk").first()


# --- process discipline checks ----------------------------------------------------------------------------------
def period_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The two-month period the day falls in: Jan–Feb, Mar–Apr, May–Jun, Jul–Aug, Sep–Oct, Nov–Dec."""
    first_month = day.month - (day.month - 1) % 2
    last_month = first_month + 1
    return (dt.date(day.year, first_month, 1),
            dt.date(day.year, last_month, calendar.monthrange(day.year, last_month)[1]))


def _discipline_due(check: DisciplineCheck, start) -> dt.datetime:
    """The end of office hours on the period's last working day (on the holiday calendar)."""
    working = WorkingCalendar()
    day = check.period_end
    while not working.is_working_day(day) and day > check.period_start:
        day -= dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, office_periods()[-1][1]))


DISCIPLINE_DUE = DeadlineRule("discipline_check", _("工艺纪律检查：{record}"), due=_discipline_due,
                              responsible=engineering_lead, remind_before=dt.timedelta(days=7),
                              escalate_after=dt.timedelta(days=1))


def production_lines() -> list[str]:
    return sorted(set(ProcessStep.objects.filter(card__is_active=True).exclude(work_centre="").values_list(
        "work_centre", flat=True)))


def schedule_discipline_checks(today: dt.date | None = None) -> list[DisciplineCheck]:
    """The period's check of every production line that has none yet, each with its clock (idempotent: a second
    run in the same period creates nothing)."""
    today = today or timezone.localdate()
    start, end = period_of(today)
    created = []
    for line in production_lines():
        if DisciplineCheck.objects.filter(work_centre=line, period_start=start).exists():
            continue
        try:
            with transaction.atomic(), audit.context(reason=gettext("按计划生成工艺纪律检查")):
                check = DisciplineCheck.objects.create(
                    number=numbering.next_number("discipline_check", prefix_default="GJ", name_default="工艺纪律检查表"),
                    work_centre=line, period_start=start, period_end=end)
                DISCIPLINE_DUE.open(check)
        except IntegrityError:  # another run created it meanwhile
            continue
        created.append(check)
    return created


def _findings_refusal(check: DisciplineCheck) -> str | None:
    if not check.findings.strip():
        return gettext("请填写检查发现。")
    if not check.conclusion:
        return gettext("请选择检查结论。")
    return None


def _checked(check: DisciplineCheck, by, transition) -> None:
    now = timezone.now()
    DisciplineCheck.objects.filter(pk=check.pk).update(checked_by=by, checked_at=now)
    check.checked_by, check.checked_at = by, now


DISCIPLINE_PIPELINE = {
    D.DUE: {D.DONE: Move(_("记录检查结果"), roles=CHECKER_ROLES, signature=Meaning.CONFIRMATION,
                         fields=("findings", "conclusion"), check=_findings_refusal, after=_checked,
                         closes=("discipline_check",), style="success")},
}
DISCIPLINE_WORKFLOW = workflow.register(Workflow(DisciplineCheck, DISCIPLINE_PIPELINE, badges={D.DONE: "success",
                                                                                               D.DUE: "warning"}))


# --- engineering specification changes ---------------------------------------------------------------------------
SPEC_CHANGE_DUE = DeadlineRule("spec_change_issue", _("评审并发放工程规范更改（5 个工作日内）：{record}"),
                               due=lambda change, start: add_working_days(start, SPEC_CHANGE_WORKING_DAYS),
                               responsible=engineering_lead, start="requested_at",
                               remind_before=dt.timedelta(days=1))


def request_spec_change(by, *, title: str, description: str, reason: str, process_card=None) -> SpecChange:
    if not by.has_role(*SPEC_REQUESTER_ROLES):
        raise Refused(gettext("只有生产、PMC、品质或技术工程人员可以提出工程规范更改。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("提出工程规范更改")):
        change = SpecChange.objects.create(
            number=numbering.next_number("spec_change", prefix_default="GC", name_default="工程规范更改"),
            title=title.strip(), description=description.strip(), reason=reason.strip(), process_card=process_card,
            requested_by=by)
        SPEC_CHANGE_DUE.open(change)
    return change


def _issue_refusal(change: SpecChange) -> str | None:
    if not change.review_note.strip():
        return gettext("请填写评审意见。")
    if change.effective_date is None:
        return gettext("请填写实施日期。")
    if change.effective_date < timezone.localtime(change.requested_at).date():
        return gettext("实施日期不能早于申请日期。")
    return None


SPEC_PIPELINE = {
    C.REQUESTED: {
        C.ISSUED: Move(_("评审并发放"), roles=SPEC_REVIEWER_ROLES, signature=Meaning.APPROVAL,
                       fields=("review_note", "effective_date"), check=_issue_refusal,
                       closes=("spec_change_issue",), style="success"),
        C.REJECTED: Move(_("不予更改"), roles=SPEC_REVIEWER_ROLES, signature=Meaning.APPROVAL,
                         fields=("review_note",), reason=True, closes=("spec_change_issue",), style="danger"),
    },
}
SPEC_WORKFLOW = workflow.register(Workflow(SpecChange, SPEC_PIPELINE, badges={C.ISSUED: "success",
                                                                              C.REJECTED: "secondary",
                                                                              C.REQUESTED: "warning"}))
