"""In a real browser: a special contract from an oral order through its written confirmation, the five-department
countersign with one disagreement resolved, the GM's approval and the registration, then a delivery date moved by
more than 5 days, refused until the customer's confirmation is attached (issue 17, "Done means")."""
import datetime as dt

import pytest

from customers.contracts.models import Contract, ContractChange, ContractStatus
from customers.tests.factories import make_customer
from qms.demo import DEMO_PASSWORD
from qms.tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def as_user(page, base, username):
    page.context.clear_cookies()
    log_in(page, base, username, DEMO_PASSWORD)


def give_opinion(page, base, contract, username, party, verdict, text, solution=""):
    as_user(page, base, username)
    page.goto(f"{base}{contract.get_absolute_url()}?tab=opinions")
    page.click(f"a[data-give='{party}']")
    page.check(f"input[name=verdict][value={verdict}]")
    page.fill("textarea[name=text]", text)
    if solution:
        page.fill("textarea[name=solution]", solution)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#countersign-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "评审意见已签署。" in page.locator("body").inner_text()


def test_a_special_oral_order_from_capture_to_the_register(browser_page, live_server, people, tmp_path):
    page, base = browser_page, live_server.url
    customer = make_customer(people["sales"], name="武汉协和医院设备处")
    as_user(page, base, "sales")

    # Capture: a phone order of a new product; a missing delivery date is explained, what was typed kept.
    page.goto(f"{base}/customers/contracts/new/")
    page.fill("#id_customer-search", "武汉协和")  # the chooser lists customers as they are searched
    page.select_option("#id_customer", str(customer.pk))
    page.fill("#id_title", "新型防针刺留置针首单")
    page.select_option("#id_order_form", "phone")
    page.fill("#id_packaging", "无菌单包装，每箱 200 支")
    page.fill("#id_payment_terms", "货到 30 天付款")
    page.fill("#id_margin_percent", "28")
    page.fill("#id_stated_requirements", "符合 YY 0285.5，环氧乙烷残留 ≤ 4 µg/g")
    page.fill("#id_lines-0-product", "防针刺静脉留置针")
    page.fill("#id_lines-0-specification", "22G")
    page.fill("#id_lines-0-quantity", "50000")
    page.fill("#id_lines-0-unit_price", "6.80")
    page.uncheck("#id_lines-0-is_standard_product")
    page.check("#id_lines-0-is_new_product")
    page.click("#contract-save")
    assert "请填写交货日期。" in page.locator("#contract-form").inner_text()
    assert page.input_value("#id_lines-0-product") == "防针刺静脉留置针"
    page.fill("#id_delivery_date", "2027-03-31")
    page.click("#contract-save")
    page.wait_for_load_state("domcontentloaded")
    contract = Contract.objects.get(title="新型防针刺留置针首单")
    assert page.locator("#record-status").inner_text() == "草稿"
    assert page.locator("#contract-class").inner_text() == "非常规合同"
    assert "新产品：防针刺静脉留置针" in page.locator("#class-reasons").inner_text()

    # The phone order cannot go to review before the customer's written confirmation is on file.
    blocked = page.locator("[data-move-blocked=in_review]").inner_text()
    assert "口头或电话订单须先上传顾客的书面确认" in blocked
    confirmation = tmp_path / "客户确认邮件.pdf"
    confirmation.write_bytes(b"%PDF-1.4\n% e-mail of 2026-12-04 confirming the order\n%%EOF\n")
    page.click("a[data-tab=attachments]")
    page.set_input_files("#attachment-form input[type=file]", str(confirmation))
    page.click("#attachment-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    page.goto(f"{base}{contract.get_absolute_url()}")
    page.click("button[data-move=in_review]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#record-status").inner_text() == "评审中"
    page.click("a[data-tab=opinions]")
    assert "以下部门尚未给出评审意见：技术工程、品质、生产、采购、销售" in page.locator("#countersign").inner_text()

    # The five departments countersign; production disagrees with a countermeasure.
    give_opinion(page, base, contract, "engineering", "技术工程", "agree", "RoHS 符合，技术可行")
    give_opinion(page, base, contract, "quality", "品质", "conditional", "需增加针刺防护功能的出厂检验",
                 "外送第三方检测一季度")
    give_opinion(page, base, contract, "production", "生产", "disagree", "月产能 3 万支，3 月底前做不完",
                 "加开夜班，或分两批交货")
    give_opinion(page, base, contract, "purchasing", "采购", "agree", "导管料采购周期 15 天，可满足")
    give_opinion(page, base, contract, "sales", "销售", "agree", "价格、付款、交期已与客户确认")

    page.click("button[data-move=awaiting_approval]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#record-status").inner_text() == "待批准"

    # The GM cannot approve while production's disagreement is open.
    as_user(page, base, "gm")
    page.goto(f"{base}{contract.get_absolute_url()}")
    assert "以下部门的不同意意见尚未解决：生产" in page.locator("[data-move-blocked=approved]").inner_text()

    # Sales resolves it with the customer; the GM approves with his signature.
    as_user(page, base, "sales")
    page.goto(f"{base}{contract.get_absolute_url()}?tab=opinions")
    page.click("a[data-resolve='生产']")
    page.fill("textarea[name=resolution]", "客户同意分两批交货：3 月底 3 万支，4 月中 2 万支")
    page.click("#countersign-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "会签已完成" in page.locator("#countersign").inner_text()

    as_user(page, base, "gm")
    page.goto(f"{base}{contract.get_absolute_url()}")
    page.click("button[data-move=approved]")
    page.fill("#move-approved input[name=password]", DEMO_PASSWORD)
    page.click("#move-approved button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#record-status").inner_text() == "已批准"

    # Sales registers it: the register number, and the five-year retention.
    as_user(page, base, "sales")
    page.goto(f"{base}{contract.get_absolute_url()}")
    page.click("button[data-move=registered]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#record-status").inner_text() == "已登记"
    contract.refresh_from_db()
    assert contract.status == ContractStatus.REGISTERED and contract.number.startswith("HT-")
    assert page.locator("#contract-number").inner_text() == contract.number
    assert "5 年，至" in page.locator("#retention").inner_text()
    response = page.request.get(f"{base}/customers/contracts/{contract.pk}/pdf/")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"

    # A > 5-day delivery change: re-reviewed by the departments it affects, refused until the customer confirms.
    page.click("a[data-tab=changes]")
    page.click("#change-create")
    page.fill("#id_new_delivery_date", "2027-04-20")
    page.fill("#id_description", "客户病区改造，要求整单推迟 20 天交货")
    page.check("input[name=affected_parties][value=PMC]")
    page.check("input[name=affected_parties][value='生产']")
    page.click("#change-save")
    page.wait_for_load_state("domcontentloaded")
    change = ContractChange.objects.get(contract=contract)
    assert "交期调整 20 天" in page.locator("#change-delay").inner_text()
    page.click("button[data-move=in_review]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#record-status").inner_text() == "再评审中"
    for username, party in (("pmc", "PMC"), ("production", "生产")):
        as_user(page, base, username)
        page.goto(f"{base}{change.get_absolute_url()}?tab=opinions")
        page.click(f"a[data-give='{party}']")
        page.check("input[name=verdict][value=agree]")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("#countersign-form button[type=submit]")
        page.wait_for_load_state("domcontentloaded")

    as_user(page, base, "sales")
    page.goto(f"{base}{change.get_absolute_url()}")
    assert "须先上传顾客的书面确认" in page.locator("[data-move-blocked=effective]").inner_text()
    letter = tmp_path / "客户延期函.pdf"
    letter.write_bytes(b"%PDF-1.4\n% the customer's letter asking for 2027-04-20\n%%EOF\n")
    page.click("a[data-tab=attachments]")
    page.set_input_files("#attachment-form input[type=file]", str(letter))
    page.click("#attachment-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    page.goto(f"{base}{change.get_absolute_url()}")
    page.click("button[data-move=effective]")
    page.fill("#move-effective input[name=password]", DEMO_PASSWORD)
    page.click("#move-effective button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#record-status").inner_text() == "已生效"
    contract.refresh_from_db()
    assert contract.delivery_date == dt.date(2027, 4, 20)
    page.goto(f"{base}{contract.get_absolute_url()}?tab=changes")
    values = page.locator("#contract-changes").inner_text()
    assert "2027-03-31" in values and "2027-04-20" in values
