"""On a phone (390 px): the lot's page says why its operation may not start, the operator requests the setup
verification, the inspector signs the first-piece comparison in the move's dialog, and the operation can be
recorded; the new pages fit a phone and a laptop."""
import pytest
from django.urls import reverse

from production.models import LotOperation
from production.services import discipline
from production.setup_models import SetupVerification
from production.tests import factories
from qms.demo import DEMO_PASSWORD
from qms.tests.browser import log_in
from qms.tests.test_browser_layout import LAPTOP, OVERFLOW_JS, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_setup_verification_on_a_phone_from_the_refusal_to_the_signed_comparison(browser_page, live_server,
                                                                                    people):
    lot = factories.lot(people)
    discipline.schedule_discipline_checks()
    discipline.request_spec_change(people["production"], title="保压时间调整", description="8s → 10s", reason="缩痕")
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": PHONE, "height": 900})
    log_in(page, base, "production", DEMO_PASSWORD)
    page.goto(base + lot.get_absolute_url())
    assert "须先进行作业准备验证（首次生产）" in page.locator("#setup-required").inner_text()
    page.click("#setup-required a.btn")
    page.wait_for_load_state("domcontentloaded")
    page.fill("textarea[name=note]", "新产品首批投产")
    page.click("#production-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    verification = SetupVerification.objects.get()
    assert page.url.endswith(verification.get_absolute_url())

    page.context.clear_cookies()
    log_in(page, base, "quality", DEMO_PASSWORD)
    page.goto(base + verification.get_absolute_url())
    page.click('button[data-move="passed"]')
    dialog = page.locator("#move-passed")
    dialog.locator("select[name=method]").select_option("first_piece")
    dialog.locator("textarea[name=first_piece_result]").fill("首件尺寸与封样件一致")
    dialog.locator("input[name=password]").fill(DEMO_PASSWORD)
    dialog.locator("button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")
    verification.refresh_from_db()
    assert verification.status == "passed" and verification.verified_by == people["quality"]

    page.goto(base + lot.get_absolute_url())
    assert page.locator("#setup-required").count() == 0
    operation = LotOperation.objects.get(pk=lot.current_id)
    urls = [lot.get_absolute_url(), lot.task_order.get_absolute_url(), verification.get_absolute_url(),
            reverse("production:setup_list"), reverse("production:discipline_list"),
            reverse("production:specchange_list"), reverse("production:specchange_create"),
            reverse("production:setup_request", args=[operation.pk])]
    problems = []
    for width in (LAPTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        for url in urls:
            assert page.goto(base + url).status == 200, url
            result = page.evaluate(OVERFLOW_JS)
            if result["scrollWidth"] > result["width"]:
                problems.append(f"{width}px {url}: {result['scrollWidth']}px wide; {result['elements']}")
    assert not problems, "\n".join(problems)
