"""Contract change 《合同变更通知单》 (PROCEDURES.md §2 "Contract change"; seed 002 §6.5).

    草稿 draft ──生效（电话记录） (a delivery date moved ≤ 5 days, nothing else: the phone record, signed)──▶ 已生效
    草稿 draft ──提交再评审 (the affected departments chosen)──▶ 再评审中 in_review ──变更生效 (signed)──▶ 已生效
        in_review: the affected departments give their opinion on the shared countersign (qms.countersign);
        a delivery date moved by more than 5 days takes effect only once the customer's written confirmation
        is attached to the change.
    草稿 / 再评审中 ──取消 / 不同意变更 (reason)──▶ cancelled / rejected.

Taking effect writes the new values on the contract (its lines' delivery dates with it), tells production and PMC
(the notice to production), and keeps the values before and after on the change, which the contract's 变更 tab
shows. The contract's approval signature stays valid: it belongs to the contract's round before the change.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.contracts.models import ChangeStatus, Contract, ContractChange, ContractLine, ContractStatus
from customers.contracts.services.review import keeps_contract
from qms import Refused, audit, countersign, signatures, workflow
from qms.attachments import attachments_for
from qms.countersign import Party
from qms.notifications import notify
from qms.numbering import next_number
from qms.people import Role, User
from qms.signatures import Meaning
from qms.workflow import Move, Workflow

C = ChangeStatus
CHANGEABLE = (ContractStatus.APPROVED, ContractStatus.REGISTERED)
OPEN = (C.DRAFT, C.IN_REVIEW)

# what a change may change: (contract field, change field, label)
FIELDS = [("delivery_date", "new_delivery_date", _("交货日期")),
          ("packaging", "new_packaging", _("包装要求")),
          ("payment_terms", "new_payment_terms", _("付款条件"))]
LABELS = {name: label for name, _field, label in FIELDS}

# who may be asked to re-review a change, and what about
PARTIES = {
    Role.PMC: _("生产计划、交期"),
    Role.PRODUCTION: _("生产能力"),
    Role.PURCHASING: _("原材料采购周期"),
    Role.ENGINEERING: _("技术要求"),
    Role.QUALITY: _("验收标准、检测"),
    Role.FINANCE: _("付款条件"),
}


class ChangeRefused(Refused):
    pass


def _text(value) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def value_rows(change) -> list[dict]:
    """The change's values before and after, with their labels in the reader's language."""
    return [{"label": str(LABELS.get(row["field"], row["field"])), **row} for row in change.values]


# --- raising a change ----------------------------------------------------------------------------------------
def raise_change(contract: Contract, by, *, source: str, description: str, new_delivery_date=None,
                 new_packaging: str = "", new_payment_terms: str = "", affected_parties=()) -> ContractChange:
    if contract.status not in CHANGEABLE:
        raise ChangeRefused(gettext("只有已批准或已登记的合同可以变更；草稿请直接修改。"))
    if not keeps_contract(contract, by):
        raise ChangeRefused(gettext("只有合同的业务员或其部门经理可以提出变更。"))
    if not (description or "").strip():
        raise ChangeRefused(gettext("请填写变更内容及原因。"))
    proposed = {"delivery_date": new_delivery_date, "packaging": (new_packaging or "").strip(),
                "payment_terms": (new_payment_terms or "").strip()}
    values = [{"field": name, "before": _text(getattr(contract, name)), "after": _text(proposed[name])}
              for name, _field, _label in FIELDS
              if proposed[name] not in (None, "") and _text(proposed[name]) != _text(getattr(contract, name))]
    if not values:
        raise ChangeRefused(gettext("请至少填写一项与现合同不同的变更内容（交货日期、包装要求或付款条件）。"))
    unknown = [party for party in affected_parties if party not in PARTIES]
    if unknown:
        raise ChangeRefused(gettext("未知的部门：%(parties)s") % {"parties": "、".join(unknown)})
    with transaction.atomic(), audit.context(user=by, reason=gettext("提出合同变更")):
        if ContractChange.objects.select_for_update().filter(contract=contract, status__in=OPEN).exists():
            raise ChangeRefused(gettext("该合同已有未完成的变更，请先完成或取消它。"))
        change = ContractChange.objects.create(
            number=next_number("contract_change", prefix_default="BG", name_default="合同变更通知单"),
            contract=contract, source=source, description=description.strip(), new_delivery_date=new_delivery_date,
            new_packaging=proposed["packaging"], new_payment_terms=proposed["payment_terms"], values=values,
            affected_parties=list(affected_parties), created_by=by)
        audit.note(contract, user=by, reason=gettext("提出合同变更 %(number)s") % {"number": change.number})
    return change


# --- guards ---------------------------------------------------------------------------------------------------
def confirmation_missing(change) -> bool:
    return change.needs_customer_confirmation and not attachments_for(change).filter(
        voided_at__isnull=True).exists()


def _phone_path(change) -> str | None:
    if not change.by_phone_record:
        return gettext("此变更须经受影响部门再评审。")
    if not (change.phone_record or "").strip():
        return gettext("交期调整不超过 5 天：请填写电话记录。")
    return None


def _review_path(change) -> str | None:
    if change.by_phone_record:
        return gettext("交期调整不超过 5 天，无需再评审：填写电话记录后直接生效。")
    if not change.affected_parties:
        return gettext("请选择受影响的部门。")
    return None


def _ready_to_take_effect(change) -> str | None:
    reasons = []
    if change.contract.status not in CHANGEABLE:
        reasons.append(gettext("合同当前状态不能变更。"))
    found = countersign.refusal(change)
    if found:
        reasons.append(found)
    if confirmation_missing(change):
        reasons.append(gettext("交货期调整超过 5 天：须先上传顾客的书面确认（通知或协定文件）作为附件，变更才能生效。"))
    return "；".join(reasons) or None


def _keeps(change, user) -> bool:
    return keeps_contract(change.contract, user)


# --- after-hooks -------------------------------------------------------------------------------------------------
def _start_rereview(change, user, transition) -> None:
    countersign.request_opinions(change, [Party(role, PARTIES[role]) for role in change.affected_parties], by=user)


def _withdraw(change, user, transition) -> None:
    countersign.withdraw_pending(change, user)


def _take_effect(change, user, transition) -> None:
    contract = Contract.objects.select_for_update().get(pk=change.contract_id)
    if contract.status not in CHANGEABLE:
        raise ChangeRefused(gettext("合同当前状态不能变更。"))
    before = {name: signatures._canonical(getattr(contract, name)) for name in Contract.SIGNED_FIELDS}
    updates = {}
    for row in change.values:
        name = row["field"]
        updates[name] = dt.date.fromisoformat(row["after"]) if name == "delivery_date" else row["after"]
    with audit.context(user=user, reason=gettext("合同变更 %(number)s 生效") % {"number": change.number}):
        if "delivery_date" in updates:
            ContractLine.objects.filter(contract=contract, delivery_date=contract.delivery_date).update(
                delivery_date=updates["delivery_date"])
        Contract.objects.filter(pk=contract.pk).update(**updates)
    now = transition.at
    ContractChange.objects.filter(pk=change.pk).update(effective_at=now, production_notified_at=now,
                                                       contract_before=before)
    change.effective_at = change.production_notified_at = now
    lines = "；".join(f"{row['label']}：{row['before'] or '—'} → {row['after']}" for row in value_rows(change))
    for person in User.objects.filter(groups__name__in=(Role.PRODUCTION, Role.PMC), is_active=True).distinct():
        notify(person, lambda: gettext("合同变更通知：%(contract)s") % {"contract": contract},
               lambda: gettext("%(number)s 已生效。%(lines)s") % {"number": change.number, "lines": lines},
               link=change.get_absolute_url())


PIPELINE = {
    C.DRAFT: {
        C.EFFECTIVE: Move(_("生效（电话记录）"), actor=_keeps, fields=("phone_record",), guard=_phone_path,
                          signature=Meaning.CONFIRMATION, after=_take_effect, style="success"),
        C.IN_REVIEW: Move(_("提交再评审"), actor=_keeps, guard=_review_path, after=_start_rereview),
        C.CANCELLED: Move(_("取消"), actor=_keeps, reason=True, style="outline-danger", closes=("*",)),
    },
    C.IN_REVIEW: {
        C.EFFECTIVE: Move(_("变更生效"), actor=_keeps, guard=_ready_to_take_effect, show_blocked=True,
                          signature=Meaning.CONFIRMATION, after=_take_effect, style="success"),
        C.REJECTED: Move(_("不同意变更"), actor=_keeps, reason=True, style="outline-danger", after=_withdraw),
        C.CANCELLED: Move(_("取消"), actor=_keeps, reason=True, style="outline-danger", closes=("*",),
                          after=_withdraw),
    },
}

WORKFLOW = workflow.register(Workflow(ContractChange, PIPELINE, badges={
    C.DRAFT: "secondary", C.IN_REVIEW: "info", C.EFFECTIVE: "success", C.REJECTED: "danger",
    C.CANCELLED: "secondary"}))


def _may_resolve(change, user) -> bool:
    return keeps_contract(change.contract, user)


countersign.register(ContractChange, give_url="customers:change_opinion", resolve_url="customers:change_resolve",
                     may_resolve=_may_resolve)


# --- the contract's signature rounds: each change that took effect starts a new one ------------------------------
def _contract_round(contract) -> int:
    return 1 + ContractChange.objects.filter(contract=contract, effective_at__isnull=False).count()


def _contract_content(contract, round_: int):
    changes = list(ContractChange.objects.filter(contract=contract, effective_at__isnull=False)
                   .order_by("effective_at", "pk").values_list("contract_before", flat=True))
    return changes[round_ - 1] if 0 < round_ <= len(changes) and changes[round_ - 1] else None


signatures.register_rounds(Contract, current=_contract_round, content=_contract_content)


def changes_of(contract):
    return ContractChange.objects.filter(contract=contract).select_related("created_by").order_by("-created_at", "-pk")


def open_change_refusal(contract) -> str | None:
    if contract.status not in CHANGEABLE:
        return gettext("只有已批准或已登记的合同可以变更；草稿请直接修改。")
    if ContractChange.objects.filter(contract=contract, status__in=OPEN).exists():
        return gettext("该合同已有未完成的变更，请先完成或取消它。")
    return None
