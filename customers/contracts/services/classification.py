"""Contract classification 常规 / 非常规 (seed 002 §5.3.2; PROCEDURES.md §2 "Contract classes").

A contract is regular (常规合同) when all hold: a) every line is a company-standard product (none new),
b) quantity and delivery within capacity, c) packaging, price and payment terms clear. Otherwise it is special
(非常规合同), and so it is too when the customer's payments are overdue (payment risk), the technical requirements
go beyond ours, or the margin is below the minimum of ``ContractPolicy``. The reasons are kept with the class.
Sales may raise a regular contract to special with a reason (audited); nobody lowers a class.
"""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.contracts.models import Contract, ContractClass, ContractPolicy, ContractStatus
from customers.contracts.services.integrity import customer_integrity
from qms import Refused, audit

REASON_TEXTS = {
    "new_product": _("新产品：%(products)s"),
    "non_standard": _("非本公司标准产品：%(products)s"),
    "over_capacity": _("数量或交期超出产能范围"),
    "over_technical": _("超出现有技术要求"),
    "terms_unclear": _("包装、价格或付款条件不明确"),
    "payment_risk": _("付款风险：客户有 %(count)s 笔逾期未回款，共 %(amount)s 元"),
    "low_margin": _("毛利率 %(margin)s%% 低于最低标准 %(minimum)s%%"),
    "raised": _("业务员提升为非常规合同：%(reason)s"),
}


class ClassRefused(Refused):
    pass


def classify(contract: Contract, lines=None, *, today=None) -> tuple[str, list[dict]]:
    """The class the seed's criteria give ``contract`` (with ``lines``, default its saved lines) and the reasons."""
    lines = list(contract.lines.all()) if lines is None else list(lines)
    reasons: list[dict] = []
    new = [line.product for line in lines if line.is_new_product]
    if new:
        reasons.append({"code": "new_product", "params": {"products": "、".join(new)}})
    non_standard = [line.product for line in lines if not line.is_standard_product and not line.is_new_product]
    if non_standard:
        reasons.append({"code": "non_standard", "params": {"products": "、".join(non_standard)}})
    if not contract.within_capacity:
        reasons.append({"code": "over_capacity", "params": {}})
    if contract.over_technical_requirements:
        reasons.append({"code": "over_technical", "params": {}})
    if (not contract.terms_clear or not (contract.packaging or "").strip()
            or not (contract.payment_terms or "").strip() or any(not line.unit_price for line in lines)):
        reasons.append({"code": "terms_unclear", "params": {}})
    integrity = customer_integrity(contract.customer, today)
    if integrity.payment_risk:
        reasons.append({"code": "payment_risk", "params": {"count": integrity.overdue_count,
                                                           "amount": f"{integrity.overdue_amount:,.2f}"}})
    minimum = ContractPolicy.current().min_margin_percent
    if contract.margin_percent is not None and Decimal(contract.margin_percent) < minimum:
        reasons.append({"code": "low_margin", "params": {"margin": f"{contract.margin_percent:.2f}",
                                                         "minimum": f"{minimum:.2f}"}})
    return (ContractClass.SPECIAL if reasons else ContractClass.REGULAR), reasons


def apply(contract: Contract, lines=None) -> None:
    """Set ``contract_class`` and ``class_reasons`` from the criteria (not saved); a class raised by sales stays."""
    computed, reasons = classify(contract, lines)
    if contract.class_raised_reason:
        reasons.append({"code": "raised", "params": {"reason": contract.class_raised_reason}})
        computed = ContractClass.SPECIAL
    contract.contract_class, contract.class_reasons = computed, reasons


def reason_labels(contract: Contract) -> list[str]:
    """The stored reasons as sentences in the reader's language."""
    labels = []
    for reason in contract.class_reasons or []:
        text = REASON_TEXTS.get(reason.get("code"))
        if text is None:
            continue
        try:
            labels.append(str(text) % reason.get("params", {}))
        except (KeyError, TypeError, ValueError):
            labels.append(str(text))
    return labels


def raise_class(contract: Contract, by, reason: str) -> Contract:
    """Sales raises a regular contract to special, with a reason; a class is never lowered."""
    reason = (reason or "").strip()
    if not reason:
        raise ClassRefused(gettext("提升合同类别须填写理由。"))
    if contract.status != ContractStatus.DRAFT:
        raise ClassRefused(gettext("只有草稿状态的合同可以调整类别（评审路线在提交评审时确定）。"))
    if contract.contract_class == ContractClass.SPECIAL:
        raise ClassRefused(gettext("合同已是非常规合同；类别只能提升，不能降低。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("提升为非常规合同：%(reason)s") % {
            "reason": reason}):
        contract.class_raised_reason = reason[:200]
        contract.class_raised_by = by
        contract.class_raised_at = timezone.now()
        apply(contract)
        changed = Contract.objects.filter(pk=contract.pk, status=ContractStatus.DRAFT,
                                          contract_class=ContractClass.REGULAR).update(
            class_raised_reason=contract.class_raised_reason, class_raised_by=by,
            class_raised_at=contract.class_raised_at, contract_class=contract.contract_class,
            class_reasons=contract.class_reasons)
        if changed != 1:
            raise ClassRefused(gettext("此记录已被他人更新，请刷新后重试。"))
    return contract
