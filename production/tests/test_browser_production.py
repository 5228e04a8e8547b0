"""The shop floor's pages on a phone (390 px) and a laptop: nothing wider than the window, and an inspector takes a
lot through its inspection result and the operator moves it on, with the refusal shown while it is nonconforming."""
import io

import pytest
from django.urls import reverse

from production import demo as production_demo
from production.models import InspectionStatus as I, Lot, ProcessCard, TaskOrder
from production.tests import factories
from qms.demo import DEMO_PASSWORD
from qms.tests.browser import log_in
from qms.tests.test_browser_layout import LAPTOP, OVERFLOW_JS, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_production_pages_fit_a_phone_and_a_laptop(browser_page, live_server, people):
    production_demo.seed(people, io.StringIO())
    page, base = browser_page, live_server.url
    log_in(page, base, "quality", DEMO_PASSWORD)
    lot = Lot.objects.filter(current__isnull=False).order_by("pk").first()
    urls = [reverse("production:order_list"), reverse("production:lot_list"), reverse("production:card_list"),
            TaskOrder.objects.order_by("pk").first().get_absolute_url(), lot.get_absolute_url(),
            ProcessCard.objects.first().get_absolute_url(),
            reverse("production:operation_inspect", args=[lot.current_id])]
    problems = []
    for width in (LAPTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        for url in urls:
            assert page.goto(base + url).status == 200, url
            result = page.evaluate(OVERFLOW_JS)
            if result["scrollWidth"] > result["width"]:
                problems.append(f"{width}px {url}: {result['scrollWidth']}px wide; {result['elements']}")
    assert not problems, "\n".join(problems)


def test_a_nonconforming_lot_goes_through_the_isolation_area_and_into_stock_on_a_phone(browser_page, live_server,
                                                                                       people):
    """Two operations, each with its work record and the three checks (自检 by the operator, 互检 by a colleague, 专检
    by the inspector). Found nonconforming at the first, the lot is isolated and refused moving on; the engineer
    reviews it, production reworks it, quality re-inspects it, and the operator moves it on; the second operation is
    found conforming and the lot goes into stock — each on a phone."""
    lot = factories.lot(people)
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": PHONE, "height": 900})

    def as_user(name):
        page.context.clear_cookies()
        log_in(page, base, name, DEMO_PASSWORD)

    def submit():
        page.click("#production-form button[type=submit]")
        page.wait_for_load_state("domcontentloaded")

    def work_and_three_checks(operation, dedicated):
        """The operator records the work and checks it himself, a colleague checks it, the inspector checks it."""
        factories.setup_verified(people, operation)  # its own browser flow: test_browser_process_control
        as_user("production")
        page.goto(base + reverse("production:operation_work", args=[operation.pk]))
        page.fill("input[name=quantity_out]", page.input_value("input[name=quantity_in]"))
        submit()
        assert "工序记录已保存。" in page.locator("body").inner_text()
        for user, check, result in (("production", "self", "pass"), ("pmc", "mutual", "pass"),
                                    ("quality", "dedicated", dedicated)):
            if user != "production":
                as_user(user)
            page.goto(base + reverse("production:operation_check", args=[operation.pk]))
            page.select_option("select[name=check]", check)
            page.select_option("select[name=result]", result)
            submit()
            assert "检查结果已记录。" in page.locator("body").inner_text(), (check, page.locator("body").inner_text())

    def inspect(operation, result, note):
        as_user("quality")
        page.goto(base + reverse("production:operation_inspect", args=[operation.pk]))
        page.select_option("select[name=result]", result)
        page.fill("textarea[name=note]", note)
        page.fill("input[name=password]", DEMO_PASSWORD)
        submit()

    # operation 10: the work and the three checks, and the inspector finds it nonconforming
    work_and_three_checks(lot.current, dedicated="fail")
    inspect(lot.current, I.NONCONFORMING, "毛刺超标")
    entry = lot.isolation_entries.get()
    assert entry.number in page.locator("#lot-isolation").inner_text()

    as_user("production")
    page.goto(base + lot.get_absolute_url())
    blocked = page.locator('[data-move-blocked="in_stock"]')
    assert "只有合格或让步接收的产品才能转入下道工序或入库" in blocked.inner_text()

    as_user("engineering")
    page.goto(base + entry.get_absolute_url())
    page.click("#isolation-review")
    page.select_option("select[name=disposition]", "rework")
    page.fill("textarea[name=instruction]", "去毛刺后全检")
    page.fill("input[name=password]", DEMO_PASSWORD)
    submit()
    assert "返工" in page.locator("#isolation-review-result").inner_text()

    as_user("production")
    page.goto(base + entry.get_absolute_url())
    page.click("#isolation-rework")
    page.fill("textarea[name=rework_note]", "已去毛刺，全检 100 件")
    submit()

    as_user("quality")
    page.goto(base + entry.get_absolute_url())
    page.click("#isolation-reinspect")
    page.select_option("select[name=result]", I.CONFORMING)
    page.fill("textarea[name=note]", "复检合格")
    page.fill("input[name=password]", DEMO_PASSWORD)
    submit()
    entry.refresh_from_db()
    assert entry.status == "released"

    as_user("production")
    page.goto(base + lot.get_absolute_url())
    page.click('button[data-move="in_process"]')
    page.wait_for_load_state("domcontentloaded")
    assert "20 组装" in page.locator("#lot-current").inner_text()
    lot.refresh_from_db()
    # operation 20: the work and the three checks again, found conforming, and into stock
    work_and_three_checks(lot.current, dedicated="pass")
    inspect(lot.current, I.CONFORMING, "外观、尺寸合格")
    operation = lot.operations.get(pk=lot.current_id)
    assert (operation.self_check_by, operation.mutual_check_by, operation.dedicated_check_by) == (
        people["production"], people["pmc"], people["quality"])
    as_user("production")
    page.goto(base + lot.get_absolute_url())
    page.click('button[data-move="in_stock"]')
    page.wait_for_load_state("domcontentloaded")
    lot.refresh_from_db()
    assert lot.status == "in_stock"

    # the isolation area's pages fit a phone and a laptop
    as_user("quality")
    problems = []
    for width in (LAPTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        for url in (reverse("production:isolation_list"), reverse("production:isolation_rate"),
                    entry.get_absolute_url()):
            assert page.goto(base + url).status == 200, url
            result = page.evaluate(OVERFLOW_JS)
            if result["scrollWidth"] > result["width"]:
                problems.append(f"{width}px {url}: {result['scrollWidth']}px wide; {result['elements']}")
    assert not problems, "\n".join(problems)
