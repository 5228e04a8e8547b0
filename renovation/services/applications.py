"""The 《装修申请表》 and its review (PROCEDURES.md §4; seed 5.1, 5.2).

Flow: 受理 (the property assistant registers the application with its documents; the review is due within
3 working days) → 工程初审 (engineering supervisor: the checklist of seed 5.2.1, signature) → 安全消防审核
(security, signature) → 物业助理核验 (identity, 《装修管理规定》 handed over, contractor qualification;
signature) → 技术审批 (the real-estate company's engineering department, signature) → 物业经理审批 (final
approval, signature) → 已批准, 待缴费 → 发放施工许可证 (fees paid, water and power on; see ``fees``).
Any reviewer may return the application for changes with a reason; the resubmission restarts the 3-day clock.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit, deadlines, workflow
from qms.attachments import attach
from qms.deadlines import DeadlineRule
from qms.notifications import notify
from qms.numbering import next_number
from qms.people import Role, User
from qms.signatures import Meaning
from qms.workdays import add_working_days
from qms.refusals import Refused
from qms.workflow import Move
from renovation.models import (CHECKLIST_FIELDS, CLOSED_STATES, Application, ApplicantKind, ApplicationDocument,
                               ApplicationStatus, ContractorKind, DocumentKind, REVIEW_STATES)
from renovation.services import completion
from renovation.services.roles import DESK_ROLES, require

S = ApplicationStatus
REVIEW_WORKING_DAYS = 3  # seed 5.2.2 审批工作在三个工作日内完成

# The reviewer of each review state (the one who passes it or returns it).
STAGE_ROLES = {
    S.ENGINEERING_REVIEW: Role.ENGINEERING_SUPERVISOR,
    S.SECURITY_REVIEW: Role.SECURITY,
    S.ASSISTANT_CHECK: Role.PROPERTY_ASSISTANT,
    S.TECHNICAL_APPROVAL: Role.ENGINEERING,
    S.MANAGER_APPROVAL: Role.PROPERTY_MANAGER,
}


def property_manager(_application=None):
    return User.objects.filter(groups__name=Role.PROPERTY_MANAGER, is_active=True).order_by("pk").first()


REVIEW_DEADLINE = DeadlineRule("review", _("装修申请审批（3 个工作日内）：{record}"),
                               due=lambda application, now: add_working_days(now, REVIEW_WORKING_DAYS),
                               responsible=property_manager)


# --- documents ---------------------------------------------------------------------------------------
def required_documents(*, applicant_kind, contractor_kind, is_large_commercial, works_air_conditioning=False,
                       works_electrical=False, works_plumbing=False) -> list[str]:
    """The documents an application needs (seed 5.1.1–5.1.5)."""
    kinds = [DocumentKind.FLOOR_PLAN, DocumentKind.ELEVATION]
    if works_air_conditioning:
        kinds.append(DocumentKind.AIR_CONDITIONING)
    if works_electrical:
        kinds.append(DocumentKind.ELECTRICAL)
    if works_plumbing:
        kinds.append(DocumentKind.PLUMBING)
    if contractor_kind == ContractorKind.COMPANY:
        kinds += [DocumentKind.BUSINESS_LICENCE, DocumentKind.QUALIFICATION]
    else:
        kinds.append(DocumentKind.SELF_GUARANTEE)
    if applicant_kind == ApplicantKind.TENANT:
        kinds.append(DocumentKind.OWNER_CONSENT)
    if is_large_commercial:
        kinds.append(DocumentKind.FIRE_APPROVAL)
    return kinds


def required_for(application: Application) -> list[str]:
    return required_documents(
        applicant_kind=application.applicant_kind, contractor_kind=application.contractor_kind,
        is_large_commercial=application.unit.is_large_commercial,
        works_air_conditioning=application.works_air_conditioning, works_electrical=application.works_electrical,
        works_plumbing=application.works_plumbing)


def present_documents(application: Application) -> set[str]:
    return set(application.documents.filter(attachment__voided_at__isnull=True).values_list("kind", flat=True))


def missing_documents(application: Application) -> list[str]:
    present = present_documents(application)
    return [kind for kind in required_for(application) if kind not in present]


def _missing_text(kinds) -> str:
    return "、".join(str(DocumentKind(kind).label) for kind in kinds)


def _attach_documents(application, documents: dict, by) -> None:
    for kind, uploaded in documents.items():
        if uploaded is None:
            continue
        attachment = attach(application, uploaded, by=by, description=str(DocumentKind(kind).label))
        ApplicationDocument.objects.create(application=application, kind=kind, attachment=attachment,
                                           round=application.round)


# --- registering and editing ---------------------------------------------------------------------------
def _check_content(application: Application) -> None:
    if application.planned_end < application.planned_start:
        raise Refused(gettext("计划完工日期不能早于开工日期。"))
    if application.work_hours_end <= application.work_hours_start:
        raise Refused(gettext("每日施工结束时间应晚于开始时间。"))
    if application.contractor_kind == ContractorKind.COMPANY and not application.contractor_name.strip():
        raise Refused(gettext("委托施工单位装修须填写施工单位名称。"))
    if application.unit.is_large_commercial and not application.fire_approval_number.strip():
        raise Refused(gettext("大型商铺/娱乐场所装修须填写消防部门审批文号。"))


def open_application_of(unit):
    return unit.applications.exclude(status__in=CLOSED_STATES).first()


def submit_application(*, by: User, unit, documents: dict | None = None, **fields) -> Application:
    """Register an application with its documents; the review is due within 3 working days."""
    require(by, "renovation.add_application")
    documents = documents or {}
    application = Application(unit=unit, received_by=by, **fields)
    _check_content(application)
    missing = [kind for kind in required_for(application) if documents.get(kind) is None]
    if missing:
        raise Refused(gettext("缺少申请资料：%(kinds)s。") % {"kinds": _missing_text(missing)})
    existing = open_application_of(unit)
    if existing is not None:
        raise Refused(_one_open_message(unit, existing))
    now = timezone.now()
    try:
        with transaction.atomic(), audit.context(user=by, reason=gettext("受理装修申请")):
            application.submitted_at = now
            application.number = next_number("renovation", prefix_default="ZX", name_default="装修申请")
            application.save()
            _attach_documents(application, documents, by)
            _open_review_deadline(application)
            workflow.tell_who_takes_over(application, workflow.role_holders_of_next_moves(application, None),
                                         by=by, done=_("受理装修申请"), at=now)
    except IntegrityError as error:
        if "renovation_one_open_per_unit" in str(error):
            raise Refused(_one_open_message(unit, open_application_of(unit))) from error
        raise
    return application


def _one_open_message(unit, existing) -> str:
    return gettext("房号 %(unit)s 已有进行中的装修申请 %(number)s（%(status)s），同一房号同时只能有一项装修。") % {
        "unit": unit, "number": existing.number if existing else "", "status": existing.get_status_display() if existing else ""}


def _open_review_deadline(application: Application) -> None:
    manager = REVIEW_DEADLINE.responsible(application)
    if manager is not None:
        REVIEW_DEADLINE.open(application, start=application.submitted_at, responsible=manager)


def review_due_at(application: Application):
    """When the review of the current round is due (the open review deadline), None when none runs."""
    return (deadlines.deadlines_for(application).filter(kind=REVIEW_DEADLINE.kind, state=deadlines.Deadline.State.OPEN)
            .values_list("due_at", flat=True).first())


EDITABLE_FIELDS = ("applicant_kind", "applicant_name", "applicant_phone", "applicant_id_number", "contractor_kind",
                   "contractor_name", "contractor_licence", "contractor_manager", "contractor_phone", "scope",
                   "works_air_conditioning", "works_electrical", "works_plumbing", "planned_start", "planned_end",
                   "work_hours_start", "work_hours_end", "fire_approval_number")


def update_application(application: Application, by: User, *, documents: dict | None = None, **fields) -> Application:
    """Change a returned application (the applicant's corrections) before it is resubmitted."""
    if application.status != S.RETURNED:
        raise Refused(gettext("只有“退回修改”的申请可以修改。"))
    require(by, "renovation.change_application")
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"{name} is not editable")
        setattr(application, name, value)
    _check_content(application)
    with transaction.atomic(), audit.context(user=by, reason=gettext("按退回意见修改装修申请")):
        application.save()
        _attach_documents(application, documents or {}, by)
    return application


# --- review records ------------------------------------------------------------------------------------
def record_checklist(application: Application, by: User, *, opinion: str, **points) -> Application:
    """The engineering initial review's findings (seed 5.2.1): each point 符合 or not, and the opinion."""
    if application.status != S.ENGINEERING_REVIEW:
        raise Refused(gettext("只有“待工程初审”的申请可以填写初审意见。"))
    require(by, "renovation.review_engineering")
    if set(points) != set(CHECKLIST_FIELDS):
        raise ValueError("every checklist point is needed")
    with transaction.atomic(), audit.context(user=by, reason=gettext("填写工程初审意见")):
        for name, value in points.items():
            setattr(application, name, bool(value))
        application.engineering_opinion = opinion
        application.checklist_by = by
        application.checklist_at = timezone.now()
        application.save(update_fields=[*CHECKLIST_FIELDS, "engineering_opinion", "checklist_by", "checklist_at",
                                        "updated_at"])
    return application


def record_identity_check(application: Application, by: User, *, identity_verified: bool,
                          regulations_handed_over: bool, contractor_checked: bool, note: str = "") -> Application:
    if application.status != S.ASSISTANT_CHECK:
        raise Refused(gettext("只有“待物业助理核验”的申请可以登记核验结果。"))
    require(by, "renovation.check_identity")
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记身份及施工单位核验")):
        application.identity_verified = identity_verified
        application.regulations_handed_over = regulations_handed_over
        application.contractor_checked = contractor_checked
        application.check_note = note
        application.checked_by = by
        application.checked_at = timezone.now()
        application.save(update_fields=["identity_verified", "regulations_handed_over", "contractor_checked",
                                        "check_note", "checked_by", "checked_at", "updated_at"])
    return application


# --- guards and hooks of the workflow -------------------------------------------------------------------
def _checklist_passed(application) -> str | None:
    values = [getattr(application, name) for name in CHECKLIST_FIELDS]
    if any(value is None for value in values) or application.checklist_at is None:
        return gettext("请先填写工程初审检查表。")
    failed = [str(application._meta.get_field(name).verbose_name)
              for name in CHECKLIST_FIELDS if getattr(application, name) is False]
    if failed:
        return gettext("初审检查未通过（%(points)s），请退回申请人修改。") % {"points": "、".join(failed)}
    return None


def _identity_checked(application) -> str | None:
    if not application.identity_verified:
        return gettext("请先核验业主/租户身份。")
    if not application.regulations_handed_over:
        return gettext("请先向申请人发放《装修管理规定》并确认。")
    if application.contractor_kind == ContractorKind.COMPANY and not application.contractor_checked:
        return gettext("请先核验施工单位营业执照及资质证书。")
    return None


def _documents_complete(application) -> str | None:
    missing = missing_documents(application)
    if missing:
        return gettext("缺少申请资料：%(kinds)s。") % {"kinds": _missing_text(missing)}
    try:
        _check_content(application)
    except Refused as refusal:
        return str(refusal)
    return None


def _returned(application, user, transition):
    Application.objects.filter(pk=application.pk).update(return_reason=transition.reason)
    application.return_reason = transition.reason
    notify(application.received_by, lambda: gettext("装修申请被退回：%(number)s") % {"number": application.number},
           lambda: gettext("退回原因：%(reason)s。请通知申请人按意见修改后重新提交。") % {"reason": transition.reason},
           link=application.get_absolute_url())


def _resubmitted(application, user, transition):
    """A new round: the checks start again and the 3-working-day clock restarts (the deadline is re-opened by the
    move's ``opens``)."""
    now = transition.at
    changes = {name: None for name in CHECKLIST_FIELDS}
    changes.update(engineering_opinion="", checklist_by=None, checklist_at=None, identity_verified=False,
                   regulations_handed_over=False, contractor_checked=False, check_note="", checked_by=None,
                   checked_at=None, round=application.round + 1, submitted_at=now)
    Application.objects.filter(pk=application.pk).update(**changes)
    for name, value in changes.items():
        setattr(application, name, value)


def _approved(application, user, transition):
    from renovation.services import fees

    Application.objects.filter(pk=application.pk).update(approved_at=transition.at)
    application.approved_at = transition.at
    fees.charge_defaults(application, user)
    notify(application.received_by, lambda: gettext("装修申请已批准：%(number)s") % {"number": application.number},
           lambda: gettext("请通知业户带领施工单位到住户中心办理手续、缴纳费用。"), link=application.get_absolute_url())


def _permit_issued(application, user, transition):
    number = next_number("renovation_permit", prefix_default="XK", name_default="施工许可证")
    Application.objects.filter(pk=application.pk).update(permit_number=number, permit_issued_at=transition.at)
    application.permit_number, application.permit_issued_at = number, transition.at


def _permit_guard(application) -> str | None:
    from renovation.services import fees

    return fees.permit_refusal(application)


def _return_move(role):
    return Move(_("退回修改"), roles=(role, Role.PROPERTY_MANAGER), reason=True, closes=("review",), after=_returned,
                style="outline-warning")


CANCEL = Move(_("撤销申请"), roles=(Role.PROPERTY_ASSISTANT, Role.PROPERTY_MANAGER), reason=True, closes=("*",),
              style="outline-danger")

PIPELINE = {
    S.ENGINEERING_REVIEW: {
        S.SECURITY_REVIEW: Move(_("工程初审通过"), roles=(Role.ENGINEERING_SUPERVISOR,), signature=Meaning.REVIEW,
                                guard=_checklist_passed, style="success"),
        S.RETURNED: _return_move(Role.ENGINEERING_SUPERVISOR),
        S.CANCELLED: CANCEL,
    },
    S.SECURITY_REVIEW: {
        S.ASSISTANT_CHECK: Move(_("安全消防审核通过"), roles=(Role.SECURITY,), signature=Meaning.REVIEW, style="success"),
        S.RETURNED: _return_move(Role.SECURITY),
        S.CANCELLED: CANCEL,
    },
    S.ASSISTANT_CHECK: {
        S.TECHNICAL_APPROVAL: Move(_("身份及施工单位核验通过"), roles=(Role.PROPERTY_ASSISTANT,),
                                   signature=Meaning.CONFIRMATION, guard=_identity_checked, style="success"),
        S.RETURNED: _return_move(Role.PROPERTY_ASSISTANT),
        S.CANCELLED: CANCEL,
    },
    S.TECHNICAL_APPROVAL: {
        S.MANAGER_APPROVAL: Move(_("技术审批通过"), roles=(Role.ENGINEERING,), signature=Meaning.APPROVAL,
                                 style="success"),
        S.RETURNED: _return_move(Role.ENGINEERING),
        S.CANCELLED: CANCEL,
    },
    S.MANAGER_APPROVAL: {
        S.APPROVED: Move(_("物业经理批准"), roles=(Role.PROPERTY_MANAGER,), signature=Meaning.APPROVAL,
                         closes=("review",), after=_approved, style="success"),
        S.RETURNED: _return_move(Role.PROPERTY_MANAGER),
        S.REJECTED: Move(_("不予批准"), roles=(Role.PROPERTY_MANAGER,), signature=Meaning.REVIEW, reason=True,
                         closes=("*",), style="outline-danger"),
        S.CANCELLED: CANCEL,
    },
    S.RETURNED: {
        S.ENGINEERING_REVIEW: Move(_("重新提交"), roles=DESK_ROLES, guard=_documents_complete,
                                   opens=(REVIEW_DEADLINE,), after=_resubmitted),
        S.CANCELLED: CANCEL,
    },
    S.APPROVED: {
        S.PERMITTED: Move(_("发放施工许可证"), roles=(Role.PROPERTY_ASSISTANT, Role.RESIDENT_CENTRE_HEAD),
                          guard=_permit_guard, after=_permit_issued, style="success"),
        S.CANCELLED: CANCEL,
    },
    **completion.PIPELINE,  # from the works on site to the refund
}

# each reviewer, then the desk, finance and the inspectors are told when the application reaches their step
WORKFLOW = workflow.register(workflow.Workflow(
    Application, PIPELINE, hand_over=workflow.role_holders_of_next_moves,
    badges={S.PERMITTED: "success", S.CLOSED: "success", S.RETURNED: "warning", S.ACCEPTANCE_RECTIFYING: "warning",
            S.REINSPECTION_RECTIFYING: "warning", S.REJECTED: "secondary", S.CANCELLED: "secondary"}))


def awaiting(user):
    """The applications waiting for ``user``'s step (for 我的待办)."""
    states = [state for state, role in STAGE_ROLES.items() if user.has_role(role)]
    if user.has_role(*DESK_ROLES):
        states += [S.RETURNED, S.APPROVED]
    if user.has_role(Role.FINANCE_CLERK):
        states.append(S.APPROVED)
    states += completion.awaiting(user)
    if user.is_superuser:
        states = list(REVIEW_STATES)
    return Application.objects.filter(status__in=set(states)).select_related("unit__building__project")
