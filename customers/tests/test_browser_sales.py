"""In a real browser: a salesperson creates a customer with its first opportunity and wins it; finance records a
payment against the contract's plan on a phone."""
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.contracts.models import Contract, ContractStatus, Opportunity, OpportunityStage
from customers.contracts.services import payments
from customers.tests.factories import make_customer
from qms import workflow
from qms.demo import DEMO_PASSWORD
from qms.tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_with_its_opportunity_then_the_opportunity_is_won(browser_page, live_server, people):
    page, base = browser_page, live_server.url
    log_in(page, base, "sales2", DEMO_PASSWORD)
    page.goto(f"{base}/customers/new/")
    page.fill("input[name=name]", "华东精工机械有限公司")
    page.check("input[name=opportunity-create]")
    page.fill("input[name=opportunity-title]", "精工机械年度采购")
    page.click("#save")
    # the opportunity's fields are asked for once it is ticked; what was typed is kept
    assert "请填写预计金额。" in page.content()
    assert page.input_value("input[name=name]") == "华东精工机械有限公司"
    page.fill("input[name=opportunity-expected_amount]", "280000")
    page.fill("input[name=opportunity-expected_close_on]",
              (timezone.localdate() + dt.timedelta(days=30)).isoformat())
    page.click("#save")
    opportunity = Opportunity.objects.get()
    assert page.url.endswith(opportunity.get_absolute_url())
    assert opportunity.customer.name == "华东精工机械有限公司" and opportunity.owner == people["sales2"]

    # winning asks the reason in the move's dialog
    page.click("button[data-move=won]")
    page.fill("#move-won textarea[name=reason]", "客户签回合同")
    page.click("#move-won button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    opportunity.refresh_from_db()
    assert opportunity.stage == OpportunityStage.WON
    assert workflow.transitions_for(opportunity).get().reason == "客户签回合同"
    assert page.locator("#record-status .status-won").count() == 1
    assert page.locator("button[data-move]").count() == 0  # won is final


def test_finance_records_a_payment_on_a_phone(browser_page, live_server, people):
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    owner = people["sales2"]
    contract = Contract.objects.create(customer=make_customer(owner), title="年度供货合同",
                                       delivery_date=dt.date(2030, 1, 1), owner=owner, created_by=owner,
                                       total_amount=Decimal("100000"), status=ContractStatus.REGISTERED)
    today = timezone.localdate()
    payments.save_plan(contract, [payments.PlanRow(today + dt.timedelta(days=10), Decimal("40000")),
                                  payments.PlanRow(today + dt.timedelta(days=40), Decimal("60000"))], by=owner)

    log_in(page, base, "finance", DEMO_PASSWORD)
    page.goto(f"{base}/customers/contracts/{contract.pk}/payments/")
    page.click("[data-record-payment='1']")
    page.fill("input[name=amount]", "40000.01")
    page.click("#save-payment")
    assert "超过第 1 期未回款金额 40,000.00 元" in page.content()
    page.fill("input[name=amount]", "40000")
    page.click("#save-payment")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#plan-paid").inner_text().strip() == "40000.00"
    assert page.locator("tr[data-seq='1'] .instalment-state").inner_text().strip() in ("已结清", "Settled")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
