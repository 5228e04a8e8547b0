"""客户分析: the figures on a small known data set, what each user's analysis covers, constant queries."""
import datetime as dt
import json
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from customers.models import (BusinessRecord, Customer, CustomerPolicy, FollowUpKind, Grade, Visit, VisitKind,
                              VisitStatus)
from customers.services.analysis import customer_analysis
from customers.services.records import create_customer, record_follow_up
from qms.tests.cases import assert_num_queries, count_queries

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)


def at(year, month, day, hour=10):
    return dt.datetime(year, month, day, hour, 0, tzinfo=SHANGHAI)


def customer(name, *, by, owner=None, grade=Grade.C, created):
    with time_machine.travel(created, tick=False):
        return create_customer(by=by, owner=owner, to_pool=owner is None, name=name, grade=grade)


def follow_up(c, by, when):
    with time_machine.travel(when, tick=False):
        record_follow_up(c, by=by, kind=FollowUpKind.CALL, content="电话沟通", occurred_at=when)


def revenue(c, by, day, amount):
    BusinessRecord.objects.create(customer=c, occurred_on=day, amount=Decimal(amount), recorded_by=by)


def visit(c, owner, start, end, status=VisitStatus.PLANNED):
    Visit.objects.create(customer=c, owner=owner, status=status, period_start=start, period_end=end)


@pytest.fixture
def known(people):
    """Six customers: sales2 owns c1, c2, c6; the sales manager c3; quality c5; c4 is in the pool."""
    sales, sales2, quality = people["sales"], people["sales2"], people["quality"]
    c = {
        "c1": customer("北京星辉信息技术有限公司", by=sales2, owner=sales2, grade=Grade.A, created=at(2026, 6, 2)),
        "c2": customer("上海恒瑞贸易有限公司", by=sales2, owner=sales2, grade=Grade.B, created=at(2026, 5, 10)),
        "c3": customer("广州宏泰电子有限公司", by=sales, owner=sales, grade=Grade.C, created=at(2026, 5, 20)),
        "c4": customer("深圳鑫源科技有限公司", by=sales, owner=None, grade=Grade.C, created=at(2025, 9, 1)),
        "c5": customer("杭州博凯医疗器械有限公司", by=quality, owner=quality, grade=Grade.A, created=at(2026, 6, 10)),
        "c6": customer("南京嘉安物流有限公司", by=sales2, owner=sales2, grade=Grade.C, created=at(2025, 3, 1)),
    }
    follow_up(c["c1"], sales2, at(2026, 6, 3))
    follow_up(c["c1"], sales2, at(2026, 6, 12))
    follow_up(c["c1"], sales2, at(2026, 4, 10))
    follow_up(c["c2"], sales2, at(2026, 5, 12))
    follow_up(c["c4"], sales, at(2026, 6, 5))
    follow_up(c["c5"], quality, at(2026, 6, 11))
    # Revenue: the last 3 months are (2026-03-15, 2026-06-15], the 3 before (2025-12-15, 2026-03-15].
    revenue(c["c1"], sales2, dt.date(2026, 1, 20), "20000")
    revenue(c["c1"], sales2, dt.date(2026, 6, 1), "1000")
    revenue(c["c2"], sales2, dt.date(2026, 2, 1), "10000")
    revenue(c["c2"], sales2, dt.date(2026, 5, 1), "3000")
    revenue(c["c3"], sales, dt.date(2026, 1, 10), "5000")
    revenue(c["c3"], sales, dt.date(2026, 4, 1), "2600")  # 52 %: not a fall below half
    revenue(c["c4"], sales, dt.date(2026, 1, 5), "4000")
    revenue(c["c5"], quality, dt.date(2026, 6, 12), "50000")
    revenue(c["c6"], sales2, dt.date(2026, 2, 10), "8000")
    revenue(c["c6"], sales2, dt.date(2025, 1, 1), "9999")  # older than 12 months: not counted
    visit(c["c1"], sales2, dt.date(2026, 6, 1), dt.date(2026, 6, 30), VisitStatus.RECORDED)
    visit(c["c1"], sales2, dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    visit(c["c1"], sales2, dt.date(2026, 6, 1), dt.date(2026, 6, 30), VisitStatus.CANCELLED)
    visit(c["c2"], sales2, dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    visit(c["c3"], sales, dt.date(2026, 6, 1), dt.date(2026, 6, 10))
    return c


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def months(analysis):
    return {f"{m.month:%Y-%m}": m.count for m in analysis.new_per_month if m.count}


def follow_up_rows(analysis):
    return {p.name: (p.follow_ups, p.customers) for p in analysis.follow_ups}


def test_new_customers_per_month_over_the_last_12_months(people, known, frozen):
    analysis = customer_analysis(people["gm"])
    assert len(analysis.new_per_month) == 12
    assert analysis.new_per_month[0].month == dt.date(2025, 7, 1)
    assert analysis.new_per_month[-1].month == dt.date(2026, 6, 1)
    # c6 (2025-03) is older than 12 months.
    assert months(analysis) == {"2025-09": 1, "2026-05": 2, "2026-06": 2}


def test_follow_ups_per_person_for_the_chosen_period(people, known, frozen):
    this_month = customer_analysis(people["gm"], period="month")
    assert this_month.period_start == dt.date(2026, 6, 1)
    assert follow_up_rows(this_month) == {"钱销售": (2, 1), "张销售": (1, 1), "陈品质": (1, 1)}
    three_months = customer_analysis(people["gm"], period="3m")
    assert three_months.period_start == dt.date(2026, 4, 1)
    assert follow_up_rows(three_months) == {"钱销售": (4, 2), "张销售": (1, 1), "陈品质": (1, 1)}
    assert customer_analysis(people["gm"], period="nonsense").period == "month"


def test_grade_distribution_revenue_share_and_pareto(people, known, frozen):
    analysis = customer_analysis(people["gm"])
    rows = {g.grade: (g.customers, g.customer_share, g.revenue, g.revenue_share) for g in analysis.grades}
    assert rows == {
        "A": (2, 33.3, Decimal("71000"), 68.5),
        "B": (1, 16.7, Decimal("13000"), 12.5),
        "C": (3, 50.0, Decimal("19600"), 18.9),
    }
    assert analysis.total_revenue == Decimal("103600")
    # Sorted: 50000, 21000, 13000, 8000, 7600, 4000 — three customers make 80 % (84000 of 103600).
    assert analysis.customers_for_80 == 3 and analysis.share_for_80 == 50.0
    curve = {p.customer_share: p.revenue_share for p in analysis.pareto}
    assert curve[0] == 0.0
    assert curve[5] == 48.3  # the best customer (rank 1 of 6)
    assert curve[50] == 81.1  # ranks 1-3
    assert curve[100] == 100.0
    assert list(curve.values()) == sorted(curve.values())


def test_visit_compliance_per_owner(people, known, frozen):
    this_month = {v.name: (v.planned, v.recorded, v.overdue, v.rate) for v in customer_analysis(people["gm"]).visits}
    assert this_month == {"钱销售": (2, 1, 0, 50.0), "张销售": (1, 0, 1, 0.0)}
    three = {v.name: (v.planned, v.recorded, v.overdue, v.rate)
             for v in customer_analysis(people["gm"], period="3m").visits}
    assert three["钱销售"] == (3, 1, 1, 33.3)


def test_customers_silent_for_half_their_return_days_with_falling_revenue_are_at_risk(people, known, frozen):
    analysis = customer_analysis(people["gm"])
    assert analysis.risk_thresholds == {"A": 45, "B": 30, "C": 15}
    rows = [(r.customer.name, r.days_silent, r.recent, r.previous, r.change) for r in analysis.at_risk]
    # c6: never followed up since 2025-03-01, 8000 → 0; c2: silent since 2026-05-12 (34 > 30 days), 10000 → 3000.
    # Not at risk: c1 (followed up), c3 (52 % is not below half), c4 (in the pool), c5 (no fall).
    assert rows == [
        ("南京嘉安物流有限公司", 471, Decimal("0"), Decimal("8000"), -100.0),
        ("上海恒瑞贸易有限公司", 34, Decimal("3000"), Decimal("10000"), -70.0),
    ]
    assert analysis.at_risk_total == 2


def test_a_salespersons_analysis_covers_only_their_customers_and_the_pool(people, known, frozen):
    analysis = customer_analysis(people["sales2"])  # sees c1, c2, c6 and c4 (pool); not c3 nor c5
    assert analysis.total_customers == 4
    assert months(analysis) == {"2025-09": 1, "2026-05": 1, "2026-06": 1}
    assert follow_up_rows(analysis) == {"钱销售": (2, 1), "张销售": (1, 1)}
    assert {g.grade: (g.customers, g.revenue) for g in analysis.grades} == {
        "A": (1, Decimal("21000")), "B": (1, Decimal("13000")), "C": (2, Decimal("12000"))}
    assert [v.name for v in analysis.visits] == ["钱销售"]
    quality = customer_analysis(people["quality"])  # their own c5; the pool is sales' (c4 not counted)
    assert quality.total_customers == 1 and quality.at_risk == []


def test_the_page_shows_every_figure_as_a_table_and_passes_chart_data_as_json(people, known, frozen, login):
    response = login(people["sales"]).get(reverse("customers:analysis") + "?period=3m")
    assert response.status_code == 200
    html = response.content.decode()
    for table in ("new-per-month", "follow-ups", "grades", "pareto", "visits", "at-risk"):
        assert f'id="table-{table}"' in html
    assert "上海恒瑞贸易有限公司" in html and "杭州博凯医疗器械有限公司" not in html
    data = json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert data["followUps"]["labels"] == ["钱销售", "张销售"] and data["followUps"]["values"] == [4, 1]
    assert "js/customer_charts.js" in html and "vendor/chartjs/chart.umd.js" in html
    # No inline script besides the JSON data (the CSP forbids them).
    assert all('src="' in tag or 'type="application/json"' in tag for tag in re.findall(r"<script[^>]*>", html))


def _many(people, count, prefix):
    sales2 = people["sales2"]
    for i in range(count):
        c = customer(f"{prefix}测试客户{i}", by=sales2, owner=sales2, grade="ABC"[i % 3], created=at(2026, 1 + i % 3, 3))
        follow_up(c, sales2, at(2026, 6, 1 + i % 10))
        revenue(c, sales2, dt.date(2026, 1, 10), "1000")
        revenue(c, sales2, dt.date(2026, 5, 10), "100")
        visit(c, sales2, dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    Customer.objects.filter(name__startswith=prefix).update(last_follow_up_at=at(2026, 1, 1))


def test_the_page_costs_the_same_number_of_queries_for_3_and_30_customers(people, login, frozen):
    client = login(people["sales2"])
    url = reverse("customers:analysis")
    CustomerPolicy.current()  # created on first use
    _many(people, 3, "甲")
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _many(people, 27, "乙")
    assert len(small) <= 18
    with assert_num_queries(len(small)):
        response = client.get(url)
    assert response.context["analysis"].total_customers == 30
    assert response.context["analysis"].at_risk_total == 30


# --- generate_customers: the data set the benchmark (and a load test of this page) runs on -----------------
def test_generate_customers_creates_the_rows_with_their_search_keys(people):
    import io

    from django.core.management import CommandError, call_command
    from django.db.models import Max

    from customers.models import Contact, FollowUp, OwnershipChange
    from customers.services.names import name_key, pinyin_keys
    from qms import audit
    from qms.people import Role, User

    out = io.StringIO()
    call_command("generate_customers", customers=40, contacts=100, follow_ups=300, business_records=60, owners=2,
                 stdout=out)
    assert Customer.objects.count() == 40
    assert Contact.objects.count() == 100 and FollowUp.objects.count() == 300
    assert BusinessRecord.objects.count() == 60 and OwnershipChange.objects.count() == 40
    assert "行/秒" in out.getvalue()
    sales_people = set(User.objects.filter(groups__name=Role.SALES).values_list("pk", flat=True))
    assert User.objects.filter(username__startswith="salesgen", groups__name=Role.SALES).count() == 2
    for c in Customer.objects.all():
        assert c.name_key == name_key(c.name) and (c.name_pinyin, c.name_initials) == pinyin_keys(c.name)
        assert c.owner_id is None or c.owner_id in sales_people
    assert len(set(Customer.objects.values_list("name_key", flat=True))) == 40
    # One primary contact per customer; the newest follow-up is the customer's pool clock.
    assert Contact.objects.filter(is_primary=True).values("customer").distinct().count() == 40
    latest = dict(FollowUp.objects.values_list("customer").annotate(last=Max("occurred_at")))
    for pk, last in Customer.objects.values_list("pk", "last_follow_up_at"):
        assert last == latest.get(pk)

    with pytest.raises(CommandError, match="已有客户数据"):
        call_command("generate_customers", customers=5, stdout=io.StringIO())
    # The audit trail records the generated rows, with the reason; --no-audit (throwaway databases) does not.
    events = audit.event_model(Customer).objects
    assert events.count() == 40
    assert events.filter(pgh_context__reason="生成模拟客户数据").count() == 40
    call_command("generate_customers", customers=5, contacts=5, follow_ups=5, business_records=0, force=True,
                 no_audit=True, stdout=io.StringIO())
    assert Customer.objects.count() == 45 and events.count() == 40



# --- the management review's input ------------------------------------------------------------------------
def test_the_management_review_gets_the_key_account_figures(people):
    from customers.services import pool
    from customers.services import visits as visit_service
    from qms.registry import review_inputs

    sales2 = people["sales2"]
    a = customer("评审甲有限公司", by=sales2, owner=sales2, grade=Grade.A, created=at(2026, 1, 5))
    customer("评审乙有限公司", by=sales2, owner=sales2, grade=Grade.B, created=at(2026, 1, 5))
    gone = customer("评审丙有限公司", by=sales2, owner=sales2, grade=Grade.C, created=at(2026, 1, 5))
    # A: two visits in May, and its monthly return visit (first year of the relationship)
    visit_service.generate_visit_plans(dt.date(2026, 5, 1), customers=[a])
    done, late = Visit.objects.filter(customer=a, kind=VisitKind.VISIT).order_by("pk")
    with time_machine.travel(at(2026, 5, 12), tick=False):
        visit_service.record_visit(done, by=sales2, visited_at=at(2026, 5, 12, 9), content="已拜访。")
        visit_service.arrange_visit(late, by=sales2, arranged_at=at(2026, 5, 13))
    Visit.objects.filter(customer=a, kind=VisitKind.RETURN_VISIT).get()
    with time_machine.travel(at(2026, 5, 20), tick=False):
        pool.release(gone, sales2, "客户停业")

    with time_machine.travel(NOW, tick=False):
        [(entry, figures)] = [(e, f) for e, f in review_inputs(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
                              if e.key == "customers"]
    values = {figure.label: figure.value for figure in figures}
    assert (values["A 类客户"], values["B 类客户"], values["C 类客户"]) == (1, 1, 1)
    # the return visit never done is late too
    assert (values["计划回访"], values["已完成回访"], values["逾期回访"]) == (3, 1, 2)
    assert values["进入客户池的客户"] == 1
