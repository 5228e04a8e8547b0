"""In a real browser: a customer-service user takes a key account's complaint from intake to closure, in Chinese,
with its clocks visible and a refused signature explained."""
import pytest

from complaints.models import Complaint, ComplaintStatus
from complaints.tests.factories import key_account
from qms.demo import DEMO_PASSWORD
from qms.people import Department
from qms.tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_complaint_from_intake_to_closure(browser_page, live_server, people):
    page, base = browser_page, live_server.url
    customer = key_account(people)
    log_in(page, base, "service", DEMO_PASSWORD)

    # Intake: the customer is found by searching the archive; a missing description is explained, input kept.
    page.goto(f"{base}/complaints/new/")
    page.select_option("#id_channel", "phone")
    page.fill("#customer-search", "协和")
    page.wait_for_selector(f"#id_customer option[value='{customer.pk}']", state="attached")
    page.select_option("#id_customer", str(customer.pk))
    page.fill("#id_product", "一次性输液器")
    page.fill("#id_batch", "B2611")
    page.click("#complaint-submit")
    assert "请填写问题描述。" in page.locator("#complaint-form").inner_text()
    assert page.input_value("#id_product") == "一次性输液器"
    page.fill("#id_description", "滴斗开裂，漏液 3 支")
    page.fill("#id_customer_request", "整批换货")
    page.click("#complaint-submit")
    complaint = Complaint.objects.get()
    assert page.locator("#record-status").inner_text() == "已登记"
    assert "大客户" in page.locator("#priority-badge").inner_text()

    # Every clock is visible; the first reply is recorded.
    page.click("a[data-tab=clocks]")
    clocks = page.locator("#complaint-clocks").inner_text()
    assert "首次答复（8 小时）" in clocks and "书面处理方案（一周）" in clocks
    page.click("a[data-clock=first_reply]")
    page.fill("#id_note", "电话告知客户已受理")
    page.click("#clock-submit")
    assert "按时完成" in page.locator("#complaint-clocks tr[data-clock=first_reply]").inner_text()

    # Hand-over: customer service's own department; its manager (a senior handler) is the default.
    page.click("button[data-move=assigned]")
    page.select_option("#move-assigned select[name='responsible_department']",
                       str(Department.objects.get(code="service").pk))
    page.click("#move-assigned button[type=submit]")
    assert page.locator("#record-status").inner_text() == "已分派"
    page.click("button[data-move=investigating]")
    assert page.locator("#record-status").inner_text() == "调查中"

    page.click("button[data-move=correcting]")
    page.select_option("#move-correcting select[name='is_valid']", "true")
    page.select_option("#move-correcting select[name='responsibility']", "ours")
    page.select_option("#move-correcting select[name='severity']", "major")
    page.fill("#move-correcting textarea[name='cause']", "注塑模具温度偏高导致滴斗应力开裂")
    page.click("#move-correcting button[type=submit]")
    assert page.locator("#record-status").inner_text() == "处理中"

    page.click("button[data-move=confirming]")
    page.select_option("#move-confirming select[name='correction_kind']", "replacement")
    page.fill("#move-confirming textarea[name='correction']", "整批 200 支换货")
    page.click("#move-confirming button[type=submit]")
    page.click("a[data-clock=written_reply]")
    page.fill("#id_written_reply", "经调查为模具温度偏高所致，已整批换货并调整工艺。")
    page.click("#clock-submit")

    page.click("button[data-move=return_visit]")
    page.fill("#move-return_visit textarea[name='customer_confirmation']", "电话确认：王护士长认可换货方案")
    page.click("#move-return_visit button[type=submit]")
    assert page.locator("#record-status").inner_text() == "待回访"

    # Closing is signed: a wrong password is refused with its reason and the input kept.
    page.click("button[data-move=closed]")
    page.fill("#move-closed textarea[name='return_visit_opinion']", "客户满意")
    page.fill("#move-closed input[name='password']", "wrong-password")
    page.click("#move-closed button[type=submit]")
    assert "密码错误，未签名。" in page.locator("#move-page").inner_text()
    assert page.input_value("#move-page textarea[name='return_visit_opinion']") == "客户满意"
    page.fill("#move-page input[name='password']", DEMO_PASSWORD)
    page.click("#move-page button[type=submit]")
    assert page.locator("#record-status").inner_text() == "已关闭"
    assert "赵客服" in page.locator("#signatures").inner_text()
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.CLOSED

    page.click("a[data-tab=handling]")
    assert "待回访 → 已关闭" in page.locator("#transitions").inner_text()
    response = page.request.get(f"{base}/complaints/{complaint.pk}/record.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
