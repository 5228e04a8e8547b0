"""The customer's past integrity (客户信誉记录, seed 001 / PROCEDURES.md §2 "Requirement identification"), read from
the key-account record: instalments of the payment plan past their due date and not fully paid, and the
customer's complaints. The contract page shows it; the classification reads the overdue payments (payment risk).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db.models import F, Sum
from django.utils import timezone

from customers.contracts.models import ContractStatus, PaymentInstalment

# a cancelled or refused contract owes nothing
DEAD = (ContractStatus.CANCELLED, ContractStatus.REJECTED)


@dataclass
class Integrity:
    overdue: list = field(default_factory=list)  # PaymentInstalment rows, oldest due first
    overdue_count: int = 0
    overdue_amount: Decimal = Decimal("0")
    complaints: list = field(default_factory=list)  # the latest complaints
    complaint_count: int = 0

    @property
    def payment_risk(self) -> bool:
        return self.overdue_count > 0


def overdue_instalments(customer, today: dt.date | None = None):
    """The customer's instalments due before ``today`` and not fully paid."""
    today = today or timezone.localdate()
    return (PaymentInstalment.objects.filter(contract__customer=customer, due_on__lt=today,
                                             paid_amount__lt=F("amount"))
            .exclude(contract__status__in=DEAD).select_related("contract").order_by("due_on", "pk"))


def customer_complaints(customer):
    complaint = apps.get_model("complaints", "Complaint")
    return complaint.objects.filter(customer=customer, type="complaint").order_by("-received_at", "-pk")


def customer_integrity(customer, today: dt.date | None = None, *, latest: int = 5) -> Integrity:
    overdue = overdue_instalments(customer, today)
    totals = overdue.aggregate(amount=Sum(F("amount") - F("paid_amount")))
    complaints = customer_complaints(customer)
    rows = list(overdue[:20])
    return Integrity(overdue=rows, overdue_count=overdue.count() if len(rows) == 20 else len(rows),
                     overdue_amount=totals["amount"] or Decimal("0"),
                     complaints=list(complaints[:latest]), complaint_count=complaints.count())
