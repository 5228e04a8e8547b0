"""Setup verification 《作业准备验证表》, process discipline checks 《工艺纪律检查表》 and engineering specification
changes 《工程规范更改》 (seed 003 §5.2.3, §5.2.7, §5.2.8): what the shop floor, the inspector and an auditor check."""
import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from qms import deadlines, workflow
from qms.notifications import Notification
from qms.refusals import Refused
from qms.signatures import Signature
from qms.tests.test_pdf import pdf_text
from qms.workflow import TransitionRefused
from production.services import discipline, lots, setup
from production.setup_models import DisciplineCheck, SetupVerification, SpecChange
from production.tests import factories
from production.tests.factories import PASSWORD

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def work(people, operation):
    return lots.record_work(operation, people["production"], operator=people["production"], quantity_in=100,
                            quantity_out=100, quantity_scrap=0)


def comparison(trigger="first_run"):
    return {"method": "first_piece", "first_piece_result": "首件尺寸与封样件一致",
            "last_piece_result": "" if trigger == "first_run" else "末件与首件一致"}


# --- setup verification --------------------------------------------------------------------------------------------
def test_a_first_run_cannot_start_until_the_inspector_signs_the_setup_verification(people):
    lot = factories.lot(people)
    op = lot.current
    with pytest.raises(Refused, match="须先进行作业准备验证（首次生产）"):
        work(people, op)
    verification = setup.request(op, people["production"], trigger=setup.suggested_trigger(op), note="新产品首批")
    assert verification.trigger == "first_run" and verification.number
    with pytest.raises(Refused, match=f"作业准备验证 {verification.number}（首次生产）尚未通过"):
        work(people, op)
    # only quality verifies, with the password, and only with the comparison written down
    with pytest.raises(TransitionRefused):
        workflow.perform(verification, "passed", people["production"], password=PASSWORD, values=comparison())
    with pytest.raises(TransitionRefused, match="请填写首件比较结果"):
        workflow.perform(verification, "passed", people["quality"], password=PASSWORD,
                         values={**comparison(), "first_piece_result": ""})
    with pytest.raises(Refused):
        workflow.perform(verification, "passed", people["quality"], password="wrong", values=comparison())
    workflow.perform(verification, "passed", people["quality"], password=PASSWORD, values=comparison())
    verification.refresh_from_db()
    assert (verification.status, verification.verified_by) == ("passed", people["quality"])
    assert Signature.objects.filter(object_id=verification.pk, signer=people["quality"],
                                    meaning="verification").exists()
    assert SetupVerification.pgh_event_model.objects.filter(pgh_obj_id=verification.pk, status="passed").exists()
    work(people, op)


def test_the_next_lot_of_the_same_job_runs_but_another_job_on_the_line_is_a_job_change(people):
    first = factories.lot(people)
    factories.setup_verified(people, first.current)
    again = factories.lot(people, process_card=first.task_order.process_card)
    assert setup.refusal(again.current) is None
    work(people, again.current)
    other = factories.lot(people)  # another process card, same work centre 一车间
    factories.setup_verified(people, other.current)
    back = factories.lot(people, process_card=first.task_order.process_card)
    assert setup.automatic_trigger(back.current) == "job_change"
    with pytest.raises(Refused, match="作业更改"):
        work(people, back.current)


def test_a_restart_after_a_long_stop_needs_a_verification(people, settings):
    settings.QMS_SETUP_RESTART_DAYS = 30
    first = factories.lot(people)
    factories.setup_verified(people, first.current)
    later = factories.lot(people, process_card=first.task_order.process_card)
    now = dt.datetime.now(SH)
    assert setup.automatic_trigger(later.current, now=now + dt.timedelta(days=29)) is None
    assert setup.automatic_trigger(later.current, now=now + dt.timedelta(days=31)) == "restart"


def test_a_material_change_declared_by_hand_holds_the_operation_and_a_failed_one_keeps_it_held(people):
    first = factories.lot(people)
    factories.setup_verified(people, first.current)
    lot = factories.lot(people, process_card=first.task_order.process_card)
    verification = setup.request(lot.current, people["production"], trigger="material_change",
                                 note="PVC 粒料换供应商批次 HN-0901")
    with pytest.raises(Refused, match="材料变更"):
        work(people, lot.current)
    with pytest.raises(TransitionRefused, match="需要填写理由"):
        workflow.perform(verification, "failed", people["quality"], password=PASSWORD,
                         values=comparison("material_change"))
    workflow.perform(verification, "failed", people["quality"], password=PASSWORD, reason="壁厚超差",
                     values=comparison("material_change"))
    with pytest.raises(Refused, match="未通过，须调整后重新申请验证"):
        work(people, lot.current)
    retry = setup.request(lot.current, people["production"], trigger="material_change")
    with pytest.raises(TransitionRefused, match="请填写末件比较结果"):
        workflow.perform(retry, "passed", people["quality"], password=PASSWORD,
                         values={**comparison("material_change"), "last_piece_result": ""})
    workflow.perform(retry, "passed", people["quality"], password=PASSWORD, values=comparison("material_change"))
    work(people, lot.current)


def test_the_lot_page_says_why_the_operation_waits_and_the_request_page_proposes_the_reason(people, login):
    lot = factories.lot(people)
    client = login(people["production"])
    page = client.get(lot.get_absolute_url()).content.decode()
    assert "须先进行作业准备验证（首次生产）" in page and reverse("production:setup_request", args=[lot.current_id]) in page
    response = client.post(reverse("production:setup_request", args=[lot.current_id]),
                           {"trigger": "first_run", "note": ""})
    verification = SetupVerification.objects.get()
    assert response.status_code == 302 and response["Location"] == verification.get_absolute_url()
    response = login(people["sales2"]).get(reverse("production:setup_request", args=[lot.current_id]))
    assert response.status_code == 404


def test_the_setup_verification_prints_its_comparison_and_signature(people, login):
    lot = factories.lot(people)
    verification = factories.setup_verified(people, lot.current)
    text = pdf_text(login(people["quality"]).get(reverse("production:setup_pdf", args=[verification.pk])).content)
    assert "作业准备验证表" in text and "JR/QP7-8-04" in text and "首件尺寸与封样件一致" in text
    assert "首次生产" in text and "验证通过" in text and people["quality"].display_name in text


# --- process discipline checks ---------------------------------------------------------------------------------------
def test_each_line_gets_its_two_monthly_check_once_due_on_the_periods_last_working_day(people):
    factories.card(code="GY-A", steps=((10, "下料"),))  # work centre 一车间
    checks = discipline.schedule_discipline_checks(dt.date(2026, 9, 14))
    assert [(c.work_centre, c.period_start, c.period_end) for c in checks] == [
        ("一车间", dt.date(2026, 9, 1), dt.date(2026, 10, 31))]
    assert discipline.schedule_discipline_checks(dt.date(2026, 10, 20)) == []
    deadline = deadlines.deadlines_for(checks[0]).get(kind="discipline_check")
    # 2026-10-31 is a Saturday: the last working day of September–October is Friday 30 October
    assert deadline.due_at == dt.datetime(2026, 10, 30, 17, 30, tzinfo=SH)
    assert deadline.responsible == people["engineering"]
    assert len(discipline.schedule_discipline_checks(dt.date(2026, 11, 2))) == 1


def test_an_overdue_discipline_check_escalates_and_a_signed_record_closes_it(people):
    factories.card(code="GY-A", steps=((10, "下料"),))
    check = discipline.schedule_discipline_checks(dt.date(2026, 9, 14))[0]
    with time_machine.travel(dt.datetime(2026, 11, 3, 10, 0, tzinfo=SH), tick=False):
        deadlines.tick()
        deadlines.tick()
    assert Notification.objects.filter(title__startswith="逾期升级", title__contains=check.number).exists()
    with pytest.raises(TransitionRefused, match="请填写检查发现"):
        workflow.perform(check, "done", people["engineering"], password=PASSWORD,
                         values={"findings": "", "conclusion": "compliant"})
    workflow.perform(check, "done", people["engineering"], password=PASSWORD,
                     values={"findings": "注塑温度记录齐全；一处作业指导书版本过期，已更换", "conclusion": "minor"})
    check.refresh_from_db()
    assert (check.status, check.checked_by) == ("done", people["engineering"])
    assert deadlines.deadlines_for(check).get(kind="discipline_check").state != deadlines.Deadline.State.OPEN
    assert Signature.objects.filter(object_id=check.pk, signer=people["engineering"]).exists()


# --- engineering specification changes -------------------------------------------------------------------------------
def test_a_spec_change_is_due_five_working_days_after_the_request_across_national_day(people):
    with time_machine.travel(dt.datetime(2026, 9, 29, 10, 0, tzinfo=SH), tick=False):
        change = discipline.request_spec_change(people["production"], title="注塑保压时间由 8s 改为 10s",
                                                description="保压时间 10s", reason="缩痕")
    deadline = deadlines.deadlines_for(change).get(kind="spec_change_issue")
    # 9-30 is the 1st working day; 10-01..10-07 国庆; 10-08, 10-09, 10-10 (the Saturday worked) and 10-12
    assert deadline.due_at == dt.datetime(2026, 10, 12, 10, 0, tzinfo=SH)
    assert deadline.responsible == people["engineering"]


def test_a_spec_change_is_issued_by_engineering_with_its_effective_date(people, login):
    change = discipline.request_spec_change(people["quality"], title="装配扭矩调整", description="2.0 → 2.2 N·m",
                                            reason="客户投诉松动")
    with pytest.raises(TransitionRefused):
        workflow.perform(change, "issued", people["quality"], password=PASSWORD,
                         values={"review_note": "同意", "effective_date": dt.date.today()})
    with pytest.raises(TransitionRefused, match="请填写实施日期"):
        workflow.perform(change, "issued", people["engineering"], password=PASSWORD,
                         values={"review_note": "同意", "effective_date": None})
    effective = dt.date.today() + dt.timedelta(days=3)
    workflow.perform(change, "issued", people["engineering"], password=PASSWORD,
                     values={"review_note": "同意，更新控制计划", "effective_date": effective})
    change.refresh_from_db()
    assert change.status == "issued" and change.effective_date == effective
    assert deadlines.deadlines_for(change).get(kind="spec_change_issue").state == deadlines.Deadline.State.MET
    text = pdf_text(login(people["engineering"]).get(reverse("production:specchange_pdf", args=[change.pk])).content)
    assert "工程规范更改单" in text and effective.isoformat() in text and "同意，更新控制计划" in text
    assert SpecChange.pgh_event_model.objects.filter(pgh_obj_id=change.pk, status="issued").exists()


def test_only_the_shop_floor_quality_and_engineering_raise_spec_changes(people, login):
    with pytest.raises(Refused, match="只有生产、PMC、品质或技术工程人员"):
        discipline.request_spec_change(people["sales"], title="x", description="x", reason="x")
    response = login(people["production"]).post(reverse("production:specchange_create"), {
        "title": "下料长度公差收紧", "description": "±0.5 → ±0.3", "reason": "装配困难"})
    change = SpecChange.objects.get()
    assert response.status_code == 302 and response["Location"] == change.get_absolute_url()
    assert login(people["sales"]).get(reverse("production:specchange_create")).status_code == 403


def test_the_lists_export_the_records(people, login):
    lot = factories.lot(people)
    factories.setup_verified(people, lot.current)
    discipline.schedule_discipline_checks(dt.date(2026, 9, 14))
    client = login(people["quality"])
    for name in ("setup_list", "discipline_list", "specchange_list"):
        assert client.get(reverse(f"production:{name}") + "?scope=all").status_code == 200
    import io

    from openpyxl import load_workbook
    response = client.get(reverse("production:setup_export") + "?scope=all")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values) \
        if hasattr(response, "streaming_content") else list(load_workbook(io.BytesIO(response.content)).active.values)
    assert any(lot.number in [str(c) for c in row] for row in rows)
    assert DisciplineCheck.objects.count() == 1


def test_the_demo_has_every_process_control_record_in_every_state(people):
    import io

    from production import demo
    from production.setup_models import DisciplineStatus, SetupStatus, SpecChangeStatus
    demo.seed(people, io.StringIO())
    assert set(SetupVerification.objects.values_list("status", flat=True)) == set(SetupStatus.values)
    assert set(DisciplineCheck.objects.values_list("status", flat=True)) == set(DisciplineStatus.values)
    assert set(SpecChange.objects.values_list("status", flat=True)) == set(SpecChangeStatus.values)


def test_the_inspector_verifies_on_the_move_page_with_the_comparison_and_the_password(people, login):
    from django.contrib.contenttypes.models import ContentType

    lot = factories.lot(people)
    verification = setup.request(lot.current, people["production"], trigger="first_run")
    client = login(people["quality"])
    detail = client.get(verification.get_absolute_url()).content.decode()
    url = reverse("qms:move", args=[ContentType.objects.get_for_model(SetupVerification).pk, verification.pk,
                                    "passed"])
    assert url in detail
    page = client.get(url).content.decode()
    assert "首件比较结果" in page and "末件比较结果" in page and 'name="password"' in page
    refused = client.post(url, {"expected_from": "requested", "method": "first_piece", "first_piece_result": "",
                                "last_piece_result": "", "password": PASSWORD})
    assert refused.status_code == 409 and "请填写首件比较结果" in refused.content.decode()
    response = client.post(url, {"expected_from": "requested", "method": "first_piece",
                                 "first_piece_result": "首件与封样件一致", "last_piece_result": "",
                                 "password": PASSWORD})
    assert response.status_code == 302
    verification.refresh_from_db()
    assert verification.status == "passed" and verification.verified_by == people["quality"]


def test_the_lists_cost_the_same_queries_for_3_and_30_rows(people, client):
    from qms.tests.cases import count_queries

    lot = factories.lot(people)
    first = factories.setup_verified(people, lot.current)
    client.force_login(people["quality"])
    for name, make in (
            ("production:setup_list", lambda n: SetupVerification.objects.create(
                number=f"ZB-T-{n}", operation=first.operation, process_card=first.process_card, sequence=10,
                work_centre="一车间", trigger="die_change", requested_by=people["production"], status="passed",
                verified_by=people["quality"])),
            ("production:discipline_list", lambda n: DisciplineCheck.objects.create(
                number=f"GJ-T-{n}", work_centre=f"线 {n}", period_start=dt.date(2026, 9, 1),
                period_end=dt.date(2026, 10, 31), checked_by=people["engineering"])),
            ("production:specchange_list", lambda n: discipline.request_spec_change(
                people["quality"], title=f"更改 {n}", description="x", reason="y"))):
        counts = []
        model = {"production:setup_list": SetupVerification, "production:discipline_list": DisciplineCheck,
                 "production:specchange_list": SpecChange}[name]
        for wanted in (3, 30):
            while model.objects.count() < wanted:
                make(model.objects.count())
            client.get(reverse(name) + "?scope=all")
            with count_queries() as queries:
                assert client.get(reverse(name) + "?scope=all").status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1], name
