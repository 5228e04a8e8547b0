"""Returns 《退货单》 (PROCEDURES.md §2): approval by the sales manager and batch returns by the GM (signatures),
quality's sample test, the closure with the hand-over to nonconforming control, refusals, deadlines on the
holiday calendar, audit, visibility, the list, the export, the PDF and the complaint's link."""
import datetime as dt
import io
import subprocess
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse

from complaints.models import Complaint, ReturnOrder, ReturnOutcome, ReturnStatus
from complaints.services import returns as service
from complaints.views.returns import render_complaint_returns_tab
from customers.tests.factories import make_customer
from qms import Refused, audit
from qms.deadlines import Deadline
from qms.demo import DEMO_PASSWORD
from qms.signatures import Signature, SignatureRefused
from qms.tests.cases import assert_queries_at_most
from qms.workflow import TransitionRefused, perform

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def new_return(people, *, by="sales2", customer=None, batch="B2609-03", whole=False, **fields):
    values = {"product": "一次性使用输液器", "specification": "带针 0.7mm", "quantity": 200,
              "reason": "包装破损，部分产品外包装漏气。", **fields}
    return service.create_return(by=people[by], customer=customer,
                                 customer_name="" if customer else "演示医院", batch=batch,
                                 is_batch_return=whole, **values)


def approved(people, **kwargs):
    ro = new_return(people, **kwargs)
    approver = people["gm"] if ro.is_batch_return else people["sales"]
    return service.approve(ro, by=approver, password=DEMO_PASSWORD, comment="同意")


def return_after_test(people, **kwargs):
    ro = approved(people, **kwargs)
    return service.record_sample_test(ro, by=people["quality"], result="留样抽检 32 件，2 件刻度不清，该批存在质量问题。")


def deadlines_of(ro, state="open"):
    return list(Deadline.objects.filter(content_type__model="returnorder", object_id=ro.pk, state=state)
                .order_by("pk").values_list("kind", "responsible__username", "due_at"))


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode("utf-8")


# --- numbering, approval and its clock -----------------------------------------------------------------
def test_a_return_is_numbered_and_the_sales_manager_must_approve_within_two_working_days(people):
    with time_machine.travel(dt.datetime(2026, 9, 30, 10, 0, tzinfo=SH), tick=False):
        first, second = new_return(people), new_return(people, batch="B2609-04")
    assert (first.number, second.number) == ("TH-2026-0001", "TH-2026-0002")
    assert first.status == ReturnStatus.SUBMITTED
    # 10-01..10-07 are the National Day holiday: the two working days are 10-08 and 10-09.
    assert deadlines_of(first) == [("return_approval", "sales", dt.datetime(2026, 10, 9, 10, 0, tzinfo=SH))]


def test_a_batch_return_waits_for_the_gm_and_the_sales_manager_is_told_why_not(people):
    ro = new_return(people, whole=True)
    assert [row[:2] for row in deadlines_of(ro)] == [("return_approval", "gm")]
    with pytest.raises(TransitionRefused, match="整批退货须由总经理批准"):
        service.approve(ro, by=people["sales"], password=DEMO_PASSWORD)
    # the shared move refuses it as well: the rule is in the pipeline, not only in the service
    with pytest.raises(TransitionRefused, match="您没有权限"):
        perform(ro, ReturnStatus.APPROVED, people["sales"], password=DEMO_PASSWORD)
    ro.refresh_from_db()
    assert ro.status == ReturnStatus.SUBMITTED
    service.approve(ro, by=people["gm"], password=DEMO_PASSWORD, comment="同意整批退货")
    ro.refresh_from_db()
    assert ro.status == ReturnStatus.APPROVED


def test_the_gm_may_also_approve_an_ordinary_return(people):
    ro = new_return(people)
    service.approve(ro, by=people["gm"], password=DEMO_PASSWORD)
    assert ReturnOrder.objects.get(pk=ro.pk).status == ReturnStatus.APPROVED


def test_a_salesperson_who_manages_no_department_cannot_approve(people):
    ro = new_return(people, by="service")
    with pytest.raises(TransitionRefused, match="须由业务部经理批准"):
        service.approve(ro, by=people["sales2"], password=DEMO_PASSWORD)
    with pytest.raises(TransitionRefused, match="须由业务部经理批准"):
        service.approve(ro, by=people["quality"], password=DEMO_PASSWORD)


def test_a_wrong_password_signs_nothing_and_moves_nothing(people):
    ro = new_return(people)
    with pytest.raises(SignatureRefused, match="密码错误"):
        service.approve(ro, by=people["sales"], password="wrong")
    assert ReturnOrder.objects.get(pk=ro.pk).status == ReturnStatus.SUBMITTED
    assert not Signature.objects.filter(object_id=ro.pk, content_type__model="returnorder").exists()
    assert [row[0] for row in deadlines_of(ro)] == ["return_approval"]


def test_approval_is_a_signature_that_the_later_steps_do_not_void(people):
    ro = approved(people)
    signature = Signature.objects.get(object_id=ro.pk, content_type__model="returnorder")
    assert (signature.signer, signature.meaning, signature.step, signature.comment) == (
        people["sales"], "approval", "批准退货", "同意")
    service.record_sample_test(ro, by=people["quality"], result="留样合格")
    service.hand_over_to_nonconforming(ro, "NC-2026-0003", people["quality"])
    service.close_return(ro, by=people["sales"], outcome=ReturnOutcome.REPLACE, storage_location="R-01")
    ro.refresh_from_db()
    assert signature.is_valid_for(ro)
    # …but an edit of what was approved does
    ReturnOrder.objects.filter(pk=ro.pk).update(quantity=999)
    ro.refresh_from_db()
    assert not signature.is_valid_for(ro)


# --- sample test and its clock ---------------------------------------------------------------------------
def test_the_sample_test_is_due_three_working_days_after_approval_over_a_weekend(people):
    with time_machine.travel(dt.datetime(2026, 9, 30, 9, 0, tzinfo=SH), tick=False):
        ro = new_return(people)
    with time_machine.travel(dt.datetime(2026, 10, 9, 10, 0, tzinfo=SH), tick=False):  # a Friday
        service.approve(ro, by=people["sales"], password=DEMO_PASSWORD)
    # 10-10 is a Saturday worked in lieu of the holiday, 10-11 a Sunday: 10-10, 10-12, 10-13.
    assert deadlines_of(ro) == [("return_sample_test", "quality", dt.datetime(2026, 10, 13, 10, 0, tzinfo=SH))]
    assert [row[0] for row in deadlines_of(ro, "met")] == ["return_approval"]


def test_only_quality_records_the_sample_test_and_a_result_is_required(people):
    ro = approved(people)
    with pytest.raises(TransitionRefused, match="请填写同批号留样的检验结果"):
        service.record_sample_test(ro, by=people["quality"], result="  ")
    with pytest.raises(TransitionRefused, match="您没有权限"):
        service.record_sample_test(ro, by=people["sales"], result="合格")
    ro.refresh_from_db()
    assert (ro.status, ro.sample_test_result) == (ReturnStatus.APPROVED, "")
    service.record_sample_test(ro, by=people["quality"], result="留样抽检 32 件全部合格")
    ro.refresh_from_db()
    assert (ro.status, ro.sample_test_result) == (ReturnStatus.TESTED, "留样抽检 32 件全部合格")
    assert deadlines_of(ro) == []


# --- closure and the hand-over -----------------------------------------------------------------------------
def test_closing_returned_goods_needs_outcome_storage_and_the_nonconforming_hand_over(people):
    ro = return_after_test(people)
    with pytest.raises(TransitionRefused, match="请选择处理结果"):
        service.close_return(ro, by=people["sales"], outcome="")
    with pytest.raises(TransitionRefused, match="须填写存放位置"):
        service.close_return(ro, by=people["sales"], outcome=ReturnOutcome.REFUND)
    with pytest.raises(TransitionRefused, match="须先移交不合格品控制"):
        service.close_return(ro, by=people["sales"], outcome=ReturnOutcome.REFUND, storage_location="R-01")
    ro.refresh_from_db()
    assert (ro.status, ro.outcome, ro.storage_location) == (ReturnStatus.TESTED, "", "")

    service.hand_over_to_nonconforming(ro, "NC-2026-0012", people["quality"])
    service.close_return(ro, by=people["sales"], outcome=ReturnOutcome.REFUND, storage_location="成品仓 R-01")
    ro.refresh_from_db()
    assert (ro.status, ro.outcome, ro.storage_location, ro.nonconforming_reference) == (
        ReturnStatus.CLOSED, "refund", "成品仓 R-01", "NC-2026-0012")
    assert deadlines_of(ro) == []


def test_a_refused_return_closes_without_storage_or_hand_over(people):
    ro = return_after_test(people)
    service.close_return(ro, by=people["quality"], outcome=ReturnOutcome.REJECT)
    ro.refresh_from_db()
    assert (ro.status, ro.outcome) == (ReturnStatus.CLOSED, "reject")


def test_the_hand_over_is_quality_s_is_audited_and_closes_with_the_return(people):
    ro = approved(people)
    with pytest.raises(Refused, match="只有品质部"):
        service.hand_over_to_nonconforming(ro, "NC-1", people["sales"])
    with pytest.raises(Refused, match="请填写不合格品处理单号"):
        service.hand_over_to_nonconforming(ro, " ", people["quality"])
    service.hand_over_to_nonconforming(ro, "NC-2026-0001", people["quality"])
    row = next(r for r in audit.history_for(ro) if r["reason"].startswith("移交不合格品控制"))
    assert (row["user"], row["reason"], row["field"], row["new"]) == (
        "陈品质", "移交不合格品控制：NC-2026-0001", "不合格品处理单号", "NC-2026-0001")
    service.record_sample_test(ro, by=people["quality"], result="不合格")
    service.close_return(ro, by=people["quality"], outcome=ReturnOutcome.REPLACE, storage_location="R-02")
    with pytest.raises(Refused, match="只有已批准、未关闭的退货单"):
        service.hand_over_to_nonconforming(ro, "NC-2026-0002", people["quality"])


def test_a_closer_may_give_the_hand_over_in_the_closing_form(people):
    ro = return_after_test(people)
    service.close_return(ro, by=people["quality"], outcome=ReturnOutcome.REPLACE, storage_location="R-03",
                         nonconforming_reference="NC-2026-0100")
    ro.refresh_from_db()
    assert (ro.status, ro.nonconforming_reference) == (ReturnStatus.CLOSED, "NC-2026-0100")


def test_rejection_and_voiding_need_a_reason_close_the_clocks_and_delete_nothing(people):
    ro = new_return(people)
    with pytest.raises(TransitionRefused, match="需要填写理由"):
        perform(ro, ReturnStatus.REJECTED, people["sales"])
    perform(ro, ReturnStatus.REJECTED, people["sales"], reason="留样检验合格，客户同意继续使用")
    assert deadlines_of(ro) == []
    other = approved(people, batch="B2609-09")
    with pytest.raises(TransitionRefused, match="您没有权限"):
        perform(other, ReturnStatus.VOIDED, people["sales2"], reason="重复")
    perform(other, ReturnStatus.VOIDED, people["mr"], reason="重复提交")
    assert deadlines_of(other) == []
    assert ReturnOrder.objects.filter(pk__in=[ro.pk, other.pk]).count() == 2
    assert dict(ReturnOrder.objects.values_list("pk", "status")) == {ro.pk: "rejected", other.pk: "voided"}


def test_every_move_leaves_an_audit_row_with_who_and_why(people):
    ro = new_return(people)
    perform(ro, ReturnStatus.REJECTED, people["sales"], reason="同批留样合格")
    rows = audit.history_for(ro)
    move = next(r for r in rows if r["action"] == "待审批 → 不予退货")
    assert (move["user"], move["reason"]) == ("张销售", "同批留样合格")
    created = rows[-1]
    assert (created["action"], created["user"], created["reason"]) == ("新建", "钱销售", "填写退货单")


# --- pages ---------------------------------------------------------------------------------------------------
def test_visibility_others_returns_are_404(people, login):
    mine = make_customer(people["sales2"], name="钱销售的客户有限公司")
    theirs = make_customer(people["sales"], name="张销售的客户有限公司")
    own = new_return(people, customer=mine)
    foreign = new_return(people, by="service", customer=theirs, batch="B-X")
    client = login(people["sales2"])
    assert client.get(own.get_absolute_url()).status_code == 200
    assert client.get(foreign.get_absolute_url()).status_code == 404
    assert client.get(reverse("complaints:return_pdf", args=[foreign.pk])).status_code == 404
    listed = client.get(reverse("complaints:return_list"), {"scope": "all"}).context["table"].data.data
    assert list(listed) == [own]
    for role in ("sales", "quality", "service", "mr", "gm"):
        assert login(people[role]).get(foreign.get_absolute_url()).status_code == 200, role
    assert login(people["production"]).get(own.get_absolute_url()).status_code == 404


def test_create_form_keeps_input_and_explains_what_is_missing(people, login):
    client = login(people["sales2"])
    response = client.post(reverse("complaints:return_create"), {
        "customer_name": "演示医院", "product": "医用口罩", "quantity": "0", "batch": "", "reason": "耳带脱落"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "医用口罩" in page and "耳带脱落" in page
    assert "退货数量须大于 0。" in page and "请填写批号" in page
    assert not ReturnOrder.objects.exists()
    assert login(people["production"]).get(reverse("complaints:return_create")).status_code == 403


def test_a_return_raised_from_a_complaint_is_prefilled_and_linked(people, login):
    customer = make_customer(people["sales2"], name="武汉光谷生物医疗器械有限公司")
    complaint = Complaint.objects.create(number="TS-2026-0007", channel="phone", customer=customer,
                                         customer_name=customer.name, description="注射器刻度模糊",
                                         product="一次性使用注射器", batch="B2607-21", quantity=600,
                                         received_by=people["service"])
    client = login(people["service"])
    url = f"{reverse('complaints:return_create')}?complaint={complaint.pk}"
    request = RequestFactory().get("/")
    request.user = people["service"]
    assert f'href="{url}"' in render_complaint_returns_tab(request, complaint)
    assert f'href="{url}"' in client.get(complaint.get_absolute_url() + "?tab=returns").content.decode()
    form = client.get(url)
    assert form.context["form"].initial["batch"] == "B2607-21"
    assert form.context["form"].initial["customer"] == customer.pk
    response = client.post(url, {"customer": customer.pk, "customer_name": "", "product": "一次性使用注射器",
                                 "quantity": "600", "batch": "B2607-21", "reason": "刻度模糊"})
    ro = ReturnOrder.objects.get()
    assert response["Location"] == ro.get_absolute_url()
    assert (ro.complaint, ro.customer, ro.customer_name, ro.created_by) == (
        complaint, customer, "武汉光谷生物医疗器械有限公司", people["service"])
    assert ro.number in render_complaint_returns_tab(request, complaint)
    # a complaint the user may not see cannot be used to pre-fill a return
    assert login(people["production"]).get(url).status_code == 404
    assert login(people["quality"]).get(
        f"{reverse('complaints:return_create')}?complaint=999999").status_code == 404


def test_a_second_return_of_the_same_batch_for_the_same_complaint_asks_for_confirmation(people, login):
    customer = make_customer(people["sales2"], name="武汉光谷生物医疗器械有限公司")
    complaint = Complaint.objects.create(number="TS-2026-0008", channel="phone", customer=customer,
                                         customer_name=customer.name, description="注射器刻度模糊",
                                         product="一次性使用注射器", batch="B2607-21", quantity=600,
                                         received_by=people["service"])
    client = login(people["service"])
    url = f"{reverse('complaints:return_create')}?complaint={complaint.pk}"
    data = {"customer": customer.pk, "customer_name": "", "product": "一次性使用注射器", "quantity": "600",
            "batch": "B2607-21", "reason": "刻度模糊"}
    assert client.post(url, data).status_code == 302
    first = ReturnOrder.objects.get()
    again = client.post(url, {**data, "batch": " b2607-21 ", "quantity": "100"})
    page = again.content.decode()
    assert again.status_code == 400 and ReturnOrder.objects.count() == 1
    assert f"批号 b2607-21 已有退货单 {first.number}（同一投诉 TS-2026-0008）" in page
    assert 'name="confirm_duplicate"' in page and 'value="100"' in page  # what was typed is kept
    confirmed = client.post(url, {**data, "quantity": "100", "confirm_duplicate": "on"})
    assert confirmed.status_code == 302 and ReturnOrder.objects.count() == 2
    # another batch, or a voided earlier return, is no duplicate
    service.create_return(by=people["service"], complaint=complaint, product="一次性使用注射器", quantity=5,
                          batch="B2607-22", reason="刻度模糊")
    with pytest.raises(Refused, match="同一客户 演示医院"):
        new_return(people), new_return(people)


def test_the_detail_page_walks_the_return_through_its_steps(people, login):
    ro = new_return(people, whole=True)
    page = login(people["sales"]).get(ro.get_absolute_url()).content.decode()
    assert 'id="batch-needs-gm"' in page and 'data-move="approved"' not in page
    page = login(people["gm"]).get(ro.get_absolute_url()).content.decode()
    assert 'data-move="approved"' in page
    service.approve(ro, by=people["gm"], password=DEMO_PASSWORD)
    client = login(people["quality"])
    assert 'id="test-form"' in client.get(ro.get_absolute_url()).content.decode()
    response = client.post(reverse("complaints:return_test", args=[ro.pk]), {"sample_test_result": ""})
    assert response.status_code == 400 and "请填写同批号留样的检验结果。" in response.content.decode()
    client.post(reverse("complaints:return_test", args=[ro.pk]), {"sample_test_result": "留样不合格"})
    response = client.post(reverse("complaints:return_close", args=[ro.pk]),
                           {"outcome": "replace", "storage_location": "R-01", "nonconforming_reference": ""})
    assert response.status_code == 400
    assert "退回的产品须先移交不合格品控制" in response.content.decode()
    client.post(reverse("complaints:return_close", args=[ro.pk]),
                {"outcome": "replace", "storage_location": "R-01", "nonconforming_reference": "NC-9"})
    ro.refresh_from_db()
    assert (ro.status, ro.nonconforming_reference) == (ReturnStatus.CLOSED, "NC-9")
    page = client.get(ro.get_absolute_url() + "?tab=signatures").content.decode()
    assert "王总" in page and "批准退货" in page and "留样已检验" in page


def test_the_pdf_prints_the_return_with_its_signature(people, login):
    ro = return_after_test(people, batch="B2607-21")
    service.hand_over_to_nonconforming(ro, "NC-2026-0007", people["quality"])
    service.close_return(ro, by=people["sales"], outcome=ReturnOutcome.REPLACE, storage_location="成品仓 R-01")
    response = login(people["quality"]).get(reverse("complaints:return_pdf", args=[ro.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("退货单", ro.number, "一次性使用输液器", "B2607-21", "换货", "NC-2026-0007", "成品仓 R-01",
                     "批准退货", "张销售", "留样抽检 32 件"):
        assert expected in text, expected


def test_the_list_keeps_a_constant_query_count(people, login):
    complaint = Complaint.objects.create(number="TS-2026-0001", channel="phone", customer_name="演示医院",
                                         description="破损", received_by=people["service"])
    for index in range(3):
        ro = new_return(people, batch=f"B-{index}")
        ReturnOrder.objects.filter(pk=ro.pk).update(complaint=complaint)
    client = login(people["quality"])
    with assert_queries_at_most(40) as few:
        response = client.get(reverse("complaints:return_list"), {"scope": "all", "status": "submitted"})
    assert response.context["table"].paginator.count == 3
    for index in range(30):
        new_return(people, batch=f"C-{index}", customer=None)
    with assert_queries_at_most(len(few)):
        response = client.get(reverse("complaints:return_list"), {"scope": "all", "status": "submitted"})
    assert response.context["table"].paginator.count == 33


def test_the_list_filters_by_batch_customer_and_outcome(people, login):
    ro = return_after_test(people, batch="B2607-21")
    service.close_return(ro, by=people["quality"], outcome=ReturnOutcome.REJECT)
    new_return(people, batch="B2611-01")
    client = login(people["quality"])

    def numbers(**query):
        return [r.number for r in client.get(reverse("complaints:return_list"),
                                             {"scope": "all", **query}).context["table"].data.data]

    assert numbers(batch="2607") == [ro.number]
    assert numbers(outcome="reject") == [ro.number]
    assert len(numbers(customer="演示医院")) == 2
    assert numbers(customer="不存在的客户") == []


def test_the_export_has_the_list_columns_and_labels(people, login):
    new_return(people, whole=True, batch="=HYPERLINK(\"http://x\")")
    ro = return_after_test(people, batch="B2607-21")
    service.close_return(ro, by=people["quality"], outcome=ReturnOutcome.REJECT)
    response = login(people["quality"]).get(reverse("complaints:return_list"),
                                            {"scope": "all", "export": "xlsx", "status": "closed"})
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == ("编号", "客户", "产品", "规格型号", "批号", "数量", "整批退货", "状态", "处理结果", "关联投诉",
                       "申请人", "申请时间")
    assert len(rows) == 2
    assert rows[1][:9] == (ro.number, "演示医院", "一次性使用输液器", "带针 0.7mm", "B2607-21", 200, "否", "已关闭",
                           "拒收")
    assert rows[1][10] == "钱销售"
    response = login(people["quality"]).get(reverse("complaints:return_list"),
                                            {"scope": "all", "export": "xlsx", "status": "submitted"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.cell(row=2, column=5).value == '=HYPERLINK("http://x")'
    assert sheet.cell(row=2, column=5).data_type == "s"
    assert sheet.cell(row=2, column=7).value == "是"


def test_the_demo_data_has_a_return_in_every_state(people):
    from customers.demo import seed_customers
    from complaints.demo import seed_returns

    out = io.StringIO()
    seed_customers(people, out)
    seed_returns(people, out)
    seed_returns(people, out)  # idempotent
    assert sorted(ReturnOrder.objects.values_list("status", flat=True)) == sorted(ReturnStatus.values)
    closed = ReturnOrder.objects.get(status=ReturnStatus.CLOSED)
    assert closed.nonconforming_reference and closed.outcome == ReturnOutcome.REPLACE


def test_the_approve_button_asks_for_the_password_and_refuses_a_wrong_one(people, login):
    from django.contrib.contenttypes.models import ContentType

    ro = new_return(people)
    url = reverse("qms:move", args=[ContentType.objects.get_for_model(ReturnOrder).pk, ro.pk, "approved"])
    client = login(people["sales"])
    response = client.post(url, {"expected_from": "submitted", "password": "wrong", "comment": "同意"})
    assert response.status_code == 409 and "密码错误，未签名。" in response.content.decode()
    assert ReturnOrder.objects.get(pk=ro.pk).status == ReturnStatus.SUBMITTED
    response = client.post(url, {"expected_from": "submitted", "password": DEMO_PASSWORD, "comment": "同意"})
    assert response["Location"] == ro.get_absolute_url()
    assert ReturnOrder.objects.get(pk=ro.pk).status == ReturnStatus.APPROVED
    # the salesperson who raised it sees the result but no approval button
    page = login(people["sales2"]).get(ro.get_absolute_url()).content.decode()
    assert "已批准" in page and 'data-move="approved"' not in page
