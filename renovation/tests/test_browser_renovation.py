"""In a real browser: an application through the five signed review steps, fees paid, water and power on, and
the construction permit printed."""
import pytest

from qms.demo import DEMO_PASSWORD
from qms.tests.browser import log_in
from qms.tests.test_pdf import pdf_text
from renovation.models import Application, ApplicationStatus
from renovation.tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def as_user(page, base_url, username):
    page.context.clear_cookies()
    log_in(page, base_url, username, DEMO_PASSWORD)


def sign(page, to, comment=""):
    page.click(f"button[data-move={to}]")
    dialog = page.locator(f"#move-{to}")
    dialog.locator("input[name=password]").fill(DEMO_PASSWORD)
    if comment:
        dialog.locator("textarea[name=comment]").fill(comment)
    dialog.locator("button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")


def test_application_from_review_to_printed_permit(browser_page, live_server, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page, base = browser_page, live_server.url
    application = factories.submit(people, factories.unit("1801"))
    url = f"{base}{application.get_absolute_url()}"

    as_user(page, base, "engsupervisor")
    page.goto(url)
    assert page.locator("#record-status").inner_text() == "待工程初审"
    for name in ("check_structure", "check_facade", "check_public_facilities", "check_fire_hazard",
                 "check_other_violations"):
        page.check(f"#checklist-form input[name={name}]")
    page.fill("#checklist-form textarea[name=opinion]", "未涉及结构及外立面改动")
    page.click("#checklist-form button[type=submit]")
    sign(page, "security_review", "初审合格")
    assert page.locator("#record-status").inner_text() == "待安全消防审核"

    as_user(page, base, "security")
    page.goto(url)
    sign(page, "assistant_check", "无消防隐患")

    as_user(page, base, "propassistant")
    page.goto(url)
    page.check("#identity-form input[name=identity_verified]")
    page.check("#identity-form input[name=regulations_handed_over]")
    page.check("#identity-form input[name=contractor_checked]")
    page.click("#identity-form button[type=submit]")
    sign(page, "technical_approval", "证件已核对")

    as_user(page, base, "engineering")
    page.goto(url)
    sign(page, "manager_approval", "技术上同意")

    as_user(page, base, "propmanager")
    page.goto(url)
    sign(page, "approved", "同意装修")
    assert page.locator("#record-status").inner_text() == "已批准，待缴费"
    signatures = page.locator("#signatures").inner_text()
    assert "孙经理" in signatures and "同意装修" in signatures

    as_user(page, base, "financeclerk")
    page.goto(f"{url}?tab=fees")
    assert "费用未缴清" in page.locator("#permit-refusal").inner_text()
    for index, (code, amount) in enumerate([("owner_deposit", "2000.00"), ("garbage_fee", "300.00"),
                                            ("contractor_deposit", "3000.00")]):
        from renovation.models import FeeItem

        page.select_option("#ledger-form select[name=kind]", "payment")
        page.select_option("#ledger-form select[name=fee_item]", str(FeeItem.objects.get(code=code).pk))
        page.fill("#ledger-form input[name=amount]", amount)
        page.fill("#ledger-form input[name=receipt_number]", f"SJ-{index + 1:04d}")
        page.click("#ledger-form button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
    balances = page.locator("#balances").inner_text()
    assert "¥5,300.00" not in balances and "¥2,300.00" in balances and "¥3,000.00" in balances

    as_user(page, base, "engsupervisor")
    page.goto(f"{url}?tab=fees")
    page.fill("#utilities-form input[name=note]", "水表 0012，电表 00231")
    page.click("#utilities-form button[type=submit]")
    assert "已由" in page.locator("#utilities").inner_text()

    as_user(page, base, "propassistant")
    page.goto(url)
    page.click("button[data-move=permitted]")
    assert page.locator("#record-status").inner_text() == "已发许可证，施工中"
    application = Application.objects.get(pk=application.pk)
    assert application.status == ApplicationStatus.PERMITTED
    response = page.request.get(f"{base}/renovation/{application.pk}/permit/")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.body())
    assert "施工许可证" in text and application.permit_number in text
