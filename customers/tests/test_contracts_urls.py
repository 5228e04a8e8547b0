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


def opinion_kwargs(opinion):
    return {"pk": opinion.object_id, "opinion": opinion.pk}


WALK = UrlWalk(
    "customers",
    pages=("contract_list", "contract_create"),
    records=[
        RecordUrls(make=draft, insider="sales", outsider="sales2",
                   pages=("contract_detail", "contract_edit", "contract_raise_class", "contract_pdf")),
        RecordUrls(make=registered, insider="sales", outsider="sales2", actions=("contract_hand_over",)),
        RecordUrls(make=handed_over, insider="finance", outsider="sales2", actions=("contract_receipt",)),
        RecordUrls(make=quality_opinion, kwargs=opinion_kwargs, insider="quality", outsider="sales2",
                   pages=("contract_opinion",)),
        RecordUrls(make=disagreement, kwargs=opinion_kwargs, insider="sales", outsider="pmc",
                   pages=("contract_resolve",)),
    ],
)


@pytest.mark.parametrize("case", WALK.cases())
def test_contract_url(case, people, client):
    case.check(people, client)
