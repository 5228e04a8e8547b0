"""The complaints app's inputs to the management review: the period's complaints by type and status, the first-reply
on-time rate, returns, adverse events reported and survey satisfaction, for the whole company."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from complaints.models import AdverseSeriousness, FeedbackType
from complaints.services import adverse, complaints as service, returns
from complaints.tests import factories
from qms.demo import DEMO_PASSWORD
from qms.registry import review_inputs

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kwargs: True)


def figures(start, end) -> dict:
    return {str(entry.label): {str(f.label): (f.value, f.note) for f in figures}
            for entry, figures in review_inputs(start, end)}


def test_the_review_reads_the_periods_complaints_returns_and_adverse_events(people):
    with time_machine.travel(at(2026, 6, 1, 9, 0), tick=False):  # Monday
        replied = factories.received(people)
        factories.received(people, type=FeedbackType.SUGGESTION)
        event = factories.received(people, product="一次性使用注射器")
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        service.record_clock(replied, "first_reply", people["sales2"])
        adverse.flag_adverse_event(event, seriousness=AdverseSeriousness.SERIOUS, description="针头脱落",
                                   by=people["quality"])
    with time_machine.travel(at(2026, 6, 2, 9, 0), tick=False):
        adverse.record_report(event, reported_at=at(2026, 6, 2, 9, 0), by=people["quality"], password=DEMO_PASSWORD)
        returns.create_return(by=people["sales2"], product="一次性输液器", quantity=10, batch="B2611", reason="漏液",
                              customer_name="杭州仁和医院", is_batch_return=True)
    with time_machine.travel(at(2026, 7, 1, 9, 0), tick=False):
        factories.received(people)  # outside the period
        pack = figures(dt.date(2026, 6, 1), dt.date(2026, 6, 30))

    complaints = pack["客户投诉与反馈"]
    assert complaints["客户投诉/反馈"][0] == 3
    assert complaints["类型：投诉"][0] == 2 and complaints["类型：建议"][0] == 1
    assert complaints["状态：已登记"][0] == 3
    # three first-reply clocks, all due by 1 June 17:00: one met on time, two overdue
    assert complaints["按时率：首次答复（8 小时）"] == ("33.3%", "按时 1 / 已到期 3")
    assert pack["退货单"]["退货单"] == (1, "整批退货 1")
    assert pack["退货单"]["状态：待审批"][0] == 1
    assert pack["不良事件"]["不良事件"][0] == 1
    assert pack["不良事件"]["已报告"] == (1, "按期报告 1")
    assert pack["客户满意度调查"]["已回收"][0] == 0
