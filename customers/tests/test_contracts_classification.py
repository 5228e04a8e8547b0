"""Contract classification 常规 / 非常规 (seed 002 §5.3.2): the criteria, the reasons shown, raising (never lowering)."""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.contracts.models import ContractClass, ContractPolicy, ContractStatus, PaymentInstalment
from customers.contracts.services import classification
from customers.contracts.services.integrity import customer_integrity
from customers.tests.contract_factories import line, make_contract, submit
from customers.tests.factories import make_customer
from qms import Refused, audit

pytestmark = pytest.mark.django_db


def labels(contract):
    return classification.reason_labels(contract)


def test_standard_product_within_capacity_with_clear_terms_is_regular(people):
    contract = make_contract(people["sales"])
    assert contract.contract_class == ContractClass.REGULAR
    assert contract.class_reasons == []


@pytest.mark.parametrize("fields, lines, expected", [
    ({}, [line("新型留置针", is_new_product=True, is_standard_product=False)], "新产品：新型留置针"),
    ({}, [line("定制导管", is_standard_product=False)], "非本公司标准产品：定制导管"),
    ({"within_capacity": False}, None, "数量或交期超出产能范围"),
    ({"over_technical_requirements": True}, None, "超出现有技术要求"),
    ({"payment_terms": ""}, None, "包装、价格或付款条件不明确"),
    ({"terms_clear": False}, None, "包装、价格或付款条件不明确"),
    ({}, [line(unit_price=Decimal("0"))], "包装、价格或付款条件不明确"),
    ({"margin_percent": Decimal("9.5")}, None, "毛利率 9.50% 低于最低标准 15.00%"),
])
def test_each_criterion_not_met_makes_the_contract_special_with_its_reason(people, fields, lines, expected):
    contract = make_contract(people["sales"], lines=lines, **fields)
    assert contract.contract_class == ContractClass.SPECIAL
    assert labels(contract) == [expected]


def test_overdue_instalments_of_the_customer_are_a_payment_risk(people):
    sales = people["sales"]
    customer = make_customer(sales)
    earlier = make_contract(sales, customer=customer, title="上一年订单")
    today = timezone.localdate()
    PaymentInstalment.objects.create(contract=earlier, seq=1, due_on=today - dt.timedelta(days=10),
                                     amount=Decimal("5000"), paid_amount=Decimal("2000"))
    PaymentInstalment.objects.create(contract=earlier, seq=2, due_on=today - dt.timedelta(days=40),
                                     amount=Decimal("3000"), paid_amount=Decimal("3000"))  # paid: no risk
    PaymentInstalment.objects.create(contract=earlier, seq=3, due_on=today + dt.timedelta(days=5),
                                     amount=Decimal("9000"))  # not yet due
    integrity = customer_integrity(customer)
    assert (integrity.overdue_count, integrity.overdue_amount) == (1, Decimal("3000"))

    contract = make_contract(sales, customer=customer)
    assert contract.contract_class == ContractClass.SPECIAL
    assert labels(contract) == ["付款风险：客户有 1 笔逾期未回款，共 3,000.00 元"]


def test_the_minimum_margin_is_the_policy_row(people):
    policy = ContractPolicy.current()
    policy.min_margin_percent = Decimal("30")
    policy.save()
    contract = make_contract(people["sales"], margin_percent=Decimal("25"))
    assert labels(contract) == ["毛利率 25.00% 低于最低标准 30.00%"]


def test_sales_raises_a_regular_contract_with_a_reason_and_the_raise_is_audited(people):
    sales = people["sales"]
    contract = make_contract(sales)
    classification.raise_class(contract, sales, "客户为新开发的三甲医院，首单需各部门把关")
    contract.refresh_from_db()
    assert contract.contract_class == ContractClass.SPECIAL
    assert labels(contract) == ["业务员提升为非常规合同：客户为新开发的三甲医院，首单需各部门把关"]
    assert contract.class_raised_by == sales
    assert any(row["reason"] == "提升为非常规合同：客户为新开发的三甲医院，首单需各部门把关"
               and row["field"] == "合同类别" for row in audit.history_for(contract))

    # an edit of the draft keeps the raised class, although the criteria alone would give a regular contract
    from customers.contracts.services import capture
    capture.save_draft(contract, [line(quantity=Decimal("10"))], by=sales)
    contract.refresh_from_db()
    assert contract.contract_class == ContractClass.SPECIAL


def test_a_class_is_never_lowered_and_raised_only_in_draft(people):
    sales = people["sales"]
    special = make_contract(sales, within_capacity=False)
    with pytest.raises(Refused, match="类别只能提升，不能降低"):
        classification.raise_class(special, sales, "想改成常规")
    with pytest.raises(Refused, match="须填写理由"):
        classification.raise_class(make_contract(sales), sales, "  ")
    in_review = submit(make_contract(sales), sales)
    assert in_review.status == ContractStatus.IN_REVIEW
    with pytest.raises(Refused, match="只有草稿状态"):
        classification.raise_class(in_review, sales, "太晚了")


def test_the_raise_page_refuses_a_special_contract_with_the_reason(people, login):
    sales = people["sales"]
    special = make_contract(sales, within_capacity=False)
    response = login(sales).post(reverse("customers:contract_raise_class", args=[special.pk]), {"reason": "x"},
                                 follow=True)
    assert "类别只能提升，不能降低" in response.content.decode()
    regular = make_contract(sales)
    response = login(sales).post(reverse("customers:contract_raise_class", args=[regular.pk]), {"reason": ""})
    assert response.status_code == 400 and "提升合同类别须填写理由" in response.content.decode()
    response = login(sales).post(reverse("customers:contract_raise_class", args=[regular.pk]),
                                 {"reason": "首单"}, follow=True)
    regular.refresh_from_db()
    assert regular.contract_class == ContractClass.SPECIAL
    assert "业务员提升为非常规合同：首单" in response.content.decode()
