"""A complaint from intake to closure: the pages, the refusals with their reasons, the audit trail, visibility,
the CAPA link and its closing rule, the list (constant queries, export), the PDFs, the customer tab."""
import datetime as dt
import html as html_lib
import io
import json
import re
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.models import Clock, Complaint, ComplaintStatus, Responsibility, Severity
from complaints.services import complaints as service
from complaints.tests import factories
from qms import audit, workflow
from qms.attachments import attachments_for
from qms.capa.models import CapaStatus
from qms.demo import DEMO_PASSWORD
from qms.people import Department
from qms.signatures import SignatureRefused, signatures_for
from qms.tests.cases import assert_num_queries, count_queries
from qms.tests.plans import index_only_plan
from qms.tests.test_pdf import pdf_text

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def move_url(complaint, to):
    return reverse("qms:move", args=[ContentType.objects.get_for_model(Complaint).pk, complaint.pk, to])


def post_move(client, complaint, to, **fields):
    data = {"expected_from": Complaint.objects.get(pk=complaint.pk).status}
    data.update(fields)
    return client.post(move_url(complaint, to), data)


# --- the whole flow through the pages ------------------------------------------------------------------
def test_customer_service_takes_a_key_account_complaint_from_intake_to_closure(people, login):
    customer = factories.key_account(people)
    client = login(people["service"])
    photo = SimpleUploadedFile("现场照片.png", PNG, content_type="image/png")
    response = client.post(reverse("complaints:create"), {
        "type": "complaint", "channel": "phone", "customer": customer.pk, "customer_name": "",
        "contact_name": "王护士长", "product": "一次性输液器", "batch": "B2611", "quantity": "200",
        "description": "滴斗开裂，漏液 3 支", "customer_request": "整批换货", "attachments": [photo]})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == complaint.get_absolute_url()
    assert complaint.is_key_account and complaint.customer_name == customer.name
    assert complaint.received_by == people["service"] and complaint.number.startswith("TS-")
    assert [a.original_name for a in attachments_for(complaint)] == ["现场照片.png"]

    page = client.get(complaint.get_absolute_url()).content.decode()
    assert 'id="priority-badge"' in page and "大客户 · 优先" in page
    assert "分派时处理人须为部门经理" in page

    client.post(reverse("complaints:clock", args=[complaint.pk, Clock.FIRST_REPLY]), {"note": "已电话回复"})
    quality = Department.objects.get(code="quality")
    # the department's manager is the default (and, for a key account, required) handler
    assert post_move(client, complaint, ComplaintStatus.ASSIGNED, responsible_department=quality.pk).status_code == 302
    complaint.refresh_from_db()
    assert complaint.responsible == people["quality"] and complaint.status == ComplaintStatus.ASSIGNED
    assert post_move(client, complaint, ComplaintStatus.INVESTIGATING).status_code == 302
    assert post_move(client, complaint, ComplaintStatus.CORRECTING, is_valid="true", responsibility="ours",
                     severity="major", cause="模具温度偏高").status_code == 302
    assert post_move(client, complaint, ComplaintStatus.CONFIRMING, correction_kind="replacement",
                     correction="整批换货").status_code == 302
    client.post(reverse("complaints:clock", args=[complaint.pk, Clock.WRITTEN_REPLY]),
                {"note": "", "written_reply": "经调查为模具温度偏高所致，已整批换货。"})
    assert post_move(client, complaint, ComplaintStatus.RETURN_VISIT,
                     customer_confirmation="电话确认：客户认可").status_code == 302
    response = post_move(client, complaint, ComplaintStatus.CLOSED, return_visit_opinion="满意",
                         password=DEMO_PASSWORD, comment="同意关闭")
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED and complaint.closed_at is not None
    assert [t.to_status for t in workflow.transitions_for(complaint)] == [
        "assigned", "investigating", "correcting", "confirming", "return_visit", "closed"]
    [signature] = signatures_for(complaint)
    assert (signature["signer_name"], signature["meaning"], signature["valid"]) == ("赵客服", "批准", True)
    history = audit.history_for(complaint)
    assert any(row["action"] == "待回访 → 已关闭" and row["user"] == "赵客服" for row in history)
    assert any(row["field"] == "书面答复" and row["reason"].startswith("登记书面答复") for row in history)


def test_the_intake_form_keeps_what_was_typed_and_says_what_is_missing(people, login):
    response = login(people["sales2"]).post(reverse("complaints:create"), {
        "type": "complaint", "channel": "phone", "customer_name": "", "product": "血压计 BP-21",
        "description": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请填写问题描述。" in page and "请选择客户档案或填写客户名称。" in page
    assert 'value="血压计 BP-21"' in page
    assert not Complaint.objects.exists()


def test_an_attachment_of_the_wrong_type_is_refused_at_intake(people, login):
    fake = SimpleUploadedFile("照片.png", b"not an image at all", content_type="image/png")
    response = login(people["sales2"]).post(reverse("complaints:create"), {
        "type": "complaint", "channel": "letter", "customer_name": "杭州仁和医院", "description": "包装破损",
        "attachments": [fake]})
    assert response.status_code == 400
    assert "文件内容与类型不符" in response.content.decode()
    assert not Complaint.objects.exists()


# --- refusals ------------------------------------------------------------------------------------------
def test_the_handler_must_work_in_the_chosen_department_and_the_list_follows_it(people, login):
    complaint = factories.received(people, by="service")
    quality = people["quality"].department
    with pytest.raises(workflow.TransitionRefused, match=f"处理人 杨生产 不属于责任部门 {quality.name}"):
        service.advance(complaint, ComplaintStatus.ASSIGNED, people["service"],
                        data={"responsible_department": quality, "responsible": people["production"]})
    client = login(people["service"])
    response = post_move(client, complaint, ComplaintStatus.ASSIGNED, responsible_department=quality.pk,
                         responsible=people["production"].pk)
    assert response.status_code == 400 and f"杨生产 不属于{quality.name}，请选择该部门的人员。" in response.content.decode()
    # each person's option names the departments he works in, for the page to show only the chosen one's
    html = client.get(move_url(complaint, ComplaintStatus.ASSIGNED)).content.decode()
    select = re.search(r"<select[^>]*name=\"responsible\"[^>]*>", html).group(0)
    assert 'data-department-from="id_responsible_department"' in select
    departments = json.loads(html_lib.unescape(re.search(r'data-departments="([^"]*)"', select).group(1)))
    assert quality.pk in departments[str(people["quality"].pk)]
    assert quality.pk not in departments[str(people["production"].pk)]
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RECEIVED


def test_a_key_account_complaint_needs_a_department_manager_as_handler(people):
    complaint = factories.received(people, by="service", customer=factories.key_account(people))
    with pytest.raises(workflow.TransitionRefused, match="大客户投诉须由部门经理"):
        service.advance(complaint, ComplaintStatus.ASSIGNED, people["service"],
                        data={"responsible_department": people["sales2"].department, "responsible": people["sales2"]})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RECEIVED and complaint.responsible is None


def test_moves_without_their_data_are_refused_with_the_reason(people, login):
    complaint = factories.received(people, by="service")
    with pytest.raises(workflow.TransitionRefused, match="请选择责任部门"):
        workflow.perform(complaint, ComplaintStatus.ASSIGNED, people["service"])
    factories.investigating(people, complaint)
    with pytest.raises(workflow.TransitionRefused, match="调查结论不完整，请填写：严重程度、原因分析"):
        service.advance(complaint, ComplaintStatus.CORRECTING, people["quality"],
                        data={"is_valid": True, "responsibility": Responsibility.OURS, "severity": "", "cause": " "})
    with pytest.raises(workflow.TransitionRefused, match="请使用“判定为无效投诉”"):
        service.advance(complaint, ComplaintStatus.CORRECTING, people["quality"], data={
            "is_valid": False, "responsibility": Responsibility.OURS, "severity": Severity.MINOR, "cause": "x"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.INVESTIGATING and complaint.cause == ""
    # the page says the same, keeps the input, and answers 409
    response = post_move(login(people["quality"]), complaint, ComplaintStatus.INVALID,
                         invalid_explanation="已过保修期", password="wrong")
    assert response.status_code == 409
    assert response.content.decode().count("密码错误，未签名。") == 1 and "已过保修期" in response.content.decode()


def test_only_the_handler_side_handles(people, login):
    complaint = factories.assigned(people, handler="quality")
    with pytest.raises(workflow.TransitionRefused, match="您没有权限执行“开始调查”"):
        service.advance(complaint, ComplaintStatus.INVESTIGATING, people["production"])
    # the receiver handed it over: now the handler (and coordinators) act, not the receiver
    with pytest.raises(workflow.TransitionRefused, match="您没有权限"):
        service.advance(complaint, ComplaintStatus.INVESTIGATING, people["sales2"])
    response = login(people["sales2"]).get(complaint.get_absolute_url())
    assert response.status_code == 200 and 'data-move="investigating"' not in response.content.decode()


def test_an_invalid_complaint_closes_with_the_explanation_signed(people):
    complaint = factories.investigating(people)
    with pytest.raises(workflow.TransitionRefused, match="须填写对客户的解释"):
        workflow.perform(complaint, ComplaintStatus.INVALID, people["quality"], password=DEMO_PASSWORD)
    service.advance(complaint, ComplaintStatus.INVALID, people["quality"], password=DEMO_PASSWORD,
                    data={"invalid_explanation": "超出保修期，已向客户说明"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.INVALID and complaint.is_valid is False
    assert [s["valid"] for s in signatures_for(complaint)] == [True]
    assert not complaint.is_open


def test_feedback_that_is_not_a_complaint_is_answered_and_closed(people):
    suggestion = factories.received(people, by="service", type="suggestion", description="建议增加二维码")
    service.advance(suggestion, ComplaintStatus.CLOSED, people["service"], reason="已转技术部评估")
    suggestion.refresh_from_db()
    assert suggestion.status == ComplaintStatus.CLOSED and suggestion.first_replied_at is not None
    complaint = factories.received(people, by="service")
    with pytest.raises(workflow.TransitionRefused, match="投诉须经调查、处理、客户确认和回访后关闭"):
        service.advance(complaint, ComplaintStatus.CLOSED, people["service"], reason="直接关闭")


# --- CAPA ----------------------------------------------------------------------------------------------
def test_a_capa_raised_from_the_complaint_blocks_closing_until_verified_or_the_mr_overrides(people, login):
    complaint = factories.correcting(people, handler="production")
    response = login(people["quality"]).post(reverse("complaints:capa", args=[complaint.pk]), {
        "kind": "corrective", "title": "采血针弯曲", "nonconformity": "重复发生",
        "responsible": people["production"].pk, "responsible_department": ""})
    assert response.status_code == 302
    [capa] = service.capas_of(complaint)
    assert capa.source_record == complaint and capa.source_reference == complaint.number
    page = login(people["quality"]).get(complaint.get_absolute_url() + "?tab=capa").content.decode()
    assert capa.number in page and "待制定计划" in page

    factories.return_visit(people, complaint)
    with pytest.raises(workflow.TransitionRefused, match=f"关联的纠正和预防措施 {capa.number} 尚未验证关闭"):
        service.advance(complaint, ComplaintStatus.CLOSED, people["service"], password=DEMO_PASSWORD,
                        data={"return_visit_opinion": "满意"})
    with pytest.raises(workflow.TransitionRefused, match="只有管理者代表可以"):
        service.advance(complaint, ComplaintStatus.CLOSED, people["service"], password=DEMO_PASSWORD,
                        data={"return_visit_opinion": "满意"}, override_reason="客户要求先结案")
    # the MR sees the override field on the closing page and signs it
    page = login(people["mr"]).get(move_url(complaint, ComplaintStatus.CLOSED)).content.decode()
    assert 'name="override_reason"' in page and capa.number in page
    response = post_move(login(people["mr"]), complaint, ComplaintStatus.CLOSED, return_visit_opinion="满意",
                         override_reason="供应商整改周期长，单独跟踪", password=DEMO_PASSWORD)
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    closing = workflow.transitions_for(complaint).get(to_status=ComplaintStatus.CLOSED)
    assert closing.reason == "纠正措施未验证，管理者代表签字关闭：供应商整改周期长，单独跟踪"
    assert closing.signature.signer_name == "李代表"


def test_a_verified_capa_lets_the_complaint_close(people):
    from qms.capa import services as capa_services

    complaint = factories.correcting(people, handler="production")
    capa = service.raise_capa(complaint, people["quality"])
    capa_services.edit_plan(capa, people["production"], cause_analysis="工装磨损", plan="更换工装")
    capa_services.add_action(capa, people["production"], description="更换工装", owner=people["production"],
                             due_date=dt.date(2030, 1, 1))
    workflow.perform(capa, CapaStatus.PLAN_SUBMITTED, people["production"])
    workflow.perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD)
    capa_services.complete_action(capa.actions.get(), people["production"], result="已更换")
    workflow.perform(capa, CapaStatus.IMPLEMENTED, people["production"])
    workflow.perform(capa, CapaStatus.CLOSED, people["quality"], password=DEMO_PASSWORD, reason="连续三批无弯曲")
    factories.closed(people, complaint)
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.CLOSED


def test_closing_asks_for_the_password(people):
    complaint = factories.return_visit(people)
    with pytest.raises(SignatureRefused, match="密码错误"):
        service.advance(complaint, ComplaintStatus.CLOSED, people["service"], password="x",
                        data={"return_visit_opinion": "满意"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RETURN_VISIT and complaint.return_visit_opinion == ""


def test_closing_without_the_required_on_site_visit_warns_and_asks_why(people, login):
    complaint = factories.return_visit(people, factories.received(people, requires_on_site=True))
    with pytest.raises(workflow.TransitionRefused, match="此投诉要求到场处理，但没有登记到场时间"):
        service.advance(complaint, ComplaintStatus.CLOSED, people["service"], password=DEMO_PASSWORD,
                        data={"return_visit_opinion": "满意"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RETURN_VISIT
    client = login(people["service"])
    page = client.get(move_url(complaint, ComplaintStatus.CLOSED)).content.decode()
    assert 'id="on-site-missing"' in page and 'name="on_site_waiver"' in page
    # without the reason the page refuses and keeps what was typed
    response = post_move(client, complaint, ComplaintStatus.CLOSED, return_visit_opinion="客户满意",
                         password=DEMO_PASSWORD)
    assert response.status_code == 400 and "客户满意" in response.content.decode()
    response = post_move(client, complaint, ComplaintStatus.CLOSED, return_visit_opinion="客户满意",
                         on_site_waiver="客户同意远程指导，已电话解决", password=DEMO_PASSWORD)
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    closing = list(workflow.transitions_for(complaint))[-1]
    assert "未到场处理：客户同意远程指导，已电话解决" in closing.reason


def test_a_recorded_on_site_visit_needs_no_reason_to_close(people):
    complaint = factories.received(people, requires_on_site=True)
    service.record_clock(complaint, Clock.ON_SITE, people["service"], note="工程师已到场")
    factories.closed(people, complaint)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED


# --- visibility ----------------------------------------------------------------------------------------
def test_others_complaints_are_404_and_the_handler_department_and_customer_owner_see_them(people, login):
    customer = factories.ordinary_customer(people)  # owned by sales2
    complaint = factories.assigned(people, by="service", handler="production", customer=customer)
    urls = [complaint.get_absolute_url(), reverse("complaints:pdf", args=[complaint.pk]),
            reverse("complaints:reply_pdf", args=[complaint.pk]), move_url(complaint, ComplaintStatus.INVESTIGATING),
            reverse("complaints:clock", args=[complaint.pk, Clock.FIRST_REPLY])]
    for url in urls:
        assert login(people["purchasing"]).get(url).status_code == 404, url
    assert login(people["sales"]).get(urls[0]).status_code == 404  # another salesperson's customer
    for who in ("production", "pmc", "sales2", "quality", "mr", "gm", "service"):
        assert login(people[who]).get(urls[0]).status_code == 200, who
    listed = login(people["purchasing"]).get(reverse("complaints:list"), {"scope": "all"})
    assert listed.context["table"].paginator.count == 0


# --- the list ------------------------------------------------------------------------------------------
def test_the_list_runs_a_constant_number_of_queries(people, login):
    client = login(people["quality"])

    def add(n):
        for i in range(n):
            customer = factories.ordinary_customer(people, name=f"客户{Complaint.objects.count()}")
            complaint = factories.received(people, by="service" if i % 2 else "sales2", customer=customer)
            if i % 3 == 0:
                factories.assigned(people, complaint, handler="quality")

    add(3)
    with count_queries() as few:
        assert client.get(reverse("complaints:list"), {"scope": "all"}).status_code == 200
    add(27)
    with assert_num_queries(len(few)):
        response = client.get(reverse("complaints:list"), {"scope": "all"})
    assert response.context["table"].paginator.count == 30


def test_the_yes_no_filters_start_at_all_not_unknown(people, login):
    html = login(people["mr"]).get(reverse("complaints:list")).content.decode()
    for name in ("overdue", "key_account"):
        select = html[html.index(f'name="{name}"'):]
        select = select[:select.index("</select>")]
        assert '<option value="" selected>全部</option>' in select and "未知" not in select


def test_the_list_filters_by_overdue_key_account_grade_and_state(people, login):
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 0, tzinfo=SH), tick=False):
        late = factories.received(people, by="service", customer=factories.key_account(people))
    with time_machine.travel(dt.datetime(2026, 6, 10, 9, 0, tzinfo=SH), tick=False):
        fresh = factories.assigned(people, customer=factories.ordinary_customer(people))
        client = login(people["quality"])

        def numbers(**params):
            response = client.get(reverse("complaints:list"), {"scope": "all", **params})
            return [row.record.number for row in response.context["table"].page.object_list]

        assert numbers(overdue="true") == [late.number]
        assert numbers(key_account="true") == [late.number]
        assert numbers(grade="C") == [fresh.number]
        assert numbers(status="assigned") == [fresh.number]
        assert numbers(product="输液器") == [fresh.number, late.number]
        page = client.get(reverse("complaints:list"), {"scope": "all"}).content.decode()
        assert "priority-badge" in page and "overdue-flag" in page


def test_the_search_box_finds_a_complaint_by_number_customer_product_batch_or_description(people, login):
    drip = factories.received(people, product="一次性使用输液器", batch="B2611-07",
                              description="滴斗开裂，漏液 3 支", customer=factories.key_account(people))
    mask = factories.received(people, product="医用外科口罩", batch="M2610-02", description="耳带脱落")
    client = login(people["quality"])

    def numbers(term):
        response = client.get(reverse("complaints:list"), {"scope": "all", "q": term})
        return {row.record.number for row in response.context["table"].page.object_list}

    assert numbers(drip.number.lower()) == {drip.number}
    assert numbers("协和医疗") == {drip.number}
    assert numbers("外科口罩") == {mask.number}
    assert numbers("m2610-02") == {mask.number}  # the batch, whole and in any case
    assert numbers("M2610") == set()
    assert numbers("耳带脱") == {mask.number}


def test_the_search_can_use_the_trigram_indexes_instead_of_reading_every_complaint():
    from complaints.filtersets import ComplaintFilter

    plan = index_only_plan(ComplaintFilter({"q": "输液器"}, queryset=Complaint.objects.all()).qs)
    for index in ("complaint_number_trgm", "complaint_customer_trgm", "complaint_product_trgm",
                  "complaint_text_trgm", "complaint_batch"):
        assert f"Bitmap Index Scan on {index} " in plan, plan
    assert "Seq Scan" not in plan


def test_the_list_exports_its_rows_to_excel(people, login):
    with time_machine.travel(dt.datetime(2026, 6, 10, 9, 0, tzinfo=SH), tick=False):
        complaint = factories.assigned(people, customer=factories.key_account(people))
        response = login(people["quality"]).get(reverse("complaints:list"), {"scope": "all", "export": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:8] == ("编号", "大客户", "类型", "客户", "客户等级", "产品", "批号", "状态")
    assert rows[1][:10] == (complaint.number, "是", "投诉", "北京协和医疗器械有限公司", "A", "一次性输液器", "B2611",
                            "已分派", "品质部", "陈品质")
    assert rows[1][10] == dt.datetime(2026, 6, 10, 9, 0)


# --- PDFs ----------------------------------------------------------------------------------------------
def test_the_record_pdf_prints_the_handling_and_the_closing_signature(people, login):
    complaint = factories.closed(people)
    response = login(people["service"]).get(reverse("complaints:pdf", args=[complaint.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content).replace(" ", "")
    for expected in ("客户投诉记录表", "QR-8.2-03", complaint.number, "杭州仁和医院", "输液器滴斗开裂",
                     "注塑模具温度偏高导致滴斗应力开裂", "整批200支换货", "客户满意，无其他意见", "回访并关闭",
                     "赵客服", "批准", "首次答复"):
        assert expected in text, expected


def test_the_reply_letter_gives_the_finding_and_the_correction(people, login):
    complaint = factories.confirming(people)
    response = login(people["quality"]).get(reverse("complaints:reply_pdf", args=[complaint.pk]))
    text = pdf_text(response.content).replace(" ", "")
    for expected in ("客户投诉处理答复函", "致：杭州仁和医院", complaint.number, "注塑模具温度偏高导致滴斗应力开裂",
                     "换货：整批200支换货", "经办人：陈品质"):
        assert expected in text, expected


# --- the customer's tab, my work -----------------------------------------------------------------------
def test_the_customer_page_has_a_complaints_tab(people, login):
    customer = factories.ordinary_customer(people)
    complaint = factories.received(people, by="service", customer=customer)
    page = login(people["sales2"]).get(customer.get_absolute_url() + "?tab=complaints").content.decode()
    assert complaint.number in page and f"?customer={customer.pk}" in page
    form = login(people["sales2"]).get(reverse("complaints:create") + f"?customer={customer.pk}").content.decode()
    assert f'value="{customer.pk}" selected' in form


def test_the_customer_search_lists_only_visible_customers(people, login):
    factories.ordinary_customer(people, name="上海康达贸易有限公司")  # sales2's
    response = login(people["purchasing"]).get(reverse("complaints:customer_search"), {"q": "康达"})
    assert response.json() == {"results": []}
    response = login(people["service"]).get(reverse("complaints:customer_search"), {"q": "康达"})
    assert [row["name"] for row in response.json()["results"]] == ["上海康达贸易有限公司"]


@pytest.mark.parametrize("term", ["kangda", "shkd", "KangDa", "上海 康达"])
def test_the_intake_customer_search_understands_pinyin_like_the_customer_list(people, login, term):
    factories.ordinary_customer(people, name="上海康达贸易有限公司")
    factories.ordinary_customer(people, name="北京华信科技股份有限公司")
    response = login(people["service"]).get(reverse("complaints:customer_search"), {"q": term})
    assert [row["name"] for row in response.json()["results"]] == ["上海康达贸易有限公司"]


# --- demo data and the admin ---------------------------------------------------------------------------
def test_the_demo_data_covers_every_state_a_key_account_an_overdue_complaint_and_a_capa(people):
    from complaints.demo import seed_complaints
    from customers.demo import seed_customers

    out = io.StringIO()
    seed_customers(people, out)
    seed_complaints(people, out)
    seed_complaints(people, out)  # idempotent
    complaints = Complaint.objects.all()
    assert complaints.count() == 11
    assert set(complaints.values_list("status", flat=True)) == set(ComplaintStatus.values)
    assert complaints.filter(is_key_account=True).exists()
    assert complaints.filter(type="suggestion").exists()
    overdue = complaints.filter(status=ComplaintStatus.RECEIVED, received_by=people["sales2"]).get()
    assert any(row["overdue"] for row in service.clock_rows(overdue))
    assert sum(len(service.capas_of(c)) for c in complaints) == 2


def test_the_admin_lists_complaints_read_only(people, login):
    complaint = factories.received(people)
    client = login(people["admin"])
    page = client.get(reverse("admin:complaints_complaint_changelist"), {"q": complaint.number})
    assert page.status_code == 200 and complaint.number in page.content.decode()
    assert client.get(reverse("admin:complaints_complaint_add")).status_code == 403
    detail = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk])).content.decode()
    assert 'name="description"' not in detail  # read-only
