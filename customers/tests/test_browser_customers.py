"""In a real browser: a salesperson claims a customer from the pool and records a visit to it."""
import datetime as dt

import pytest
from django.utils import timezone

from customers.models import Customer, FollowUp, Grade, Visit, VisitStatus
from customers.services.records import create_customer
from customers.services import visits as visit_service
from customers.services.visits import generate_visit_plans
from qms.demo import DEMO_PASSWORD
from qms.tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_claim_from_the_pool_then_arrange_and_record_a_visit(browser_page, live_server, people):
    page, base = browser_page, live_server.url
    customer = create_customer(by=people["sales"], to_pool=True, name="杭州远景电子有限公司", grade=Grade.A)

    log_in(page, base, "sales2", DEMO_PASSWORD)
    page.goto(f"{base}/customers/pool/")
    row = page.locator("tr", has_text="杭州远景电子有限公司")
    row.locator("button.claim-one").click()
    assert "已领取：杭州远景电子有限公司。" in page.locator(".alert-success").inner_text()
    customer.refresh_from_db()
    assert customer.owner == people["sales2"]

    generate_visit_plans(timezone.localdate().replace(day=1), customers=Customer.objects.filter(pk=customer.pk))
    visit = Visit.objects.filter(customer=customer, status=VisitStatus.PLANNED).order_by("pk").first()
    assert visit is not None and visit.owner == people["sales2"]

    # The phone call: the time agreed with the customer.
    agreed = timezone.localtime() - dt.timedelta(hours=2)
    page.goto(f"{base}{visit.get_absolute_url()}")
    page.click("#arrange-visit")
    page.fill("input[name=arranged_at]", agreed.strftime("%Y-%m-%dT%H:%M"))
    page.click("#arrange-form button[type=submit]")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ARRANGED and visit_service.record_due_at(visit) is not None

    # The visit record: an empty content is refused and what was typed is kept.
    page.click("#record-visit")
    page.fill("input[name=visited_at]", agreed.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=purpose]", "了解新产品需求")
    page.click("#record-form button[type=submit]")
    assert "请填写回访内容。" in page.content()
    assert page.input_value("input[name=purpose]") == "了解新产品需求"
    page.fill("textarea[name=content]", "客户计划下季度采购 2 万件外壳，需要样品。")
    page.click("#record-form button[type=submit]")

    visit.refresh_from_db()
    assert visit.status == VisitStatus.RECORDED
    assert "客户计划下季度采购" in page.locator("#visit-record").inner_text()
    assert FollowUp.objects.filter(customer=customer, by=people["sales2"]).exists()
    customer.refresh_from_db()
    assert customer.last_follow_up_at is not None
