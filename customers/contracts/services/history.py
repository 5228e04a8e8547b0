"""Historical contracts (the 合同台账 kept before the portal): brought in by the shared Excel import
(``customers.contracts.imports``) and voided again when that import is reverted.

A historical contract with its register number lands as 已登记 (registered on its order date, so that the 5-year
retention counts from then); a number in the register's own format (HT-2025-0007) moves that year's counter of the
register numbering up to it, so that the numbers the portal gives go on after the former register's and never
repeat one (a revert leaves the counter: the paper contracts keep their numbers); one without a number lands as a 草稿 to be completed and reviewed in the portal. Its
amount is the sum of its lines and its delivery date the earliest of theirs, as when it is typed in.

A reverted import voids its contracts (已取消, the number freed, the reason "撤销导入 #<batch>" in their history)
instead of deleting them: contracts are controlled records. A contract someone has worked on since (any change on
its history, a line added, a record of another kind that refers to it, an attachment) makes the revert refused.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext

from customers.contracts.models import Contract, ContractLine, ContractStatus
from qms import audit, numbering
from qms.excel.imports import ImportRefused

# the numbering of the 合同台账 (qms.numbering): the key and default prefix the registration uses
REGISTER_NUMBERING = "contract"
REGISTER_PREFIX = "HT"
LINE_FIELDS = ("product", "specification", "quantity", "unit", "unit_price", "delivery_date")


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _new_lines(contract: Contract, lines: list[dict], first_no: int) -> list[ContractLine]:
    return [ContractLine(contract=contract, line_no=first_no + i,
                         amount=(line["quantity"] or 0) * (line["unit_price"] or 0),
                         **{name: line.get(name) for name in LINE_FIELDS})
            for i, line in enumerate(lines)]


def create_historical_contract(*, by, reason: str, customer, owner, title: str, number: str,
                               customer_reference: str, ordered_on: dt.date, payment_terms: str,
                               lines: list[dict]) -> tuple[Contract, list[ContractLine]]:
    """A contract of the former register with its first lines: registered under ``number``, or a draft."""
    if not lines:
        raise ValueError("a historical contract needs at least one line")
    now = timezone.now()
    registered = bool(number)
    with transaction.atomic(), audit.context(user=by, reason=reason):
        contract = Contract(
            number=number, customer=customer, owner=owner, created_by=by, created_at=now, title=title,
            customer_reference=customer_reference, ordered_on=ordered_on, payment_terms=payment_terms,
            delivery_date=min(line["delivery_date"] for line in lines),
            total_amount=sum(((line["quantity"] or 0) * (line["unit_price"] or 0) for line in lines), Decimal("0")),
            status=ContractStatus.REGISTERED if registered else ContractStatus.DRAFT, status_changed_at=now,
            registered_at=_start_of_day(ordered_on) if registered else None, registered_by=by if registered else None,
        )
        if registered:
            numbering.take_existing_number(REGISTER_NUMBERING, number, prefix_default=REGISTER_PREFIX,
                                           name_default="合同台账")
        contract.save()
        created = ContractLine.objects.bulk_create(_new_lines(contract, lines, 1))
    return contract, created


def add_historical_lines(contract: Contract, lines: list[dict], *, first_no: int, by,
                         reason: str) -> list[ContractLine]:
    """More lines of a contract created by the same import (its rows further down the file)."""
    with transaction.atomic(), audit.context(user=by, reason=reason):
        created = ContractLine.objects.bulk_create(_new_lines(contract, lines, first_no))
        Contract.objects.filter(pk=contract.pk).update(
            total_amount=F("total_amount") + sum((line.amount for line in created), Decimal("0")),
            delivery_date=Least("delivery_date", min(line["delivery_date"] for line in lines)))
    return created


def worked_on_since(contract_ids, line_ids, import_reasons) -> list[Contract]:
    """The contracts among ``contract_ids`` that someone has touched since the import whose audit reason (in each
    interface language) is one of ``import_reasons``: any change on their history but the import's own."""
    ids = set(contract_ids)
    touched = set(ContractLine.objects.filter(contract_id__in=ids).exclude(pk__in=list(line_ids))
                  .values_list("contract_id", flat=True))
    if audit.is_tracked(Contract):
        touched.update(audit.event_model(Contract).objects.filter(pgh_obj_id__in=ids)
                       .exclude(pgh_context__reason__in=list(import_reasons)).values_list("pgh_obj_id", flat=True))
    events = {audit.event_model(Contract)} if audit.is_tracked(Contract) else set()
    for relation in Contract._meta.related_objects:  # reviews, instalments, payments, shipments …
        if relation.related_model is ContractLine or relation.related_model in events or relation.many_to_many:
            continue
        field = relation.field
        touched.update(relation.related_model._base_manager.filter(**{f"{field.name}__in": ids})
                       .values_list(field.attname, flat=True))
    from qms.attachments import Attachment

    touched.update(Attachment.objects.filter(content_type=ContentType.objects.get_for_model(Contract),
                                             object_id__in=ids).values_list("object_id", flat=True))
    return list(Contract.objects.filter(pk__in=touched & ids).order_by("pk"))


def void_imported_contracts(contract_ids, line_ids, *, by, import_reasons, reason: str) -> int:
    """Revert of an import: its contracts cancelled and their numbers freed, unless worked on since."""
    touched = worked_on_since(contract_ids, line_ids, import_reasons)
    if touched:
        names = "、".join(str(c) for c in touched[:20])
        raise ImportRefused(gettext("以下合同在导入后已有改动、评审、回款或附件，不能撤销：%(names)s。") % {"names": names})
    with transaction.atomic(), audit.context(user=by, reason=reason):
        return Contract.objects.filter(pk__in=list(contract_ids)).update(
            status=ContractStatus.CANCELLED, number="", status_changed_at=timezone.now())
