"""Requirement capture on the contract/order (PROCEDURES.md §2 "Requirement identification"; seed 002 §5.1):
the draft with its product lines, its requirements and terms, classified on every save."""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from customers.contracts.models import Contract, ContractLine, ContractStatus
from customers.contracts.services import classification
from qms import Refused, audit

LINE_FIELDS = ("product", "specification", "quantity", "unit", "unit_price", "delivery_date", "is_standard_product",
               "is_new_product")


class CaptureRefused(Refused):
    pass


def save_draft(contract: Contract, lines: list[dict], *, by) -> Contract:
    """Save a new or draft contract with ``lines`` (dicts of ``LINE_FIELDS``, with ``id`` for a line kept), in the
    order given; lines of the draft not given are removed (a draft is not yet a controlled record; the audit trail
    keeps them). Recomputes the amount and the class."""
    if contract.pk and Contract.objects.filter(pk=contract.pk).values_list("status", flat=True).first() \
            != ContractStatus.DRAFT:
        raise CaptureRefused(gettext("只有草稿状态的合同可以修改；已提交评审的合同请走合同变更。"))
    if not lines:
        raise CaptureRefused(gettext("请至少填写一行产品明细。"))
    new = contract.pk is None
    with transaction.atomic(), audit.context(user=by, reason=gettext("新建合同") if new else gettext("修改合同")):
        if new:
            contract.created_by = by
        contract.save()
        kept = {row["id"] for row in lines if row.get("id")}
        existing = {line.pk: line for line in contract.lines.all()}
        for pk, line in existing.items():
            if pk not in kept:
                line.delete()
        contract.lines.update(line_no=F("line_no") + 1000)  # free the numbers before renumbering
        saved = []
        for number, row in enumerate(lines, start=1):
            line = existing.get(row.get("id")) or ContractLine(contract=contract)
            for name in LINE_FIELDS:
                setattr(line, name, row.get(name))
            if line.unit is None or line.unit == "":
                line.unit = "件"
            if line.delivery_date is None:
                line.delivery_date = contract.delivery_date
            line.line_no = number
            line.save()
            saved.append(line)
        contract.total_amount = sum((line.amount for line in saved), Decimal("0"))
        classification.apply(contract, saved)
        Contract.objects.filter(pk=contract.pk).update(total_amount=contract.total_amount,
                                                       contract_class=contract.contract_class,
                                                       class_reasons=contract.class_reasons)
    return contract
