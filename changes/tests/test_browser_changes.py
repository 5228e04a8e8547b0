"""Done means (issue 19): a class III process change from the request through risk assessment, the evaluation team,
the GM's approval, two departments' tasks (one slipping with its report), the execution report, the customer
notification and the MR's confirmation — with a production move of the changed product refused before the
confirmation and allowed after; the change's pages fit a phone and a laptop."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from changes.models import ChangeRequest, ChangeStatus as S
from changes.tests import factories
from changes.tests.test_changes import _customer_asking_for_changes
from production.models import InspectionStatus as I
from production.tests.factories import inspect, lot as make_lot
from qms import countersign
from qms.demo import DEMO_PASSWORD
from qms.people import Department
from qms.tests.browser import log_in
from qms.tests.test_browser_layout import LAPTOP, OVERFLOW_JS, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page, base, username):
    page.context.clear_cookies()
    log_in(page, base, username, DEMO_PASSWORD)


def _submit(page):
    page.click("#changes-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")


def _move(page, to, password=None, **fields):
    page.click(f'button[data-move="{to}"]')
    for name, value in fields.items():
        page.fill(f"#move-{to} [name={name}]", value)
    if password:
        page.fill(f"#move-{to} input[name=password]", password)
        page.click(f"#move-{to} button[type=submit]")
    elif fields:
        page.click(f"#move-{to} button[type=submit]")
    page.wait_for_load_state("domcontentloaded")


def test_a_class_iii_process_change_holds_its_product_until_the_mrs_confirmation(browser_page, live_server, people):
    the_lot = make_lot(people)
    inspect(people, the_lot, I.CONFORMING)
    card = the_lot.task_order.process_card
    customer = _customer_asking_for_changes(people, "产品或过程变更须提前书面通知我方。")
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": LAPTOP, "height": 900})

    # the request, by engineering
    _as(page, base, "engineering")
    page.goto(base + reverse("changes:create"))
    page.fill("input[name=title]", "注塑工艺参数变更")
    page.select_option("select[name=kind]", "process")
    page.select_option("select[name=process_class]", "III")
    page.fill("textarea[name=plan]", "注塑温度由 220℃ 调整为 230℃")
    page.fill("textarea[name=basis]", "提高合格率")
    for code in ("production", "quality"):
        page.check(f"input[name=affected_departments][value='{Department.objects.get(code=code).pk}']")
    page.select_option("select[name=process_cards]", [str(card.pk)])
    page.select_option("select[name=customers]", [str(customer.pk)])
    page.fill("input[name=wanted_effective_date]", (timezone.localdate() + dt.timedelta(days=30)).isoformat())
    _submit(page)
    change = ChangeRequest.objects.get(title="注塑工艺参数变更")
    assert change.number in page.locator("h1").inner_text()
    _move(page, "risk")

    # the risk assessment, by quality: an acceptable residual risk, then the evaluation team
    _as(page, base, "quality")
    page.goto(base + reverse("changes:risk_add", args=[change.pk]))
    page.fill("textarea[name=description]", "温度升高导致产品变形")
    page.select_option("select[name=severity]", "4")
    page.select_option("select[name=likelihood]", "3")
    page.fill("textarea[name=control]", "首件尺寸全检，前三批加严")
    page.select_option("select[name=residual_severity]", "2")
    page.select_option("select[name=residual_likelihood]", "2")
    page.select_option("select[name=concerned_department]", str(Department.objects.get(code="production").pk))
    _submit(page)
    assert "2×2 = 4" in page.locator("#risks").inner_text()
    page.goto(base + change.get_absolute_url())
    _move(page, "evaluation")
    change.refresh_from_db()
    assert change.status == S.EVALUATION

    # the team: production's opinion on its page, quality's through the service; the MR's meeting
    opinions = {o.responsible.username: o for o in countersign.opinions_for(change)}
    _as(page, base, "production")
    page.goto(base + reverse("changes:opinion", args=[change.pk, opinions["production"].pk]))
    page.check("input[name=verdict][value=agree]")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#countersign-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    countersign.give_opinion(opinions["quality"], people["quality"], verdict="agree", text="同意", password=DEMO_PASSWORD)
    factories.evidence(people, change)  # the seven kinds of evidence class III requires
    _as(page, base, "mr")
    page.goto(base + reverse("changes:meeting", args=[change.pk]))
    page.fill("input[name=meeting_date]", timezone.localdate().isoformat())
    page.select_option("select[name=attendees]", [str(people[u].pk) for u in ("mr", "production", "quality")])
    page.fill("textarea[name=minutes]", "评估小组同意按 III 类实施")
    _submit(page)
    page.goto(base + change.get_absolute_url())
    _move(page, "awaiting_approval")

    # the GM approves with his password; the MR appoints the coordinator
    _as(page, base, "gm")
    page.goto(base + change.get_absolute_url())
    _move(page, "implementing", password=DEMO_PASSWORD)
    change.refresh_from_db()
    assert change.status == S.IMPLEMENTING
    _as(page, base, "mr")
    page.goto(base + reverse("changes:coordinator", args=[change.pk]))
    page.select_option("select[name=coordinator]", str(people["engineering"].pk))
    _submit(page)

    # production is held: the lot's move is refused with the change's number
    _as(page, base, "production")
    page.goto(base + the_lot.get_absolute_url())
    assert change.number in page.locator('[data-move-blocked="in_process"]').inner_text()

    # two departments' tasks; production's slips with its report
    _as(page, base, "engineering")
    for code in ("production", "quality"):
        department = Department.objects.get(code=code)
        page.goto(base + reverse("changes:task_add", args=[change.pk]))
        page.select_option("select[name=department]", str(department.pk))
        page.select_option("select[name=responsible]", str(department.manager_id))
        page.fill("textarea[name=description]", f"{department.name}落实新参数")
        page.fill("input[name=working_days]", "3")
        _submit(page)
    tasks = {task.department.code: task for task in change.tasks.select_related("department")}
    _as(page, base, "production")
    page.goto(base + reverse("changes:task_slip", args=[change.pk, tasks["production"].pk]))
    page.fill("textarea[name=reason]", "新模温机交付推迟")
    page.fill("input[name=new_date]", (timezone.localdate() + dt.timedelta(days=30)).isoformat())
    _submit(page)
    assert "新模温机交付推迟" in page.locator(f"#task-{tasks['production'].pk}").inner_text()
    for code in ("production", "quality"):
        _as(page, base, code)
        page.goto(base + reverse("changes:task_done", args=[change.pk, tasks[code].pk]))
        page.fill("textarea[name=result]", "已完成")
        _submit(page)

    # the execution report, by the coordinator
    _as(page, base, "engineering")
    page.goto(base + change.get_absolute_url())
    _move(page, "awaiting_confirmation", execution_report="两部门任务均已完成，首批产品检验合格。")
    change.refresh_from_db()
    assert change.status == S.AWAITING_CONFIRMATION

    # the MR: the customer's notification holds the confirmation until it is on record
    _as(page, base, "mr")
    page.goto(base + change.get_absolute_url())
    assert f"客户 {customer.name} 要求变更须通知顾客" in page.locator('[data-move-blocked="confirmed"]').inner_text()
    page.goto(base + reverse("changes:notify_customer", args=[change.pk]))
    page.select_option("select[name=customer]", str(customer.pk))
    page.fill("input[name=notified_at]", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=means]", "函件")
    _submit(page)
    page.goto(base + reverse("changes:announce", args=[change.pk]))
    page.fill("input[name=effective_date]", timezone.localdate().isoformat())
    _submit(page)
    page.goto(base + change.get_absolute_url())
    _move(page, "confirmed", password=DEMO_PASSWORD)
    change.refresh_from_db()
    assert change.status == S.CONFIRMED

    # released: the lot moves on
    _as(page, base, "production")
    page.goto(base + the_lot.get_absolute_url())
    page.click('button[data-move="in_process"]')
    page.wait_for_load_state("domcontentloaded")
    the_lot.refresh_from_db()
    assert the_lot.current.sequence == 20

    # the change's pages fit a phone and a laptop
    _as(page, base, "mr")
    problems = []
    urls = [reverse("changes:list"), *(f"{change.get_absolute_url()}?tab={tab}" for tab in
                                         ("overview", "risks", "opinions", "implementation", "release"))]
    for width in (LAPTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        for url in urls:
            assert page.goto(base + url).status == 200, url
            result = page.evaluate(OVERFLOW_JS)
            if result["scrollWidth"] > result["width"]:
                problems.append(f"{width}px {url}: {result['scrollWidth']}px wide; {result['elements']}")
    assert not problems, "\n".join(problems)
