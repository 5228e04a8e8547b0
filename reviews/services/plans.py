"""The review and its plan 《管理评审实施计划》 (seed 000 第四篇 5.1–5.3; PROCEDURES.md §5 Timing, Plan, Inputs).

    计划草拟中 ──提交审批 (MR)──▶ 计划待批准 ──批准下达 (GM, signature)──▶ 计划已下达 ──分发评审资料 (MR)──▶ 资料已分发
                ◀──退回修改 (GM, reason)──                    (input reports per item, each due 7 days before)
    any open state ──取消 (GM/MR, reason)──▶ 已取消

Clocks, in calendar days before the meeting as the seed writes them (提前十五天 / 前七天 / 提前三天), each a deadline
with reminders and escalation: the plan issued 15 days before (the MR), every input report 7 days before (its
responsible), the pack distributed 3 days before (the MR).

The scheduled review of each year is drafted automatically (``draft_scheduled_review``, the beat's daily task)
in the month before ``QMS_REVIEW_MONTH`` and the MR is told; an extra review is called by the GM with one of the
seed's triggers (``call_extra_review``).
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit, numbering, review_inputs, signatures, workflow
from qms.deadlines import DeadlineRule
from qms.notifications import notify
from qms.people import Role, User
from qms.refusals import Refused
from qms.signatures import Meaning
from qms.workflow import Move, Workflow
from reviews.models import (Acknowledgement, Attendance, InputItem, InputReport, InputStatus, Review, ReviewKind,
                            ReviewOutput, ReviewStatus)

S = ReviewStatus

ISSUE_DAYS, INPUT_DAYS, PACK_DAYS = 15, 7, 3  # 5.2.1, calendar days before the meeting
OUTPUT_DAYS = 2  # 5.7.1 《管理评审报告》下发两天内 the outputs go out as CAPA (each answered within 7 days, 5.7.2)
# the month of the yearly scheduled review, its day and hour (a setting; the plan can move it)
REVIEW_MONTH = int(getattr(settings, "QMS_REVIEW_MONTH", 12))
REVIEW_DAY = int(getattr(settings, "QMS_REVIEW_DAY", 15))

# 5.3: each input, the role that reports it and the input pack's sections shown beside its text
INPUT_PLAN = {
    InputItem.INTERNAL_AUDIT: (Role.MR, ()),
    InputItem.MANUAL: (Role.MR, ()),
    InputItem.CAPA: (Role.QUALITY, ("capa",)),
    InputItem.CONFORMITY: (Role.MR, ()),
    InputItem.PLANNING: (Role.MR, ()),
    InputItem.PROCESS_QUALITY: (Role.QUALITY, ("isolation", "nonconforming", "production", "renovation")),
    InputItem.POLICY: (Role.MR, ("customers", "contracts")),
    InputItem.FEEDBACK: (Role.CUSTOMER_SERVICE, ("complaints", "returns", "adverse_events", "satisfaction")),
    InputItem.RESOURCES: (Role.MR, ()),
    InputItem.EQUIPMENT: (Role.ENGINEERING, ()),
    InputItem.TOOLING: (Role.ENGINEERING, ()),
    InputItem.PRODUCTION: (Role.PRODUCTION, ("production", "isolation")),
    InputItem.SUITABILITY: (Role.MR, ("changes",)),
    InputItem.FOLLOW_UP: (Role.MR, ("previous_outputs",)),
    InputItem.EXTERNAL_AUDIT: (Role.MR, ()),
    InputItem.TRAINING: (Role.HR_ADMIN, ()),
}


def mr(_record=None):
    return User.objects.filter(groups__name=Role.MR, is_active=True).order_by("pk").first()


def gm(_record=None):
    return User.objects.filter(groups__name=Role.GM, is_active=True).order_by("pk").first()


def before_meeting(days: int):
    return lambda review, start: review.meeting_at - dt.timedelta(days=days)


PLAN_ISSUE = DeadlineRule("review_plan_issue", _("下达管理评审实施计划：{record}"), due=before_meeting(ISSUE_DAYS),
                          responsible=mr, remind_before=dt.timedelta(days=3))
INPUT_REPORT = DeadlineRule("review_input_report", _("提交管理评审输入报告：{record}"), due=lambda report, start:
                            report.review.meeting_at - dt.timedelta(days=INPUT_DAYS),
                            responsible=lambda report: report.responsible, remind_before=dt.timedelta(days=2))
OUTPUTS_RAISED = DeadlineRule("review_outputs", _("下发管理评审改进措施：{record}"),
                              due=lambda review, start: start + dt.timedelta(days=OUTPUT_DAYS), responsible=mr,
                              remind_before=dt.timedelta(hours=8), start="report_approved_at")
PACK_DISTRIBUTION = DeadlineRule("review_pack", _("审查输入报告并分发评审资料：{record}"),
                                 due=before_meeting(PACK_DAYS), responsible=mr, remind_before=dt.timedelta(days=1))


def milestones(review: Review) -> list[tuple[str, dt.datetime]]:
    """The plan's dates as the page and the PDF show them (calendar days)."""
    return [(gettext("计划下达（提前 %(n)d 天）") % {"n": ISSUE_DAYS}, review.meeting_at - dt.timedelta(days=ISSUE_DAYS)),
            (gettext("输入报告提交（提前 %(n)d 天）") % {"n": INPUT_DAYS},
             review.meeting_at - dt.timedelta(days=INPUT_DAYS)),
            (gettext("评审资料分发（提前 %(n)d 天）") % {"n": PACK_DAYS}, review.meeting_at - dt.timedelta(days=PACK_DAYS)),
            (gettext("评审会议"), review.meeting_at)]


# --- creating a review ----------------------------------------------------------------------------------------
def default_plan(year: int) -> dict:
    """The plan's standing text (5.2.2, 5.4), which the MR edits."""
    return {
        "purpose": gettext("评价质量/环境管理体系的适宜性、充分性和有效性，确保体系持续有效地运行，满足方针、目标及法规要求。"),
        "scope": gettext("公司质量/环境管理体系所涉及的全部部门、过程和产品。"),
        "basis": gettext("ISO 9001 / ISO 14001 标准、质量/环境管理手册、程序文件、适用的法律法规及顾客要求。"),
        "participants": gettext("总经理、管理者代表、各部门负责人"),
        "organisers": gettext("管理者代表（组织），文管中心（记录）"),
        "content": gettext("按《管理评审控制程序》5.3 条的评审内容：体系的充分性、有效性、持续适应性及其他事项。"),
        "place": gettext("公司会议室"),
    }


def _meeting_on(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def _create(by, *, kind, year, title, meeting_at, period_start, period_end, **fields) -> Review:
    if period_end < period_start:
        raise Refused(gettext("评审期间的结束日期不能早于开始日期。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("编制管理评审实施计划")):
        review = Review(kind=kind, year=year, title=title, meeting_at=meeting_at, period_start=period_start,
                        period_end=period_end, **{**default_plan(year), **fields})
        review.number = numbering.next_number("management_review", meeting_at, prefix_default="GLPS",
                                              name_default="管理评审")
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError:
            raise Refused(gettext("%(year)d 年度的定期管理评审已经存在。") % {"year": year}) from None
        PLAN_ISSUE.open(review)
    # as stored (times in UTC): what a signature's content hash is computed from on every later reading
    review.refresh_from_db()
    return review


def plan_review(by, *, meeting_at: dt.datetime, period_start: dt.date, period_end: dt.date, title: str = "",
                **fields) -> Review:
    """The MR drafts the year's scheduled review (when the automatic draft is not wanted or was cancelled)."""
    if not (by.is_superuser or by.has_role(Role.MR)):
        raise Refused(gettext("只有管理者代表可以编制管理评审实施计划。"))
    year = timezone.localtime(meeting_at).year
    return _create(by, kind=ReviewKind.SCHEDULED, year=year, drafted_by=by, meeting_at=meeting_at,
                   period_start=period_start, period_end=period_end,
                   title=title or gettext("%(year)d 年度管理评审") % {"year": year}, **fields)


def call_extra_review(by, *, trigger: str, trigger_note: str, meeting_at: dt.datetime, period_start: dt.date,
                      period_end: dt.date, title: str = "", **fields) -> Review:
    """5.1.2: the GM calls an extra review for one of the seed's triggers; the MR drafts its plan."""
    if not (by.is_superuser or by.has_role(Role.GM)):
        raise Refused(gettext("只有总经理可以提出追加管理评审。"))
    if not trigger:
        raise Refused(gettext("请选择追加评审的原因。"))
    year = timezone.localtime(meeting_at).year
    review = _create(by, kind=ReviewKind.EXTRA, year=year, trigger=trigger, trigger_note=trigger_note,
                     called_by=by, drafted_by=mr(), meeting_at=meeting_at, period_start=period_start,
                     period_end=period_end, title=title or gettext("%(year)d 年度追加管理评审") % {"year": year},
                     **fields)
    if (representative := mr()) is not None:
        notify(representative, gettext("总经理提出追加管理评审：%(review)s") % {"review": review},
               gettext("请编制《管理评审实施计划》，于评审前 %(n)d 天下达。") % {"n": ISSUE_DAYS},
               link=review.get_absolute_url())
    return review


def draft_scheduled_review(today: dt.date | None = None) -> Review | None:
    """The beat's daily job: from the month before ``QMS_REVIEW_MONTH`` on, the year's scheduled review exists (its
    plan drafted with the standing text, the meeting on ``QMS_REVIEW_DAY`` of the month, the period the twelve
    months before it) and the MR is told to complete and submit it. Once a year; None when nothing was drafted."""
    today = today or timezone.localdate()
    review_day = dt.date(today.year, REVIEW_MONTH, min(REVIEW_DAY, 28))
    draft_from = (review_day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    if today < draft_from or today > review_day:
        return None
    if Review.objects.filter(kind=ReviewKind.SCHEDULED, year=today.year).exclude(status=S.CANCELLED).exists():
        return None
    representative = mr()
    if representative is None:
        return None
    period_end = review_day.replace(day=1) - dt.timedelta(days=1)
    try:
        review = _create(representative, kind=ReviewKind.SCHEDULED, year=today.year, drafted_by=representative,
                         title=gettext("%(year)d 年度管理评审") % {"year": today.year},
                         meeting_at=_meeting_on(review_day),
                         period_start=period_end.replace(year=period_end.year - 1) + dt.timedelta(days=1),
                         period_end=period_end)
    except Refused:
        return None
    notify(representative, gettext("已草拟年度管理评审计划：%(review)s") % {"review": review},
           gettext("请完善《管理评审实施计划》并提交总经理批准，于评审前 %(n)d 天下达各部门。") % {"n": ISSUE_DAYS},
           link=review.get_absolute_url())
    return review


def edit_plan(review: Review, by, **fields) -> Review:
    if review.status != S.DRAFT:
        raise Refused(gettext("只有草拟中的计划可以修改。"))
    if not (by.is_superuser or by.has_role(Role.MR)):
        raise Refused(gettext("只有管理者代表可以编制管理评审实施计划。"))
    if fields.get("period_start") and fields.get("period_end") and fields["period_end"] < fields["period_start"]:
        raise Refused(gettext("评审期间的结束日期不能早于开始日期。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("修改管理评审实施计划")):
        for name, value in fields.items():
            setattr(review, name, value)
        review.drafted_by = by
        review.save()
        PLAN_ISSUE.open(review)  # the meeting may have moved: the due time with it
    return review


# --- moves -----------------------------------------------------------------------------------------------------
def _not_too_late(review: Review) -> str | None:
    if review.meeting_at <= timezone.now():
        return gettext("评审时间已过，请先修改计划中的评审时间。")
    return None


def _issue(review: Review, by, transition) -> None:
    """At the GM's approval the plan is issued to the departments: one input report per item of 5.3, each with
    its responsible (a holder of the item's role) and its 7-day clock; the MR's 3-day clock for the pack."""
    now = transition.at
    Review.objects.filter(pk=review.pk).update(issued_at=now)
    review.issued_at = now
    holders = {}
    for item, (role, _keys) in INPUT_PLAN.items():
        person = holders.get(role) or _holder(role)
        holders[role] = person
        report = InputReport.objects.create(review=review, item=item, role=role, responsible=person or mr())
        INPUT_REPORT.open(report, start=now)
    PACK_DISTRIBUTION.open(review, start=now)
    told = set()
    for person in holders.values():
        if person is not None and person.pk not in told and person.pk != by.pk:
            told.add(person.pk)
            notify(person, gettext("管理评审实施计划已下达：%(review)s") % {"review": review},
                   gettext("请于评审前 %(n)d 天在门户提交负责的评审输入报告。") % {"n": INPUT_DAYS},
                   link=review.get_absolute_url() + "?tab=inputs")


def _holder(role: str):
    """The manager of a department whose people hold ``role``, else the first active holder."""
    people = User.objects.filter(groups__name=role, is_active=True).select_related("department__manager")
    for person in people.order_by("pk"):
        manager = person.department.manager if person.department_id else None
        if manager is not None and manager.is_active and manager.has_role(role):
            return manager
    return people.order_by("pk").first()


def inputs_missing(review: Review) -> str | None:
    missing = [report.get_item_display() for report in review.input_reports.exclude(status=InputStatus.SUBMITTED)]
    if missing:
        return gettext("以下评审输入报告尚未提交：%(items)s") % {"items": "、".join(missing)}
    return None


def _freeze_pack(review: Review, by, transition) -> None:
    """5.2.1 三天前分发: the pack as the attendees received it is kept with the review."""
    sections = [section.to_dict() for section in review_inputs.collect(review.period_start, review.period_end)]
    Review.objects.filter(pk=review.pk).update(pack=sections, pack_distributed_at=transition.at)
    review.pack, review.pack_distributed_at = sections, transition.at


def _stop_input_clocks(review: Review, by, transition) -> None:
    from qms.deadlines import close_deadlines

    for report in review.input_reports.all():
        close_deadlines(report, state="cancelled")


def _meeting_recorded(review: Review) -> str | None:
    problems = []
    if not review.attendance.filter(present=True).exists():
        problems.append(gettext("请先登记出席人员。"))
    if not review.conclusion.strip():
        problems.append(gettext("请先记录总经理的评价结论。"))
    return "；".join(problems) or None


def _report_written(review: Review) -> str | None:
    if not all(getattr(review, name).strip() for name in REPORT_FIELDS):
        return gettext("请先填写评审结果 a)–d) 各项（无内容时填写“无”）。")
    return None


def _report_approved(review: Review, by, transition) -> None:
    """5.6.1 the approved report goes to every department (each acknowledges) and the 2-day clock for the
    outputs starts."""
    from qms.people import Department

    Review.objects.filter(pk=review.pk).update(report_approved_at=transition.at)
    review.report_approved_at = transition.at
    Acknowledgement.objects.bulk_create([Acknowledgement(review=review, department=department)
                                         for department in Department.objects.filter(is_active=True)])
    for department in Department.objects.filter(is_active=True, manager__isnull=False).select_related("manager"):
        if department.manager_id != by.pk:
            notify(department.manager, gettext("管理评审报告已批准下发：%(review)s") % {"review": review},
                   gettext("请阅读并签收《管理评审报告》。"), link=review.get_absolute_url() + "?tab=report")
    OUTPUTS_RAISED.open(review, start=transition.at)


def _outputs_listed(review: Review) -> str | None:
    if not review.outputs.exists():
        return gettext("请先登记至少一项改进要求（评审输出）。")
    return None


def _raise_outputs(review: Review, by, transition) -> None:
    """5.7: each output becomes a 《不合格/纠正/预防措施报告》 to its department through the shared CAPA service
    (measures within 7 days, MR approval, implementation, verification)."""
    from qms.capa.models import CapaSource
    from qms.capa.services import raise_capa

    for output in review.outputs.filter(capa__isnull=True).select_related("responsible", "department"):
        capa = raise_capa(source=CapaSource.MANAGEMENT_REVIEW, kind="preventive" if output.section in (
            "market", "resources") else "corrective", title=output.title[:200], nonconformity=output.description,
                          responsible=output.responsible, responsible_department=output.department, raised_by=by,
                          source_record=review, source_reference=f"{review.number} {output.get_section_display()}")
        ReviewOutput.objects.filter(pk=output.pk).update(capa=capa)


CANCEL = Move(_("取消评审"), roles=(Role.GM, Role.MR), reason=True, closes=("*",), style="outline-danger",
              after=_stop_input_clocks)
REPORT_FIELDS = ("result_system", "result_product", "result_resources", "result_market")

PIPELINE = {
    S.DRAFT: {
        S.AWAITING_APPROVAL: Move(_("提交审批"), roles=(Role.MR,), guard=_not_too_late, show_blocked=True),
        S.CANCELLED: CANCEL,
    },
    S.AWAITING_APPROVAL: {
        S.ISSUED: Move(_("批准并下达"), roles=(Role.GM,), signature=Meaning.APPROVAL, guard=_not_too_late,
                       closes=("review_plan_issue",), after=_issue, style="success"),
        S.DRAFT: Move(_("退回修改"), roles=(Role.GM,), reason=True, style="outline-warning"),
        S.CANCELLED: CANCEL,
    },
    S.ISSUED: {
        S.PACK_DISTRIBUTED: Move(_("分发评审资料"), roles=(Role.MR,), guard=inputs_missing, show_blocked=True,
                                 closes=("review_pack",), after=_freeze_pack, style="success"),
        S.CANCELLED: CANCEL,
    },
    S.PACK_DISTRIBUTED: {
        # 5.5 the GM chairs, document control (or the MR) keeps the minutes
        S.MEETING_HELD: Move(_("会议记录完成"), roles=(Role.MR, Role.DOCUMENT_CONTROL), guard=_meeting_recorded,
                             show_blocked=True),
        S.CANCELLED: CANCEL,
    },
    S.MEETING_HELD: {
        S.REPORT_REVIEWED: Move(_("审核评审报告"), roles=(Role.MR,), signature=Meaning.REVIEW, guard=_report_written,
                                show_blocked=True),
    },
    S.REPORT_REVIEWED: {
        S.REPORT_APPROVED: Move(_("批准评审报告"), roles=(Role.GM,), signature=Meaning.APPROVAL,
                                after=_report_approved, style="success"),
        S.MEETING_HELD: Move(_("退回修改报告"), roles=(Role.GM,), reason=True, style="outline-warning"),
    },
    S.REPORT_APPROVED: {
        S.OUTPUTS_RAISED: Move(_("下发纠正/预防措施"), roles=(Role.MR,), guard=_outputs_listed, show_blocked=True,
                               closes=("review_outputs",), after=_raise_outputs, style="success"),
    },
}
signatures.register_rounds(Review, current=lambda review: review.signature_round, content=lambda review, number: {
    name: getattr(review, name) for name in Review.PLAN_FIELDS} if number == 1 else None)

WORKFLOW = workflow.register(Workflow(Review, PIPELINE, badges={
    S.DRAFT: "secondary", S.AWAITING_APPROVAL: "warning", S.ISSUED: "info", S.PACK_DISTRIBUTED: "primary",
    S.MEETING_HELD: "primary", S.REPORT_REVIEWED: "warning", S.REPORT_APPROVED: "info",
    S.OUTPUTS_RAISED: "success", S.CANCELLED: "dark"}, hand_over=workflow.role_holders_of_next_moves))


# --- the meeting, the report and its outputs ---------------------------------------------------------------
MINUTES_ROLES = (Role.MR, Role.DOCUMENT_CONTROL)


def _keeps_minutes(review: Review, by) -> None:
    if not (by.is_superuser or by.has_role(*MINUTES_ROLES)):
        raise Refused(gettext("只有管理者代表或文管中心可以记录管理评审会议。"))
    if review.status != S.PACK_DISTRIBUTED:
        raise Refused(gettext("评审资料分发后、会议记录完成前才能记录会议。"))


def record_meeting(review: Review, by, *, present, apologies, conclusion: str, notes: dict) -> Review:
    """《会议记录》: who was there and who sent apologies, the notes on each input, the GM's conclusion."""
    _keeps_minutes(review, by)
    both = {p.pk for p in present} & {p.pk for p in apologies}
    if both:
        raise Refused(gettext("同一人不能既出席又请假。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("记录管理评审会议")):
        review.attendance.exclude(person__in=[*present, *apologies]).delete()
        for person, is_present in [*((p, True) for p in present), *((p, False) for p in apologies)]:
            Attendance.objects.update_or_create(review=review, person=person, defaults={"present": is_present})
        for report in review.input_reports.all():
            note = notes.get(report.item, "")
            if note != report.meeting_note:
                InputReport.objects.filter(pk=report.pk).update(meeting_note=note)
        Review.objects.filter(pk=review.pk).update(conclusion=conclusion, minutes_by=by)
        review.conclusion, review.minutes_by = conclusion, by
    return review


def write_report(review: Review, by, **results) -> Review:
    """《管理评审报告》 评审结果 a)–d) (5.6.2.6), written by document control or the MR before the MR's review."""
    if not (by.is_superuser or by.has_role(*MINUTES_ROLES)):
        raise Refused(gettext("只有管理者代表或文管中心可以编写管理评审报告。"))
    if review.status != S.MEETING_HELD:
        raise Refused(gettext("会议记录完成后、报告审核前才能编写报告。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("编写管理评审报告")):
        updated = Review.objects.filter(pk=review.pk, status=S.MEETING_HELD).update(
            **{name: results[name] for name in REPORT_FIELDS})
        if not updated:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
        for name in REPORT_FIELDS:
            setattr(review, name, results[name])
    return review


def add_output(review: Review, by, *, section: str, title: str, description: str, department, responsible):
    """An improvement decided at the meeting (5.5.4.2–5.5.4.4), to be raised as a CAPA after the report."""
    if not (by.is_superuser or by.has_role(*MINUTES_ROLES)):
        raise Refused(gettext("只有管理者代表或文管中心可以登记评审输出。"))
    if review.status not in (S.MEETING_HELD, S.REPORT_REVIEWED, S.REPORT_APPROVED):
        raise Refused(gettext("会议记录完成后、措施下发前才能登记评审输出。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记评审输出")):
        return ReviewOutput.objects.create(review=review, section=section, title=title, description=description,
                                           department=department, responsible=responsible)


def acknowledge(review: Review, by, department) -> Acknowledgement:
    if not (by.is_superuser or department.manager_id == by.pk):
        raise Refused(gettext("只有部门经理可以签收本部门的管理评审报告。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("签收管理评审报告")):
        updated = Acknowledgement.objects.filter(review=review, department=department,
                                                 acknowledged_at__isnull=True).update(
            acknowledged_by=by, acknowledged_at=timezone.now())
        if not updated:
            raise Refused(gettext("本部门已签收或报告尚未下发。"))
    return Acknowledgement.objects.get(review=review, department=department)


# --- input reports ---------------------------------------------------------------------------------------------
def may_write(report: InputReport, user) -> bool:
    return user.is_superuser or user.pk == report.responsible_id or user.has_role(report.role)


def _written(report: InputReport) -> str | None:
    if not (report.text or "").strip():
        return gettext("请先填写输入报告。")
    if report.review.status != S.ISSUED:
        return gettext("评审计划下达后、资料分发前才能提交输入报告。")
    return None


def _submitted(report: InputReport, by, transition) -> None:
    InputReport.objects.filter(pk=report.pk).update(submitted_at=transition.at)
    report.submitted_at = transition.at


def _reopen(report: InputReport, by, transition) -> None:
    InputReport.objects.filter(pk=report.pk).update(submitted_at=None)
    report.submitted_at = None
    INPUT_REPORT.open(report, start=transition.at)


def _review_open(report: InputReport) -> str | None:
    if report.review.status != S.ISSUED:
        return gettext("评审资料已分发，输入报告不能再退回。")
    return None


def save_text(report: InputReport, by, *, text: str) -> InputReport:
    if not may_write(report, by):
        raise Refused(gettext("只有负责岗位的人员可以填写此输入报告。"))
    if report.status != InputStatus.PENDING or report.review.status != S.ISSUED:
        raise Refused(gettext("此输入报告已提交或评审资料已分发，不能再修改。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("填写评审输入报告")):
        updated = InputReport.objects.filter(pk=report.pk, status=InputStatus.PENDING).update(text=text)
        if not updated:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
        report.text = text
    return report


INPUT_PIPELINE = {
    InputStatus.PENDING: {
        InputStatus.SUBMITTED: Move(_("提交"), actor=may_write, guard=_written, show_blocked=True,
                                    closes=("review_input_report",), after=_submitted, style="success"),
    },
    InputStatus.SUBMITTED: {
        InputStatus.PENDING: Move(_("退回补充"), roles=(Role.MR,), reason=True, guard=_review_open,
                                  after=_reopen, style="outline-warning"),
    },
}
INPUT_WORKFLOW = workflow.register(Workflow(InputReport, INPUT_PIPELINE, badges={
    InputStatus.PENDING: "warning", InputStatus.SUBMITTED: "success"}))


def figures_for(report: InputReport, review: Review | None = None) -> list:
    """The pack's sections shown beside the report: frozen once distributed, else computed for the period."""
    review = review or report.review
    keys = set(INPUT_PLAN[report.item][1])
    if not keys:
        return []
    if review.pack:
        return [review_inputs.PackSection.from_dict(s) for s in review.pack if s["key"] in keys]
    return review_inputs.collect(review.period_start, review.period_end, keys=keys)
