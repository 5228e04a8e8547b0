"""The plan 《管理评审实施计划》 (PROCEDURES.md §5 Timing, Plan, Inputs): the GM calls an extra review with a seed
trigger, the MR drafts, the GM approves with his password and the plan is issued with one input report per input;
the 15/7/3 calendar-day clocks fire; the yearly review is drafted by the beat's task; the pack is frozen when
distributed; the plan prints."""
import datetime as dt
import subprocess

import pytest
from django.utils import timezone

from qms.deadlines import Deadline, DeadlineNotice, tick
from qms.demo import DEMO_PASSWORD
from qms.notifications import Notification
from qms.refusals import Refused
from qms.signatures import SignatureRefused
from qms.workflow import TransitionRefused, perform
from reviews.models import InputItem, InputStatus, Review, ReviewKind, ReviewStatus
from reviews.services import plans
from reviews.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kwargs: True)


def open_deadline(record, kind):
    return Deadline.objects.get(object_id=record.pk, kind=kind, state="open")


def test_only_the_gm_calls_an_extra_review_and_the_mr_is_told(people):
    with pytest.raises(Refused, match="只有总经理可以提出追加管理评审。"):
        plans.call_extra_review(people["mr"], trigger="law", trigger_note="", meeting_at=factories.meeting_in(30),
                                period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 11, 30))
    review = factories.planned(people)
    assert review.kind == ReviewKind.EXTRA and review.called_by == people["gm"]
    assert review.number.startswith("GLPS")
    assert Notification.objects.filter(recipient=people["mr"], title__contains="总经理提出追加管理评审").exists()
    # the plan must be issued 15 calendar days before the meeting
    assert open_deadline(review, "review_plan_issue").due_at == review.meeting_at - dt.timedelta(days=15)
    assert open_deadline(review, "review_plan_issue").responsible == people["mr"]


def test_the_gm_approves_with_his_password_and_the_plan_is_issued_with_its_input_reports(people):
    review = factories.planned(people)
    perform(review, ReviewStatus.AWAITING_APPROVAL, people["mr"])
    with pytest.raises(TransitionRefused):
        perform(review, ReviewStatus.ISSUED, people["mr"], password=DEMO_PASSWORD)
    with pytest.raises(SignatureRefused):
        perform(review, ReviewStatus.ISSUED, people["gm"], password="wrong")
    perform(review, ReviewStatus.ISSUED, people["gm"], password=DEMO_PASSWORD, comment="同意")
    review.refresh_from_db()
    assert review.status == ReviewStatus.ISSUED and review.issued_at is not None
    assert Deadline.objects.get(object_id=review.pk, kind="review_plan_issue").state == "met"
    reports = {report.item: report for report in review.input_reports.all()}
    assert set(reports) == set(InputItem.values)
    assert reports[InputItem.FEEDBACK].responsible == people["service"]
    assert reports[InputItem.TRAINING].role == "人事行政"
    for report in reports.values():
        assert open_deadline(report, "review_input_report").due_at == review.meeting_at - dt.timedelta(days=7)
    assert open_deadline(review, "review_pack").due_at == review.meeting_at - dt.timedelta(days=3)


def test_the_15_7_and_3_day_clocks_send_their_overdue_notices(people):
    review = factories.planned(people, days=20)
    tick(now=review.meeting_at - dt.timedelta(days=15, hours=-1))
    assert DeadlineNotice.objects.filter(deadline__kind="review_plan_issue", stage="overdue",
                                         recipient=people["mr"]).exists()
    factories.issued(people, review)
    report = review.input_reports.get(item=InputItem.FEEDBACK)
    tick(now=review.meeting_at - dt.timedelta(days=7, hours=-1))
    assert DeadlineNotice.objects.filter(deadline__kind="review_input_report", deadline__object_id=report.pk,
                                         stage="overdue", recipient=people["service"]).exists()
    tick(now=review.meeting_at - dt.timedelta(days=3, hours=-1))
    assert DeadlineNotice.objects.filter(deadline__kind="review_pack", stage="overdue",
                                         recipient=people["mr"]).exists()


def test_the_pack_is_distributed_only_with_every_input_report_and_is_frozen(people):
    review = factories.issued(people)
    with pytest.raises(TransitionRefused, match="以下评审输入报告尚未提交：内审结果"):
        perform(review, ReviewStatus.PACK_DISTRIBUTED, people["mr"])
    report = review.input_reports.get(item=InputItem.FEEDBACK)
    with pytest.raises(TransitionRefused, match="请先填写输入报告。"):
        perform(report, InputStatus.SUBMITTED, people["service"])
    with pytest.raises(Refused, match="只有负责岗位的人员可以填写此输入报告。"):
        plans.save_text(report, people["sales"], text="……")
    factories.submit_all(review)
    report.refresh_from_db()
    assert not Deadline.objects.filter(kind="review_input_report", state="open").exists()
    # the MR sends one back: its clock runs again
    perform(report, InputStatus.PENDING, people["mr"], reason="请补充重大投诉的处理情况")
    assert open_deadline(report, "review_input_report").due_at == review.meeting_at - dt.timedelta(days=7)
    plans.save_text(report, people["service"], text="已补充。")
    perform(report, InputStatus.SUBMITTED, people["service"])
    perform(review, ReviewStatus.PACK_DISTRIBUTED, people["mr"])
    review.refresh_from_db()
    assert Deadline.objects.get(object_id=review.pk, kind="review_pack").state == "met"
    assert {section["key"] for section in review.pack} >= {"complaints", "capa", "previous_outputs"}
    assert [s.key for s in plans.figures_for(report, review)] == ["complaints", "returns", "adverse_events",
                                                                   "satisfaction"]


def test_the_yearly_review_is_drafted_in_the_month_before_its_month_once(people, settings):
    month = plans.REVIEW_MONTH
    year = timezone.localdate().year + 1
    before = dt.date(year, month - 1, 1) - dt.timedelta(days=1)
    assert plans.draft_scheduled_review(before) is None
    review = plans.draft_scheduled_review(dt.date(year, month - 1, 1))
    assert review.kind == ReviewKind.SCHEDULED and review.year == year
    assert timezone.localtime(review.meeting_at).date() == dt.date(year, month, plans.REVIEW_DAY)
    assert review.period_end == dt.date(year, month, 1) - dt.timedelta(days=1)
    assert Notification.objects.filter(recipient=people["mr"], title__contains="已草拟年度管理评审计划").exists()
    assert plans.draft_scheduled_review(dt.date(year, month - 1, 2)) is None
    assert Review.objects.filter(year=year, kind=ReviewKind.SCHEDULED).count() == 1
    with pytest.raises(Refused, match=f"{year} 年度的定期管理评审已经存在。"):
        plans.plan_review(people["mr"], meeting_at=review.meeting_at, period_start=review.period_start,
                          period_end=review.period_end)


def test_the_plan_pdf_prints_the_plan_its_calendar_day_schedule_and_the_gms_signature(people, client):
    review = factories.issued(people)
    client.force_login(people["mr"])
    response = client.get(f"/reviews/{review.pk}/pdf/")
    assert response.status_code == 200
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True,
                          check=True).stdout.decode()
    assert "管理评审实施计划" in text and review.number in text
    assert "计划下达（提前 15 天）" in text and "日历日" in text
    assert "相关方出现重大投诉" in text
    assert "王总" in text


def test_a_plan_is_edited_only_as_a_draft_and_the_page_says_the_days_are_calendar_days(people, client):
    review = factories.planned(people)
    client.force_login(people["mr"])
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert "均按日历日计算" in page
    response = client.post(f"/reviews/{review.pk}/edit/", {
        "title": review.title, "meeting_at": "2027-03-10T09:00", "place": "三楼会议室", "period_start": "2026-01-01",
        "period_end": "2026-12-31", "purpose": "p", "scope": "s", "basis": "b", "participants": "总经理",
        "organisers": "管代", "content": "c"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.place == "三楼会议室"
    assert open_deadline(review, "review_plan_issue").due_at == review.meeting_at - dt.timedelta(days=15)
    client.force_login(people["sales"])
    assert client.get(f"/reviews/{review.pk}/").status_code == 404


def test_the_demo_has_a_review_in_every_state(people):
    import io

    from reviews import demo

    demo.seed_reviews(people, io.StringIO())
    assert set(Review.objects.values_list("status", flat=True)) == set(ReviewStatus.values)
    assert Review.objects.get(status="outputs_raised").outputs.get().capa is not None
    assert set(plans.InputReport.objects.values_list("status", flat=True)) == set(InputStatus.values)
