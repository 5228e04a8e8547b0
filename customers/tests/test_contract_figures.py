"""Contracts seen from the key account (§2 Key-account page): the customer's 合同 tab (its contracts with their lines
and status, the contracts in review; the user's visible contracts only; the same queries for 3 or 30 contracts) and
the analysis page's contract value per month and per owner."""
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from customers.contracts.models import Contract, ContractLine, ContractStatus
from customers.services.analysis import customer_analysis
from customers.tabs import render_contracts_tab
from customers.tests.factories import make_customer
from qms.tests.cases import assert_queries_at_most, count_queries

pytestmark = pytest.mark.django_db
S = ContractStatus


def make_contract(customer, owner, *, title="年度框架合同", status=S.REGISTERED, number="", ordered_on=None,
                  lines=(("一次性输液器", 100, "2.50"),)) -> Contract:
    contract = Contract.objects.create(
        customer=customer, owner=owner, created_by=owner, title=title, status=status, number=number,
        ordered_on=ordered_on or dt.date(2026, 3, 1), delivery_date=dt.date(2026, 6, 30))
    total = Decimal("0")
    for no, (product, quantity, price) in enumerate(lines, 1):
        line = ContractLine.objects.create(contract=contract, line_no=no, product=product, quantity=quantity,
                                           unit_price=Decimal(price))
        total += line.amount
    Contract.objects.filter(pk=contract.pk).update(total_amount=total)
    contract.refresh_from_db()
    return contract


# --- the 合同 tab -------------------------------------------------------------------------------------------
def test_the_contracts_tab_shows_the_customers_contracts_lines_and_reviews(people, login):
    customer = make_customer(people["sales2"], name="杭州西湖精密仪器有限公司")
    make_contract(customer, people["sales2"], number="HT-2026-0001", lines=[
        ("一次性输液器", 1000, "2.50"), ("一次性注射器", 500, "1.20"), ("医用胶带", 10, "8"), ("医用纱布", 20, "4")])
    make_contract(customer, people["sales2"], title="三月补充订单", status=S.IN_REVIEW)
    make_contract(make_customer(people["sales2"], name="苏州工业园区医疗科技有限公司"), people["sales2"],
                  title="别家客户的合同")
    response = login(people["sales2"]).get(customer.get_absolute_url(), {"tab": "contracts"})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="customer-contracts"' in text
    contracts = text.split('id="contracts-contracts"')[1].split('id="contracts-reviews"')[0]
    assert "HT-2026-0001" in contracts and "年度框架合同" in contracts and "三月补充订单" in contracts
    assert "一次性输液器 × 1000 件" in contracts and "医用胶带 × 10 件" in contracts and "等另 1 项" in contracts
    assert "医用纱布" not in contracts and "别家客户的合同" not in text
    assert "3260.00" in contracts  # 2500 + 600 + 80 + 80: the contract in review is no contract value yet
    assert "共 2 份合同，其中已登记或已完成 1 份" in contracts
    reviews = text.split('id="contracts-reviews"')[1]
    assert "三月补充订单" in reviews and "年度框架合同" not in reviews and "评审中" in reviews


def test_the_tab_shows_only_the_contracts_the_user_may_see(people, login):
    customer = make_customer(people["sales2"], name="杭州西湖精密仪器有限公司")
    make_contract(customer, people["sales2"], title="钱销售的合同")
    make_contract(customer, people["gm"], title="王总签的合同")
    mine = login(people["sales2"]).get(customer.get_absolute_url(), {"tab": "contracts"}).content.decode()
    assert "钱销售的合同" in mine and "王总签的合同" not in mine
    everyone = login(people["gm"]).get(customer.get_absolute_url(), {"tab": "contracts"}).content.decode()
    assert "钱销售的合同" in everyone and "王总签的合同" in everyone


def test_the_tab_offers_a_new_contract_for_the_customer_once_the_contract_form_exists(people, login):
    customer = make_customer(people["sales2"], name="杭州西湖精密仪器有限公司")
    text = login(people["admin"]).get(customer.get_absolute_url(), {"tab": "contracts"}).content.decode()
    try:
        create = reverse("customers:contract_create")
    except NoReverseMatch:  # before helper A's contract pages are merged: no button that leads nowhere
        assert "新建合同" not in text
        return
    assert f'href="{create}?customer={customer.pk}"' in text


def test_the_tab_costs_the_same_queries_for_3_and_30_contracts(people):
    customer = make_customer(people["sales2"], name="杭州西湖精密仪器有限公司")
    request = RequestFactory().get("/")
    request.user = people["sales"]  # the owner's manager
    counts = []
    for wanted in (3, 30):
        while Contract.objects.filter(customer=customer).count() < wanted:
            n = Contract.objects.count()
            make_contract(customer, people["sales2"], title=f"合同{n}", status=[S.REGISTERED, S.IN_REVIEW][n % 2],
                          lines=[("输液器", 1, "1"), ("注射器", 2, "1"), ("胶带", 3, "1"), ("纱布", 4, "1")])
        render_contracts_tab(request, customer)  # the user's roles, cached on the instance
        with count_queries() as queries:
            html = render_contracts_tab(request, customer)
        counts.append(len(queries))
        assert html.count("data-contract=") == wanted + wanted // 2
    assert counts[0] == counts[1]
    with assert_queries_at_most(7):  # contracts, lines, totals, reviews; requirements; shipments and their lines
        render_contracts_tab(request, customer)


def test_the_tab_shows_the_customers_special_requirements_and_shipments_with_their_batches(people, login):
    from customers.tests import fulfilment_factories as ff

    contract = ff.make_contract(people["sales"])
    ff.shipped(people, contract, batch="B2026-1101")
    ff.make_requirement(people, contract)  # captured after the shipment (it would have held it back)
    other = ff.make_contract(people["sales2"])
    ff.shipped(people, other, batch="B2026-9999")
    text = login(people["sales"]).get(contract.customer.get_absolute_url(), {"tab": "contracts"}).content.decode()
    requirements = text.split('id="contracts-requirements"')[1].split('id="contracts-shipments"')[0]
    assert "外箱须贴客户物料编码" in requirements and "待管代审核" in requirements
    shipments = text.split('id="contracts-shipments"')[1]
    assert "B2026-1101" in shipments and "已发货待确认" in shipments and "B2026-9999" not in shipments


# --- the analysis page ------------------------------------------------------------------------------------------
def _shanghai(*args):
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture
def signed_contracts(people):
    """Registered and completed contracts count by their order date; drafts, reviews and cancelled ones do not."""
    hangzhou = make_customer(people["sales2"], name="杭州西湖精密仪器有限公司")
    suzhou = make_customer(people["sales"], name="苏州工业园区医疗科技有限公司")
    make_contract(hangzhou, people["sales2"], ordered_on=dt.date(2026, 3, 5), lines=[("输液器", 1000, "2.50")])
    make_contract(hangzhou, people["sales2"], ordered_on=dt.date(2026, 3, 20), status=S.COMPLETED,
                  lines=[("注射器", 500, "1.20")])
    make_contract(suzhou, people["sales"], ordered_on=dt.date(2026, 5, 2), lines=[("胶带", 100, "8")])
    make_contract(suzhou, people["sales"], ordered_on=dt.date(2025, 4, 30), lines=[("纱布", 1, "99999")])  # too old
    for status in (S.DRAFT, S.IN_REVIEW, S.CANCELLED, S.REJECTED):
        make_contract(hangzhou, people["sales2"], ordered_on=dt.date(2026, 5, 3), status=status,
                      lines=[("纱布", 1, "7777")])


def test_contract_value_per_month_over_the_last_12_months(people, signed_contracts):
    with time_machine.travel(_shanghai(2026, 5, 12, 9, 0), tick=False):
        analysis = customer_analysis(people["gm"], period="12m")
    months = {f"{m.month:%Y-%m}": (m.count, m.value) for m in analysis.contracts_per_month}
    assert list(months)[0] == "2025-06" and list(months)[-1] == "2026-05" and len(months) == 12
    assert months["2026-03"] == (2, Decimal("3100.00"))
    assert months["2026-05"] == (1, Decimal("800.00"))
    assert months["2026-04"] == (0, Decimal("0"))
    assert analysis.contract_total == Decimal("3900.00")


def test_contract_value_per_owner_over_the_chosen_period_and_the_users_visibility(people, signed_contracts):
    with time_machine.travel(_shanghai(2026, 5, 12, 9, 0), tick=False):
        year = customer_analysis(people["gm"], period="12m")
        month = customer_analysis(people["gm"], period="month")
        own = customer_analysis(people["sales2"], period="12m")
    assert [(o.name, o.count, o.value) for o in year.contracts_per_owner] == [
        ("钱销售", 2, Decimal("3100.00")), ("张销售", 1, Decimal("800.00"))]
    assert [(o.name, o.count, o.value) for o in month.contracts_per_owner] == [("张销售", 1, Decimal("800.00"))]
    assert [(o.name, o.value) for o in own.contracts_per_owner] == [("钱销售", Decimal("3100.00"))]
    assert sum(m.value for m in own.contracts_per_month) == Decimal("3100.00")


def test_the_analysis_page_draws_and_tabulates_the_contract_value(people, login, signed_contracts):
    with time_machine.travel(_shanghai(2026, 5, 12, 9, 0), tick=False):
        response = login(people["gm"]).get(reverse("customers:analysis"), {"period": "12m"})
    assert response.status_code == 200
    chart = response.context["chart_data"]
    assert chart["contractsPerMonth"]["labels"][-1] == "2026-05"
    assert chart["contractsPerMonth"]["values"][-3:] == [3100.0, 0.0, 800.0]
    assert chart["contractsPerOwner"]["labels"] == ["钱销售", "张销售"]
    text = response.content.decode()
    assert 'id="contract-value-month"' in text and 'id="contract-value-owner"' in text and "3900.00" in text


def test_the_analysis_page_queries_do_not_grow_with_the_contracts(people, login, signed_contracts):
    client = login(people["gm"])
    url = reverse("customers:analysis")
    client.get(url)
    with count_queries() as before:
        client.get(url)
    customer = make_customer(people["sales2"], name="无锡滨湖贸易有限公司")
    for i in range(20):
        make_contract(customer, people[["sales", "sales2", "gm"][i % 3]], ordered_on=dt.date(2026, 1 + i % 4, 3))
    with count_queries() as after:
        client.get(url)
    assert len(after) == len(before)


# --- the generator of the benchmark -----------------------------------------------------------------------
def test_the_generator_makes_contracts_whose_amounts_are_the_sums_of_their_lines(people):
    import io

    from django.core.management import call_command
    from django.db.models import Count, F, Q, Sum

    from qms.people import Role, User

    for i in range(3):
        make_customer(people["sales2"] if i else None, by=people["sales"], name=f"生成测试{i}号贸易有限公司")
    call_command("generate_contracts", contracts=40, lines=130, stdout=io.StringIO())
    assert Contract.objects.count() == 40 and ContractLine.objects.count() == 130
    mismatched = (Contract.objects.annotate(n=Count("lines"), lines_total=Sum("lines__amount"))
                  .filter(Q(n=0) | ~Q(total_amount=F("lines_total"))))
    assert not mismatched.exists()
    numbered = Contract.objects.filter(status__in=[S.REGISTERED, S.COMPLETED])
    assert numbered.exclude(number="").count() == numbered.count() > 0
    assert not Contract.objects.exclude(status__in=[S.REGISTERED, S.COMPLETED]).exclude(number="").exists()
    # the customer's owner, or a salesperson for the pool customer
    assert set(Contract.objects.values_list("owner", flat=True)) <= set(
        User.objects.filter(groups__name=Role.SALES).values_list("pk", flat=True))
