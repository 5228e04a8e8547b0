"""In a real browser: a form being sent has its submit buttons disabled (static/js/submit_once.js), and the
button clicked still says what to do (保存并新建)."""
import pytest

from customers.models import Customer
from qms.demo import DEMO_PASSWORD
from qms.tests.browser import log_in

# Runs after submit_once.js's listener (window comes after document when the event bubbles up): what the buttons
# are while the form is being sent, kept across the page load that follows.
RECORD_BUTTONS = """window.addEventListener("submit", () => sessionStorage.setItem("buttons",
    JSON.stringify(["#save", "#save-new"].map(id => document.querySelector(id).disabled))));"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_submit_buttons_are_disabled_once_the_form_is_sent(browser_page, live_server, people):
    page, base = browser_page, live_server.url
    log_in(page, base, "sales2", DEMO_PASSWORD)
    page.goto(f"{base}/customers/new/")
    page.evaluate(RECORD_BUTTONS)
    assert page.evaluate("['#save', '#save-new'].map(id => document.querySelector(id).disabled)") == [False, False]
    page.fill("#id_name", "宁波北仑港务物流有限公司")
    with page.expect_navigation():
        page.click("#save-new")
    assert page.evaluate("JSON.parse(sessionStorage.getItem('buttons'))") == [True, True]
    assert page.url.endswith("/customers/new/")  # 保存并新建 still went with the form: back to an empty form
    assert "已保存客户“宁波北仑港务物流有限公司”。" in page.content()
    assert page.evaluate("document.querySelector('#save').disabled") is False
    assert Customer.objects.filter(name="宁波北仑港务物流有限公司").count() == 1
