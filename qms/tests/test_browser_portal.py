"""In a real browser: log in, switch the language, open my work."""
import datetime as dt

import pytest
from playwright.sync_api import expect
from django.utils import timezone

from qms import registry
from qms.demo import DEMO_PASSWORD
from qms.registry import WorkItem
from qms.tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def overdue_task():
    def provider(user):
        if user.username != "mr":
            return []
        return [WorkItem("审批纠正措施 CAPA-2026-0001", "/notifications/", "纠正和预防措施",
                         due=timezone.now() - dt.timedelta(hours=3))]

    registry.register_work_provider(provider)
    yield
    registry.registry.work_providers.remove(provider)


def test_log_in_switch_language_and_open_my_work(browser_page, live_server, people, overdue_task):
    page = browser_page
    log_in(page, live_server.url, "mr", DEMO_PASSWORD)
    # Chinese by default, even though the browser asks for English.
    assert page.locator("h1").first.inner_text() == "我的待办"
    overdue = page.locator("#my-work .overdue")
    assert overdue.count() == 1
    assert "CAPA-2026-0001" in overdue.inner_text()
    assert "已逾期" in overdue.inner_text()

    # The switch posts and redirects back to the same URL: wait for the page to change, not for the URL.
    page.select_option("#language-select", "en")
    expect(page.locator("h1").first).to_have_text("My work")
    assert "Overdue" in page.locator("#my-work .overdue").inner_text()

    page.select_option("#language-select", "zh-hans")
    expect(page.locator("h1").first).to_have_text("我的待办")
    page.click("#nav-notifications")
    assert page.locator("h1").first.inner_text() == "通知"
