"""During the works: the daily round of every active site and its reminder on working days, violations with their
measures (notice with a deadline, the manager's signed stop of water/power and compensation) holding completion
until closed, baseline photos, and the 装修管理看板."""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from qms import Refused
from qms.deadlines import Deadline, deadlines_for
from qms.demo import DEMO_PASSWORD
from qms.models import Notification
from qms.signatures import SignatureRefused
from qms.tests.cases import assert_num_queries, count_queries
from qms.tests.test_pdf import pdf_text
from qms.workflow import TransitionRefused, perform, status_history
from renovation.models import ActionKind, ApplicationStatus as S, ClaimSource, InspectionReminder, ViolationKind
from renovation.services import site
from renovation.tests import factories
from renovation.tests.test_completion import PNG, photo

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def permitted(people, number="101"):
    return factories.advance(people, factories.submit(people, factories.unit(number)), S.PERMITTED)


def all_fine():
    return {name: True for name in site.SiteInspection.CHECK_FIELDS}


def test_today_s_round_shows_which_sites_are_inspected(people, login):
    first, second = permitted(people, "101"), permitted(people, "102")
    factories.submit(people, factories.unit("103"))  # under review: not a site
    inspection = site.record_inspection(first, people["propassistant"], checks={**all_fine(), "waste_cleared": False},
                                        findings="楼道堆放装修垃圾，已要求当日清运", photos=[photo()])
    assert inspection.problems == ["装修垃圾未按规定清运"]
    assert inspection_photos(inspection) == 1
    page = login(people["propassistant"]).get(reverse("renovation:site_inspections")).content.decode()
    assert "已巡查 1 / 2 个工地（50%）" in page
    assert page.index(second.number) < page.index(first.number)  # the ones still to do first
    tab = login(people["propassistant"]).get(first.get_absolute_url() + "?tab=site").content.decode()
    assert "楼道堆放装修垃圾" in tab and "装修垃圾未按规定清运" in tab


def inspection_photos(inspection):
    from qms.attachments import attachments_for

    return attachments_for(inspection).count()


def test_an_inspection_refuses_a_non_image_photo_and_a_closed_site(people):
    application = permitted(people)
    with pytest.raises(Refused, match="现场照片须为图片文件"):
        site.record_inspection(application, people["propassistant"], checks=all_fine(),
                               photos=[SimpleUploadedFile("a.pdf", factories.PDF_BYTES)])
    with pytest.raises(Refused, match="只有物业助理、住户中心主任、工程主管、保安、物业经理可以执行此操作"):
        site.record_inspection(application, people["sales"], checks=all_fine())
    review = factories.submit(people, factories.unit("102"))
    with pytest.raises(Refused, match="只有施工中的装修可以登记巡查"):
        site.record_inspection(review, people["propassistant"], checks=all_fine())


def reminder_titles(people):
    return list(Notification.objects.filter(recipient=people["propassistant"], title__contains="未巡查")
                .values_list("title", "body"))


def test_the_reminder_goes_out_once_on_working_days_and_never_on_weekends_or_holidays(people):
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False):  # a Monday
        first, second = permitted(people, "101"), permitted(people, "102")
        site.record_inspection(first, people["propassistant"], checks=all_fine())
    with time_machine.travel(dt.datetime(2026, 11, 23, 16, 0, tzinfo=SH), tick=False):
        assert site.send_daily_reminder() == 1
        assert site.send_daily_reminder() == 0  # a second run the same day sends nothing
    [(title, body)] = reminder_titles(people)
    assert title == "今日尚有 1 个装修工地未巡查" and second.number in body and first.number not in body
    with time_machine.travel(dt.datetime(2026, 11, 28, 16, 0, tzinfo=SH), tick=False):  # Saturday
        assert site.send_daily_reminder() == 0
    with time_machine.travel(dt.datetime(2026, 10, 1, 16, 0, tzinfo=SH), tick=False):  # National Day
        assert site.send_daily_reminder() == 0
    assert len(reminder_titles(people)) == 1
    assert InspectionReminder.objects.count() == 1


def test_the_reminder_runs_as_a_beat_task_from_the_schedule(people):
    from django_celery_beat.models import PeriodicTask

    from renovation.tasks import SCHEDULE_NAME, TASK, remind_uninspected_sites

    task = PeriodicTask.objects.get(name=SCHEDULE_NAME)
    assert task.task == TASK and (task.crontab.hour, task.crontab.minute) == ("16", "0")
    permitted(people)
    with time_machine.travel(dt.datetime(2026, 11, 24, 16, 0, tzinfo=SH), tick=False):
        assert remind_uninspected_sites.apply().get() == 1


def test_an_open_violation_holds_completion_until_it_is_rectified_and_closed(people, login):
    application = permitted(people)
    inspection = site.record_inspection(
        application, people["propassistant"], checks={**all_fine(), "within_hours": False},
        violation_kind=ViolationKind.OUTSIDE_HOURS, violation_description="中午 12:30 电钻施工，邻居投诉")
    violation = inspection.violations.get()
    with pytest.raises(TransitionRefused, match=f"尚有 1 项违章未整改关闭：{violation.number}"):
        perform(application, S.ACCEPTANCE, people["propassistant"])
    # the notice with its deadline and PDF
    due = timezone.localdate() + dt.timedelta(days=3)
    with pytest.raises(Refused, match="请填写不早于今天的整改期限"):
        site.take_action(violation, people["propassistant"], kind=ActionKind.NOTICE, note="限期整改")
    notice = site.take_action(violation, people["propassistant"], kind=ActionKind.NOTICE,
                              note="严格按 8:00–12:00、14:00–18:00 施工", rectify_by=due)
    deadline = deadlines_for(violation).get(state=Deadline.State.OPEN)
    assert deadline.responsible == people["propassistant"] and timezone.localtime(deadline.due_at).date() == due
    text = pdf_text(login(people["propassistant"]).get(
        reverse("renovation:violation_notice_pdf", args=[violation.pk, notice.pk])).content)
    assert "违反装修规定整改通知书" in text and notice.notice_number in text and "中午 12:30 电钻施工" in text
    # stopping water and power, and compensation: the property manager's signature
    with pytest.raises(Refused, match="须由物业经理批准并签名"):
        site.take_action(violation, people["propassistant"], kind=ActionKind.STOP_UTILITIES, note="停水停电",
                         password=DEMO_PASSWORD)
    with pytest.raises(SignatureRefused):
        site.take_action(violation, people["propmanager"], kind=ActionKind.STOP_UTILITIES, note="停水停电",
                         password="wrong")
    stop = site.take_action(violation, people["propmanager"], kind=ActionKind.STOP_UTILITIES,
                            note="逾期未整改，停水停电至整改完成", password=DEMO_PASSWORD)
    assert stop.signature.signer == people["propmanager"]
    site.take_action(violation, people["propmanager"], kind=ActionKind.COMPENSATION, note="邻居墙面开裂修补",
                     amount=Decimal("860.40"), password=DEMO_PASSWORD)
    claim = application.claims.get()
    assert (claim.source, claim.amount) == (ClaimSource.VIOLATION, Decimal("860.40"))
    # rectified and verified: closed, the deadline met, completion possible
    site.close_violation(violation, people["propassistant"], note="已按规定时间施工，复查无误", photo=photo("after.png"),
                         password=DEMO_PASSWORD)
    assert not deadlines_for(violation).filter(state=Deadline.State.OPEN).exists()
    with pytest.raises(Refused, match="已关闭"):
        site.take_action(violation, people["propassistant"], kind=ActionKind.CRITICISM, note="再次批评")
    perform(application, S.ACCEPTANCE, people["propassistant"])
    unit_tab = login(people["propassistant"]).get(application.unit.get_absolute_url() + "?tab=violations")
    assert violation.number in unit_tab.content.decode()


def test_acceptance_is_refused_with_every_reason_that_holds_it_back(people, login):
    from renovation.tests.test_completion import worker

    application = permitted(people)
    out = worker(people, application)
    perform(application, S.ACCEPTANCE, people["propassistant"])
    violation = site.report_violation(application, people["propassistant"], kind=ViolationKind.BEYOND_SCOPE,
                                      description="擅自拆除阳台栏杆")
    # the pass still out (the move's own guard) and the open violation (a declared block), both at once
    with pytest.raises(TransitionRefused) as refused:
        site.completion.record_inspection(application, people["engsupervisor"], passed=True, participants="工程主管",
                                          findings="合格", password=DEMO_PASSWORD)
    assert str(refused.value) == (f"尚有 1 张施工出入证未交回或挂失：李师傅（{out.pass_number}）。；"
                                  f"尚有 1 项违章未整改关闭：{violation.number}。")
    assert not application.acceptance_inspections.exists()
    tab = login(people["engsupervisor"]).get(application.get_absolute_url() + "?tab=completion").content.decode()
    assert out.pass_number in tab and violation.number in tab


@time_machine.travel(dt.datetime(2026, 12, 4, 10, 0, tzinfo=SH), tick=False)  # a Friday: the dossier shows the date
def test_closing_a_violation_needs_the_rectification_photo_and_the_verifiers_signature(people, login):
    from qms.attachments import Attachment
    from qms.signatures import Signature
    from renovation.models import Violation, ViolationStatus

    application = permitted(people)
    violation = site.report_violation(application, people["propassistant"], kind=ViolationKind.OUTSIDE_HOURS,
                                      description="中午 12:30 电钻施工")
    engineer = people["engsupervisor"]
    with pytest.raises(Refused, match="请上传整改后的现场照片，作为整改验证的证据"):
        site.close_violation(violation, engineer, note="已整改", password=DEMO_PASSWORD)
    with pytest.raises(TransitionRefused, match="请上传整改后的现场照片，作为整改验证的证据"):  # nor by the bare move
        perform(violation, ViolationStatus.CLOSED, engineer, password=DEMO_PASSWORD)
    with pytest.raises(Refused, match="现场照片须为图片文件（JPG、PNG 或 WEBP）：after.pdf"):
        site.close_violation(violation, engineer, note="已整改", password=DEMO_PASSWORD,
                             photo=SimpleUploadedFile("after.pdf", factories.PDF_BYTES))
    with pytest.raises(Refused, match="文件内容与类型不符"):  # a PDF renamed .png
        site.close_violation(violation, engineer, note="已整改", password=DEMO_PASSWORD,
                             photo=SimpleUploadedFile("after.png", factories.PDF_BYTES))
    with pytest.raises(SignatureRefused, match="密码错误，未签名"):
        site.close_violation(violation, engineer, note="已整改", password="wrong", photo=photo("after.png"))
    violation.refresh_from_db()
    assert violation.status == ViolationStatus.OPEN and violation.closed_by is None
    assert not Attachment.objects.filter(object_id=violation.pk, description="整改后照片").exists()
    assert not Signature.objects.filter(step="整改验证").exists()
    # through the page: the refusal keeps what was typed
    client = login(engineer)
    url = reverse("renovation:violation_close", args=[violation.pk])
    response = client.post(url, {"note": "已改为 14:00 后施工", "password": "wrong", "photo": photo("after.png")})
    assert response.status_code == 409 and "密码错误，未签名" in response.content.decode()
    assert "已改为 14:00 后施工" in response.content.decode()
    response = client.post(url, {"note": "已改为 14:00 后施工", "password": DEMO_PASSWORD, "photo": photo("after.png")})
    assert response.status_code == 302
    violation = Violation.objects.get(pk=violation.pk)
    assert (violation.status, violation.closed_by, violation.close_note) == (ViolationStatus.CLOSED, engineer,
                                                                           "已改为 14:00 后施工")
    assert violation.close_photo.mime_type == "image/png" and violation.close_photo.record == violation
    signature = violation.close_signature
    assert (signature.signer, signature.meaning, signature.step) == (engineer, "verification", "整改验证")
    assert signature.is_valid_for(violation)
    [transition] = status_history(violation)  # the move is made by the workflow: a status-change row, signed
    assert (transition.from_status, transition.to_status, transition.by, transition.signature) == (
        ViolationStatus.OPEN, ViolationStatus.CLOSED, engineer, signature)
    page = client.get(violation.get_absolute_url()).content.decode()
    assert "验证人 朱主管 已于" in page and f"/attachments/{violation.close_photo_id}/download/" in page
    text = "".join(pdf_text(client.get(reverse("renovation:dossier_pdf", args=[application.pk])).content).split())
    violations = text[text.index("五、施工巡查及违章"):text.index("六、竣工验收及复验")]  # cells wrap into each other
    assert "已整改关闭2026-12-04：已改为14:00后" in violations and "验证人朱主管已签名，附整改后照" in violations


def test_the_violation_pages_keep_what_was_typed_and_hide_other_teams_records(people, login):
    application = permitted(people)
    violation = site.report_violation(application, people["propassistant"], kind=ViolationKind.BEYOND_SCOPE,
                                      description="擅自拆除阳台栏杆")
    client = login(people["propassistant"])
    response = client.post(reverse("renovation:violation_action", args=[violation.pk]),
                           {"kind": ActionKind.NOTICE, "note": "恢复阳台栏杆原状"})
    assert response.status_code == 409 and "请填写不早于今天的整改期限" in response.content.decode()
    assert "恢复阳台栏杆原状" in response.content.decode()
    listing = client.get(reverse("renovation:violation_list")).content.decode()
    assert violation.number in listing and "擅自拆除阳台栏杆" in listing
    assert login(people["sales"]).get(violation.get_absolute_url()).status_code == 404


def test_baseline_photos_are_shown_on_the_site_tab_and_at_acceptance(people, login):
    application = permitted(people)
    client = login(people["propassistant"])
    url = reverse("renovation:baseline_photos_add", args=[application.pk])
    response = client.post(url, {"caption": "卫生间", "photos": [SimpleUploadedFile("a.pdf", factories.PDF_BYTES)]})
    assert response.status_code == 409 and "现场照片须为图片文件" in response.content.decode()
    response = client.post(url, {"caption": "卫生间", "photos": [photo("a.png"), photo("b.png", PNG)]})
    assert response.status_code == 302 and application.baseline_photos.count() == 2
    assert "卫生间" in client.get(application.get_absolute_url() + "?tab=site").content.decode()
    perform(application, S.ACCEPTANCE, people["propassistant"])
    page = login(people["engsupervisor"]).get(reverse("renovation:inspection_create", args=[application.pk]))
    assert "开工前现场照片（对照检查）" in page.content.decode() and "卫生间" in page.content.decode()


def test_the_dashboard_figures_and_a_constant_query_count(people, login):
    first = permitted(people, "101")
    permitted(people, "102")
    site.record_inspection(first, people["propassistant"], checks=all_fine(),
                           violation_kind=ViolationKind.PERMIT_NOT_POSTED, violation_description="许可证未张贴")
    client = login(people["propmanager"])
    url = reverse("renovation:dashboard")
    with count_queries() as few:
        page = client.get(url).content.decode()
    assert 'id="kpi-coverage"' in page and "2 / 1" in page and "50%" in page
    board = page[page.index('id="kpi-deposits"'):]
    assert "业主 <strong>¥4,000.00</strong>" in board and "施工单位 <strong>¥6,000.00</strong>" in board  # 2 sites
    for number in ("103", "104", "105"):
        permitted(people, number)
    assert len(few) > 0
    with assert_num_queries(len(few)):
        client.get(url)


def test_the_dashboard_and_the_list_count_overdue_reviews_from_the_review_deadlines(people, login):
    from renovation.services.dashboard import renovation_dashboard

    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False):  # a Monday: due Thursday
        late = factories.submit(people, factories.unit("101"))
        returned = factories.submit(people, factories.unit("102"))
        perform(returned, S.RETURNED, people["engsupervisor"], reason="缺少图纸")  # its review clock stops
    assert renovation_dashboard(dt.datetime(2026, 11, 26, 8, 0, tzinfo=SH)).reviews_overdue == 0
    assert renovation_dashboard(dt.datetime(2026, 11, 26, 10, 0, tzinfo=SH)).reviews_overdue == 1
    with time_machine.travel(dt.datetime(2026, 11, 26, 10, 0, tzinfo=SH), tick=False):  # the list's filter, the same
        client = login(people["propmanager"])
        listing = client.get(reverse("renovation:list"), {"scope": "all", "overdue": "true"}).content.decode()
        assert late.number in listing and returned.number not in listing
        listing = client.get(reverse("renovation:list"), {"scope": "all", "overdue": "false"}).content.decode()
        assert returned.number in listing and late.number not in listing
        assert "2026-11-26 09:00" in client.get(late.get_absolute_url()).content.decode()  # 审批期限, from the deadline
    perform(late, S.CANCELLED, people["propassistant"], reason="业主暂缓")
    assert renovation_dashboard(dt.datetime(2026, 11, 26, 10, 0, tzinfo=SH)).reviews_overdue == 0


@pytest.mark.parametrize("model", ["worker", "acceptanceinspection", "depositclaim", "siteinspection", "violation",
                                   "baselinephoto", "inspectionreminder"])
def test_the_admin_lists_the_site_and_completion_records_read_only(people, login, model):
    application = permitted(people)
    site.record_inspection(application, people["propassistant"], checks=all_fine(),
                           violation_kind=ViolationKind.OTHER, violation_description="占用消防通道堆放材料")
    page = login(people["admin"]).get(reverse(f"admin:renovation_{model}_changelist"))
    assert page.status_code == 200 and "QMS 质量管理平台 · 后台" in page.content.decode()
    assert reverse(f"admin:renovation_{model}_add") not in page.content.decode()
