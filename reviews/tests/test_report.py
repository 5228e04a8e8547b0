"""The meeting, the report and its outputs (PROCEDURES.md §5 Meeting, Report, Follow-up): attendance and the GM's
conclusion before the minutes close; the report's a)–d) reviewed by the MR and approved by the GM (signatures);
distributed to the departments, who acknowledge; within 2 days each output becomes a CAPA with its 7-day measures
clock; open outputs reappear in the next pack; the PDFs."""
import datetime as dt
import subprocess

import pytest
from django.utils import timezone

from qms import review_inputs
from qms.capa.models import CapaSource
from qms.deadlines import Deadline, DeadlineNotice, tick
from qms.demo import DEMO_PASSWORD
from qms.refusals import Refused
from qms.signatures import SignatureRefused
from qms.workflow import TransitionRefused, perform
from reviews.models import Acknowledgement, ReviewStatus
from reviews.services import plans
from reviews.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kwargs: True)


def fires(deadline) -> bool:
    """Tick at each next action time of ``deadline`` until its overdue notice (or, when the due time fell outside
    office hours and the notice waited, the escalation that replaced it) is sent."""
    for _ in range(6):
        deadline.refresh_from_db()
        if deadline.next_action_at is None:
            break
        tick(now=deadline.next_action_at + dt.timedelta(minutes=1))
        if DeadlineNotice.objects.filter(deadline=deadline, stage__in=("overdue", "escalation1", "escalation2"),
                                         skipped=False).exists():
            return True
    return False


def pdf_text(response) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True,
                          check=True).stdout.decode()


def test_the_minutes_need_attendance_and_the_gms_conclusion(people):
    review = factories.distributed(people)
    with pytest.raises(TransitionRefused, match="请先登记出席人员。；请先记录总经理的评价结论。"):
        perform(review, ReviewStatus.MEETING_HELD, people["mr"])
    with pytest.raises(Refused, match="只有管理者代表或文管中心可以记录管理评审会议。"):
        plans.record_meeting(review, people["sales"], present=[people["gm"]], apologies=[], conclusion="x", notes={})
    with pytest.raises(Refused, match="同一人不能既出席又请假。"):
        plans.record_meeting(review, people["mr"], present=[people["gm"]], apologies=[people["gm"]], conclusion="x",
                             notes={})


def test_the_report_is_reviewed_and_approved_with_signatures_and_its_outputs_become_capas_with_their_clocks(people):
    review = factories.distributed(people)
    plans.record_meeting(review, people["mr"], present=[people["gm"]], apologies=[], conclusion="有效", notes={})
    perform(review, ReviewStatus.MEETING_HELD, people["mr"])
    with pytest.raises(TransitionRefused, match="请先填写评审结果 a\\)–d\\) 各项"):
        perform(review, ReviewStatus.REPORT_REVIEWED, people["mr"], password=DEMO_PASSWORD)
    plans.write_report(review, people["mr"], result_system="a", result_product="b", result_resources="c",
                       result_market="无")
    with pytest.raises(TransitionRefused):
        perform(review, ReviewStatus.REPORT_REVIEWED, people["gm"], password=DEMO_PASSWORD)
    perform(review, ReviewStatus.REPORT_REVIEWED, people["mr"], password=DEMO_PASSWORD, comment="审核")
    perform(review, ReviewStatus.REPORT_APPROVED, people["gm"], password=DEMO_PASSWORD, comment="批准")
    review.refresh_from_db()
    assert review.status == ReviewStatus.REPORT_APPROVED
    shown = review_signatures(review)
    assert [(s["signature"].meaning, s["valid"]) for s in shown] == [
        ("approval", True), ("review", True), ("approval", True)]  # the plan's approval stays valid


def review_signatures(review):
    from qms.signatures import signatures_for

    return sorted(signatures_for(review), key=lambda s: s["signed_at"])


def test_outputs_are_raised_as_capa_within_two_days_and_each_runs_its_seven_day_clock(people):
    review = factories.reported(people)
    clock = Deadline.objects.get(object_id=review.pk, kind="review_outputs", state="open")
    assert clock.due_at == review.report_approved_at + dt.timedelta(days=2)
    assert clock.responsible == people["mr"]
    assert Acknowledgement.objects.filter(review=review).count() > 3
    assert fires(clock)

    with pytest.raises(TransitionRefused):
        perform(review, ReviewStatus.OUTPUTS_RAISED, people["quality"])
    perform(review, ReviewStatus.OUTPUTS_RAISED, people["mr"])
    output = review.outputs.get()
    capa = output.capa
    assert capa.source == CapaSource.MANAGEMENT_REVIEW and capa.responsible == people["quality"]
    assert capa.source_record == review
    plan = Deadline.objects.get(object_id=capa.pk, kind="plan", state="open")
    assert plan.due_at == capa.raised_at + dt.timedelta(days=7)  # 5.7.2 七天内
    assert Deadline.objects.get(pk=clock.pk).state == "met"
    assert fires(plan)

    # the open output reappears in the next review's pack
    next_pack = review_inputs.collect(review.period_end, timezone.localdate(), keys={"previous_outputs"})[0]
    figures = {f.label: f.value for f in next_pack.figures}
    assert figures["未关闭的评审输出"] == 1
    assert figures[f"{capa.number} 完善来料检验流程"] == "待制定计划"


def test_a_department_manager_acknowledges_the_report_once(people, client):
    review = factories.reported(people)
    quality = people["quality"].department
    manager = quality.manager
    with pytest.raises(Refused, match="只有部门经理可以签收本部门的管理评审报告。"):
        plans.acknowledge(review, people["sales"], quality)
    client.force_login(manager)
    response = client.post(f"/reviews/{review.pk}/acknowledge/")
    assert response.status_code == 302
    ack = Acknowledgement.objects.get(review=review, department=quality)
    assert ack.acknowledged_by == manager
    with pytest.raises(Refused, match="本部门已签收或报告尚未下发。"):
        plans.acknowledge(review, manager, quality)


def test_the_gm_password_is_asked_to_approve_the_report(people):
    review = factories.distributed(people)
    plans.record_meeting(review, people["mr"], present=[people["gm"]], apologies=[], conclusion="有效", notes={})
    perform(review, ReviewStatus.MEETING_HELD, people["mr"])
    plans.write_report(review, people["mr"], result_system="a", result_product="b", result_resources="c",
                       result_market="d")
    perform(review, ReviewStatus.REPORT_REVIEWED, people["mr"], password=DEMO_PASSWORD)
    with pytest.raises(SignatureRefused):
        perform(review, ReviewStatus.REPORT_APPROVED, people["gm"], password="wrong")


def test_the_minutes_and_the_report_print_with_the_packs_charts_and_signatures(people, client):
    review = factories.reported(people)
    client.force_login(people["mr"])
    minutes = pdf_text(client.get(f"/reviews/{review.pk}/minutes/pdf/"))
    assert "会议记录" in minutes and "请假" in minutes and "体系总体适宜、充分、有效。" in minutes
    assert "重大投诉已处理，需加强来料检验。" in minutes
    report = pdf_text(client.get(f"/reviews/{review.pk}/report/pdf/"))
    for text in ("管理评审报告", "a) 管理体系及其过程有效性的改进", "增加一台拉力试验机", "完善来料检验流程",
                 "客户投诉/反馈", "投诉/反馈类型", "王总", "李代表"):
        assert text in report, text


def test_the_year_view_counts_held_reviews_and_open_outputs_and_the_lists_export(people, client):
    import io

    import openpyxl

    review = factories.reported(people)
    perform(review, ReviewStatus.OUTPUTS_RAISED, people["mr"])
    client.force_login(people["gm"])
    page = client.get("/reviews/year/", {"year": review.year}).content.decode()
    assert review.number in page
    assert 'id="outputs-open">1<' in page and 'id="outputs-overdue">0<' in page
    response = client.get("/reviews/export/", {"scope": "all"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
        values_only=True))
    assert rows[0][:2] == ("编号", "标题")
    assert any(row[0] == review.number and row[-1] == "报告已批准" or row[0] == review.number for row in rows[1:])
    response = client.get("/reviews/inputs/export/", {"scope": "all"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
        values_only=True))
    assert len(rows) == 1 + 16 and rows[0][1] == "评审输入"
    response = client.get("/reviews/outputs/export/", {"scope": "open"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
        values_only=True))
    capa = review.outputs.get().capa
    assert rows[1][:3] == (review.number, "a) 管理体系及其过程有效性的改进", "完善来料检验流程")
    assert rows[1][5:] == (capa.number, "待制定计划")
