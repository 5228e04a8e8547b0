"""The input pack (PROCEDURES.md §5 Inputs): each registered figure matches the source records of the period,
every section comes with a chart drawn on the server, and the open outputs of a review reappear in the next pack."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
import time_machine
from django.utils import timezone

from complaints.models import CampaignStatus, FeedbackType, SurveyAnswer, SurveyCampaign, SurveyQuestion, SurveyResponse
from complaints.tests import factories as complaint_factories
from customers.contracts.fulfilment_models import RequirementKind
from customers.contracts.models import ContractStatus, ReviewRoute
from customers.models import Customer
from customers.tests import fulfilment_factories as contract_factories
from customers.tests.factories import make_customer
from qms import review_inputs
from qms.capa.models import Capa, CapaSource, CapaStatus, CapaVerification
from qms.capa.services import raise_capa
from qms.deadlines import Deadline

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kwargs: True)


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def section(key, start, end):
    [found] = review_inputs.collect(start, end, keys={key})
    return found


def values(found) -> dict:
    return {str(f.label): f.value for f in found.figures}


def notes(found) -> dict:
    return {str(f.label): str(f.note) for f in found.figures}


def test_every_registered_input_gives_figures_and_a_chart_drawn_as_svg(people):
    today = timezone.localdate()
    pack = review_inputs.collect(today - dt.timedelta(days=365), today)
    keys = [s.key for s in pack]
    for key in ("customers", "contracts", "complaints", "satisfaction", "capa", "renovation", "previous_outputs"):
        assert key in keys
    for found in pack:
        assert found.figures, found.key
        if found.key in ("returns", "adverse_events"):
            continue
        assert found.charts, found.key
        svg = review_inputs.render_svg(found.charts[0])
        assert svg.startswith("<svg") and "<script" not in svg


def test_complaint_figures_count_the_periods_complaints_by_type_repeats_and_causes(people):
    customer = complaint_factories.key_account(people)
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        first = complaint_factories.correcting(people, customer=customer)
        complaint_factories.received(people, type=FeedbackType.SUGGESTION)
    with time_machine.travel(at(2026, 3, 20, 9, 0), tick=False):
        complaint_factories.received(people, customer=customer)  # same customer and product: a repeat
    with time_machine.travel(at(2026, 5, 2, 9, 0), tick=False):
        complaint_factories.received(people)  # outside the period
        found = section("complaints", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    figures = values(found)
    assert figures["客户投诉/反馈"] == 3
    assert figures["类型：投诉"] == 2 and figures["类型：建议"] == 1
    assert notes(found)["类型：投诉"] == "其中大客户 2"
    assert figures["重复投诉"] == 1
    assert figures["主要原因"] == "我方责任" and "我方责任 1" in notes(found)["主要原因"]
    assert figures["投诉最多的产品"] == "一次性输液器"
    assert any(label.startswith("按时率：") for label in figures)
    assert first.responsibility == "ours"
    types = found.charts[0]
    assert types.labels[0] == "投诉" and types.series[0][1][:2] == (2, 1)


def test_capa_figures_count_raised_closed_overdue_and_effectiveness(people):
    def capa(title, raised_at, **kw):
        made = raise_capa(source=kw.pop("source", CapaSource.COMPLAINT), title=title, nonconformity="问题",
                          responsible=people["quality"], raised_by=people["mr"])
        Capa.objects.filter(pk=made.pk).update(raised_at=raised_at, **kw)
        return made

    capa("期内一", at(2026, 3, 5, 10))
    closed = capa("期内关闭", at(2026, 3, 6, 10), status=CapaStatus.CLOSED, status_changed_at=at(2026, 3, 25, 10),
                  source=CapaSource.MANAGEMENT_REVIEW)
    late = capa("期前逾期", at(2026, 1, 5, 10))
    capa("期后", at(2026, 4, 5, 10))
    Deadline.objects.filter(object_id=late.pk, kind="plan").update(due_at=at(2026, 1, 7, 17))
    CapaVerification.objects.create(capa=closed, round=1, result=CapaVerification.Result.EFFECTIVE, comment="有效",
                                    verified_by=people["quality"], verified_at=at(2026, 3, 25, 10))
    found = section("capa", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    figures = values(found)
    assert figures["期内提出"] == 2
    assert notes(found)["期内提出"] == "客户投诉 1；管理评审 1"
    assert figures["期内关闭"] == 1
    assert figures["未关闭"] == 2 and notes(found)["未关闭"] == "其中逾期 1"
    assert figures["逾期"] == 1
    assert figures["验证有效率"] == "100.0%"


def test_satisfaction_figures_average_per_question_and_customer_grade(people):
    campaign = SurveyCampaign.objects.create(year=2026, title="2026 年度满意度调查", opens_on=dt.date(2026, 10, 1),
                                             closes_on=dt.date(2026, 10, 31), status=CampaignStatus.OPEN,
                                             created_by=people["service"])
    quality = SurveyQuestion.objects.create(campaign=campaign, order=1, text="产品质量")
    delivery = SurveyQuestion.objects.create(campaign=campaign, order=2, text="交货及时")
    for customer, scores, when in ((make_customer(people["sales"], name="甲医院", grade="A"), (5, 4), at(2026, 10, 8)),
                                   (make_customer(people["sales"], name="乙医院", grade="C"), (3, 2), at(2026, 10, 9)),
                                   (make_customer(people["sales"], name="丙医院", grade="C"), (1, 1), at(2026, 11, 9))):
        response = SurveyResponse.objects.create(campaign=campaign, customer=customer, submitted_at=when)
        SurveyAnswer.objects.create(response=response, question=quality, score=scores[0])
        SurveyAnswer.objects.create(response=response, question=delivery, score=scores[1])
    found = section("satisfaction", dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    figures = values(found)
    assert figures["已回收"] == 2
    assert figures["平均分"] == 3.5
    assert figures["问题：产品质量"] == 4.0 and figures["问题：交货及时"] == 3.0
    assert figures["A 类客户平均分"] == 4.5 and figures["C 类客户平均分"] == 2.5
    assert figures["B 类客户平均分"] == "—"


def test_key_account_figures_count_new_lost_and_the_abc_shift_of_the_period(people):
    """The shift is read from the audit trail, whose times are the database's, and the new and lost customers
    from their own dates, Python's: the period takes both days (they differ when the tests run with the clock
    moved ahead, --clock-shift-days)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT (now() AT TIME ZONE %s)::date", [settings.TIME_ZONE])
        database_today = cursor.fetchone()[0]
    today = timezone.localdate()
    up = make_customer(people["sales"], name="升级客户", grade="C")
    down = make_customer(people["sales"], name="降级客户", grade="A")
    gone = make_customer(people["sales"], name="流失客户", grade="B")
    Customer.objects.filter(pk=up.pk).update(grade="A")
    Customer.objects.filter(pk=down.pk).update(grade="B")
    Customer.objects.filter(pk=gone.pk).update(deleted_at=timezone.now(), delete_reason="停止合作")
    found = section("customers", min(today, database_today), max(today, database_today))
    figures = values(found)
    assert figures["新增客户"] == 3
    assert figures["流失客户"] == 1
    assert figures["等级上调"] == 1 and notes(found)["等级上调"] == "C→A 1"
    assert figures["等级下调"] == 1 and notes(found)["等级下调"] == "A→B 1"
    earlier = min(today, database_today)
    assert values(section("customers", earlier - dt.timedelta(days=10), earlier - dt.timedelta(days=1)))["等级上调"] == 0


def test_contract_figures_count_reviews_held_and_unmet_special_requirements(people):
    contract = contract_factories.make_contract(people["sales"], status=ContractStatus.APPROVED,
                                                review_route=ReviewRoute.GM, approved_at=at(2026, 3, 10, 10))
    contract_factories.make_contract(people["sales"], status=ContractStatus.APPROVED,
                                     review_route=ReviewRoute.SALES_ONLY, approved_at=at(2026, 4, 10, 10))
    contract_factories.make_contract(people["sales"], status=ContractStatus.REJECTED,
                                     status_changed_at=at(2026, 3, 12, 10))
    with time_machine.travel(at(2026, 3, 15, 10), tick=False):
        contract_factories.make_requirement(people, contract, kind=RequirementKind.PACKAGING)
        met = contract_factories.make_requirement(people, contract, kind=RequirementKind.DELIVERY)
        contract_factories.meet(people, met)
    found = section("contracts", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    figures = values(found)
    assert figures["合同评审"] == 2 and notes(found)["合同评审"] == "批准 1，未接受 1"
    assert figures["评审路线：非常规合同：技术、品质、生产、采购、销售会签，总经理批准"] == 1
    assert figures["新登记特殊要求"] == 2 and notes(found)["新登记特殊要求"] == "期内已验证满足 1"
    assert figures["未满足的特殊要求"] == 1


def test_open_outputs_of_a_review_reappear_in_every_pack_until_closed(people):
    open_output = raise_capa(source=CapaSource.MANAGEMENT_REVIEW, title="完善供应商评价", nonconformity="评审输出",
                             responsible=people["purchasing"], raised_by=people["mr"], source_reference="MR-2026-01")
    done = raise_capa(source=CapaSource.MANAGEMENT_REVIEW, title="增加检验设备", nonconformity="评审输出",
                      responsible=people["quality"], raised_by=people["mr"])
    raise_capa(source=CapaSource.COMPLAINT, title="投诉整改", nonconformity="投诉", responsible=people["quality"],
               raised_by=people["mr"])
    Capa.objects.filter(pk=done.pk).update(status=CapaStatus.CLOSED, status_changed_at=timezone.now())
    next_year = timezone.localdate() + dt.timedelta(days=365)
    found = section("previous_outputs", next_year - dt.timedelta(days=364), next_year)
    figures = values(found)
    assert figures["未关闭的评审输出"] == 1
    assert figures[f"{open_output.number} 完善供应商评价"] == "待制定计划"
    assert f"{done.number} 增加检验设备" not in figures


def test_the_pack_page_shows_every_section_with_its_charts_for_the_chosen_period(people, client):
    client.force_login(people["gm"])
    response = client.get("/reviews/pack/", {"start": "2026-01-01", "end": "2026-12-31"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "评审期间：2026-01-01 至 2026-12-31" in page
    assert 'id="input-complaints"' in page and 'id="input-previous_outputs"' in page
    assert page.count("<svg") >= 7 and "<script>window.pygal" not in page
    refused = client.get("/reviews/pack/", {"start": "2026-12-31", "end": "2026-01-01"})
    assert "结束日期不能早于开始日期。" in refused.content.decode()
