"""The change request (seed 000 第五篇 §4–§5): kind and process class, the evidence each class requires, the risk
assessment (severity × likelihood, levels as settings), the evaluation team's countersign and meeting, and who
approves by kind and class."""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import Refused, attachments, audit, countersign, numbering, signatures
from qms.countersign import Party
from qms.notifications import notify
from qms.people import Role
from changes.models import (CLASS_RANK, ChangeEvidence, ChangeNotice, ChangeRequest, ChangeRisk, ChangeStatus,
                            ClassChange, EvidenceKind, Kind, NoticeKind, ProcessClass)

S = ChangeStatus
E = EvidenceKind
EDITABLE_CLASS = (S.DRAFT, S.RISK, S.EVALUATION)

# the evidence each kind and process class requires before approval (seed 000 第五篇 §4.1–§4.6)
CLASS_EVIDENCE = {
    ProcessClass.I: (),
    ProcessClass.II: (E.NO_EFFECT_STUDY, E.PROCESS_VALIDATION),
    ProcessClass.III: (E.FEASIBILITY, E.FULL_STUDY, E.TRIAL_BATCH, E.STABILITY, E.ONSITE_CHECK, E.RAW_DATA_REVIEW,
                       E.PROCESS_VALIDATION),
}
KIND_EVIDENCE = {
    Kind.ORGANISATION: (E.HR_RISK,),
    Kind.KEY_PERSONNEL: (E.QUALIFICATION,),
    Kind.KEY_SUPPLIER: (E.SUPPLIER_EVALUATION,),
}


def required_evidence(change: ChangeRequest) -> tuple:
    if change.kind == Kind.PROCESS:
        return CLASS_EVIDENCE.get(change.process_class, ())
    return KIND_EVIDENCE.get(change.kind, ())


def missing_evidence(change: ChangeRequest) -> list[str]:
    present = set(change.evidence.filter(attachment__voided_at__isnull=True).values_list("kind", flat=True))
    return [kind for kind in required_evidence(change) if kind not in present]


def evidence_refusal(change: ChangeRequest) -> str | None:
    missing = missing_evidence(change)
    if missing:
        return gettext("缺少%(cls)s要求的证据：%(kinds)s") % {
            "cls": change.get_process_class_display() if change.kind == Kind.PROCESS else change.get_kind_display(),
            "kinds": "、".join(str(E(kind).label) for kind in missing)}
    return None


# who approves (seed 000 第五篇 §5.3): the board an organisation change, the MR a minor process change or a system
# document, the GM the others
def approver_role(change: ChangeRequest) -> str:
    if change.kind == Kind.ORGANISATION:
        return Role.BOARD
    if change.kind == Kind.SYSTEM_DOCUMENT or (change.kind == Kind.PROCESS and change.process_class == ProcessClass.I):
        return Role.MR
    return Role.GM


def is_approver(change: ChangeRequest, user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.has_role(approver_role(change))))


def is_drafter_or_mr(change: ChangeRequest, user) -> bool:
    return change.created_by_id == user.pk or user.has_role(Role.MR)


def may_assess(change: ChangeRequest, user) -> bool:
    return is_drafter_or_mr(change, user) or user.has_role(Role.QUALITY)


# --- the request ---------------------------------------------------------------------------------------------
def _check_request(kind, process_class, contract_change, process_cards) -> None:
    if kind == Kind.PROCESS and not process_class:
        raise Refused(gettext("过程变更须选择变更等级（I/II/III 类）。"))
    if kind == Kind.PROCESS and not process_cards:
        raise Refused(gettext("过程变更须选择受影响的产品（工艺卡）。"))
    if kind == Kind.CONTRACT and contract_change is None:
        raise Refused(gettext("合同变更须关联合同变更单。"))


def create_request(by, *, title, kind, plan, basis, wanted_effective_date, process_class="", contract_change=None,
                   affected_departments=(), process_cards=(), customers=(), requesting_department=None
                   ) -> ChangeRequest:
    department = requesting_department or by.department
    if department is None:
        raise Refused(gettext("您没有所属部门，请先在通讯录中设置。"))
    process_class = process_class if kind == Kind.PROCESS else ""
    _check_request(kind, process_class, contract_change, process_cards)
    with transaction.atomic(), audit.context(user=by, reason=gettext("提出变更申请")):
        # BGSQ (变更申请): the contract change notice 合同变更通知单 already numbers BG-year-seq in its own sequence
        change = ChangeRequest.objects.create(
            number=numbering.next_number("change_request", prefix_default="BGSQ", name_default="变更申请"),
            title=title, kind=kind, process_class=process_class, contract_change=contract_change,
            requesting_department=department, plan=plan, basis=basis, wanted_effective_date=wanted_effective_date,
            created_by=by)
        change.affected_departments.set(affected_departments)
        change.process_cards.set(process_cards)
        # the customers the chosen products are made for are affected too (from production's task orders)
        from customers.models import Customer

        produced_for = Customer.all_objects.filter(contracts__task_orders__process_card__in=list(process_cards))
        change.customers.set({*customers, *produced_for})
    return change


def request_refusal(change: ChangeRequest) -> str | None:
    """What the request lacks before its risk assessment (the guard of 提交风险评估)."""
    if not change.affected_departments.exists():
        return gettext("请选择受影响部门。")
    if change.kind == Kind.PROCESS and not change.process_cards.exists():
        return gettext("过程变更须选择受影响的产品（工艺卡）。")
    return None


def may_add_evidence(change: ChangeRequest, user) -> bool:
    """The drafter, the MR and quality, and the requesting and affected departments (equipment's validation)."""
    if may_assess(change, user):
        return True
    return bool(user.department_id) and (user.department_id == change.requesting_department_id or
                                         change.affected_departments.filter(pk=user.department_id).exists())


def add_evidence(change: ChangeRequest, by, *, kind: str, uploaded, description: str = "") -> ChangeEvidence:
    if change.status in (S.CONFIRMED, S.REJECTED, S.CANCELLED):
        raise Refused(gettext("变更已结束，不能再添加证据。"))
    if not may_add_evidence(change, by):
        raise Refused(gettext("只有申请部门、受影响部门、品质部和管理者代表可以上传变更证据。"))
    if kind not in EvidenceKind.values:
        raise Refused(gettext("请选择证据类型。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("上传变更证据")):
        attachment = attachments.attach(change, uploaded, by=by,
                                        description=description or str(EvidenceKind(kind).label))
        return ChangeEvidence.objects.create(change=change, kind=kind, attachment=attachment, added_by=by)


def set_class(change: ChangeRequest, by, *, process_class: str, reason: str = "", password: str = "") -> ClassChange:
    """Raise the class during evaluation; lowering it needs the MR's signed reason (seed 000 第五篇 §4.6)."""
    if change.kind != Kind.PROCESS:
        raise Refused(gettext("只有过程变更有变更等级。"))
    if change.status not in EDITABLE_CLASS:
        raise Refused(gettext("变更批准流程开始后不能再调整等级。"))
    if process_class not in ProcessClass.values or process_class == change.process_class:
        raise Refused(gettext("请选择与当前不同的变更等级。"))
    lowering = CLASS_RANK[process_class] < CLASS_RANK[change.process_class]
    reason = (reason or "").strip()
    if lowering:
        if not by.has_role(Role.MR):
            raise Refused(gettext("降低变更等级须由管理者代表签署理由。"))
        if not reason:
            raise Refused(gettext("降低变更等级须填写理由。"))
        signatures.check_password_or_refuse(by, password)
    elif not may_assess(change, by):
        raise Refused(gettext("您不能调整此变更的等级。"))
    previous = change.process_class
    with transaction.atomic(), audit.context(user=by, reason=reason or gettext("提高变更等级")):
        changed = ChangeRequest.objects.filter(pk=change.pk, process_class=previous,
                                               status__in=EDITABLE_CLASS).update(process_class=process_class)
        if changed != 1:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
        change.process_class = process_class
        signature = (signatures.sign(change, by, password, signatures.Meaning.APPROVAL, comment=reason,
                                     step=gettext("降低变更等级")) if lowering else None)
        return ClassChange.objects.create(change=change, from_class=previous, to_class=process_class,
                                          reason=reason, by=by, signature=signature)


# --- the risk assessment -------------------------------------------------------------------------------------
def level(score: int) -> str:
    if score <= settings.CHANGES_RISK_LOW_MAX:
        return gettext("低")
    if score <= settings.CHANGES_RISK_ACCEPTABLE_MAX:
        return gettext("中")
    return gettext("高")


def is_acceptable(score: int) -> bool:
    return score <= settings.CHANGES_RISK_ACCEPTABLE_MAX


def current_risks(change: ChangeRequest):
    return change.risks.filter(withdrawn_at__isnull=True).select_related("concerned_department")


def add_risk(change: ChangeRequest, by, **fields) -> ChangeRisk:
    if change.status not in (S.DRAFT, S.RISK):
        raise Refused(gettext("只能在风险评估阶段识别风险。"))
    if not may_assess(change, by):
        raise Refused(gettext("您不能评估此变更的风险。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("识别变更风险")):
        return ChangeRisk.objects.create(change=change, added_by=by, **fields)


def withdraw_risk(risk: ChangeRisk, by) -> None:
    if risk.change.status not in (S.DRAFT, S.RISK) or risk.withdrawn_at is not None:
        raise Refused(gettext("只能在风险评估阶段撤销风险。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("撤销变更风险")):
        ChangeRisk.objects.filter(pk=risk.pk).update(withdrawn_at=timezone.now())


def risk_refusal(change: ChangeRequest) -> str | None:
    """Only an acceptable risk may proceed (seed 000 第五篇 §5.2)."""
    risks = list(current_risks(change))
    if not risks:
        return gettext("请先识别至少一项风险并评估。")
    high = [risk.description[:30] for risk in risks if not is_acceptable(risk.residual_score)]
    if high:
        return gettext("以下风险的剩余风险不可接受，变更不能继续：%(risks)s") % {"risks": "；".join(high)}
    return None


# --- notices people acknowledge ---------------------------------------------------------------------------------
def send_notices(change: ChangeRequest, kind: str, recipients, text: str, by) -> list[ChangeNotice]:
    """Tell each recipient (in the portal and by e-mail) and keep a row each acknowledges."""
    sent = []
    for person in {p.pk: p for p in recipients if p is not None and p.is_active}.values():
        notice, created = ChangeNotice.objects.get_or_create(change=change, kind=kind, recipient=person,
                                                             defaults={"text": text})
        if not created:
            ChangeNotice.objects.filter(pk=notice.pk).update(text=text, sent_at=timezone.now(), acknowledged_at=None)
        label = NoticeKind(kind).label
        notify(person, lambda: gettext("请确认变更通知（%(kind)s）：%(change)s") % {"kind": label, "change": change},
               text, link=f"{change.get_absolute_url()}?tab=notices")
        sent.append(notice)
    audit.note(change, user=by, reason=gettext("发送%(kind)s：%(n)d 人") % {"kind": NoticeKind(kind).label,
                                                                        "n": len(sent)})
    return sent


def acknowledge(notice: ChangeNotice, by) -> ChangeNotice:
    if notice.recipient_id != by.pk:
        raise Refused(gettext("只有通知的接收人可以确认收到。"))
    if notice.acknowledged_at is not None:
        raise Refused(gettext("此通知已确认收到。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("确认收到变更通知")):
        ChangeNotice.objects.filter(pk=notice.pk, acknowledged_at__isnull=True).update(acknowledged_at=timezone.now())
    notice.refresh_from_db()
    return notice


def risk_notice_text(change: ChangeRequest, risks) -> str:
    lines = [gettext("变更 %(change)s 的剩余风险和新风险：") % {"change": change}]
    for risk in risks:
        lines.append(gettext("%(new)s%(risk)s（剩余风险 %(score)d，%(level)s）；控制措施：%(control)s") % {
            "new": gettext("【新风险】") if risk.is_new else "", "risk": risk.description,
            "score": risk.residual_score, "level": level(risk.residual_score), "control": risk.control})
    return "\n".join(lines)


def send_risk_notices(change: ChangeRequest, by) -> None:
    """The residual and new risks go to the managers of the departments concerned (seed 000 第五篇 §5.2)."""
    risks = list(current_risks(change))
    recipients = [risk.concerned_department.manager for risk in risks]
    send_notices(change, NoticeKind.RISK, recipients, risk_notice_text(change, risks), by)


# --- the evaluation team ----------------------------------------------------------------------------------------
def team_parties(change: ChangeRequest) -> list[Party]:
    """The evaluation team (变更评估小组): the manager of each affected department, and quality."""
    parties = []
    departments = list(change.affected_departments.select_related("manager").order_by("code"))
    for department in departments:
        if department.manager is not None:
            parties.append(Party(department.name[:40], _("对本部门的影响"), responsible=department.manager,
                                 only_responsible=True))
    if not any(department.code == "quality" for department in departments):
        parties.append(Party(Role.QUALITY, _("质量影响")))
    return parties


def start_evaluation(change: ChangeRequest, by, transition) -> None:
    """After-hook of 提交评估小组评审: the risk notices go out and the team is asked for its opinions."""
    send_risk_notices(change, by)
    countersign.request_opinions(change, team_parties(change), by=by)


def stop_evaluation(change: ChangeRequest, by, transition) -> None:
    countersign.withdraw_pending(change, by)


def record_meeting(change: ChangeRequest, by, *, meeting_date, attendees, minutes: str) -> ChangeRequest:
    """The MR's evaluation-team meeting: date, attendees and minutes (seed 000 第五篇 §5.3)."""
    if change.status != S.EVALUATION:
        raise Refused(gettext("只有评估小组评审中的变更可以登记评估会议。"))
    if not by.has_role(Role.MR):
        raise Refused(gettext("评估会议由管理者代表召集和登记。"))
    if not attendees:
        raise Refused(gettext("请选择参会人员。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记评估小组会议")):
        ChangeRequest.objects.filter(pk=change.pk).update(meeting_date=meeting_date, meeting_minutes=minutes)
        change.meeting_date, change.meeting_minutes = meeting_date, minutes
        change.meeting_attendees.set(attendees)
    return change


def evaluation_refusal(change: ChangeRequest) -> str | None:
    reasons = [r for r in (countersign.refusal(change),) if r]
    if not change.meeting_date or not change.meeting_minutes.strip():
        reasons.append(gettext("管理者代表尚未登记评估小组会议。"))
    return "；".join(reasons) if reasons else None


def approval_refusal(change: ChangeRequest) -> str | None:
    reasons = [r for r in (evidence_refusal(change), risk_refusal(change)) if r]
    return "；".join(reasons) if reasons else None


def may_resolve(change: ChangeRequest, user) -> bool:
    return user.has_role(Role.MR)


countersign.register(ChangeRequest, give_url="changes:opinion", resolve_url="changes:resolve",
                     may_resolve=may_resolve)
