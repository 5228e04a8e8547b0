"""Contracts, special requirements, shipments and customer property for the fulfilment tests (made directly or
through the fulfilment services, not through the contract review's)."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from customers.contracts.fulfilment_models import RequirementKind, RequirementScope
from customers.contracts.models import Contract, ContractLine, ContractStatus
from customers.contracts.services import property as property_service
from customers.contracts.services import shipments as shipment_service
from customers.contracts.services import special_requirements as requirement_service
from customers.tests.factories import make_customer
from qms.demo import DEMO_PASSWORD
from qms.people import Department

_numbers = itertools.count(1)


def make_contract(owner, *, customer=None, status=ContractStatus.REGISTERED, lines=(("输液器", "A-20", 100),),
                  **fields) -> Contract:
    customer = customer or make_customer(owner)
    number = f"HT2026-T{next(_numbers):04d}" if status in (ContractStatus.REGISTERED, ContractStatus.COMPLETED) else ""
    contract = Contract.objects.create(customer=customer, title=fields.pop("title", "年度供货合同"), number=number,
                                       delivery_date=fields.pop("delivery_date", dt.date(2026, 12, 31)),
                                       owner=owner, created_by=owner, status=status,
                                       delivery_address=fields.pop("delivery_address", "上海市浦东新区张江路 1 号"),
                                       **fields)
    for no, (product, spec, quantity) in enumerate(lines, start=1):
        ContractLine.objects.create(contract=contract, line_no=no, product=product, specification=spec,
                                    quantity=Decimal(quantity), unit_price=Decimal("12.50"))
    return contract


def departments(*codes):
    return list(Department.objects.filter(code__in=codes).order_by("code"))


def make_requirement(people, contract, *, scope=RequirementScope.ALL_CONTRACTS, kind=RequirementKind.PACKAGING,
                     codes=("production", "quality")):
    return requirement_service.capture(
        by=people["sales"], customer=contract.customer, kind=kind, title="外箱须贴客户物料编码",
        text="每个外箱贴客户物料编码标签，标签格式按客户提供的模板。", departments=departments(*codes), scope=scope,
        contract=contract if scope == RequirementScope.ONE_CONTRACT else None)


def meet(people, requirement):
    """Review, every department's acknowledgement and quality's verification."""
    from qms import workflow

    workflow.perform(requirement, "communicated", people["mr"], password=DEMO_PASSWORD,
                     values={"review_note": "要求明确，传递生产部、品质部落实。"})
    for ack in requirement.acknowledgements.select_related("department__manager"):
        requirement_service.acknowledge(requirement, ack.department, by=ack.department.manager,
                                        password=DEMO_PASSWORD, measures="已修订作业指导书。")
    workflow.perform(requirement, "verified", people["quality"], password=DEMO_PASSWORD,
                     values={"verification_note": "抽查 3 箱，标签符合要求。"})
    requirement.refresh_from_db()
    return requirement


def make_shipment(people, contract=None, *, quantity=40, batch="B2026-0901", **fields):
    contract = contract or make_contract(people["sales"])
    line = contract.lines.order_by("line_no").first()
    return shipment_service.create_shipment(by=people["sales"], contract=contract,
                                            lines=[(line, quantity, batch)], **fields)


def shipped(people, contract=None, *, shipped_at=None, **fields):
    shipment = make_shipment(people, contract, **fields)
    shipment_service.ship(shipment, by=people["sales"], shipped_at=shipped_at or timezone.now())
    shipment.refresh_from_db()
    return shipment


def make_property(people, customer=None, **fields):
    customer = customer or make_customer(people["sales"])
    values = {"kind": "mould", "name": "外壳注塑模具", "identifier": "M-0032", "handed_over_by": "客户采购 周工",
              "storage_location": "模具库 A-3", "condition": "完好，附模具图纸一套", **fields}
    return property_service.register(by=people["sales"], password=DEMO_PASSWORD, customer=customer, **values)


# --- the URL walk's declarations (customers/tests/test_urls.py) --------------------------------------------
def _requirement(people):
    return make_requirement(people, make_contract(people["sales"]))


def _shipment(people):
    return make_shipment(people, make_contract(people["sales"]))


def _property(people):
    return make_property(people)


def url_declarations():
    """(pages, records) of the fulfilment URLs: a record of a salesperson's customer is hidden from another
    salesperson (sales2)."""
    from qms.tests.cases import RecordUrls

    pages = ("special_requirement_list", "special_requirement_create", "shipment_list", "shipment_create",
             "property_list", "property_create")
    records = [
        RecordUrls(make=_requirement, insider="sales", outsider="sales2",
                   pages=("special_requirement_detail", "special_requirement_pdf", "special_requirement_correct"),
                   actions=("special_requirement_acknowledge",)),
        RecordUrls(make=_shipment, insider="sales", outsider="sales2", pages=("shipment_detail", "shipment_pdf")),
        RecordUrls(make=_property, insider="sales", outsider="sales2", pages=("property_detail", "property_pdf"),
                   actions=("property_incident", "property_relocate")),
    ]
    return pages, records
