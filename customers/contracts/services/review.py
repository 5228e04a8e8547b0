"""Contract review 《合同(订单)评审表》 and the contract register 《合同台账》 (PROCEDURES.md §2; seed 002 §5.3–5.4).

Flow, declared once in ``PIPELINE`` and enforced by ``qms.workflow.perform``:

    草稿 draft ──提交评审 (a phone/oral order only with its written confirmation attached)──▶ 评审中 in_review
        the class is computed again and fixes the route; the route's departments are asked in parallel
        (qms.countersign, one working day each, reminders and escalation):
          regular with stock     sales alone ─────────────────────────────▶ 确认接受 (sales) ──▶ 已批准
          regular without stock  PMC, purchasing, sales ──提交审批──▶ 待批准 ──批准 (销售副总, signature)──▶ 已批准
          special                engineering, quality, production, purchasing, sales
                                                         ──提交审批──▶ 待批准 ──批准 (总经理, signature)──▶ 已批准
    已批准 approved ──登记台账 (gapless number HT…)──▶ 已登记 registered ──履行完毕──▶ 已完成 completed
    草稿 / 评审中 / 待批准 ──取消 / 不接受 / 不予批准 (reason)──▶ cancelled / rejected.  Nothing is deleted.

The approver cannot approve while an opinion is missing or a disagreement is unresolved, and is never the drafter.
After registration sales hands the signed original to finance, who confirms its receipt; the record is kept five
years from registration.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.contracts.models import Contract, ContractClass, ContractStatus, OrderForm, ReviewRoute
from customers.contracts.services import classification, payments
from qms import Refused, audit, countersign, workflow
from qms.attachments import attachments_for
from qms.countersign import Party
from qms.notifications import notify
from qms.numbering import next_number
from qms.people import Role, User
from qms.signatures import Meaning
from qms.workflow import Move, Workflow

S = ContractStatus
OPEN_STATUSES = (S.DRAFT, S.IN_REVIEW, S.AWAITING_APPROVAL)

# besides the owner side, who sees the customer's integrity record on the contract (the approvers)
SEES_INTEGRITY = (Role.GM, Role.MR, Role.SALES_VP)

APPROVER_ROLE = {ReviewRoute.SALES_VP: Role.SALES_VP, ReviewRoute.GM: Role.GM}


class ContractRefused(Refused):
    pass


# --- who is who ----------------------------------------------------------------------------------------
def keeps_contract(contract, user) -> bool:
    """The contract's owner, the manager of the owner's department, GM and MR (customers.rules)."""
    return bool(user and user.is_active and user.has_perm("customers.change_contract", contract))


def approver_role(contract) -> str | None:
    return APPROVER_ROLE.get(contract.review_route)


def is_approver(contract, user) -> bool:
    role = approver_role(contract)
    return bool(role and user and user.is_active and (user.is_superuser or user.has_role(role)))


def may_resolve(contract, user) -> bool:
    """Sales convenes the review (seed 002 §5.3.3.3): the owner side resolves disagreements, as does the approver."""
    return keeps_contract(contract, user) or is_approver(contract, user)


# --- routes ----------------------------------------------------------------------------------------------
def route_for(contract) -> str:
    if contract.contract_class == ContractClass.SPECIAL:
        return ReviewRoute.GM
    return ReviewRoute.SALES_ONLY if contract.in_stock else ReviewRoute.SALES_VP


def parties_for(contract, route: str) -> list[Party]:
    """Who reviews what on each route (seed 002 §5.3.3, 4.2 of the 客户要求管理程序)."""
    sales = Party(Role.SALES, _("合同条款：名称、规格型号、数量、价格、付款、交期"), responsible=contract.owner,
                  only_responsible=True)
    if route == ReviewRoute.SALES_ONLY:
        return [Party(Role.SALES, _("现货：产品名称、规格型号、数量"), responsible=contract.owner,
                      only_responsible=True)]
    if route == ReviewRoute.SALES_VP:
        return [Party(Role.PMC, _("综合生产能力、交期")), Party(Role.PURCHASING, _("原材料采购周期")), sales]
    return [Party(Role.ENGINEERING, _("技术标准、环保要求（RoHS）")),
            Party(Role.QUALITY, _("产品验收标准、检测能力")),
            Party(Role.PRODUCTION, _("生产能力、设备能力")),
            Party(Role.PURCHASING, _("原材料采购周期")), sales]


# --- guards ----------------------------------------------------------------------------------------------
def written_confirmation_missing(contract) -> bool:
    return OrderForm.needs_written_confirmation(contract.order_form) and not attachments_for(contract).filter(
        voided_at__isnull=True).exists()


def _ready_for_review(contract) -> str | None:
    reasons = []
    if written_confirmation_missing(contract):
        reasons.append(gettext("口头或电话订单须先上传顾客的书面确认（邮件、传真或回签的合同扫描件）作为附件，"
                               "才能提交评审。"))
    if not contract.lines.exists():
        reasons.append(gettext("请至少填写一行产品明细。"))
    return "；".join(reasons) or None


def _needs_approval(contract) -> str | None:
    if contract.review_route == ReviewRoute.SALES_ONLY:
        return gettext("有库存的常规合同由销售评审后直接接受，无需批准。")
    return None


def _ready_for_approval(contract) -> str | None:
    return _needs_approval(contract) or countersign.refusal(contract, missing_only=True)


def _countersign_complete(contract) -> str | None:
    return countersign.refusal(contract)


def _accept_without_approval(contract) -> str | None:
    if contract.review_route != ReviewRoute.SALES_ONLY:
        return gettext("此合同须经%(role)s批准。") % {"role": gettext(approver_role(contract) or Role.GM)}
    return countersign.refusal(contract)


def _finance_has_original(contract) -> str | None:
    if contract.finance_received_at is None:
        return gettext("请先将合同原件交财务并由财务签收。")
    return None


# --- after-hooks (inside the move's transaction) ---------------------------------------------------------------
def _start_review(contract, user, transition) -> None:
    classification.apply(contract)
    contract.review_route = route_for(contract)
    Contract.objects.filter(pk=contract.pk).update(contract_class=contract.contract_class,
                                                   class_reasons=contract.class_reasons,
                                                   review_route=contract.review_route)
    countersign.request_opinions(contract, parties_for(contract, contract.review_route), by=user)


def _record_approval(contract, user, transition) -> None:
    contract.approved_by, contract.approved_at = user, transition.at
    Contract.objects.filter(pk=contract.pk).update(approved_by=user, approved_at=transition.at)
    payments.sync_payment_deadlines(contract)  # an accepted contract's payment plan starts reminding


def _withdraw(contract, user, transition) -> None:
    countersign.withdraw_pending(contract, user)


def _register(contract, user, transition) -> None:
    """The register number (合同台账): gapless, from the shared numbering, in the move's transaction."""
    number = next_number("contract", transition.at, prefix_default="HT", name_default="合同台账")
    contract.number, contract.registered_at, contract.registered_by = number, transition.at, user
    Contract.objects.filter(pk=contract.pk).update(number=number, registered_at=transition.at, registered_by=user)
    payments.sync_payment_deadlines(contract)


def _hand_over(contract, move) -> list:
    """Who takes the contract over after a move: the approver once it awaits approval, the owner once approved."""
    if contract.status == S.AWAITING_APPROVAL and approver_role(contract):
        return list(User.objects.filter(groups__name=approver_role(contract), is_active=True))
    if contract.status in (S.APPROVED, S.REJECTED):
        return [contract.owner]
    return []


_owner = keeps_contract

PIPELINE = {
    S.DRAFT: {
        S.IN_REVIEW: Move(_("提交评审"), actor=_owner, guard=_ready_for_review, show_blocked=True, after=_start_review),
        S.CANCELLED: Move(_("取消"), actor=_owner, reason=True, style="outline-danger", closes=("*",),
                          after=_withdraw),
    },
    S.IN_REVIEW: {
        S.AWAITING_APPROVAL: Move(_("提交审批"), actor=_owner, guard=_ready_for_approval),
        S.APPROVED: Move(_("确认接受"), actor=_owner, guard=_accept_without_approval, after=_record_approval),
        S.REJECTED: Move(_("不接受"), actor=_owner, reason=True, style="outline-danger", after=_withdraw),
        S.CANCELLED: Move(_("取消"), actor=_owner, reason=True, style="outline-danger", closes=("*",),
                          after=_withdraw),
    },
    S.AWAITING_APPROVAL: {
        S.APPROVED: Move(_("批准"), actor=is_approver, signature=Meaning.APPROVAL, not_by="created_by",
                         guard=_countersign_complete, show_blocked=True, after=_record_approval, style="success"),
        S.REJECTED: Move(_("不予批准"), actor=is_approver, reason=True, signature=Meaning.APPROVAL,
                         style="outline-danger", after=_withdraw),
    },
    S.APPROVED: {
        S.REGISTERED: Move(_("登记台账"), actor=_owner, after=_register),
    },
    S.REGISTERED: {
        S.COMPLETED: Move(_("履行完毕"), actor=_owner, guard=_finance_has_original, show_blocked=True),
    },
}

WORKFLOW = workflow.register(Workflow(Contract, PIPELINE, hand_over=_hand_over, badges={
    S.DRAFT: "secondary", S.IN_REVIEW: "info", S.AWAITING_APPROVAL: "warning", S.APPROVED: "primary",
    S.REGISTERED: "success", S.COMPLETED: "success", S.REJECTED: "danger", S.CANCELLED: "secondary"}))

countersign.register(Contract, give_url="customers:contract_opinion", resolve_url="customers:contract_resolve",
                     may_resolve=may_resolve)


# --- the register: the original to finance ---------------------------------------------------------------
def hand_original_to_finance(contract, by) -> Contract:
    """Sales hands the signed original to finance (the copy stays with sales, seed 002 §5.4)."""
    if contract.status not in (S.REGISTERED, S.COMPLETED):
        raise ContractRefused(gettext("合同登记台账后才能把原件交财务。"))
    if not keeps_contract(contract, by):
        raise ContractRefused(gettext("只有合同的业务员或其部门经理可以移交原件。"))
    if contract.original_to_finance_at is not None:
        raise ContractRefused(gettext("合同原件已于 %(when)s 交财务。") % {
            "when": timezone.localtime(contract.original_to_finance_at).strftime("%Y-%m-%d %H:%M")})
    now = timezone.now()
    with transaction.atomic(), audit.context(user=by, reason=gettext("合同原件交财务")):
        changed = Contract.objects.filter(pk=contract.pk, original_to_finance_at__isnull=True).update(
            original_to_finance_at=now, original_to_finance_by=by)
        if changed != 1:
            raise ContractRefused(gettext("此记录已被他人更新，请刷新后重试。"))
        contract.original_to_finance_at, contract.original_to_finance_by = now, by
        for person in User.objects.filter(groups__name=Role.FINANCE, is_active=True):
            notify(person, lambda: gettext("请签收合同原件：%(contract)s") % {"contract": contract},
                   lambda: gettext("%(who)s 已把合同原件交财务，请核对后在系统中签收。") % {"who": by.display_name},
                   link=contract.get_absolute_url())
    return contract


def confirm_finance_receipt(contract, by) -> Contract:
    """Finance confirms it received the original."""
    if not (by.is_superuser or by.has_role(Role.FINANCE)):
        raise ContractRefused(gettext("只有财务可以签收合同原件。"))
    if contract.original_to_finance_at is None:
        raise ContractRefused(gettext("业务员尚未把合同原件交财务。"))
    if contract.finance_received_at is not None:
        raise ContractRefused(gettext("财务已签收合同原件。"))
    now = timezone.now()
    with transaction.atomic(), audit.context(user=by, reason=gettext("财务签收合同原件")):
        changed = Contract.objects.filter(pk=contract.pk, finance_received_at__isnull=True,
                                          original_to_finance_at__isnull=False).update(
            finance_received_at=now, finance_received_by=by)
        if changed != 1:
            raise ContractRefused(gettext("此记录已被他人更新，请刷新后重试。"))
        contract.finance_received_at, contract.finance_received_by = now, by
    return contract
