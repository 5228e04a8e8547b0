"""In a real browser: a CAPA from its plan to a verified close, with signatures, history and its PDF."""
import pytest

from qms.capa.models import Capa, CapaStatus
from qms.demo import DEMO_PASSWORD
from qms.tests.browser import log_in
from qms.tests.capa_helpers import raised_capa

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def as_user(page, base_url, username):
    page.context.clear_cookies()
    log_in(page, base_url, username, DEMO_PASSWORD)


def test_capa_from_plan_to_verified_close(browser_page, live_server, people):
    page, base = browser_page, live_server.url
    capa = raised_capa(people, responsible="production")
    url = f"{base}{capa.get_absolute_url()}"

    # The responsible person plans: cause analysis, plan, one action; then submits.
    as_user(page, base, "production")
    page.goto(url)
    assert page.locator("#record-status").inner_text() == "待制定计划"
    page.fill("#plan-form textarea[name=cause_analysis]", "模具磨损未按期保养")
    page.fill("#plan-form textarea[name=plan]", "修模并增加首件检验")
    page.click("#plan-form button[type=submit]")
    page.goto(f"{url}?tab=actions")
    page.fill("#action-form textarea[name=description]", "修复模具")
    page.select_option("#action-form select[name=owner]", str(people["production"].pk))
    page.fill("#action-form input[name=due_date]", "2030-01-15")
    page.click("#action-form button[type=submit]")
    assert "修复模具" in page.locator("#capa-actions").inner_text()
    page.click("button[data-move=plan_submitted]")
    assert page.locator("#record-status").inner_text() == "待批准"

    # The MR approves with an electronic signature; a wrong password signs nothing.
    as_user(page, base, "mr")
    page.goto(url)
    page.click("button[data-move=approved]")
    dialog = page.locator("#move-approved")
    dialog.locator("input[name=password]").fill("wrong-password")
    dialog.locator("button[type=submit]").click()
    assert "密码错误，未签名。" in page.locator("#move-page").inner_text()
    page.fill("#move-page input[name=password]", DEMO_PASSWORD)
    page.fill("#move-page textarea[name=comment]", "同意实施")
    page.click("#move-page button[type=submit]")
    assert page.locator("#record-status").inner_text() == "实施中"
    signatures = page.locator("#signatures").inner_text()
    assert "李代表" in signatures and "批准" in signatures and "同意实施" in signatures

    # The responsible person records the action done and reports implementation complete.
    as_user(page, base, "production")
    page.goto(f"{url}?tab=actions")
    page.fill("#capa-actions input[name=result]", "模具已修复，首件合格")
    page.click("#capa-actions button[type=submit]")
    page.click("button[data-move=implemented]")
    assert page.locator("#record-status").inner_text() == "待验证"

    # Quality verifies effectiveness with a signature and a reason: closed.
    as_user(page, base, "quality")
    page.goto(url)
    page.click("button[data-move=closed]")
    dialog = page.locator("#move-closed")
    dialog.locator("textarea[name=reason]").fill("连续 3 批未再发生")
    dialog.locator("input[name=password]").fill(DEMO_PASSWORD)
    dialog.locator("button[type=submit]").click()
    assert page.locator("#record-status").inner_text() == "已关闭"
    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.CLOSED
    assert page.locator("#record-moves button").count() == 0

    page.click("a[data-tab=history]")
    history = page.locator("#record-history").inner_text()
    assert "连续 3 批未再发生" in history and "陈品质" in history

    response = page.request.get(f"{base}/qms/capa/{capa.pk}/pdf/")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
