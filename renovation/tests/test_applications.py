"""《装修申请表》 and its review: documents, one open renovation per unit, the 3-working-day review on the holiday
calendar, the five signed steps, returns with reasons and resubmission restarting the clock."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from qms import Refused, audit
from qms.deadlines import Deadline
from qms.demo import DEMO_PASSWORD
from qms.notifications import Notification
from qms.signatures import SignatureRefused, signatures_for
from qms.tests.cases import assert_num_queries, count_queries
from qms.workflow import TransitionRefused, perform
from renovation.models import Application, ApplicationStatus as S
from renovation.services import applications as service
from renovation.tests import factories

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
ALL_OK = {name: True for name in ("check_structure", "check_facade", "check_public_facilities", "check_fire_hazard",
                                  "check_other_violations")}


def review_deadline(application):
    return Deadline.objects.get(object_id=application.pk, kind="review", content_type__model="application",
                                state="open")


def test_review_is_due_three_working_days_after_the_application_across_national_day(people):
    with time_machine.travel(dt.datetime(2026, 9, 30, 15, 0, tzinfo=SH), tick=False):
        application = factories.submit(people, factories.unit())
    # 10-01..10-07 National Day holiday, 10-10 (Saturday) is a working day (调休): 10-08, 10-09, 10-10.
    deadline = review_deadline(application)
    assert deadline.due_at == dt.datetime(2026, 10, 10, 15, 0, tzinfo=SH)
    assert deadline.responsible == people["propmanager"]
    assert application.number.startswith("ZX-2026-")
    assert application.status == S.ENGINEERING_REVIEW


def test_missing_drawings_are_refused_with_their_names(people):
    unit = factories.unit(large=True, usage="shop")
    fields = factories.application_fields(unit, works_air_conditioning=True)
    documents = factories.documents_for(is_large_commercial=True, works_air_conditioning=True, works_electrical=True,
                                        works_plumbing=True)
    del documents["air_conditioning"], documents["fire_approval"]
    with pytest.raises(Refused, match="缺少申请资料：空调安装图、消防部门审批文件"):
        service.submit_application(by=people["propassistant"], unit=unit, documents=documents, **fields)
    assert not Application.objects.exists()


def test_a_tenant_needs_the_owners_consent_and_self_renovation_a_guarantee():
    kinds = service.required_documents(applicant_kind="tenant", contractor_kind="self", is_large_commercial=False)
    assert kinds == ["floor_plan", "elevation", "self_guarantee", "owner_consent"]
    kinds = service.required_documents(applicant_kind="owner", contractor_kind="company", is_large_commercial=False)
    assert "business_licence" in kinds and "qualification" in kinds and "owner_consent" not in kinds


def test_one_open_renovation_per_unit(people):
    unit = factories.unit()
    first = factories.submit(people, unit)
    with pytest.raises(Refused, match=f"已有进行中的装修申请 {first.number}"):
        factories.submit(people, unit)
    # The database holds the rule even for a write that skips the service.
    with pytest.raises(IntegrityError, match="renovation_one_open_per_unit"), transaction.atomic():
        Application.objects.create(unit=unit, number="X-1", received_by=people["propassistant"],
                                   **factories.application_fields(unit))
    perform(first, S.CANCELLED, people["propassistant"], reason="业主暂缓装修")
    second = factories.submit(people, unit)
    assert second.status == S.ENGINEERING_REVIEW


def test_the_form_shows_the_one_open_renovation_error(people, login):
    unit = factories.unit()
    first = factories.submit(people, unit)
    client = login(people["propassistant"])
    data = {k: v for k, v in factories.application_fields(unit).items()}
    data["unit"] = unit.pk
    response = client.post(reverse("renovation:create"), data)
    assert response.status_code == 400
    assert f"该房号已有进行中的装修申请 {first.number}" in response.content.decode()


def test_registering_in_the_browser_form_with_documents(people, login):
    unit = factories.unit()
    client = login(people["propassistant"])
    fields = factories.application_fields(unit)
    data = {**fields, "unit": unit.pk}
    docs = factories.documents_for(works_electrical=True, works_plumbing=True)
    del docs["elevation"]
    response = client.post(reverse("renovation:create"), {**data, **{f"doc_{k}": v for k, v in docs.items()}})
    assert response.status_code == 400
    assert "请上传单元立面图。" in response.content.decode()
    docs = factories.documents_for(works_electrical=True, works_plumbing=True)
    response = client.post(reverse("renovation:create"), {**data, **{f"doc_{k}": v for k, v in docs.items()}})
    application = Application.objects.get(unit=unit)
    assert response["Location"] == application.get_absolute_url()
    assert sorted(application.documents.values_list("kind", flat=True)) == sorted(docs)
    page = client.get(application.get_absolute_url()).content.decode()
    assert "给排水设计图" in page and application.number in page


def test_the_five_signed_steps_lead_to_approval(people):
    application = factories.submit(people, factories.unit())
    with pytest.raises(TransitionRefused, match="请先填写工程初审检查表"):
        perform(application, S.SECURITY_REVIEW, people["engsupervisor"], password=DEMO_PASSWORD)
    with pytest.raises(TransitionRefused, match="您没有权限"):
        perform(application, S.SECURITY_REVIEW, people["security"], password=DEMO_PASSWORD)
    service.record_checklist(application, people["engsupervisor"], opinion="未涉及结构",
                             **{**ALL_OK, "check_facade": False})
    with pytest.raises(TransitionRefused, match="初审检查未通过（未改动外墙立面）"):
        perform(application, S.SECURITY_REVIEW, people["engsupervisor"], password=DEMO_PASSWORD)
    service.record_checklist(application, people["engsupervisor"], opinion="未涉及结构", **ALL_OK)
    with pytest.raises(SignatureRefused, match="密码错误"):
        perform(application, S.SECURITY_REVIEW, people["engsupervisor"], password="wrong")
    perform(application, S.SECURITY_REVIEW, people["engsupervisor"], password=DEMO_PASSWORD, comment="初审合格")
    perform(application, S.ASSISTANT_CHECK, people["security"], password=DEMO_PASSWORD)
    with pytest.raises(TransitionRefused, match="请先核验业主/租户身份"):
        perform(application, S.TECHNICAL_APPROVAL, people["propassistant"], password=DEMO_PASSWORD)
    service.record_identity_check(application, people["propassistant"], identity_verified=True,
                                  regulations_handed_over=True, contractor_checked=False)
    with pytest.raises(TransitionRefused, match="请先核验施工单位营业执照及资质证书"):
        perform(application, S.TECHNICAL_APPROVAL, people["propassistant"], password=DEMO_PASSWORD)
    service.record_identity_check(application, people["propassistant"], identity_verified=True,
                                  regulations_handed_over=True, contractor_checked=True)
    perform(application, S.TECHNICAL_APPROVAL, people["propassistant"], password=DEMO_PASSWORD)
    perform(application, S.MANAGER_APPROVAL, people["engineering"], password=DEMO_PASSWORD)
    perform(application, S.APPROVED, people["propmanager"], password=DEMO_PASSWORD, comment="同意")
    application.refresh_from_db()
    assert application.status == S.APPROVED and application.approved_at is not None
    steps = [(s["step"], s["signer_name"], s["meaning"], s["valid"]) for s in signatures_for(application)]
    assert steps == [("工程初审通过", "朱主管", "审核", True), ("安全消防审核通过", "林保安", "审核", True),
                     ("身份及施工单位核验通过", "胡助理", "确认", True), ("技术审批通过", "刘工程", "批准", True),
                     ("物业经理批准", "孙经理", "批准", True)]
    assert not Deadline.objects.filter(object_id=application.pk, content_type__model="application", state="open").exists()


def test_each_reviewer_is_told_when_the_application_reaches_their_step(people, mailoutbox, monkeypatch):
    from qms.notifications import deliver_pending_emails

    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kw: True)  # the worker's job is done below

    def told(role):
        return list(Notification.objects.filter(recipient=people[role], title__startswith="待您处理")
                    .values_list("title", flat=True))

    application = factories.submit(people, factories.unit())
    assert told("engsupervisor") == [f"待您处理：{application}（待工程初审）"]
    assert told("security") == []
    for to, role in [(S.SECURITY_REVIEW, "security"), (S.ASSISTANT_CHECK, "propassistant"),
                     (S.TECHNICAL_APPROVAL, "engineering"), (S.MANAGER_APPROVAL, "propmanager")]:
        factories.advance(people, application, to)
        assert f"待您处理：{application}（{application.get_status_display()}）" in told(role)
    # nobody is told of a step he made himself, and the e-mail goes out too
    assert len(told("propmanager")) == 1
    deliver_pending_emails()
    assert any(people["security"].email in message.to and "待您处理" in message.subject for message in mailoutbox)


def test_a_return_reaches_the_applicant_and_resubmission_restarts_the_clock(people):
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 0, tzinfo=SH), tick=False):
        application = factories.advance(people, factories.submit(people, factories.unit()), S.SECURITY_REVIEW)
    with time_machine.travel(dt.datetime(2026, 6, 2, 10, 0, tzinfo=SH), tick=False):
        with pytest.raises(TransitionRefused, match="需要填写理由"):
            perform(application, S.RETURNED, people["security"])
        perform(application, S.RETURNED, people["security"], reason="厨房改动涉及燃气管道，请补充图纸")
    application.refresh_from_db()
    assert application.return_reason == "厨房改动涉及燃气管道，请补充图纸"
    assert not Deadline.objects.filter(object_id=application.pk, content_type__model="application", state="open").exists()
    note = Notification.objects.get(recipient=people["propassistant"], title__contains="被退回")
    assert "厨房改动涉及燃气管道" in note.body
    service.update_application(application, people["propassistant"], scope="仅墙面乳胶漆，不动燃气管道")
    # 2026-06-19 (Friday) is the Dragon Boat Festival: from Thursday 06-18 the three working days are
    # Monday 06-22, Tuesday 06-23 and Wednesday 06-24.
    with time_machine.travel(dt.datetime(2026, 6, 18, 14, 0, tzinfo=SH), tick=False):
        perform(application, S.ENGINEERING_REVIEW, people["propassistant"])
    application.refresh_from_db()
    assert (application.status, application.round) == (S.ENGINEERING_REVIEW, 2)
    assert review_deadline(application).due_at == dt.datetime(2026, 6, 24, 14, 0, tzinfo=SH)
    assert application.checklist_at is None and application.check_structure is None
    # The first round's signature bound the old content: it shows as no longer valid.
    assert [s["valid"] for s in signatures_for(application)] == [False]


def test_only_a_returned_application_can_be_edited(people):
    application = factories.submit(people, factories.unit())
    with pytest.raises(Refused, match="只有“退回修改”的申请可以修改"):
        service.update_application(application, people["propassistant"], scope="改")


def test_edits_and_moves_are_in_the_audit_trail(people):
    application = factories.submit(people, factories.unit())
    perform(application, S.RETURNED, people["engsupervisor"], reason="缺少防水做法说明")
    service.update_application(application, people["propassistant"], scope="补充：卫生间防水两遍")
    reasons = [row["reason"] for row in audit.history_for(application)]
    assert "受理装修申请" in reasons and "缺少防水做法说明" in reasons and "按退回意见修改装修申请" in reasons


def test_salespeople_cannot_open_renovations_the_property_team_can(people, login):
    application = factories.submit(people, factories.unit())
    assert login(people["sales"]).get(application.get_absolute_url()).status_code == 404
    assert login(people["security"]).get(application.get_absolute_url()).status_code == 200
    assert login(people["sales"]).get(reverse("renovation:list")).status_code == 403


def test_reviewers_find_their_step_in_my_work(people):
    from qms.registry import my_work

    application = factories.submit(people, factories.unit())
    titles = [item.title for item in my_work(people["engsupervisor"])]
    assert any(application.number in title and "待工程初审" in title for title in titles)
    assert not any(application.number in item.title for item in my_work(people["security"]))


def test_the_list_keeps_a_constant_query_count(people, login):
    client = login(people["propmanager"])

    def add(n, start):
        for i in range(n):
            factories.submit(people, factories.unit(f"{start + i}"))

    add(3, 100)
    with count_queries() as few:
        assert client.get(reverse("renovation:list"), {"scope": "all"}).status_code == 200
    add(27, 200)
    assert len(few) > 0
    with assert_num_queries(len(few)):
        response = client.get(reverse("renovation:list"), {"scope": "all"})
    assert response.context["table"].paginator.count == 30


def test_the_list_filters_overdue_reviews(people, login):
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 0, tzinfo=SH), tick=False):
        late = factories.submit(people, factories.unit("101"))
    with time_machine.travel(dt.datetime(2026, 6, 8, 9, 0, tzinfo=SH), tick=False):
        fresh = factories.submit(people, factories.unit("102"))
        client = login(people["propmanager"])
        response = client.get(reverse("renovation:list"), {"overdue": "true"})
    numbers = [row.record.number for row in response.context["table"].page.object_list]
    assert numbers == [late.number] and fresh.number not in numbers


def test_the_list_query_count_holds_at_ten_thousand_applications(people, login):
    from renovation.models import Building, Project, Unit

    client = login(people["propmanager"])
    factories.submit(people, factories.unit("1"))
    with count_queries() as few:
        client.get(reverse("renovation:list"), {"scope": "all"})
    building = Building.objects.create(project=Project.objects.create(name="海景苑"), name="A座")
    units = Unit.objects.bulk_create([Unit(building=building, number=f"{i:05d}", owner_name="业主")
                                      for i in range(9999)])
    template = Application.objects.get()
    fields = {f.attname: getattr(template, f.attname) for f in Application._meta.concrete_fields
              if f.attname not in ("id", "number", "unit_id")}
    Application.objects.bulk_create([Application(**fields, unit=unit, number=f"ZX-B-{i:05d}")
                                     for i, unit in enumerate(units)], batch_size=2000)
    assert len(few) > 0
    with assert_num_queries(len(few)):
        response = client.get(reverse("renovation:list"), {"scope": "all", "status": "engineering_review"})
    assert response.context["table"].paginator.count == 10000


def test_confirming_2027_re_dates_the_review_and_the_applications_trail_says_so(
        people, django_capture_on_commit_callbacks, monkeypatch):
    from qms import workdays

    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kwargs: True)
    with time_machine.travel(dt.datetime(2026, 12, 30, 15, 0, tzinfo=SH), tick=False):
        application = factories.submit(people, factories.unit())
    # 31 Dec, then Fri 1 Jan and Mon 4 Jan 2027 — a guess: 2027's holidays are not entered
    assert review_deadline(application).due_at == dt.datetime(2027, 1, 4, 15, 0, tzinfo=SH)
    assert review_deadline(application).provisional
    with time_machine.travel(dt.datetime(2026, 12, 31, 9, 0, tzinfo=SH), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            workdays.save_day(workdays.CalendarDay(date=dt.date(2027, 1, 1), kind="holiday", name="元旦"),
                              people["doccontrol"])
            workdays.confirm_year(2027, people["doccontrol"])
    application.refresh_from_db()
    deadline = review_deadline(application)
    assert deadline.due_at == dt.datetime(2027, 1, 5, 15, 0, tzinfo=SH)
    assert not deadline.provisional
    changes = [row for row in audit.history_for(application) if str(row["reason"]).startswith("工作日历调整")]
    # the application's trail says who moved its review deadline, from when to when (no stored copy of it to change)
    assert [row["user"] for row in changes] == [people["doccontrol"].display_name]
    assert "2027-01-04 15:00" in str(changes[0]["reason"]) and "2027-01-05 15:00" in str(changes[0]["reason"])
    assert Notification.objects.filter(recipient=people["propmanager"], title__startswith="工作日历调整").count() == 1
