"""Customer special requirements 《顾客特殊要求一览表》 (PROCEDURES.md §2; seed 001 顾客特殊要求控制程序 §4).

Flow, declared once in ``PIPELINE`` and enforced by ``qms.workflow.perform``:

    待管代审核 captured ──管代审核并传递 (MR, signature 审核)──▶ 已传递各部门 communicated
        (each department chosen at capture acknowledges with its measures, signed: ``acknowledge``)
        ──品质验证 (quality, signature 验证; only once every department acknowledged)──▶ 已验证满足 verified
    captured / communicated ──撤销 (MR, reason)──▶ withdrawn.  Nothing is deleted.

§4.3.1 "在顾客的所有特殊要求没有明确和满足以前，不可生产和交付产品": while a requirement that applies to a contract
(one for all the customer's contracts, or one for that contract) is not verified, the contract is held for
production and delivery. The hold is declared in the core (``qms.blocks.register_hold``) so that any app asks
``qms.blocks.holds("customers.Contract", contract_id, "production")`` without importing this module; the
shipment's move is held back through it (``customers.contracts.services.shipments``).

Clocks on the working-day calendar: the MR's review within 2 working days of capture, each department's
acknowledgement within 3 working days of the review (on the department's row, its manager responsible), quality's
verification within 5 working days of the last acknowledgement.
"""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.contracts.fulfilment_move_forms import RequiredMoveForm
from customers.contracts.fulfilment_models import (RequirementAcknowledgement, RequirementKind, RequirementScope,
                                                   RequirementStatus, SpecialRequirement)
from customers.contracts.models import Contract
from qms import Refused, audit, blocks, deadlines, signatures, workflow
from qms.deadlines import DeadlineRule
from qms.notifications import notify
from qms.numbering import next_number
from qms.people import Department, Role, User, works_in
from qms.signatures import Meaning
from qms.workdays import add_working_days
from qms.workflow import Move

S = RequirementStatus
UNMET = (S.CAPTURED, S.COMMUNICATED)
REVIEW_WORKING_DAYS = getattr(settings, "QMS_SPECIAL_REQUIREMENT_REVIEW_DAYS", 2)
ACK_WORKING_DAYS = getattr(settings, "QMS_SPECIAL_REQUIREMENT_ACK_DAYS", 3)
VERIFY_WORKING_DAYS = getattr(settings, "QMS_SPECIAL_REQUIREMENT_VERIFY_DAYS", 5)

# who captures (seed 001 §4.1: 市场部指定联系人, 多方论证小组), who sees every requirement
CAPTURE_ROLES = (Role.SALES, Role.CUSTOMER_SERVICE, Role.ENGINEERING, Role.QUALITY, Role.MR, Role.GM)
SEES_ALL = (Role.GM, Role.MR, Role.QUALITY, Role.CUSTOMER_SERVICE)

# the activities an unmet requirement holds back on a contract (qms.blocks.holds)
PRODUCTION, DELIVERY = "production", "delivery"
# "…，合同不能生产。" / "…不能交付。": the verb of the refusal (its own context: "生产" elsewhere is a role's name)
ACTIVITY_LABELS = {PRODUCTION: pgettext_lazy("contract is held for", "生产"),
                   DELIVERY: pgettext_lazy("contract is held for", "交付")}


# --- who is who ----------------------------------------------------------------------------------------
def _first_with_role(role) -> User | None:
    return User.objects.filter(groups__name=role, is_active=True).order_by("pk").first()


def management_representative(_record=None) -> User | None:
    return _first_with_role(Role.MR)


def quality_lead(_record=None) -> User | None:
    manager = (Department.objects.filter(manager__groups__name=Role.QUALITY, manager__is_active=True)
               .values_list("manager", flat=True).order_by("pk").first())
    return User.objects.get(pk=manager) if manager else _first_with_role(Role.QUALITY)


def department_head(ack: RequirementAcknowledgement) -> User | None:
    manager = ack.department.manager
    if manager is not None and manager.is_active:
        return manager
    return User.objects.filter(department=ack.department, is_active=True).order_by("pk").first()


def may_acknowledge(ack: RequirementAcknowledgement, user) -> bool:
    """Someone of the department (or its manager) acknowledges for it."""
    return bool(user and user.is_active and (user.is_superuser or works_in(user, ack.department)))


# --- clocks --------------------------------------------------------------------------------------------
REVIEW_DUE = DeadlineRule("special_req_review", _("审核顾客特殊要求：{record}"),
                          due=lambda req, start: add_working_days(start, REVIEW_WORKING_DAYS),
                          responsible=management_representative, start="captured_at")
ACK_DUE = DeadlineRule("special_req_ack", _("部门确认顾客特殊要求：{record}"),
                       due=lambda ack, start: add_working_days(start, ACK_WORKING_DAYS),
                       responsible=department_head)
VERIFY_DUE = DeadlineRule("special_req_verify", _("验证顾客特殊要求的落实：{record}"),
                          due=lambda req, start: add_working_days(start, VERIFY_WORKING_DAYS),
                          responsible=quality_lead)


# --- the workflow --------------------------------------------------------------------------------------
def pending_departments(requirement) -> list[str]:
    return [ack.department.name for ack in requirement.acknowledgements.select_related("department")
            if ack.acknowledged_at is None]


def _all_acknowledged(requirement) -> str | None:
    missing = pending_departments(requirement)
    if missing:
        return gettext("以下部门尚未确认：%(departments)s。") % {"departments": "、".join(missing)}
    return None


def _pass_to_departments(requirement, by, transition) -> None:
    """§4.1.4 the requirement goes to the departments that must act: each one's clock opens, its head is told."""
    for ack in requirement.acknowledgements.select_related("department__manager"):
        ACK_DUE.open(ack)
        head = department_head(ack)
        if head is not None and head.pk != by.pk:
            notify(head, lambda: gettext("请确认顾客特殊要求：%(record)s") % {"record": requirement},
                   lambda: gettext("%(customer)s：%(text)s") % {"customer": requirement.customer,
                                                              "text": requirement.text[:200]},
                   link=requirement.get_absolute_url())


def _close_department_clocks(requirement, by, transition) -> None:
    for ack in requirement.acknowledgements.all():
        deadlines.close_deadlines(ack, ("*",), state=deadlines.Deadline.State.CANCELLED)


PIPELINE = {
    S.CAPTURED: {
        S.COMMUNICATED: Move(_("管代审核并传递各部门"), roles=(Role.MR,), signature=Meaning.REVIEW,
                             fields=("review_note",), form=RequiredMoveForm, closes=("special_req_review",),
                             after=_pass_to_departments, style="success"),
        S.WITHDRAWN: Move(_("撤销"), roles=(Role.MR,), reason=True, closes=("*",), style="outline-danger"),
    },
    S.COMMUNICATED: {
        S.VERIFIED: Move(_("品质验证已满足"), roles=(Role.QUALITY,), signature=Meaning.VERIFICATION,
                         fields=("verification_note",), form=RequiredMoveForm, guard=_all_acknowledged,
                         closes=("*",), show_blocked=True, style="success"),
        S.WITHDRAWN: Move(_("撤销"), roles=(Role.MR,), reason=True, closes=("*",), after=_close_department_clocks,
                          style="outline-danger"),
    },
}

# no generic hand-over: the MR is told on capture, each department's head on review, quality once all acknowledged
WORKFLOW = workflow.register(workflow.Workflow(
    SpecialRequirement, PIPELINE,
    badges={S.CAPTURED: "warning", S.COMMUNICATED: "info", S.VERIFIED: "success", S.WITHDRAWN: "secondary"}))


# --- actions -------------------------------------------------------------------------------------------
def _clean(text) -> str:
    return (text or "").strip()


def capture(*, by, customer, kind: str, title: str, text: str, departments, scope: str = RequirementScope.ALL_CONTRACTS,
            contract: Contract | None = None) -> SpecialRequirement:
    """Register a special requirement on 《顾客特殊要求一览表》 with the departments that must act on it; the MR's
    review is due within 2 working days."""
    if not (by.is_superuser or by.has_role(*CAPTURE_ROLES)):
        raise Refused(gettext("您没有权限登记顾客特殊要求。"))
    departments = list(dict.fromkeys(departments or ()))
    missing = [label for label, value in ((gettext("要求摘要"), _clean(title)), (gettext("要求内容"), _clean(text)))
               if not value]
    if missing:
        raise Refused(gettext("请填写：%(fields)s。") % {"fields": "、".join(missing)})
    if kind not in RequirementKind.values:
        raise Refused(gettext("请选择要求类别。"))
    if scope not in RequirementScope.values:
        raise Refused(gettext("请选择适用范围。"))
    if not departments:
        raise Refused(gettext("请选择须落实此要求的部门。"))
    if scope == RequirementScope.ONE_CONTRACT and contract is None:
        raise Refused(gettext("适用范围为“指定合同”时须选择合同。"))
    if contract is not None and contract.customer_id != customer.pk:
        raise Refused(gettext("所选合同不属于该客户。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记顾客特殊要求")):
        requirement = SpecialRequirement(customer=customer, contract=contract, scope=scope, kind=kind,
                                         title=_clean(title), text=_clean(text), captured_by=by)
        requirement.number = next_number("special_requirement", prefix_default="TY",
                                         name_default=gettext("顾客特殊要求"))
        requirement.save()
        RequirementAcknowledgement.objects.bulk_create(
            [RequirementAcknowledgement(requirement=requirement, department=department) for department in departments])
        REVIEW_DUE.open(requirement)
        mr = management_representative()
        if mr is not None and mr.pk != by.pk:
            notify(mr, lambda: gettext("待审核顾客特殊要求：%(record)s") % {"record": requirement},
                   lambda: gettext("%(customer)s：%(text)s") % {"customer": customer, "text": requirement.text[:200]},
                   link=requirement.get_absolute_url())
    return requirement


def may_correct(requirement, user) -> bool:
    """Before the MR's review its capturer (or the MR) may correct what was captured."""
    return bool(user and user.is_active and requirement.status == S.CAPTURED
                and (user.is_superuser or user.pk == requirement.captured_by_id or user.has_role(Role.MR)))


def correct(requirement: SpecialRequirement, *, by, kind: str, title: str, text: str, scope: str,
            contract: Contract | None = None, reason: str) -> SpecialRequirement:
    """Correct a requirement awaiting the MR's review (the departments stay as captured); audited with the
    reason, in one guarded update — once reviewed it is refused."""
    if not may_correct(requirement, by):
        raise Refused(gettext("只有登记人或管理者代表可以修改待审核的特殊要求（当前状态：%(status)s）。")
                      % {"status": requirement.get_status_display()})
    reason = _clean(reason)
    if not (_clean(title) and _clean(text) and reason):
        raise Refused(gettext("请填写要求摘要、要求内容和修改理由。"))
    if kind not in RequirementKind.values or scope not in RequirementScope.values:
        raise Refused(gettext("请选择要求类别和适用范围。"))
    if scope == RequirementScope.ONE_CONTRACT and contract is None:
        raise Refused(gettext("适用范围为“指定合同”时须选择合同。"))
    if contract is not None and contract.customer_id != requirement.customer_id:
        raise Refused(gettext("所选合同不属于该客户。"))
    values = {"kind": kind, "title": _clean(title), "text": _clean(text), "scope": scope,
              "contract": contract}
    with transaction.atomic(), audit.context(user=by, reason=gettext("修改顾客特殊要求：%(reason)s") % {"reason": reason}):
        changed = SpecialRequirement.objects.filter(pk=requirement.pk, status=S.CAPTURED).update(
            **values, updated_at=timezone.now())
        if changed != 1:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
    for name, value in values.items():
        setattr(requirement, name, value)
    return requirement


def acknowledge(requirement: SpecialRequirement, department, *, by, password: str, measures: str
                ) -> RequirementAcknowledgement:
    """A department confirms it received the requirement and states its measures, signed (确认). The last one
    opens quality's verification clock and tells quality."""
    measures = _clean(measures)
    if requirement.status != S.COMMUNICATED:
        raise Refused(gettext("只有已传递各部门的特殊要求可以确认（当前状态：%(status)s）。")
                      % {"status": requirement.get_status_display()})
    ack = (RequirementAcknowledgement.objects.select_related("department__manager")
           .filter(requirement=requirement, department=department).first())
    if ack is None:
        raise Refused(gettext("此要求未传递给%(department)s。") % {"department": department})
    if ack.acknowledged_at is not None:
        raise Refused(gettext("%(department)s已于 %(at)s 确认。") % {
            "department": department, "at": timezone.localtime(ack.acknowledged_at).strftime("%Y-%m-%d %H:%M")})
    if not may_acknowledge(ack, by):
        raise Refused(gettext("只有%(department)s的人员可以代表本部门确认。") % {"department": department})
    if not measures:
        raise Refused(gettext("请填写本部门的落实措施（控制计划、作业指导书或对策）。"))
    signatures.check_password_or_refuse(by, password)
    with transaction.atomic(), audit.context(user=by, reason=gettext("部门确认顾客特殊要求：%(department)s")
                                             % {"department": department}):
        signature = signatures.sign(requirement, by, password, Meaning.CONFIRMATION, comment=measures,
                                    step=gettext("部门确认：%(department)s") % {"department": department})
        now = timezone.now()
        changed = (RequirementAcknowledgement.objects.filter(pk=ack.pk, acknowledged_at__isnull=True)
                   .update(acknowledged_at=now, acknowledged_by=by, measures=measures, signature=signature))
        if changed != 1 or SpecialRequirement.objects.filter(pk=requirement.pk, status=S.COMMUNICATED).count() != 1:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
        ack.refresh_from_db()
        deadlines.close_deadlines(ack, ("special_req_ack",))
        if not requirement.acknowledgements.filter(acknowledged_at__isnull=True).exists():
            VERIFY_DUE.open(requirement)
            lead = quality_lead()
            if lead is not None:
                notify(lead, lambda: gettext("各部门已确认，请验证顾客特殊要求的落实：%(record)s") % {"record": requirement},
                       "", link=requirement.get_absolute_url())
    return ack


def departments_to_acknowledge(requirement, user) -> list:
    """The departments ``user`` may acknowledge for on ``requirement`` now."""
    if requirement.status != S.COMMUNICATED:
        return []
    return [ack.department for ack in requirement.acknowledgements.select_related("department")
            if ack.acknowledged_at is None and may_acknowledge(ack, user)]


# --- what other procedures read ------------------------------------------------------------------------
def applying_to_contract(contract_id):
    """The requirements that apply to the contract: those for it, and those for all its customer's contracts."""
    customer = Contract.objects.filter(pk=contract_id).values("customer_id")
    return SpecialRequirement.objects.filter(
        Q(scope=RequirementScope.ONE_CONTRACT, contract_id=contract_id)
        | Q(scope=RequirementScope.ALL_CONTRACTS, customer_id__in=customer))


def unmet_for_contract(contract_id):
    return applying_to_contract(contract_id).filter(status__in=UNMET).order_by("captured_at", "pk")


def contract_hold_reasons(contract_id, activity: str = DELIVERY) -> list[str]:
    """Why the contract may not be produced or delivered: each unmet special requirement that applies, named."""
    label = ACTIVITY_LABELS.get(activity, activity)
    return [gettext("顾客特殊要求 %(number)s“%(title)s”尚未验证满足（%(status)s），合同不能%(activity)s。") % {
        "number": req.number, "title": req.title, "status": req.get_status_display(), "activity": label}
        for req in unmet_for_contract(contract_id)]


def contract_is_blocked(contract_id, activity: str = DELIVERY) -> tuple[bool, list[str]]:
    """(blocked, reasons) through the core's holds: every app's reasons, not only this module's."""
    reasons = blocks.holds("customers.Contract", contract_id, activity)
    return bool(reasons), reasons


def change_notification_requirements(customer_ids=None):
    """The standing "changes must be notified to the customer" requirements (not withdrawn) — what change
    control (§7) reads before a change takes effect."""
    qs = SpecialRequirement.objects.filter(kind=RequirementKind.CHANGE_NOTIFICATION).exclude(status=S.WITHDRAWN)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    return qs.select_related("customer").order_by("customer__name", "captured_at")


def customers_to_notify_of_changes(customer_ids=None):
    """The customers who must be told of a change (a "变更须通知顾客" requirement on file), optionally among
    ``customer_ids`` (e.g. the customers of the product being changed)."""
    from customers.models import Customer

    return Customer.all_objects.filter(pk__in=change_notification_requirements(customer_ids).values("customer_id")
                                       ).order_by("name")


blocks.register_hold(subject=Contract, activities=(PRODUCTION, DELIVERY),
                     reason=lambda pk, activity: contract_hold_reasons(pk, activity))
