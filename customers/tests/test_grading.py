"""客户等级 ABC (PROCEDURES.md §1): the Pareto suggestion, its confirmation (permission, audit) and the page."""
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from customers.models import BusinessRecord, Customer, CustomerPolicy
from customers.services.grading import confirm_grades, suggest_grades
from customers.services.records import create_customer
from qms import audit
from qms.refusals import Refused
from qms.tests.cases import assert_queries_at_most

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def customer(people, name, owner="sales2", grade="C"):
    return create_customer(by=people["sales"], owner=people[owner] if owner else None, to_pool=owner is None,
                           name=name, grade=grade)


def revenue(people, customer_, amount, on=dt.date(2025, 6, 1)):
    return BusinessRecord.objects.create(customer=customer_, occurred_on=on, amount=Decimal(amount),
                                         recorded_by=people["sales"])


@pytest.fixture
def ranked(people):
    """Five customers with 50 / 30 / 10 / 5 / 5 % of the revenue and one without revenue."""
    customers = {}
    for name, amount, grade in [("甲", "5000", "C"), ("乙", "3000", "A"), ("丙", "1000", "A"), ("丁", "500", "B"),
                                ("戊", "500", "C"), ("己", None, "B")]:
        customers[name] = customer(people, f"{name}公司", grade=grade)
        if amount:
            revenue(people, customers[name], amount)
    # outside the period: not counted
    revenue(people, customers["己"], "99999", on=dt.date(2024, 12, 31))
    revenue(people, customers["戊"], "99999", on=dt.date(2026, 1, 1))
    return customers


# --- Pareto -------------------------------------------------------------------------------------------
def test_pareto_grades_with_the_threshold_crossing_customer_included(people, ranked):
    grading = suggest_grades(START, END, Customer.objects.all())
    rows = [(r.customer.name, r.revenue, r.share, r.cumulative_share, r.current, r.suggested) for r in grading.rows]
    assert rows == [
        ("甲公司", Decimal("5000"), Decimal("50.00"), Decimal("50.00"), "C", "A"),
        ("乙公司", Decimal("3000"), Decimal("30.00"), Decimal("80.00"), "A", "A"),  # reaches 80 %: A
        ("丙公司", Decimal("1000"), Decimal("10.00"), Decimal("90.00"), "A", "B"),
        ("丁公司", Decimal("500"), Decimal("5.00"), Decimal("95.00"), "B", "B"),    # reaches 95 %: B
        ("戊公司", Decimal("500"), Decimal("5.00"), Decimal("100.00"), "C", "C"),
        ("己公司", Decimal("0"), Decimal("0.00"), Decimal("100.00"), "B", "C"),     # no revenue: C
    ]
    assert grading.total_revenue == Decimal("10000")
    summary = {line.grade: (line.customers, line.revenue, line.share, line.current_customers)
               for line in grading.summary}
    assert summary == {"A": (2, Decimal("8000"), Decimal("80.00"), 2),
                       "B": (2, Decimal("1500"), Decimal("15.00"), 2),
                       "C": (2, Decimal("500"), Decimal("5.00"), 2)}
    assert grading.changes == 3


def test_the_customer_crossing_a_threshold_is_in_the_higher_grade(people):
    policy = CustomerPolicy.current()
    policy.abc_a_share, policy.abc_b_share = 70, 90
    policy.save()
    for name, amount in [("甲", "60"), ("乙", "25"), ("丙", "10"), ("丁", "5")]:
        revenue(people, customer(people, f"{name}公司"), amount)
    customer(people, "无营业额公司")
    grading = suggest_grades(START, END, Customer.objects.all())
    # 60 % < 70 %: 乙 crosses 70 % (60 → 85) and is A; 丙 crosses 90 % (85 → 95) and is B
    assert [(r.customer.name, r.suggested) for r in grading.rows] == [
        ("甲公司", "A"), ("乙公司", "A"), ("丙公司", "B"), ("丁公司", "C")]
    assert grading.unchanged_without_revenue == 1  # C already and no revenue: counted, not listed
    assert {line.grade: line.customers for line in grading.summary} == {"A": 2, "B": 1, "C": 2}


def test_the_suggestion_covers_only_the_customers_given(people, ranked):
    other = customer(people, "别部门公司", owner="quality")
    revenue(people, other, "1000000")
    grading = suggest_grades(START, END, Customer.objects.exclude(pk=other.pk))
    assert grading.rows[0].customer.name == "甲公司" and grading.total_revenue == Decimal("10000")


# --- confirm ------------------------------------------------------------------------------------------
def test_confirming_is_refused_without_the_permission(people, ranked):
    with pytest.raises(Refused, match="您没有确认客户等级的权限。"):
        confirm_grades({ranked["甲"]: "A"}, by=people["sales2"], reason="年度评定")
    with pytest.raises(Refused, match="您没有确认客户等级的权限。"):
        confirm_grades({ranked["甲"]: "A"}, by=people["service"], reason="年度评定")
    assert Customer.objects.get(pk=ranked["甲"].pk).grade == "C"


def test_a_sales_manager_confirms_only_their_departments_customers(people, ranked):
    pool = customer(people, "池中公司", owner=None)
    with pytest.raises(Refused, match="您没有确认以下客户等级的权限：池中公司。"):
        confirm_grades({ranked["甲"]: "A", pool: "B"}, by=people["sales"], reason="年度评定")
    assert Customer.objects.get(pk=ranked["甲"].pk).grade == "C"  # all or nothing
    assert confirm_grades({ranked["甲"]: "A"}, by=people["sales"], reason="年度评定") == 1


def test_confirming_needs_a_reason(people, ranked):
    with pytest.raises(Refused, match="请填写确认理由。"):
        confirm_grades({ranked["甲"]: "A"}, by=people["gm"], reason="  ")


def test_confirmed_grades_are_applied_and_audited_with_the_reason(people, ranked):
    changed = confirm_grades({ranked["甲"]: "A", ranked["丙"]: "B", ranked["乙"]: "A"}, by=people["gm"],
                             reason="2025 年度 ABC 评定")
    assert changed == 2  # 乙 is A already
    assert dict(Customer.objects.filter(name__in=["甲公司", "乙公司", "丙公司"]).values_list("name", "grade")) == {
        "甲公司": "A", "乙公司": "A", "丙公司": "B"}
    rows = [r for r in audit.history_for(ranked["甲"]) if r["field"] == "客户等级"]
    assert rows and rows[0]["reason"] == "2025 年度 ABC 评定" and rows[0]["user"] == "王总"
    assert rows[0]["old"] == "C 类" and rows[0]["new"] == "A 类"


# --- the page -----------------------------------------------------------------------------------------
def page_rows(html: str) -> str:
    return html.split('id="grading-table"')[1]


@time_machine.travel(dt.datetime(2026, 1, 15, 10, tzinfo=dt.timezone.utc))
def test_the_page_lists_suggested_against_current_grades_and_preticks_the_differences(people, login, ranked):
    response = login(people["gm"]).get(reverse("customers:grading"), {"start": "2025-01-01", "end": "2025-12-31"})
    assert response.status_code == 200
    html = page_rows(response.content.decode())
    for name, current, suggested, ticked in [("甲", "C", "A", True), ("乙", "A", "A", False), ("丙", "A", "B", True),
                                             ("己", "B", "C", True)]:
        pk = ranked[name].pk
        cell = html.split(f'data-customer="{pk}"')[1].split("</tr>")[0]
        assert f'data-current="{current}"' in cell and f'data-suggested="{suggested}"' in cell, name
        assert ("checked" in cell.split("</td>")[0]) is ticked, name


@time_machine.travel(dt.datetime(2026, 1, 15, 10, tzinfo=dt.timezone.utc))
def test_the_default_period_is_the_last_twelve_months(people, login, ranked):
    html = login(people["gm"]).get(reverse("customers:grading")).content.decode()
    assert "统计期间 2025-01-16 至 2026-01-15" in html


def test_submitting_confirms_the_ticked_suggestions_with_the_reason(people, login, ranked):
    client = login(people["gm"])
    url = reverse("customers:grading")
    period = {"start": "2025-01-01", "end": "2025-12-31"}
    response = client.post(url, {**period, "customer": [ranked["甲"].pk, ranked["己"].pk], "reason": ""}, follow=True)
    assert "请填写确认理由。" in response.content.decode()
    assert Customer.objects.get(pk=ranked["甲"].pk).grade == "C"

    response = client.post(url, {**period, "customer": [ranked["甲"].pk, ranked["己"].pk], "reason": "年度评定"},
                           follow=True)
    assert "已确认 2 个客户的等级。" in response.content.decode()
    grades = dict(Customer.objects.values_list("name", "grade"))
    assert (grades["甲公司"], grades["己公司"], grades["丙公司"]) == ("A", "C", "A")  # 丙 was not ticked


def test_the_page_is_refused_to_those_who_may_not_confirm_grades(people, login):
    assert login(people["sales2"]).get(reverse("customers:grading")).status_code == 403
    assert login(people["sales"]).get(reverse("customers:grading")).status_code == 200


def test_the_page_costs_the_same_queries_for_3_and_30_customers(people, login):
    client = login(people["gm"])
    url = reverse("customers:grading")
    for index in range(3):
        revenue(people, customer(people, f"客户{index}", grade="A"), str(100 + index))
    client.get(url)
    with assert_queries_at_most(20) as captured:
        client.get(url, {"start": "2025-01-01", "end": "2025-12-31"})
    few = len(captured)
    for index in range(3, 30):
        revenue(people, customer(people, f"客户{index}", grade="A"), str(100 + index))
        customer(people, f"无营业额{index}", grade="B")
    with assert_queries_at_most(few):
        client.get(url, {"start": "2025-01-01", "end": "2025-12-31"})
