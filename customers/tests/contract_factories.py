"""Helpers for the contract tests: a draft through the capture service, a contract taken along the review."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from customers.contracts.models import Contract, ContractStatus, OrderForm
from customers.contracts.services import capture
from customers.tests.factories import make_customer
from qms import attachments, countersign, workflow
from qms.countersign import Verdict

PASSWORD = "Demo@2026"


def line(product="一次性使用输液器", **fields) -> dict:
    row = {"product": product, "specification": "DEHP-free 1.5m", "quantity": Decimal("1000"), "unit": "支",
           "unit_price": Decimal("3.50"), "delivery_date": None, "is_standard_product": True,
           "is_new_product": False}
    row.update(fields)
    return row


def make_contract(owner, *, by=None, customer=None, lines=None, **fields) -> Contract:
    """A draft contract (regular, written, terms clear, in stock unless told) owned by ``owner``."""
    values = {"title": "输液器年度订货", "order_form": OrderForm.WRITTEN,
              "delivery_date": timezone.localdate() + dt.timedelta(days=30), "packaging": "纸箱，每箱 500 支",
              "payment_terms": "月结 30 天", "in_stock": True, "margin_percent": Decimal("25")}
    values.update(fields)
    contract = Contract(customer=customer or make_customer(owner), owner=owner, **values)
    return capture.save_draft(contract, lines if lines is not None else [line()], by=by or owner)


def attach_confirmation(contract, by, name="客户确认邮件.pdf"):
    upload = SimpleUploadedFile(name, b"%PDF-1.4\n% written confirmation\n%%EOF\n", content_type="application/pdf")
    return attachments.attach(contract, upload, by=by, description="顾客书面确认")


def submit(contract, by):
    workflow.perform(contract, ContractStatus.IN_REVIEW, by)
    contract.refresh_from_db()
    return contract


def agree_all(contract, people, *, except_parties=()):
    """Every pending opinion given (同意) by the person asked."""
    for opinion in countersign.missing(contract):
        if opinion.party in except_parties:
            continue
        countersign.give_opinion(opinion, opinion.responsible, verdict=Verdict.AGREE, text="可以满足",
                                 password=PASSWORD)
