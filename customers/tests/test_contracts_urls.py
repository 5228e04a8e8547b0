"""Every contract URL (/customers/contracts/…) answers anonymous → login, a user who may not see the contract → 404,
one who may → 200 (or, for an action, a redirect or 405). ``customers.tests.test_urls`` checks that the two walks
together declare every URL of the namespace."""
import pytest

from customers.contracts.models import ContractStatus
from customers.tests.contract_factories import PASSWORD, agree_all, make_contract, submit
from qms import countersign, workflow
from qms.countersign import Verdict
from qms.people import Role
from qms.tests.cases import RecordUrls, UrlWalk


def draft(people):
    return make_contract(people["sales"])


def registered(people):
    sales = people["sales"]
    contract = submit(make_contract(sales, in_stock=True), sales)
    agree_all(contract, people)
    workflow.perform(contract, ContractStatus.APPROVED, sales)
    workflow.perform(contract, ContractStatus.REGISTERED, sales)
    contract.refresh_from_db()
    return contract


def handed_over(people):
    from customers.contracts.services import review

    contract = registered(people)
    return review.hand_original_to_finance(contract, people["sales"])


def quality_opinion(people):
    contract = submit(make_contract(people["sales"], within_capacity=False), people["sales"])
    return next(o for o in countersign.opinions_for(contract) if o.party == Role.QUALITY)


def disagreement(people):
    opinion = quality_opinion(people)
    return countersign.give_opinion(opinion, people["quality"], verdict=Verdict.DISAGREE, text="无检测能力",
                                    password=PASSWORD)


def change(people):
    from customers.contracts.models import ChangeSource
    from customers.contracts.services import change as change_service

    contract = registered(people)
    return change_service.raise_change(contract, people["sales"], source=ChangeSource.CUSTOMER,
                                       description="推迟 20 天", new_payment_terms="预付 50%",
                                       affected_parties=[Role.QUALITY])


def change_opinion(people):
    record = change(people)
    workflow.perform(record, "in_review", people["sales"])
    return countersign.opinions_for(record)[0]


def change_disagreement(people):
    opinion = change_opinion(people)
    return countersign.give_opinion(opinion, people["quality"], verdict=Verdict.DISAGREE, text="检测周期不够",
                                    password=PASSWORD)


def opinion_kwargs(opinion):
    return {"pk": opinion.object_id, "opinion": opinion.pk}


WALK = UrlWalk(
    "customers",
    pages=("contract_list", "contract_create", "change_list"),
    records=[
        RecordUrls(make=draft, insider="sales", outsider="sales2",
                   pages=("contract_detail", "contract_edit", "contract_raise_class", "contract_pdf")),
        RecordUrls(make=registered, insider="sales", outsider="sales2", actions=("contract_hand_over",)),
        RecordUrls(make=handed_over, insider="finance", outsider="sales2", actions=("contract_receipt",)),
        RecordUrls(make=quality_opinion, kwargs=opinion_kwargs, insider="quality", outsider="sales2",
                   pages=("contract_opinion",)),
        RecordUrls(make=disagreement, kwargs=opinion_kwargs, insider="sales", outsider="pmc",
                   pages=("contract_resolve",)),
        RecordUrls(make=registered, insider="sales", outsider="sales2", pages=("change_create",)),
        RecordUrls(make=change, insider="sales", outsider="sales2", pages=("change_detail", "change_pdf")),
        RecordUrls(make=change_opinion, kwargs=opinion_kwargs, insider="quality", outsider="sales2",
                   pages=("change_opinion",)),
        RecordUrls(make=change_disagreement, kwargs=opinion_kwargs, insider="sales", outsider="pmc",
                   pages=("change_resolve",)),
    ],
)


@pytest.mark.parametrize("case", WALK.cases())
def test_contract_url(case, people, client):
    case.check(people, client)
