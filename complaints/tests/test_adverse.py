"""Medical-device adverse events (PROCEDURES.md §3; seed 004): report due 12 h after learning of a death, 72 h
after a serious injury (calendar hours, from the complaint's receipt), by the 10th day after the quarter for the
others; the deadline and the MR's immediate notice; the signed report; freezing stock; refusals; the list and
its filters; 《医疗器械不良事件报告书》; the quarterly aggregate workbook."""
import datetime as dt
import io
import subprocess
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from complaints.models import AdverseSeriousness, Complaint
from complaints.services import adverse as service
from complaints.tests.factories import received
from qms import Refused, audit, deadlines
from qms.deadlines import Deadline
from qms.demo import DEMO_PASSWORD
from qms.notifications import Notification
from qms.signatures import Signature, SignatureRefused
from qms.tests.cases import assert_queries_at_most

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def complaint_received(people, when, **fields):
    with time_machine.travel(when, tick=False):
        return received(people, received_at=when, **fields)


def flagged(people, when, seriousness, *, by="quality", **fields):
    complaint = complaint_received(people, when, **fields)
    with time_machine.travel(when + dt.timedelta(hours=1), tick=False):
        service.flag_adverse_event(complaint, seriousness=seriousness, description="患者使用后寒战高热", by=people[by])
    complaint.refresh_from_db()
    return complaint


def adverse_deadlines(complaint, state=Deadline.State.OPEN):
    return list(Deadline.objects.filter(content_type__model="complaint", object_id=complaint.pk,
                                        kind=service.DEADLINE_KIND, state=state)
                .values_list("responsible__username", "due_at"))


def titles(user):
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode("utf-8")


def reasons(complaint):
    return [e.pgh_context.get("reason", "") for e in
            audit.event_model(Complaint).objects.filter(pgh_obj_id=complaint.pk).order_by("pgh_id")]


# --- due times ---------------------------------------------------------------------------------------------
def test_a_death_is_due_12_hours_after_receipt_and_the_mr_is_told_at_once(people):
    learned = at(2026, 9, 30, 22, 15)
    # flagged by the receiver an hour later: the 12 hours still count from when the company learned of it
    complaint = flagged(people, learned, AdverseSeriousness.DEATH, by="sales2")
    assert complaint.is_adverse_event and complaint.adverse_seriousness == AdverseSeriousness.DEATH
    assert service.report_due_at(complaint) == at(2026, 10, 1, 10, 15)  # National Day: calendar hours all the same
    assert adverse_deadlines(complaint) == [("quality", at(2026, 10, 1, 10, 15))]
    assert [t for t in titles(people["mr"]) if "不良事件" in t] == [
        f"【紧急】疑似医疗器械不良事件（导致死亡）：{complaint.number} 杭州仁和医院"]
    assert any("不良事件" in t for t in titles(people["quality"]))
    assert "标记为疑似医疗器械不良事件：导致死亡" in reasons(complaint)


def test_a_serious_injury_is_due_72_hours_after_receipt(people):
    complaint = flagged(people, at(2026, 9, 30, 10, 0), AdverseSeriousness.SERIOUS)
    assert service.report_due_at(complaint) == at(2026, 10, 3, 10, 0)
    assert adverse_deadlines(complaint) == [("quality", at(2026, 10, 3, 10, 0))]
    assert any(t.startswith("【紧急】") for t in titles(people["mr"]))


@pytest.mark.parametrize("learned, due", [
    (at(2026, 2, 15, 9, 0), at(2026, 4, 10, 17, 30)),
    (at(2026, 3, 31, 23, 30), at(2026, 4, 10, 17, 30)),  # local time decides the quarter
    (at(2026, 4, 1, 0, 10), at(2026, 7, 10, 17, 30)),
    (at(2025, 12, 20, 9, 0), at(2026, 1, 10, 17, 30)),
])
def test_other_events_are_due_with_the_quarterly_report_by_the_10th_day_after_the_quarter(people, learned, due):
    complaint = flagged(people, learned, AdverseSeriousness.OTHER)
    assert service.report_due_at(complaint) == due
    assert adverse_deadlines(complaint) == [("quality", due)]
    # the MR is not paged for an event that goes into the quarterly report
    assert not any("不良事件" in t for t in titles(people["mr"]))


def test_reclassifying_before_the_report_moves_the_one_open_deadline(people):
    complaint = flagged(people, at(2026, 5, 12, 9, 0), AdverseSeriousness.OTHER)
    with time_machine.travel(at(2026, 5, 12, 15, 0), tick=False):
        service.flag_adverse_event(complaint, seriousness=AdverseSeriousness.SERIOUS, description="随访发现需住院治疗",
                                   by=people["quality"])
    complaint.refresh_from_db()
    assert service.report_due_at(complaint) == at(2026, 5, 15, 9, 0)
    assert adverse_deadlines(complaint) == [("quality", at(2026, 5, 15, 9, 0))]
    assert "重新判定疑似医疗器械不良事件：严重伤害" in reasons(complaint)


def test_the_overdue_report_reminds_then_escalates_on_its_own_short_clock(people):
    complaint = flagged(people, at(2026, 6, 1, 8, 0), AdverseSeriousness.DEATH)  # due 20:00
    with time_machine.travel(at(2026, 6, 1, 16, 30), tick=False):
        deadlines.tick()
    assert f"即将到期：上报医疗器械不良事件（导致死亡）：{complaint.number} 一次性输液器" in titles(people["quality"])
    with time_machine.travel(at(2026, 6, 1, 20, 5), tick=False):
        deadlines.tick()  # due: the overdue notice goes out at 20:05, outside office hours — this clock runs round it
    with time_machine.travel(at(2026, 6, 1, 22, 5), tick=False):
        deadlines.tick()  # 2 hours past due: the quality lead's manager
    assert f"已逾期：上报医疗器械不良事件（导致死亡）：{complaint.number} 一次性输液器" in titles(people["quality"])
    assert any(t.startswith("逾期升级：上报医疗器械不良事件") for t in titles(people["gm"]))
    with time_machine.travel(at(2026, 6, 2, 0, 5), tick=False):
        deadlines.tick()  # 4 hours past due: the management representative
    assert any(t.startswith("逾期升级：上报医疗器械不良事件") for t in titles(people["mr"]))


# --- refusals ------------------------------------------------------------------------------------------------
def test_flagging_is_refused_without_a_consequence_a_description_or_the_right(people):
    complaint = received(people)
    with pytest.raises(Refused, match="请选择事件后果"):
        service.flag_adverse_event(complaint, seriousness="", description="x", by=people["quality"])
    with pytest.raises(Refused, match="请填写事件经过"):
        service.flag_adverse_event(complaint, seriousness=AdverseSeriousness.DEATH, description="  ",
                                   by=people["quality"])
    with pytest.raises(Refused, match="只有投诉的处理人员、品质部或管理者代表"):
        service.flag_adverse_event(complaint, seriousness=AdverseSeriousness.DEATH, description="x",
                                   by=people["production"])
    complaint.refresh_from_db()
    assert not complaint.is_adverse_event and adverse_deadlines(complaint) == []


def test_the_report_is_signed_meets_the_deadline_and_freezes_the_classification(people):
    complaint = flagged(people, at(2026, 6, 1, 8, 0), AdverseSeriousness.DEATH)
    with time_machine.travel(at(2026, 6, 1, 18, 0), tick=False):
        with pytest.raises(SignatureRefused, match="密码错误，未签名"):
            service.record_report(complaint, reported_at=at(2026, 6, 1, 17, 0), by=people["quality"],
                                  password="wrong")
        complaint.refresh_from_db()
        assert complaint.adverse_reported_at is None and adverse_deadlines(complaint)
        with pytest.raises(Refused, match="只有品质部或管理者代表可以登记"):
            service.record_report(complaint, reported_at=at(2026, 6, 1, 17, 0), by=people["sales2"],
                                  password=DEMO_PASSWORD)
        with pytest.raises(Refused, match="不能晚于现在"):
            service.record_report(complaint, reported_at=at(2026, 6, 2, 9, 0), by=people["quality"],
                                  password=DEMO_PASSWORD)
        with pytest.raises(Refused, match="不能早于获知事件的时间"):
            service.record_report(complaint, reported_at=at(2026, 6, 1, 7, 0), by=people["quality"],
                                  password=DEMO_PASSWORD)
        signature = service.record_report(complaint, reported_at=at(2026, 6, 1, 17, 0), by=people["quality"],
                                          password=DEMO_PASSWORD, authority="国家医疗器械不良事件监测信息系统",
                                          reference="MDAE-0001")
    complaint.refresh_from_db()
    assert complaint.adverse_reported_at == at(2026, 6, 1, 17, 0)
    assert adverse_deadlines(complaint) == [] and adverse_deadlines(complaint, Deadline.State.MET)
    assert (signature.meaning, signature.signer_name, signature.step) == ("confirmation", "陈品质", "上报医疗器械不良事件")
    assert "报告编号：MDAE-0001" in signature.comment and signature.is_valid_for(complaint)
    assert service.report_signature(complaint) == signature
    assert any(r.startswith("上报医疗器械不良事件：事件后果：导致死亡") for r in reasons(complaint))
    assert service.adverse_state(complaint)[0] == "已报告"
    with pytest.raises(Refused, match="已于 2026-06-01 17:00 上报，不能再修改"):
        service.flag_adverse_event(complaint, seriousness=AdverseSeriousness.OTHER, description="改判",
                                   by=people["quality"])
    with pytest.raises(Refused, match="已于 2026-06-01 17:00 上报"):
        service.record_report(complaint, reported_at=at(2026, 6, 1, 17, 0), by=people["quality"],
                              password=DEMO_PASSWORD)
    assert Signature.objects.filter(object_id=complaint.pk, step=service.REPORT_STEP).count() == 1


def test_a_late_report_is_recorded_and_shown_as_late(people):
    complaint = flagged(people, at(2026, 6, 1, 8, 0), AdverseSeriousness.DEATH)
    with time_machine.travel(at(2026, 6, 2, 9, 0), tick=False):
        assert service.adverse_state(complaint) == ("已逾期未报告", "danger")
        signature = service.record_report(complaint, reported_at=at(2026, 6, 2, 8, 0), by=people["mr"],
                                          password=DEMO_PASSWORD)
    assert "超过报告期限 2026-06-01 20:00" in signature.comment
    complaint.refresh_from_db()
    assert service.adverse_state(complaint) == ("已报告（超期）", "warning")


def test_freezing_a_batch_tells_production_and_quality_and_stays_on_the_trail(people):
    complaint = flagged(people, at(2026, 6, 1, 8, 0), AdverseSeriousness.SERIOUS)
    with pytest.raises(Refused, match="只有品质部或管理者代表可以要求冻结库存"):
        service.freeze_stock(complaint, batch="B2611", by=people["sales2"])
    with pytest.raises(Refused, match="请填写要冻结的批号"):
        service.freeze_stock(complaint, batch=" ", by=people["quality"])
    told = service.freeze_stock(complaint, batch="B2611", note="成品仓全部封存", by=people["quality"])
    assert {u.username for u in told} == {"production", "quality"}
    assert titles(people["production"])[-1] == "【紧急】请立即冻结批号 B2611 的库存（一次性输液器）"
    [freeze] = service.freezes_of(complaint)
    assert (freeze["batch"], freeze["by"]) == ("B2611", "陈品质")
    assert freeze["reason"] == "冻结库存：批号 B2611；成品仓全部封存"
    ordinary = received(people)
    with pytest.raises(Refused, match="只有疑似医疗器械不良事件可以从此处冻结库存"):
        service.freeze_stock(ordinary, batch="B2611", by=people["quality"])


# --- pages ---------------------------------------------------------------------------------------------------
def test_the_flag_page_states_the_rule_and_flags_the_complaint(people, login):
    complaint = received(people)
    client = login(people["sales2"])  # the receiver, responsible until the hand-over
    page = client.get(reverse("complaints:adverse_flag", args=[complaint.pk]))
    assert page.status_code == 200
    assert "报告期限自公司获知事件之时（投诉受理时间）起按日历小时计算" in page.content.decode()
    bad = client.post(reverse("complaints:adverse_flag", args=[complaint.pk]), {"seriousness": "death"})
    assert bad.status_code == 400 and "请填写事件经过。" in bad.content.decode()
    response = client.post(reverse("complaints:adverse_flag", args=[complaint.pk]),
                           {"seriousness": "serious", "description": "针头脱落残留皮下"})
    assert response.status_code == 302 and response["Location"].endswith("?tab=adverse")
    complaint.refresh_from_db()
    assert complaint.adverse_seriousness == "serious"
    tab = login(people["quality"]).get(reverse("complaints:detail", args=[complaint.pk]), {"tab": "adverse"})
    html = tab.content.decode()
    assert "针头脱落残留皮下" in html and 'id="adverse-report-link"' in html


def test_someone_who_cannot_see_the_complaint_gets_404_everywhere(people, login):
    complaint = flagged(people, at(2026, 6, 1, 8, 0), AdverseSeriousness.DEATH)
    client = login(people["production"])
    for name in ("adverse_flag", "adverse_report", "adverse_freeze", "adverse_pdf"):
        assert client.get(reverse(f"complaints:{name}", args=[complaint.pk])).status_code == 404, name


def test_the_report_page_refuses_with_the_reason_and_records_with_the_password(people, login):
    complaint = flagged(people, at(2026, 6, 1, 8, 0), AdverseSeriousness.DEATH)
    refused = login(people["sales2"]).get(reverse("complaints:adverse_report", args=[complaint.pk]), follow=True)
    assert "只有品质部或管理者代表可以登记向监管部门的报告。" in refused.content.decode()
    client = login(people["quality"])
    url = reverse("complaints:adverse_report", args=[complaint.pk])
    wrong = client.post(url, {"reported_at": "2026-06-01T17:00", "password": "nope"})
    assert wrong.status_code == 409 and "密码错误，未签名。" in wrong.content.decode()
    assert client.post(url, {"reported_at": "2026-06-01T17:00", "password": DEMO_PASSWORD}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.adverse_reported_at == at(2026, 6, 1, 17, 0)


def test_the_report_form_pdf_carries_the_national_form_fields(people, login):
    complaint = flagged(people, at(2026, 6, 1, 8, 0), AdverseSeriousness.DEATH)
    service.record_report(complaint, reported_at=at(2026, 6, 1, 17, 0), by=people["quality"], password=DEMO_PASSWORD)
    service.freeze_stock(complaint, batch="B2611", by=people["quality"])
    response = login(people["mr"]).get(reverse("complaints:adverse_pdf", args=[complaint.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("医疗器械不良事件报告书", "报告单位", "一次性输液器", "B2611", "■ 导致死亡", "□ 严重伤害",
                     "患者使用后寒战高热", "2026-06-01 08:00", "2026-06-01 17:00", "陈品质", "冻结批号", complaint.number):
        assert expected in text, expected
    ordinary = received(people)
    assert login(people["mr"]).get(reverse("complaints:adverse_pdf", args=[ordinary.pk])).status_code == 404


def test_the_list_filters_by_consequence_report_overdue_and_quarter(people, login):
    with time_machine.travel(at(2026, 6, 20, 12, 0), tick=False):
        death = flagged(people, at(2026, 6, 1, 8, 0), AdverseSeriousness.DEATH)
        service.record_report(death, reported_at=at(2026, 6, 1, 17, 0), by=people["quality"], password=DEMO_PASSWORD)
        serious = flagged(people, at(2026, 6, 10, 8, 0), AdverseSeriousness.SERIOUS)
        other = flagged(people, at(2026, 3, 3, 8, 0), AdverseSeriousness.OTHER)
        received(people)  # not an adverse event: never listed
        client = login(people["quality"])

        def numbers(**query):
            response = client.get(reverse("complaints:adverse_list"), {"scope": "all", **query})
            assert response.status_code == 200
            return sorted(r.number for r in response.context["table"].data.data)

        assert numbers() == sorted([death.number, serious.number, other.number])
        assert numbers(adverse_seriousness="death") == [death.number]
        assert numbers(reported="no") == sorted([serious.number, other.number])
        assert numbers(reported="yes") == [death.number]
        assert numbers(quarter="2026Q2") == sorted([death.number, serious.number])


def test_overdue_counts_every_unreported_event_past_its_due_time(people, login):
    with time_machine.travel(at(2026, 6, 20, 12, 0), tick=False):
        serious = flagged(people, at(2026, 6, 10, 8, 0), AdverseSeriousness.SERIOUS)
        late_other = flagged(people, at(2026, 3, 3, 8, 0), AdverseSeriousness.OTHER)  # due 2026-04-10
        current_other = flagged(people, at(2026, 5, 3, 8, 0), AdverseSeriousness.OTHER)  # due 2026-07-10
        client = login(people["quality"])
        rows = client.get(reverse("complaints:adverse_list"), {"scope": "all", "overdue": "yes"}).context["table"]
        assert sorted(r.number for r in rows.data.data) == sorted([serious.number, late_other.number])
        q1 = client.get(reverse("complaints:adverse_list"), {"scope": "all", "quarter": "2026Q1"}).context["table"]
        assert [r.number for r in q1.data.data] == [late_other.number]
        pending = client.get(reverse("complaints:adverse_list")).context["table"]  # default scope: 待报告
        assert current_other.number in [r.number for r in pending.data.data]


def test_the_list_keeps_a_constant_query_count(people, login):
    for i in range(3):
        flagged(people, at(2026, 6, 1, 8, i), AdverseSeriousness.OTHER, batch=f"A{i}")
    client = login(people["quality"])
    with assert_queries_at_most(40) as few:
        response = client.get(reverse("complaints:adverse_list"), {"scope": "all"})
    assert response.context["table"].paginator.count == 3
    for i in range(30):
        flagged(people, at(2026, 6, 2, 8, i), AdverseSeriousness.SERIOUS, batch=f"B{i}")
    with assert_queries_at_most(len(few)):
        response = client.get(reverse("complaints:adverse_list"), {"scope": "all"})
    assert response.context["table"].paginator.count == 33


def test_the_quarterly_workbook_lists_the_quarters_events_with_totals(people, login):
    with time_machine.travel(at(2026, 7, 5, 10, 0), tick=False):
        death = flagged(people, at(2026, 4, 2, 8, 0), AdverseSeriousness.DEATH, product="输液器")
        service.record_report(death, reported_at=at(2026, 4, 2, 15, 0), by=people["quality"], password=DEMO_PASSWORD)
        flagged(people, at(2026, 5, 6, 8, 0), AdverseSeriousness.SERIOUS, product="注射器")  # overdue
        first = flagged(people, at(2026, 5, 20, 8, 0), AdverseSeriousness.OTHER, product="口罩", batch="KZ01")
        second = flagged(people, at(2026, 6, 30, 23, 0), AdverseSeriousness.OTHER, product="手套", batch="ST02")
        flagged(people, at(2026, 7, 1, 9, 0), AdverseSeriousness.OTHER, product="棉签")  # next quarter
        response = login(people["mr"]).get(reverse("complaints:adverse_quarterly"), {"quarter": "2026Q2"})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["汇总", "季度汇总（其他可疑事件）", "全部不良事件"]
    summary = [tuple(row) for row in workbook["汇总"].iter_rows(values_only=True)]
    assert summary[0][:2] == ("医疗器械不良事件季度汇总报告", "2026 年第 2 季度")
    assert summary[2][:2] == ("报告期限", dt.datetime(2026, 7, 10, 17, 30))
    assert summary[5] == ("事件后果", "事件数", "已报告", "按期报告", "逾期或超期")
    assert summary[6:10] == [("导致死亡", 1, 1, 1, 0), ("严重伤害", 1, 0, 0, 1), ("其他", 2, 0, 0, 0),
                            ("合计", 4, 1, 1, 1)]
    others = list(workbook["季度汇总（其他可疑事件）"].iter_rows(values_only=True))
    assert others[0][:3] == ("序号", "投诉编号", "获知时间")
    assert [(r[0], r[1], r[4], r[5], r[7]) for r in others[1:]] == [
        (1, first.number, "口罩", "KZ01", "其他"), (2, second.number, "手套", "ST02", "其他")]
    every = list(workbook["全部不良事件"].iter_rows(values_only=True))
    assert [r[4] for r in every[1:]] == ["输液器", "注射器", "口罩", "手套"]
    assert every[1][12] == dt.datetime(2026, 4, 2, 15, 0) and every[1][13] == "已报告"


def test_only_quality_the_mr_and_the_gm_export_the_quarterly_report(people, login):
    url = reverse("complaints:adverse_quarterly")
    assert login(people["sales"]).get(url, {"quarter": "2026Q2"}).status_code == 403
    assert login(people["gm"]).get(url, {"quarter": "2026Q2"}).status_code == 200


def test_the_customers_owner_sees_the_event_but_may_not_flag_it(people, login):
    from customers.tests.factories import make_customer

    customer = make_customer(people["sales"], name="上海康达贸易有限公司", grade="C")
    complaint = received(people, customer=customer)  # received by sales2
    client = login(people["sales"])
    tab = client.get(reverse("complaints:detail", args=[complaint.pk]), {"tab": "adverse"}).content.decode()
    assert "此投诉未标记为疑似医疗器械不良事件。" in tab and 'id="adverse-flag-link"' not in tab
    assert client.get(reverse("complaints:adverse_flag", args=[complaint.pk])).status_code == 403
    handler_tab = login(people["sales2"]).get(reverse("complaints:detail", args=[complaint.pk]), {"tab": "adverse"})
    assert 'id="adverse-flag-link"' in handler_tab.content.decode()


def test_the_list_exports_what_it_shows(people, login):
    complaint = flagged(people, at(2026, 6, 1, 8, 0), AdverseSeriousness.SERIOUS)
    response = login(people["quality"]).get(reverse("complaints:adverse_list"), {"scope": "all", "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("投诉编号", "客户/使用单位", "产品", "批号", "事件后果", "获知时间", "报告期限", "报告时间",
                       "报告状态", "投诉状态")
    assert rows[1][0] == complaint.number and rows[1][4] == "严重伤害" and rows[1][8] == "已逾期未报告"


def test_closing_the_complaint_stops_its_clocks_but_not_the_adverse_event_report(people):
    from complaints.tests import factories

    complaint = flagged(people, at(2026, 11, 2, 9, 0), AdverseSeriousness.SERIOUS)
    with time_machine.travel(at(2026, 11, 2, 11, 0), tick=False):
        factories.closed(people, complaint)
    complaint.refresh_from_db()
    assert complaint.status == "closed"
    assert adverse_deadlines(complaint) == [("quality", at(2026, 11, 5, 9, 0))]
    handling = Deadline.objects.filter(content_type__model="complaint", object_id=complaint.pk).exclude(
        kind=service.DEADLINE_KIND)
    assert handling.exists() and not handling.filter(state=Deadline.State.OPEN).exists()
