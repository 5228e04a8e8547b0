"""Payments (回款, §2): the plan (total equals the contract's, paid instalments kept), payment records by finance only
(over-payment refused, 403 for sales), reversal with a reason (nothing deleted), the reminder before and the
escalation after a due instalment on the holiday calendar, the customer's overdue payments, the receivables,
the exports and every URL of the payment pages."""
import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from customers.contracts.models import Contract, ContractStatus, Payment, PaymentInstalment, PaymentKind
from customers.contracts.services import payments as service
from customers.tests.factories import make_customer
from qms import Refused, audit, deadlines
from qms.deadlines import Deadline, DeadlineNotice, Stage
from qms.tests.test_pdf import pdf_text
from qms.tests.cases import RecordUrls, UrlWalk, assert_queries_at_most, count_queries

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
D = dt.date


def local(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def make_contract(owner, *, customer=None, total="100000", status=ContractStatus.REGISTERED, title="年度供货合同"):
    customer = customer or make_customer(owner)
    return Contract.objects.create(customer=customer, title=title, delivery_date=D(2030, 1, 1), owner=owner,
                                   created_by=owner, total_amount=Decimal(total), status=status)


def plan(contract, by, *rows):
    return service.save_plan(contract, [service.PlanRow(due_on=due_on, amount=Decimal(amount))
                                        for due_on, amount in rows], by=by)


def planned_contract(people, *rows, owner="sales2", total="100000", status=ContractStatus.REGISTERED):
    contract = make_contract(people[owner], total=total, status=status)
    instalments = plan(contract, people[owner], *rows)
    return contract, instalments


# --- the plan -----------------------------------------------------------------------------------------------
def test_the_plans_total_must_equal_the_contracts(people):
    contract = make_contract(people["sales2"])
    with pytest.raises(Refused, match=r"回款计划合计 90,000.00 元，与合同金额 100,000.00 元不一致（相差 10,000.00 元）"):
        plan(contract, people["sales2"], (D(2030, 1, 10), "30000"), (D(2030, 3, 10), "60000"))
    assert not PaymentInstalment.objects.exists()
    saved = plan(contract, people["sales2"], (D(2030, 1, 10), "30000"), (D(2030, 3, 10), "70000"))
    assert [(i.seq, i.amount) for i in saved] == [(1, Decimal("30000")), (2, Decimal("70000"))]


def test_an_instalment_with_a_payment_is_neither_changed_nor_removed(people):
    with time_machine.travel(local(2030, 1, 15, 10, 0), tick=False):
        contract, (first, second) = planned_contract(people, (D(2030, 1, 10), "30000"), (D(2030, 3, 10), "70000"))
        service.record_payment(first, by=people["finance"], amount=Decimal("10000"), received_on=D(2030, 1, 12))
        with pytest.raises(Refused, match="第 1 期已有回款记录，不能修改或删除"):
            service.save_plan(contract, [service.PlanRow(D(2030, 1, 20), Decimal("30000"), pk=first.pk),
                                         service.PlanRow(D(2030, 3, 10), Decimal("70000"), pk=second.pk)],
                              by=people["sales2"])
        with pytest.raises(Refused, match="第 1 期已有回款记录"):
            service.save_plan(contract, [service.PlanRow(D(2030, 3, 10), Decimal("100000"), pk=second.pk)],
                              by=people["sales2"])
        # the unpaid one may be split in two
        service.save_plan(contract, [service.PlanRow(D(2030, 1, 10), Decimal("30000"), pk=first.pk),
                                     service.PlanRow(D(2030, 2, 10), Decimal("35000"), pk=second.pk),
                                     service.PlanRow(D(2030, 4, 10), Decimal("35000"))], by=people["sales2"])
    assert list(contract.instalments.values_list("seq", "due_on", "amount")) == [
        (1, D(2030, 1, 10), Decimal("30000")), (2, D(2030, 2, 10), Decimal("35000")),
        (3, D(2030, 4, 10), Decimal("35000"))]


def test_the_plan_page_refuses_a_wrong_total_and_keeps_what_was_typed(people, login):
    contract = make_contract(people["sales2"])
    data = {"plan-TOTAL_FORMS": "2", "plan-INITIAL_FORMS": "0", "plan-MIN_NUM_FORMS": "0", "plan-MAX_NUM_FORMS": "1000",
            "plan-0-due_on": "2030-01-10", "plan-0-amount": "30000", "plan-0-note": "预付款",
            "plan-1-due_on": "2030-03-10", "plan-1-amount": "60000", "plan-1-note": ""}
    client = login(people["sales2"])
    response = client.post(reverse("customers:payment_plan", args=[contract.pk]), data)
    page = response.content.decode()
    assert response.status_code == 400 and "与合同金额 100,000.00 元不一致" in page and "预付款" in page
    response = client.post(reverse("customers:payment_plan", args=[contract.pk]), {**data, "plan-1-amount": "70000"})
    assert response.status_code == 302
    assert contract.instalments.count() == 2


def test_another_salesperson_may_not_plan_anothers_contract(people, login):
    contract = make_contract(people["sales"])
    assert login(people["sales2"]).get(reverse("customers:payment_plan", args=[contract.pk])).status_code == 404
    assert login(people["quality"]).get(reverse("customers:payment_plan", args=[contract.pk])).status_code == 404
    assert login(people["finance"]).get(reverse("customers:payment_plan", args=[contract.pk])).status_code == 200


# --- payment records ------------------------------------------------------------------------------------------
def test_finance_records_a_payment_and_the_instalment_is_settled(people):
    with time_machine.travel(local(2030, 1, 15, 10, 0), tick=False):
        contract, (first, _second) = planned_contract(people, (D(2030, 1, 10), "30000"), (D(2030, 3, 10), "70000"))
        service.record_payment(first, by=people["finance"], amount=Decimal("10000"), received_on=D(2030, 1, 12),
                               method="银行转账", reference="YH-1")
        first.refresh_from_db()
        assert (first.paid_amount, first.settled_at) == (Decimal("10000"), None)
        service.record_payment(first, by=people["finance"], amount=Decimal("20000"), received_on=D(2030, 1, 15))
        first.refresh_from_db()
    assert first.paid_amount == Decimal("30000") and first.settled_at == local(2030, 1, 15, 10, 0)
    assert Deadline.objects.get(object_id=first.pk, kind="payment_due").state == Deadline.State.MET
    assert audit.history_for(Payment.objects.first())[0]["reason"] == "登记回款"


def test_an_over_payment_is_refused(people):
    contract, (first, _second) = planned_contract(people, (D(2030, 1, 10), "30000"), (D(2030, 3, 10), "70000"))
    service.record_payment(first, by=people["finance"], amount=Decimal("25000"), received_on=timezone.localdate())
    with pytest.raises(Refused, match="回款金额 5,000.01 元超过第 1 期未回款金额 5,000.00 元"):
        service.record_payment(first, by=people["finance"], amount=Decimal("5000.01"),
                               received_on=timezone.localdate())
    first.refresh_from_db()
    assert first.paid_amount == Decimal("25000") and Payment.objects.count() == 1


def test_no_payment_before_the_contract_is_accepted(people):
    _contract, (first,) = planned_contract(people, (D(2030, 1, 10), "100000"), status=ContractStatus.IN_REVIEW)
    with pytest.raises(Refused, match="只有已批准、已登记或已完成的合同可以登记回款"):
        service.record_payment(first, by=people["finance"], amount=Decimal("1"), received_on=timezone.localdate())


def test_sales_gets_403_entering_a_payment_and_finance_enters_it(people, login):
    _contract, (first,) = planned_contract(people, (D(2030, 1, 10), "100000"))
    url = reverse("customers:payment_record", args=[first.pk])
    data = {"received_on": timezone.localdate().isoformat(), "amount": "40000", "method": "银行转账", "reference": ""}
    response = login(people["sales2"]).post(url, data)
    assert response.status_code == 403 and not Payment.objects.exists()
    with pytest.raises(Refused, match="只有财务可以执行此操作"):
        service.record_payment(first, by=people["sales2"], amount=Decimal("1"), received_on=timezone.localdate())
    client = login(people["finance"])
    response = client.post(url, {**data, "amount": "100000.01"})
    assert response.status_code == 409 and "超过第 1 期未回款金额 100,000.00 元" in response.content.decode()
    assert client.post(url, data).status_code == 302
    first.refresh_from_db()
    assert first.paid_amount == Decimal("40000")


def test_a_reversal_cancels_a_payment_with_its_reason_and_deletes_nothing(people, login):
    _contract, (first,) = planned_contract(people, (timezone.localdate() + dt.timedelta(days=30), "100000"))
    payment = service.record_payment(first, by=people["finance"], amount=Decimal("100000"),
                                      received_on=timezone.localdate())
    assert Deadline.objects.get(object_id=first.pk, kind="payment_due").state == Deadline.State.MET
    client = login(people["finance"])
    url = reverse("customers:payment_reverse", args=[payment.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "请填写冲销原因" in response.content.decode()
    assert login(people["sales2"]).post(url, {"reason": "错"}).status_code == 403
    assert login(people["finance"]).post(url, {"reason": "金额录错，按回单重新登记"}).status_code == 302
    first.refresh_from_db()
    assert (first.paid_amount, first.settled_at) == (Decimal("0"), None)
    reversal = Payment.objects.get(kind=PaymentKind.REVERSAL)
    assert (reversal.amount, reversal.reverses, reversal.reason) == (Decimal("-100000"), payment,
                                                                    "金额录错，按回单重新登记")
    assert Payment.objects.count() == 2  # the wrong record is still there
    assert Deadline.objects.get(object_id=first.pk, kind="payment_due", state=Deadline.State.OPEN)
    with pytest.raises(Refused, match="该回款记录已冲销"):
        service.reverse_payment(payment, by=people["finance"], reason="再冲一次")
    with pytest.raises(Refused, match="冲销记录不能再冲销"):
        service.reverse_payment(reversal, by=people["finance"], reason="再冲一次")
    page = login(people["sales2"]).get(reverse("customers:contract_payments", args=[first.contract_id]))
    assert "已冲销" in page.content.decode() and "金额录错，按回单重新登记" in page.content.decode()
    pdf = login(people["sales2"]).get(reverse("customers:contract_payments_pdf", args=[first.contract_id]))
    text = pdf_text(pdf.content, layout=False).replace("\n", "")
    assert "回款计划及回款记录" in text and "已冲销" in text and "金额录错，按回单重新登记" in text
    assert "-100000.00" in text


# --- reminders and escalation on the working-day calendar ---------------------------------------------------
def test_reminder_and_escalation_dates_on_the_holiday_calendar(people):
    """Due Wednesday 30 September 2026: the reminder goes on the 3rd working day before (Thursday 24 September:
    the Mid-Autumn Friday and the weekend do not count), the escalation to the owner's department manager on the
    3rd working day after (Saturday 10 October, a working day after the National Day holiday)."""
    with time_machine.travel(local(2026, 9, 1, 10, 0), tick=False):
        _contract, (instalment,) = planned_contract(people, (D(2026, 9, 30), "100000"))
    deadline = Deadline.objects.get(object_id=instalment.pk, kind="payment_due")
    times = dict(deadline.send_times())
    assert deadline.responsible == people["sales2"]
    assert deadline.due_at == local(2026, 9, 30, 17, 30)
    assert times[Stage.REMINDER] == local(2026, 9, 24, 8, 30)
    assert times[Stage.ESCALATION_1] == local(2026, 10, 10, 8, 30)
    deadlines.tick(now=local(2026, 9, 24, 8, 30))
    deadlines.tick(now=local(2026, 10, 10, 8, 30))
    sent = list(DeadlineNotice.objects.filter(deadline=deadline, skipped=False).order_by("sent_at")
                .values_list("stage", "recipient__username"))
    assert sent == [(Stage.REMINDER, "sales2"), (Stage.ESCALATION_1, "sales")]


def test_no_reminder_runs_for_a_contract_not_yet_accepted(people):
    _contract, (instalment,) = planned_contract(people, (D(2030, 9, 30), "100000"), status=ContractStatus.DRAFT)
    assert not Deadline.objects.filter(object_id=instalment.pk, kind="payment_due").exists()
    instalment.contract.status = ContractStatus.REGISTERED
    instalment.contract.save()
    service.sync_payment_deadlines(instalment.contract)
    assert Deadline.objects.get(object_id=instalment.pk, kind="payment_due").state == Deadline.State.OPEN


# --- the customer's integrity and the receivables -----------------------------------------------------------
def _receivables_data(people):
    with time_machine.travel(local(2030, 1, 5, 10, 0), tick=False):
        first_customer = make_customer(people["sales2"], name="甲医疗器械有限公司")
        contract = make_contract(people["sales2"], customer=first_customer)
        one, two = plan(contract, people["sales2"], (D(2030, 1, 10), "30000"), (D(2030, 3, 10), "70000"))
        service.record_payment(one, by=people["finance"], amount=Decimal("10000"), received_on=D(2030, 1, 5))
        other = make_contract(people["sales"], total="50000", title="乙合同",
                              customer=make_customer(people["sales"], name="乙贸易有限公司"))
        (three,) = plan(other, people["sales"], (D(2030, 1, 20), "50000"))
        service.record_payment(three, by=people["finance"], amount=Decimal("50000"), received_on=D(2030, 1, 5))
    return first_customer


def test_overdue_payments_feed_the_customers_integrity(people):
    customer = _receivables_data(people)
    today = D(2030, 2, 1)
    overdue = list(service.overdue_instalments(customer, today))
    assert [(i.seq, i.outstanding) for i in overdue] == [(1, Decimal("20000"))]
    integrity = service.payment_integrity(customer, today)
    assert (integrity.overdue_count, integrity.overdue_amount, integrity.oldest_due_on) == (1, Decimal("20000"),
                                                                                         D(2030, 1, 10))
    with time_machine.travel(local(2030, 2, 1, 10, 0), tick=False):
        assert integrity.summary() == "逾期回款 1 期，共 20,000.00 元，最长逾期 22 天。"


def test_receivables_per_customer_and_per_owner(people):
    _receivables_data(people)
    rows, total = service.receivables(people["gm"], "customer", D(2030, 2, 1))
    figures = {row.label: (row.planned, row.paid, row.outstanding, row.due, row.overdue) for row in rows}
    assert figures == {
        "甲医疗器械有限公司": (Decimal("100000"), Decimal("10000"), Decimal("90000"), Decimal("20000"),
                             Decimal("20000")),
        "乙贸易有限公司": (Decimal("50000"), Decimal("50000"), Decimal("0"), Decimal("0"), Decimal("0"))}
    assert (total.planned, total.paid, total.overdue) == (Decimal("150000"), Decimal("60000"), Decimal("20000"))
    rows, _total = service.receivables(people["gm"], "owner", D(2030, 2, 1))
    assert {row.label: row.outstanding for row in rows} == {"钱销售": Decimal("90000"), "张销售": Decimal("0")}
    # sales2 sees their own customers' receivables only
    rows, _total = service.receivables(people["sales2"], "customer", D(2030, 2, 1))
    assert [row.label for row in rows] == ["甲医疗器械有限公司"]


def test_receivables_page_queries_do_not_grow_and_it_exports(people, login):
    _receivables_data(people)
    client = login(people["gm"])
    client.get(reverse("customers:receivables"))
    with count_queries() as few:
        client.get(reverse("customers:receivables"))
    for index in range(10):
        make_contract(people["sales2"], title=f"合同{index}", total="1000")
    with assert_queries_at_most(len(few)):
        assert client.get(reverse("customers:receivables"), {"by": "owner"}).status_code == 200
    response = client.get(reverse("customers:receivables"), {"export": "xlsx"})  # today: nothing due yet
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
                .iter_rows(values_only=True))
    assert rows[0] == ("客户", "期数", "计划回款（元）", "已回款（元）", "未回款（元）", "到期未回款（元）",
                       "逾期未回款（元）", "最早逾期日期")
    assert rows[1][:7] == ("甲医疗器械有限公司", 2, 100000, 10000, 90000, 0, 0)
    assert rows[-1][0] == "合计" and rows[-1][2] == 150000


def test_payments_list_filters_and_exports(people, login):
    _receivables_data(people)
    client = login(people["finance"])
    response = client.get(reverse("customers:payment_list"), {"q": "乙贸易", "export": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
                .iter_rows(values_only=True))
    assert rows[0][:6] == ("回款日期", "合同", "客户", "期次", "类型", "金额（元）")
    assert len(rows) == 2 and rows[1][2] == "乙贸易有限公司" and rows[1][4] == "回款" and rows[1][5] == 50000
    # a salesperson lists the payments of their own contracts only
    response = login(people["sales2"]).get(reverse("customers:payment_list"), {"export": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
                .iter_rows(values_only=True))
    assert [row[2] for row in rows[1:]] == ["甲医疗器械有限公司"]


def test_the_instalments_list_finds_the_overdue_ones_and_exports_them(people, login):
    _receivables_data(people)
    with time_machine.travel(local(2030, 2, 1, 10, 0), tick=False):
        client = login(people["gm"])
        response = client.get(reverse("customers:instalment_list"), {"state": "overdue", "export": "xlsx"})
        rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
                    .iter_rows(values_only=True))
    assert rows[0][:4] == ("合同", "客户", "期次", "计划回款日期")
    assert len(rows) == 2 and rows[1][1:3] == ("甲医疗器械有限公司", 1) and rows[1][6:8] == (20000, "已逾期")


def test_the_contract_payments_page_shows_the_plans_state(people, login):
    with time_machine.travel(local(2030, 2, 1, 10, 0), tick=False):
        _receivables_data(people)
        contract = Contract.objects.get(title="年度供货合同")
        page = login(people["sales2"]).get(reverse("customers:contract_payments", args=[contract.pk])).content.decode()
    assert "已逾期" in page and "未到期" in page and "逾期回款 1 期" in page
    assert 'data-record-payment' not in page  # sales sees the plan, only finance records
    finance_page = login(people["finance"]).get(reverse("customers:contract_payments", args=[contract.pk]))
    assert 'data-record-payment="1"' in finance_page.content.decode()


# --- every URL ----------------------------------------------------------------------------------------------
def contract(people):
    return make_contract(people["sales"])


def instalment(people):
    return plan(contract(people), people["sales"], (D(2030, 1, 10), "100000"))[0]


def payment(people):
    return service.record_payment(instalment(people), by=people["finance"], amount=Decimal("100"),
                                  received_on=timezone.localdate())


WALK = UrlWalk(
    "customers",
    pages=("payment_list", "instalment_list", "receivables"),
    records=[
        RecordUrls(make=contract, insider="sales", outsider="sales2", pages=("contract_payments", "payment_plan",
                                                                                 "contract_payments_pdf")),
        RecordUrls(make=instalment, insider="finance", outsider="sales2", actions=("payment_record",)),
        RecordUrls(make=payment, insider="finance", outsider="sales2", actions=("payment_reverse",)),
    ],
)
NAMES = WALK.declared()


@pytest.mark.parametrize("case", WALK.cases())
def test_url(case, people, client):
    case.check(people, client)


def test_the_customer_page_shows_the_overdue_payments(people, login):
    with time_machine.travel(local(2030, 2, 1, 10, 0), tick=False):
        customer = _receivables_data(people)
        page = login(people["sales2"]).get(customer.get_absolute_url(), {"tab": "payments"}).content.decode()
    assert "逾期回款 1 期，共 20,000.00 元" in page and "已逾期" in page
