"""Done means (issue 20), in a browser: the GM calls a review and approves its plan with his password, two
departments write their input reports beside their automatic figures, the pack is distributed, the meeting is
recorded, the report is reviewed and approved with signatures, and its output is raised as a CAPA with its
clock; every page fits 390 px and 1,366 px."""
import datetime as dt

import pytest
from django.utils import timezone

from qms.demo import DEMO_PASSWORD
from qms.tests.browser import log_in
from qms.tests.test_browser_layout import LAPTOP, OVERFLOW_JS, PHONE
from qms.workflow import perform
from reviews.models import InputItem, InputStatus, Review, ReviewStatus
from reviews.services import plans

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def as_user(page, base, username):
    page.context.clear_cookies()
    log_in(page, base, username, DEMO_PASSWORD)


def move(page, to, password=None, reason=None):
    page.click(f'button[data-move="{to}"]')
    if password or reason:
        modal = page.locator(f"#move-{to}")
        if password:
            modal.locator("input[name=password]").fill(password)
        if reason:
            modal.locator("textarea[name=reason]").fill(reason)
        modal.locator("button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")


def test_a_review_from_plan_to_outputs_raised_as_capa(browser_page, live_server, people, monkeypatch):
    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kwargs: True)
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": LAPTOP, "height": 900})

    # the GM calls an extra review for a major complaint
    as_user(page, base, "gm")
    page.goto(base + "/reviews/extra/")
    page.select_option("select[name=trigger]", "complaint")
    page.fill("textarea[name=trigger_note]", "某大客户对批次 B2611 提出重大投诉")
    meeting = timezone.localtime() + dt.timedelta(days=30)
    page.fill("input[name=meeting_at]", meeting.strftime("%Y-%m-%dT09:00"))
    page.click("#reviews-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    review = Review.objects.get()
    assert "均按日历日计算" in page.locator("#calendar-note").inner_text()

    as_user(page, base, "mr")
    page.goto(base + review.get_absolute_url())
    move(page, ReviewStatus.AWAITING_APPROVAL)
    as_user(page, base, "gm")
    page.goto(base + review.get_absolute_url())
    move(page, ReviewStatus.ISSUED, password=DEMO_PASSWORD)
    review.refresh_from_db()
    assert review.status == ReviewStatus.ISSUED

    # two departments write their input reports, their figures beside the text
    for username, item, text in (("service", InputItem.FEEDBACK, "本期重大投诉 1 起，已处理关闭。"),
                                 ("quality", InputItem.CAPA, "纠正预防措施均按期实施。")):
        report = review.input_reports.get(item=item)
        as_user(page, base, username)
        page.goto(base + report.get_absolute_url())
        assert page.locator("#input-figures svg").count() >= 1
        page.click("#write-input")
        page.fill("textarea[name=text]", text)
        page.click("#reviews-form button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        move(page, InputStatus.SUBMITTED)
        assert text in page.locator("#input-text").inner_text()
    for report in review.input_reports.exclude(status=InputStatus.SUBMITTED).select_related("responsible"):
        plans.save_text(report, report.responsible, text="本期情况正常。")
        perform(report, InputStatus.SUBMITTED, report.responsible)

    as_user(page, base, "mr")
    page.goto(base + review.get_absolute_url())
    move(page, ReviewStatus.PACK_DISTRIBUTED)
    page.goto(base + review.get_absolute_url() + "?tab=meeting")
    page.click("#record-meeting")
    for username in ("gm", "mr", "quality", "service"):
        page.check(f'input[name=present][value="{people[username].pk}"]')
    page.check(f'input[name=apologies][value="{people["hr"].pk}"]')
    page.fill("textarea[name=note_feedback]", "重大投诉已处理，需加强来料检验。")
    page.fill("textarea[name=conclusion]", "体系总体适宜、充分、有效。")
    page.click("#reviews-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    move(page, ReviewStatus.MEETING_HELD)
    page.goto(base + review.get_absolute_url() + "?tab=report")
    page.click("#write-report")
    for name, text in (("result_system", "修订来料检验规程"), ("result_product", "改进滴斗"),
                       ("result_resources", "增加拉力试验机"), ("result_market", "无")):
        page.fill(f"textarea[name={name}]", text)
    page.click("#reviews-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    page.click("#add-output")
    page.select_option("select[name=section]", "system")
    page.fill("input[name=title]", "修订来料检验规程")
    page.fill("textarea[name=description]", "增加滴斗应力检验；品质部验证。")
    page.select_option("select[name=department]", str(people["quality"].department_id))
    page.select_option("select[name=responsible]", str(people["quality"].pk))
    page.click("#reviews-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    move(page, ReviewStatus.REPORT_REVIEWED, password=DEMO_PASSWORD)

    as_user(page, base, "gm")
    page.goto(base + review.get_absolute_url())
    move(page, ReviewStatus.REPORT_APPROVED, password=DEMO_PASSWORD)
    as_user(page, base, "mr")
    page.goto(base + review.get_absolute_url())
    move(page, ReviewStatus.OUTPUTS_RAISED)
    page.goto(base + review.get_absolute_url() + "?tab=report")
    review.refresh_from_db()
    capa = review.outputs.get().capa
    outputs = page.locator("#review-outputs").inner_text()
    assert capa.number in outputs and "待制定计划" in outputs
    due = timezone.localtime(capa.raised_at + dt.timedelta(days=7))
    assert f"{due:%Y-%m-%d %H:%M}" in outputs  # the 7-day measures clock

    problems = []
    urls = [review.get_absolute_url() + f"?tab={tab}" for tab in ("overview", "inputs", "pack", "meeting", "report")]
    urls += ["/reviews/", "/reviews/year/", "/reviews/pack/",
             review.input_reports.get(item=InputItem.FEEDBACK).get_absolute_url()]
    for width in (LAPTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        for url in urls:
            assert page.goto(base + url).status == 200, url
            result = page.evaluate(OVERFLOW_JS)
            if result["scrollWidth"] > result["width"]:
                problems.append(f"{width}px {url}: {result['scrollWidth']}px wide; {result['elements']}")
    assert not problems, "\n".join(problems)
