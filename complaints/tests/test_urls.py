"""Every URL of the complaints app answers anonymous → login, a user who may not see the record → 404, one who
may → 200. Customer service, quality, the MR and the GM see every complaint, return, notice and survey; the
production planner (pmc) has nothing to do with the records made here."""
import datetime as dt
import zoneinfo

import pytest
import time_machine

from complaints.models import AdverseSeriousness, Clock, SurveyResponse
from complaints.services import adverse, notices, returns, surveys
from complaints.tests.factories import received
from customers.tests.factories import make_customer
from qms.tests.cases import RecordUrls, UrlWalk

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
OUTSIDER = "pmc"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def flagged(people):
    complaint = received(people)
    adverse.flag_adverse_event(complaint, seriousness=AdverseSeriousness.OTHER, description="患者使用后寒战高热",
                               by=people["quality"])
    complaint.refresh_from_db()
    return complaint


def return_order(people):
    return returns.create_return(by=people["sales2"], customer_name="演示医院", batch="B2609-03", quantity=200,
                                 product="一次性使用输液器", reason="包装破损，部分产品外包装漏气。")


def notice(people):
    return notices.draft_notice(by=people["mr"], customers=[make_customer(people["sales"], grade="A")],
                                title="关于输液器批号 SY2611 暂停使用的通知", product="一次性使用输液器",
                                batches="SY2611", risk="该批产品可能导致输液反应", actions="立即停止使用并隔离存放")


def campaign(people):
    return surveys.create_campaign(by=people["service"], year=2026, opens_on=dt.date(2026, 10, 9),
                                   closes_on=dt.date(2026, 10, 30),
                                   customers=[make_customer(people["sales"], grade="A")])


def survey_response(people):
    record = campaign(people)
    with time_machine.travel(dt.datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI), tick=False):
        surveys.open_campaign(record, by=people["service"])
    return SurveyResponse.objects.get(campaign=record)


WALK = UrlWalk(
    "complaints",
    pages=("list", "create", "customer_search", "return_list", "return_create", "adverse_list", "adverse_quarterly",
           "notice_list", "notice_create", "surveys", "survey_create", "dashboard"),
    records=[
        RecordUrls(make=received, insider="service", outsider=OUTSIDER,
                   kwargs=lambda c: {"pk": c.pk, "clock": Clock.FIRST_REPLY},
                   pages=("detail", "pdf", "reply_pdf"), actions=("clock", "capa", "adverse_flag")),
        RecordUrls(make=flagged, insider="quality", outsider=OUTSIDER,
                   pages=("adverse_pdf",), actions=("adverse_report", "adverse_freeze")),
        RecordUrls(make=return_order, insider="quality", outsider=OUTSIDER,
                   pages=("return_detail", "return_pdf"), actions=("return_test", "return_handover", "return_close")),
        RecordUrls(make=notice, insider="mr", outsider=OUTSIDER, pages=("notice_detail", "notice_edit", "notice_pdf"),
                   actions=("notice_authority",)),
        RecordUrls(make=lambda people: notice(people).recipients.get(), insider="mr", outsider=OUTSIDER,
                   kwargs=lambda r: {"pk": r.notice_id, "recipient_pk": r.pk}, actions=("notice_acknowledge",)),
        RecordUrls(make=campaign, insider="service", outsider=OUTSIDER,
                   pages=("survey_detail", "survey_edit", "survey_recipients", "survey_export")),
        RecordUrls(make=survey_response, insider="service", outsider=OUTSIDER,
                   pages=("survey_response",), actions=("survey_response_enter",)),
    ],
)


@pytest.mark.parametrize("case", WALK.cases())
def test_url(case, people, client):
    case.check(people, client)


def test_every_url_is_declared():
    WALK.assert_complete()
