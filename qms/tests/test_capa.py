"""The shared CAPA: raised by any procedure, planned in 2 working days, approved, implemented, verified."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from qms.capa import services
from qms.capa.models import Capa, CapaStatus, CapaVerification
from qms.deadlines import Deadline
from qms.demo import DEMO_PASSWORD
from qms.tests.capa_helpers import approved_capa, planned_capa, raised_capa, submitted_capa
from qms.tests.cases import assert_queries_at_most, count_queries
from qms.workflow import TransitionRefused, perform

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def open_deadlines(capa):
    return list(Deadline.objects.filter(object_id=capa.pk, state="open").values_list("kind", "responsible__username"))


def test_plan_is_due_two_working_days_after_raising_across_national_day(people):
    with time_machine.travel(dt.datetime(2026, 9, 30, 10, 0, tzinfo=SH), tick=False):
        capa = raised_capa(people)
    # 10-01..10-07 are the National Day holiday: the two working days are 10-08 and 10-09.
    assert Deadline.objects.get(object_id=capa.pk, kind="plan").due_at == dt.datetime(2026, 10, 9, 10, 0, tzinfo=SH)
    assert open_deadlines(capa) == [("plan", "production")]


def test_numbers_are_per_year_and_gapless(people):
    with time_machine.travel(dt.datetime(2026, 12, 31, 9, 0, tzinfo=SH), tick=False):
        first, second = raised_capa(people), raised_capa(people)
    with time_machine.travel(dt.datetime(2027, 1, 4, 9, 0, tzinfo=SH), tick=False):
        third = raised_capa(people)
    assert [first.number, second.number, third.number] == ["CAPA-2026-0001", "CAPA-2026-0002", "CAPA-2027-0001"]


def test_a_plan_cannot_be_submitted_without_cause_plan_and_actions(people):
    capa = raised_capa(people)
    with pytest.raises(TransitionRefused, match="请先填写原因分析"):
        perform(capa, CapaStatus.PLAN_SUBMITTED, people["production"])


def test_only_the_responsible_side_plans(people):
    capa = raised_capa(people)
    with pytest.raises(TransitionRefused, match="只有责任人或责任部门经理可以制定计划"):
        services.edit_plan(capa, people["sales"], cause_analysis="x", plan="y")


def test_from_plan_to_verified_close(people):
    capa = approved_capa(people)
    assert open_deadlines(capa) == [("implementation", "production")]
    with pytest.raises(TransitionRefused, match="还有 1 项措施未完成"):
        perform(capa, CapaStatus.IMPLEMENTED, people["production"])
    action = capa.actions.get()
    services.complete_action(action, people["production"], result="模具已修复，首件合格")
    perform(capa, CapaStatus.IMPLEMENTED, people["production"])
    assert open_deadlines(capa) == [("verification", "quality")]
    perform(capa, CapaStatus.CLOSED, people["quality"], password=DEMO_PASSWORD, reason="连续三批无毛刺")
    capa.refresh_from_db()
    assert capa.status == CapaStatus.CLOSED
    assert open_deadlines(capa) == []
    verification = CapaVerification.objects.get(capa=capa)
    assert (verification.result, verification.comment, verification.verified_by) == (
        "effective", "连续三批无毛刺", people["quality"])


def test_it_cannot_close_unverified(people):
    capa = approved_capa(people)
    with pytest.raises(TransitionRefused, match="不能执行此操作"):
        perform(capa, CapaStatus.CLOSED, people["quality"], password=DEMO_PASSWORD, reason="直接关闭")
    services.complete_action(capa.actions.get(), people["production"], result="完成")
    perform(capa, CapaStatus.IMPLEMENTED, people["production"])
    # The responsible department cannot verify its own action.
    with pytest.raises(TransitionRefused, match="您没有权限"):
        perform(capa, CapaStatus.CLOSED, people["production"], password=DEMO_PASSWORD, reason="自己验证")


def test_not_effective_starts_a_new_round(people):
    capa = approved_capa(people)
    services.complete_action(capa.actions.get(), people["production"], result="完成")
    perform(capa, CapaStatus.IMPLEMENTED, people["production"])
    perform(capa, CapaStatus.RAISED, people["quality"], password=DEMO_PASSWORD, reason="复查仍有毛刺")
    capa.refresh_from_db()
    assert (capa.status, capa.round, capa.submitted_by) == (CapaStatus.RAISED, 2, None)
    assert open_deadlines(capa) == [("plan", "production")]
    # Round 2 is planned afresh (round 1's plan is kept with round 1): its own cause analysis, plan and actions.
    with pytest.raises(TransitionRefused, match="请先填写原因分析"):
        perform(capa, CapaStatus.PLAN_SUBMITTED, people["production"])
    services.edit_plan(capa, people["production"], cause_analysis="保养周期过长", plan="保养周期改为每周")
    with pytest.raises(TransitionRefused, match="请先添加至少一项措施"):
        perform(capa, CapaStatus.PLAN_SUBMITTED, people["production"])


def test_raise_from_another_record_links_back(people):
    source = people["sales2"]  # stands in for a complaint record
    capa = services.raise_capa(source="complaint", title="退货批次复查", nonconformity="…", responsible=people["quality"],
                               raised_by=people["service"], source_record=source, source_reference="TS-2026-0007")
    assert list(services.unverified_capas_for_source(source)) == [capa]
    assert capa.source_reference == "TS-2026-0007"


def test_a_salesperson_cannot_open_another_departments_capa(people, login):
    capa = raised_capa(people)
    assert login(people["sales"]).get(capa.get_absolute_url()).status_code == 404
    assert login(people["production"]).get(capa.get_absolute_url()).status_code == 200
    assert login(people["gm"]).get(capa.get_absolute_url()).status_code == 200


def test_raising_in_the_browser_form_keeps_input_on_error(people, login):
    client = login(people["quality"])
    response = client.post(reverse("qms:capa_raise"), {"kind": "corrective", "source": "audit",
                                                         "title": "", "nonconformity": "内审发现记录缺失"})
    assert response.status_code == 200
    assert "内审发现记录缺失" in response.content.decode()
    response = client.post(reverse("qms:capa_raise"), {
        "kind": "corrective", "source": "audit", "title": "内审不符合项", "nonconformity": "内审发现记录缺失",
        "responsible": people["production"].pk})
    capa = Capa.objects.get(title="内审不符合项")
    assert response["Location"] == capa.get_absolute_url()


def test_a_salesperson_may_not_raise(people, login):
    assert login(people["sales2"]).get(reverse("qms:capa_raise")).status_code == 403


def test_list_filters_and_counts_with_constant_queries(people, login):
    for _ in range(3):
        raised_capa(people)
    client = login(people["quality"])
    with assert_queries_at_most(30) as few:
        response = client.get(reverse("qms:capa_list"), {"scope": "all", "status": "raised"})
    assert response.context["table"].paginator.count == 3
    for _ in range(30):
        raised_capa(people)
    with assert_queries_at_most(len(few)):
        client.get(reverse("qms:capa_list"), {"scope": "all", "status": "raised"})


def test_a_list_page_counts_its_rows_once_and_shows_the_total(people, login):
    for _ in range(3):
        raised_capa(people)
    with count_queries() as queries:
        page = login(people["quality"]).get(reverse("qms:capa_list"), {"scope": "all"}).content.decode()
    counts = [q["sql"] for q in queries.captured_queries if 'FROM "qms_capa"' in q["sql"] and "COUNT(" in q["sql"]]
    assert len(counts) == 1 and "GROUP BY" in counts[0], counts  # the figures by status give the total
    assert "共 3 条" in page


def test_export_streams_the_filtered_list_with_the_table_columns(people, login):
    import io

    import openpyxl

    raised_capa(people, title="=HYPERLINK(\"http://x\")")
    submitted_capa(people, title="已提交的计划")
    response = login(people["quality"]).get(reverse("qms:capa_export"), {"scope": "all", "status": "raised"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "标题", "来源", "状态")
    assert len(rows) == 2
    assert rows[1][1] == '=HYPERLINK("http://x")' and rows[1][3] == "待制定计划"
    assert workbook.active.cell(row=2, column=2).data_type == "s"


def test_planned_capa_shows_plan_and_action_forms_to_the_responsible(people, login):
    capa = planned_capa(people)
    page = login(people["production"]).get(capa.get_absolute_url() + "?tab=actions").content.decode()
    assert "修复模具" in page and 'id="action-form"' in page
    page = login(people["quality"]).get(capa.get_absolute_url() + "?tab=actions").content.decode()
    assert 'id="action-form"' not in page


def test_each_step_of_a_capa_tells_the_person_who_takes_it_over(people):
    from qms.notifications import Notification
    from qms.tests.capa_helpers import approved_capa, submitted_capa

    def told(role):
        return list(Notification.objects.filter(recipient=people[role], title__startswith="待您处理")
                    .values_list("title", flat=True))

    capa = submitted_capa(people)
    assert told("mr") == [f"待您处理：{capa}（待批准）"]  # the plan is the MR's to approve
    approved = approved_capa(people, title="包装破损")
    assert f"待您处理：{approved}（实施中）" in told("production")  # the plan is the responsible's to carry out
    assert f"待您处理：{approved}（实施中）" not in told("mr")  # the MR approved it himself: not told of that step
