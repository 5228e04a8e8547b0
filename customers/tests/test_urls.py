"""Every URL of the key-accounts app answers anonymous → login, a user who may not see the record → 404, one who
may → 200. A salesperson's customers are hidden from another salesperson (sales2); their manager (sales) sees
them."""
import datetime as dt

import pytest

from customers.models import Visit, VisitKind
from customers.services import recycle_bin
from customers.services import visits as visit_service
from customers.tests import test_opportunities, test_payments
from customers.tests.factories import make_contact, make_customer
from customers.tests.fulfilment_factories import url_declarations as fulfilment_urls
from qms.tests.cases import RecordUrls, UrlWalk


def customer(people):
    return make_customer(people["sales"], grade="A", relationship_started_on=dt.date(2020, 1, 1))


def contact(people):
    return make_contact(customer(people), name="王护士长")


def binned(people):
    record = customer(people)
    recycle_bin.bin_customer(record, by=people["gm"], reason="重复录入")
    return record


def visit(people):
    record = customer(people)
    visit_service.generate_visit_plans(dt.date(2026, 5, 1), customers=[record])
    return Visit.objects.filter(customer=record, kind=VisitKind.VISIT).first()


FULFILMENT_PAGES, FULFILMENT_RECORDS = fulfilment_urls()

WALK = UrlWalk(
    "customers",
    pages=("list", "create", "cities", "choices", "pool", "transfer", "bin", "visits", "grading", "analysis",
           *FULFILMENT_PAGES),
    actions=("claim",),
    records=[
        RecordUrls(make=customer, insider="sales", outsider="sales2",
                   pages=("detail", "edit", "archive_edit", "contact_add", "archive_pdf"),
                   actions=("set_status", "follow_up_add", "business_add", "release", "delete")),
        RecordUrls(make=contact, kwargs=lambda c: {"pk": c.customer_id, "contact_pk": c.pk},
                   insider="sales", outsider="sales2", pages=("contact_edit",), actions=("contact_deactivate",)),
        RecordUrls(make=binned, insider="gm", outsider="sales2", actions=("restore", "purge")),
        RecordUrls(make=visit, insider="sales", outsider="sales2",
                   pages=("visit_detail", "visit_arrange", "visit_record"), actions=("visit_cancel",)),
        *FULFILMENT_RECORDS,
    ],
    # opportunities and payments walk their own URLs (with finance as the insider of a payment)
    exempt={name: "walked in its own module" for name in (*test_opportunities.NAMES, *test_payments.NAMES)},
)


@pytest.mark.parametrize("case", WALK.cases())
def test_url(case, people, client):
    case.check(people, client)


def test_every_url_is_declared():
    from customers.tests.test_contracts_urls import WALK as CONTRACTS

    UrlWalk("customers", pages=(*WALK.pages, *CONTRACTS.pages), actions=(*WALK.actions, *CONTRACTS.actions),
            records=[*WALK.records, *CONTRACTS.records], exempt=WALK.exempt).assert_complete()
