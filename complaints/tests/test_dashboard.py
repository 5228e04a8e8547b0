"""投诉统计: the figures on a small known data set, whose complaints each user's figures cover, the permission,
and a constant number of queries whatever the number of complaints."""
import datetime as dt
import io
import json
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from complaints.models import Clock, Complaint, ComplaintStatus, CorrectionKind, FeedbackType, Responsibility
from complaints.services import complaints as service
from complaints.services.dashboard import complaint_dashboard
from complaints.tests import factories
from customers.tests.factories import make_customer
from qms.deadlines import Deadline
from qms.demo import DEMO_PASSWORD
from qms.tests.cases import assert_num_queries, count_queries

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SH)  # Monday


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kwargs: True)


def receive(people, when, *, customer, product, type=FeedbackType.COMPLAINT, by="service"):
    with time_machine.travel(when, tick=False):
        return factories.received(people, by=by, customer=customer, product=product, type=type)


def step(when, function, *args, **kwargs):
    with time_machine.travel(when, tick=False):
        return function(*args, **kwargs)


@pytest.fixture
def known(people):
    """Customer X (owned by 钱销售, grade C) and key account Y (owned by 张销售, grade A):

    A1 2026-03-20 X 一次性输液器   left as received
    A2 2026-06-01 X 一次性输液器   73 days after A1: a repeat; first reply and investigation on time; taken to
                                   confirmation (ours, replacement) by quality
    A3 2026-06-10 X 一次性输液器   9 days after A2: a repeat; nothing done (first reply overdue)
    B1 2026-02-01 Y 医用口罩       assigned to quality, declared invalid on 20 Feb with its clocks unmet
    B2 2026-06-05 Y 医用口罩       124 days after B1: not a repeat; assigned to production, first reply late
    C1 2026-06-11 X 输液延长管     another product: not a repeat; first reply on time
    S1 2026-06-03 Y suggestion     nothing done
    P1 2026-05-10 X praise         answered and closed on 20 May
    """
    with time_machine.travel(at(2026, 1, 5, 9), tick=False):
        x = make_customer(people["sales2"], name="杭州仁和医院", grade="C")
        y = make_customer(people["sales"], name="北京协和医疗器械有限公司", grade="A")
    c = {}
    c["A1"] = receive(people, at(2026, 3, 20, 10), customer=x, product="一次性输液器")
    c["A2"] = receive(people, at(2026, 6, 1, 9), customer=x, product="一次性输液器")
    step(at(2026, 6, 1, 9, 30), service.record_clock, c["A2"], Clock.FIRST_REPLY, people["service"])
    step(at(2026, 6, 1, 10), factories.assigned, people, c["A2"])
    step(at(2026, 6, 1, 11), factories.investigating, people, c["A2"])
    step(at(2026, 6, 2, 15), factories.confirming, people, c["A2"])
    c["A3"] = receive(people, at(2026, 6, 10, 9), customer=x, product="一次性输液器")
    c["B1"] = receive(people, at(2026, 2, 1, 10), customer=y, product="医用口罩")
    step(at(2026, 2, 2, 9), factories.assigned, people, c["B1"])
    step(at(2026, 2, 20, 9), service.advance, c["B1"], ComplaintStatus.INVALID, people["quality"],
         data={"invalid_explanation": "客户储存不当导致受潮，非产品质量问题"}, password=DEMO_PASSWORD)
    c["B2"] = receive(people, at(2026, 6, 5, 10), customer=y, product="医用口罩")
    step(at(2026, 6, 5, 11), factories.assigned, people, c["B2"], handler="production")
    step(at(2026, 6, 12, 9), service.record_clock, c["B2"], Clock.FIRST_REPLY, people["production"])
    c["C1"] = receive(people, at(2026, 6, 11, 10), customer=x, product="输液延长管")
    step(at(2026, 6, 11, 10, 30), service.record_clock, c["C1"], Clock.FIRST_REPLY, people["service"])
    c["S1"] = receive(people, at(2026, 6, 3, 10), customer=y, product="", type=FeedbackType.SUGGESTION)
    c["P1"] = receive(people, at(2026, 5, 10, 10), customer=x, product="", type=FeedbackType.PRAISE)
    step(at(2026, 5, 20, 10), service.advance, c["P1"], ComplaintStatus.CLOSED, people["service"],
         reason="已电话感谢客户的表扬")
    return c


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def months(dashboard):
    return {f"{m.month:%Y-%m}": {k: v for k, v in m.counts.items()} for m in dashboard.per_month if m.counts}


def clock(dashboard, kind):
    row = next(c for c in dashboard.clocks if c.clock == kind)
    return {"on_time": row.on_time, "late": row.late, "overdue": row.overdue, "missed": row.missed,
            "running": row.running, "rate": row.rate}


def test_the_known_data_set_is_what_the_figures_are_checked_against(people, known):
    assert known["A2"].status == ComplaintStatus.CONFIRMING and known["B1"].status == ComplaintStatus.INVALID
    assert known["P1"].status == ComplaintStatus.CLOSED and known["B2"].is_key_account
    b2_first = Deadline.objects.get(object_id=known["B2"].pk, kind=Clock.FIRST_REPLY,
                                    content_type__model="complaint")
    assert b2_first.state == Deadline.State.MET and b2_first.closed_at > b2_first.due_at


def test_complaints_per_month_and_type_over_the_last_12_months(people, known, frozen):
    dashboard = complaint_dashboard(people["gm"])
    assert [f"{m.month:%Y-%m}" for m in dashboard.per_month] == [
        "2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12",
        "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert months(dashboard) == {
        "2026-02": {"complaint": 1}, "2026-03": {"complaint": 1}, "2026-05": {"praise": 1},
        "2026-06": {"complaint": 4, "suggestion": 1}}
    totals = dashboard.month_table()[-1]
    assert totals["values"][-1] == 5 and sum(totals["values"]) == 8


def test_summary_of_the_period(people, known, frozen):
    month = complaint_dashboard(people["gm"], period="month")
    assert month.period_start == dt.date(2026, 6, 1)
    s = month.summary
    assert (s.received, s.complaints, s.key_accounts, s.closed, s.invalid) == (5, 4, 1, 0, 0)
    year = complaint_dashboard(people["gm"], period="12m").summary
    assert (year.received, year.complaints, year.key_accounts, year.closed, year.invalid) == (8, 6, 2, 1, 1)
    assert complaint_dashboard(people["gm"], period="nonsense").period == "month"


def test_on_time_rate_per_clock(people, known, frozen):
    month = complaint_dashboard(people["gm"], period="month")
    # First reply of A2, A3, B2, C1, S1: A2 and C1 on time, B2 late, A3 and S1 still not answered.
    assert clock(month, Clock.FIRST_REPLY) == {"on_time": 2, "late": 1, "overdue": 2, "missed": 0, "running": 0,
                                               "rate": 40.0}
    # Investigation (complaints only): A2 started within a working day; A3, B2, C1 past their day.
    assert clock(month, Clock.INVESTIGATION) == {"on_time": 1, "late": 0, "overdue": 3, "missed": 0, "running": 0,
                                                 "rate": 25.0}
    # Written reply (5 working days): A2 (8 June) and B2 (12 June) overdue; A3 and C1 not yet due.
    written = clock(month, Clock.WRITTEN_REPLY)
    assert (written["overdue"], written["running"], written["rate"]) == (2, 2, 0.0)
    assert clock(month, Clock.ON_SITE)["rate"] is None  # no complaint needed a visit
    # B1 was declared invalid with its clocks running: the investigation is closed late by the move, the first
    # reply and the replies were missed.
    year = complaint_dashboard(people["gm"], period="12m")
    assert clock(year, Clock.FIRST_REPLY)["missed"] == 1
    assert clock(year, Clock.ACCEPTED_REPLY)["missed"] == 1
    assert clock(year, Clock.INVESTIGATION)["late"] == 1
    # P1 (praise) was answered ten days late by closing it; A1's first reply has been overdue since March.
    assert clock(year, Clock.FIRST_REPLY) == {"on_time": 2, "late": 2, "overdue": 3, "missed": 1, "running": 0,
                                              "rate": 25.0}


def test_open_complaints_by_responsible_department(people, known, frozen):
    rows = {d.name: (d.open, d.overdue, d.key_accounts) for d in complaint_dashboard(people["gm"]).departments}
    # A1, A3, C1, S1 are still with their receiver; A2 with quality; B2 (key account) with production.
    assert rows == {"未分派（受理人负责）": (4, 4, 1), "品质部": (1, 1, 0), "生产部": (1, 1, 1)}
    dashboard = complaint_dashboard(people["gm"])
    assert dashboard.open_total == 6 and dashboard.overdue_total == 6


def test_repeat_complaints_are_the_same_customer_and_product_within_90_days(people, known, frozen):
    dashboard = complaint_dashboard(people["gm"], period="month")
    assert [(r.customer_name, r.product, r.repeats, r.complaints, r.last_number) for r in dashboard.repeats] == [
        ("杭州仁和医院", "一次性输液器", 2, 3, known["A3"].number)]
    assert (dashboard.repeat_complaints, dashboard.repeat_groups) == (2, 1)
    assert dashboard.repeats[0].last_id == known["A3"].pk
    assert dashboard.repeats[0].first_at == known["A1"].received_at


def test_repeat_detection_stops_beyond_90_days(people):
    with time_machine.travel(at(2026, 1, 5, 9), tick=False):
        z = make_customer(people["sales2"], name="苏州博爱医院", grade="C")
        w = make_customer(people["sales2"], name="无锡康复医院", grade="C")
    receive(people, at(2026, 3, 10, 10), customer=z, product="导尿包")
    receive(people, at(2026, 6, 8, 10), customer=z, product="导尿包")  # exactly 90 days later: a repeat
    receive(people, at(2026, 3, 9, 9), customer=w, product="导尿包")
    receive(people, at(2026, 6, 8, 10), customer=w, product="导尿包")  # 91 days later: not a repeat
    receive(people, at(2026, 6, 9, 10), customer=w, product="导尿包 ")  # the next day (spaces aside): a repeat
    receive(people, at(2026, 6, 10, 10), customer=z, product="一次性手套")  # another product
    with time_machine.travel(NOW, tick=False):
        dashboard = complaint_dashboard(people["gm"], period="month")
    assert sorted((r.customer_name, r.repeats, r.complaints) for r in dashboard.repeats) == [
        ("无锡康复医院", 1, 3), ("苏州博爱医院", 1, 2)]
    assert dashboard.repeat_complaints == 2


def test_top_causes_responsibility_correction_and_products(people, known, frozen):
    month = complaint_dashboard(people["gm"], period="month")
    assert {r.key: (r.count, r.share) for r in month.responsibilities if r.count} == {Responsibility.OURS: (1, 100.0)}
    assert {r.key: r.count for r in month.corrections if r.count} == {CorrectionKind.REPLACEMENT: 1}
    assert [(p.label, p.count, p.share) for p in month.products] == [
        ("一次性输液器", 2, 50.0), ("医用口罩", 1, 25.0), ("输液延长管", 1, 25.0)]
    year = complaint_dashboard(people["gm"], period="12m")
    assert [(p.label, p.count) for p in year.products] == [("一次性输液器", 3), ("医用口罩", 2), ("输液延长管", 1)]


def test_a_department_manager_sees_only_the_figures_of_the_complaints_they_may_see(people, known, frozen):
    # 杨生产 manages production: B2 was handed over to them; nothing else.
    dashboard = complaint_dashboard(people["production"], period="month")
    assert (dashboard.summary.received, dashboard.summary.complaints) == (1, 1)
    assert months(dashboard) == {"2026-06": {"complaint": 1}}
    assert [(d.name, d.open) for d in dashboard.departments] == [("生产部", 1)]
    assert clock(dashboard, Clock.FIRST_REPLY)["late"] == 1 and clock(dashboard, Clock.FIRST_REPLY)["on_time"] == 0
    assert dashboard.repeats == [] and [p.label for p in dashboard.products] == ["医用口罩"]
    # 张销售 owns key account Y: B1, B2 and S1.
    sales = complaint_dashboard(people["sales"], period="12m")
    assert sales.summary.received == 3
    assert months(sales) == {"2026-02": {"complaint": 1}, "2026-06": {"complaint": 1, "suggestion": 1}}


def test_the_page_shows_the_figures_as_tables_and_passes_chart_data_as_json(people, known, frozen, login):
    response = login(people["service"]).get(reverse("complaints:dashboard") + "?period=month")
    assert response.status_code == 200
    html = response.content.decode()
    for table in ("per-month", "clocks", "departments", "repeats", "responsibilities", "corrections", "products"):
        assert f'id="table-{table}"' in html
    assert reverse("complaints:detail", args=[known["A3"].pk]) in html  # the latest repeat, linked
    assert "杭州仁和医院" in html
    data = json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert data["perMonth"]["labels"][-1] == "2026-06"
    complaint_series = next(s for s in data["perMonth"]["series"] if s["label"] == "投诉")
    assert complaint_series["values"][-1] == 4
    assert data["products"]["labels"] == ["一次性输液器", "医用口罩", "输液延长管"]
    assert "js/complaint_charts.js" in html and "vendor/chartjs/chart.umd.js" in html
    assert all('src="' in tag or 'type="application/json"' in tag for tag in re.findall(r"<script[^>]*>", html))
    # The menu links the page under 客户投诉.
    assert f'href="{reverse("complaints:dashboard")}"' in html


def test_a_plain_user_is_refused_and_not_shown_the_menu_entry(people, login):
    client = login(people["sales2"])
    assert client.get(reverse("complaints:dashboard")).status_code == 403
    home = client.get("/").content.decode()
    assert reverse("complaints:dashboard") not in home
    for role in ("service", "quality", "mr", "gm", "production"):  # production: a department manager
        assert login(people[role]).get(reverse("complaints:dashboard")).status_code == 200, role


def _many(people, customer, count, start):
    for i in range(count):
        complaint = receive(people, start + dt.timedelta(days=i % 10, hours=i % 5), customer=customer,
                            product=f"产品{i % 4}")
        if i % 3 == 0:
            step(start + dt.timedelta(days=i % 10, hours=6), service.record_clock, complaint, Clock.FIRST_REPLY,
                 people["service"])
        if i % 2 == 0:
            step(start + dt.timedelta(days=i % 10, hours=7), factories.assigned, people, complaint)


def test_the_page_costs_the_same_number_of_queries_for_3_and_30_complaints(people, login):
    with time_machine.travel(at(2026, 1, 5, 9), tick=False):
        x = make_customer(people["sales2"], name="杭州仁和医院", grade="C")
    client = login(people["quality"])
    url = reverse("complaints:dashboard") + "?period=12m"
    _many(people, x, 3, at(2026, 5, 4, 9))
    with time_machine.travel(NOW, tick=False):
        with count_queries() as small:
            assert client.get(url).status_code == 200
    _many(people, x, 27, at(2026, 4, 6, 9))
    with time_machine.travel(NOW, tick=False):
        assert len(small) <= 20
        with assert_num_queries(len(small)):
            response = client.get(url)
    assert response.context["dashboard"].summary.complaints == 30
    assert response.context["dashboard"].repeat_complaints > 0


# --- generate_complaints: the data set of the benchmark --------------------------------------------------
def test_generate_complaints_creates_numbered_complaints_with_their_clocks(people):
    out = io.StringIO()
    call_command("generate_complaints", complaints=300, customers=20, stdout=out)
    assert Complaint.objects.count() == 300
    numbers = list(Complaint.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 300
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert {ComplaintStatus.CLOSED, ComplaintStatus.RECEIVED, ComplaintStatus.INVESTIGATING} <= statuses
    assert set(Complaint.objects.values_list("type", flat=True)) == set(FeedbackType.values)
    assert not Complaint.objects.filter(customer__isnull=True).exists()
    # Open complaints have their running clocks; closed ones none left open.
    clocks = Deadline.objects.filter(content_type__model="complaint", kind__in=Clock.values)
    assert clocks.filter(state=Deadline.State.OPEN).exists() and clocks.filter(state=Deadline.State.MET).exists()
    closed_pks = Complaint.objects.filter(status__in=service.FINAL_STATUSES).values("pk")
    assert not clocks.filter(object_id__in=closed_pks, state=Deadline.State.OPEN).exists()
    assert "行/秒" in out.getvalue()
    # The numbering goes on after the generated numbers: the next complaint received gets a fresh one.
    with time_machine.travel(NOW, tick=False):
        fresh = factories.received(people)
    assert fresh.number not in numbers
    with time_machine.travel(NOW, tick=False):
        dashboard = complaint_dashboard(people["gm"], period="12m")
    assert dashboard.summary.received > 0 and dashboard.open_total > 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_charts_are_drawn_in_the_browser_without_errors(browser_page, live_server, people, known):
    from qms.tests.browser import log_in

    page, errors = browser_page, []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    with time_machine.travel(NOW, tick=True):  # the known data set falls in the 12 months shown
        log_in(page, live_server.url, "quality", DEMO_PASSWORD)
        page.goto(f"{live_server.url}{reverse('complaints:dashboard')}?period=12m")
        drawn = page.evaluate("() => Array.from(document.querySelectorAll('canvas'))"
                              ".filter(c => window.Chart.getChart(c) !== undefined).map(c => c.id)")
    assert set(drawn) == {"chart-per-month", "chart-clocks", "chart-departments", "chart-responsibilities",
                          "chart-corrections", "chart-products"}
    assert errors == []
