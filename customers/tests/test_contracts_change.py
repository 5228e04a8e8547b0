"""Contract change 《合同变更通知单》 (seed 002 §6.5): a delivery date moved ≤ 5 days with a phone record and a notice to
production; further, or any other change, re-reviewed by the affected departments only, and a delivery date moved
more than 5 days effective only with the customer's written confirmation; before/after kept on the contract."""
import datetime as dt

import pytest
from django.urls import reverse

from customers.contracts.models import ChangeSource, ChangeStatus, ContractStatus
from customers.contracts.services import change as service
from customers.tests.contract_factories import PASSWORD, agree_all, attach_confirmation, make_contract, submit
from qms import Refused, countersign, workflow
from qms.notifications import Notification
from qms.people import Role
from qms.workflow import TransitionRefused

pytestmark = pytest.mark.django_db
C = ChangeStatus


def registered(people, **fields):
    sales = people["sales"]
    contract = submit(make_contract(sales, in_stock=False, **fields), sales)
    agree_all(contract, people)
    workflow.perform(contract, ContractStatus.AWAITING_APPROVAL, sales)
    workflow.perform(contract, ContractStatus.APPROVED, people["salesvp"], password=PASSWORD)
    workflow.perform(contract, ContractStatus.REGISTERED, sales)
    contract.refresh_from_db()
    return contract


def test_a_delivery_date_moved_five_days_needs_only_a_phone_record_and_tells_production(people, login):
    sales = people["sales"]
    contract = registered(people)
    old = contract.delivery_date
    change = service.raise_change(contract, sales, source=ChangeSource.CUSTOMER, description="客户仓库改造，推迟收货",
                                  new_delivery_date=old + dt.timedelta(days=5))
    assert change.by_phone_record and change.number.startswith("BG-")
    assert workflow.refusal(change, C.IN_REVIEW, sales) == "交期调整不超过 5 天，无需再评审：填写电话记录后直接生效。"
    with pytest.raises(TransitionRefused, match="请填写电话记录"):
        workflow.perform(change, C.EFFECTIVE, sales, password=PASSWORD)
    workflow.perform(change, C.EFFECTIVE, sales, password=PASSWORD,
                     values={"phone_record": "12-04 10:30 与采购王建国通话，同意交期顺延 5 天"})
    contract.refresh_from_db()
    assert contract.delivery_date == old + dt.timedelta(days=5)
    assert list(contract.lines.values_list("delivery_date", flat=True)) == [old + dt.timedelta(days=5)]
    for username in ("production", "pmc"):
        assert Notification.objects.filter(recipient=people[username], title__startswith="合同变更通知").exists()
    # the approval stays valid: it signed the contract before the change (round 1, superseded by round 2)
    approval = next(row for row in workflow.signatures.signatures_for(contract) if row["meaning"] == "批准")
    assert approval["valid"] and approval["superseded_by"] == 2
    page = login(sales).get(contract.get_absolute_url(), {"tab": "changes"}).content.decode()
    assert f"{old:%Y-%m-%d}" in page and f"{old + dt.timedelta(days=5):%Y-%m-%d}" in page and change.number in page


def test_a_delivery_date_moved_further_is_re_reviewed_by_the_affected_departments_and_needs_the_customers_confirmation(
        people):
    sales = people["sales"]
    contract = registered(people)
    old = contract.delivery_date
    change = service.raise_change(contract, sales, source=ChangeSource.CUSTOMER, description="客户要求推迟 20 天",
                                  new_delivery_date=old + dt.timedelta(days=20),
                                  affected_parties=[Role.PMC, Role.PRODUCTION])
    with pytest.raises(TransitionRefused, match="此变更须经受影响部门再评审"):
        workflow.perform(change, C.EFFECTIVE, sales, password=PASSWORD, values={"phone_record": "电话"})
    workflow.perform(change, C.IN_REVIEW, sales)
    assert [o.party for o in countersign.opinions_for(change)] == [Role.PMC, Role.PRODUCTION]  # only those affected
    with pytest.raises(TransitionRefused, match="以下部门尚未给出评审意见：PMC、生产"):
        workflow.perform(change, C.EFFECTIVE, sales, password=PASSWORD)
    agree_all(change, people)
    with pytest.raises(TransitionRefused, match="须先上传顾客的书面确认"):
        workflow.perform(change, C.EFFECTIVE, sales, password=PASSWORD)
    contract.refresh_from_db()
    assert contract.delivery_date == old
    attach_confirmation(change, sales, name="客户延期函.pdf")
    workflow.perform(change, C.EFFECTIVE, sales, password=PASSWORD)
    contract.refresh_from_db()
    assert contract.delivery_date == old + dt.timedelta(days=20)
    change.refresh_from_db()
    assert service.value_rows(change) == [{"label": "交货日期", "field": "delivery_date", "before": f"{old}",
                                           "after": f"{old + dt.timedelta(days=20)}"}]


def test_a_change_of_terms_needs_the_affected_departments_and_only_one_change_is_open_at_a_time(people):
    sales = people["sales"]
    contract = registered(people)
    change = service.raise_change(contract, sales, source=ChangeSource.OURS, description="改为预付 30%",
                                  new_payment_terms="预付 30%，余款货到 30 天")
    assert not change.by_phone_record and not change.needs_customer_confirmation
    with pytest.raises(TransitionRefused, match="请选择受影响的部门"):
        workflow.perform(change, C.IN_REVIEW, sales)
    with pytest.raises(Refused, match="已有未完成的变更"):
        service.raise_change(contract, sales, source=ChangeSource.CUSTOMER, description="再改",
                             new_packaging="托盘")
    other = registered(people)
    with pytest.raises(Refused, match="至少填写一项与现合同不同的变更内容"):
        service.raise_change(other, sales, source=ChangeSource.CUSTOMER, description="没有变化",
                             new_payment_terms=other.payment_terms)
    with pytest.raises(Refused, match="只有已批准或已登记的合同可以变更"):
        service.raise_change(make_contract(sales), sales, source=ChangeSource.CUSTOMER, description="草稿",
                             new_packaging="托盘")


def test_the_change_form_keeps_what_was_typed_and_the_pdf_prints_before_and_after(people, login):
    from qms.demo import create_demo_company
    from qms.tests.test_pdf import pdf_text

    create_demo_company()
    sales = people["sales"]
    contract = registered(people)
    client = login(sales)
    url = reverse("customers:change_create", args=[contract.pk])
    response = client.post(url, {"source": "customer", "description": "", "new_packaging": "托盘包装"})
    assert response.status_code == 400 and "请填写变更内容及原因" in response.content.decode()
    assert "托盘包装" in response.content.decode()
    response = client.post(url, {"source": "customer", "description": "客户改用托盘", "new_packaging": "托盘包装",
                                 "affected_parties": [Role.PRODUCTION]})
    change = contract.changes.get()
    assert response.status_code == 302 and response["Location"] == change.get_absolute_url()
    text = "".join(pdf_text(client.get(reverse("customers:change_pdf", args=[change.pk])).content,
                            layout=False).split())
    for expected in ("合同变更通知单", "QR-8.2-02", change.number, "包装要求", "托盘包装", "客户改用托盘"):
        assert expected in text, expected
