"""What users hit when they walked through the procedures (issue 14), tried again in a real browser, one test per
group: a record that says something false, input lost, people not told, error pages and language, a procedure
gap."""
import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from complaints.models import ComplaintStatus
from complaints.tests import factories as complaint_factories
from customers.tests.factories import make_customer
from qms.capa.models import CapaStatus
from qms.demo import DEMO_PASSWORD
from qms.tests.browser import log_in
from qms.tests.capa_helpers import approved_capa
from qms.workflow import perform
from renovation.models import ApplicationStatus as S
from renovation.tests import factories as renovation_factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_superseded_round_is_shown_as_such_not_as_tampering(browser_page, live_server, people):
    capa = approved_capa(people)
    capa.actions.update(result="模具已修复", done_at=capa.raised_at)
    perform(capa, CapaStatus.IMPLEMENTED, capa.responsible)
    perform(capa, CapaStatus.RAISED, people["quality"], password=DEMO_PASSWORD, reason="同类毛刺再次发生")
    page, base = browser_page, live_server.url
    log_in(page, base, "mr", DEMO_PASSWORD)
    page.goto(f"{base}{capa.get_absolute_url()}?tab=signatures")
    text = page.locator("body").inner_text()
    assert "第 1 轮，已被第 2 轮取代" in text
    assert "签名后记录已修改" not in text


def test_editing_a_returned_application_keeps_its_dates_and_saves(browser_page, live_server, people):
    application = renovation_factories.submit(people, renovation_factories.unit())
    perform(application, S.RETURNED, people["engsupervisor"], reason="图纸缺少水电走向")
    page, base = browser_page, live_server.url
    log_in(page, base, "propassistant", DEMO_PASSWORD)
    page.goto(f"{base}{reverse('renovation:edit', args=[application.pk])}")
    assert page.input_value("input[name=planned_start]") == f"{application.planned_start:%Y-%m-%d}"
    assert page.input_value("input[name=planned_end]") == f"{application.planned_end:%Y-%m-%d}"
    page.fill("textarea[name=scope]", "卫生间及厨房翻新，补充水电走向图")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("domcontentloaded")
    assert "这个字段是必填项" not in page.locator("body").inner_text()
    application.refresh_from_db()
    assert application.scope == "卫生间及厨房翻新，补充水电走向图"


def test_the_next_reviewer_finds_the_notice_and_opening_it_marks_it_read(browser_page, live_server, people):
    application = renovation_factories.submit(people, renovation_factories.unit())
    renovation_factories.advance(people, application, S.SECURITY_REVIEW)
    page, base = browser_page, live_server.url
    log_in(page, base, "security", DEMO_PASSWORD)
    assert page.locator("#unread-count").inner_text() == "1"
    page.click("#nav-notifications")
    page.click(f"text=待您处理：{application}")
    page.wait_for_load_state("domcontentloaded")
    assert page.url.endswith(application.get_absolute_url())
    assert page.locator("#unread-count").count() == 0


def test_a_record_that_is_not_yours_is_the_portals_own_404_in_either_language(browser_page, live_server, people):
    customer = make_customer(people["sales"], name="杭州某医疗器械有限公司")
    page, base = browser_page, live_server.url
    log_in(page, base, "sales2", DEMO_PASSWORD)
    response = page.goto(f"{base}{customer.get_absolute_url()}")
    assert response.status == 404
    assert "不在您的权限范围内" in page.locator("#error-404").inner_text()
    assert page.locator("#portal-nav").count() == 1
    with page.expect_navigation():  # the language form submits itself; wait for its answer before moving on
        page.select_option("#language-select", "en")
    page.wait_for_load_state("domcontentloaded")
    page.goto(f"{base}{customer.get_absolute_url()}")
    assert "does not exist" in page.locator("#error-404").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_handler_list_follows_the_chosen_department(browser_page, live_server, people):
    complaint = complaint_factories.received(people, by="service")
    quality = people["quality"].department
    page, base = browser_page, live_server.url
    log_in(page, base, "service", DEMO_PASSWORD)
    content_type = ContentType.objects.get_for_model(complaint)
    page.goto(f"{base}{reverse('qms:move', args=[content_type.pk, complaint.pk, ComplaintStatus.ASSIGNED])}")
    page.select_option("select[name='responsible_department']", str(quality.pk))
    shown = page.eval_on_selector_all("select[name='responsible'] option",
                                      "options => options.filter(o => !o.hidden && o.value).map(o => o.value)")
    assert str(people["quality"].pk) in shown and str(people["production"].pk) not in shown
