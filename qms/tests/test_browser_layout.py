"""Every main page of every app in a real browser, as the GM and as a salesperson, on the demo data:

- nothing is wider than the window, at 390 px (a phone) and 1,366 px (a laptop), in Chinese and in English;
  on a phone the lists are cards (no table that scrolls sideways) and the filters are folded away;
- axe-core finds no WCAG 2 A/AA violation (colour contrast, lists, ARIA roles, labels).

One seeded database, one live server and one browser per test; each test visits every page once per
language and width.
"""
import pytest
from django.core.management import call_command

from qms.demo import DEMO_PASSWORD
from qms.people import User
from qms.registry import menu_for
from qms.tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, LAPTOP = 390, 1366
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def main_pages(user) -> list[str]:
    """Home, notifications, every page of the user's navigation, and a detail page of each record type."""
    from complaints.models import AdvisoryNotice, Complaint, ReturnOrder, SurveyCampaign
    from customers.models import Customer, Visit
    from qms.capa.models import Capa
    from renovation.models import Application, Unit, Violation

    urls = ["/", "/notifications/", f"/qms/staff/{user.pk}/"]
    for entry in menu_for(user):
        urls += [str(link["url"]) for link in entry["links"]]
    for model in (Customer, Visit, Complaint, ReturnOrder, AdvisoryNotice, SurveyCampaign, Application, Unit,
                  Violation, Capa):
        record = model.objects.order_by("pk").first()
        assert record is not None, f"the demo data has no {model.__name__}"
        urls.append(record.get_absolute_url())
    return list(dict.fromkeys(urls))


@pytest.fixture
def demo(people):
    call_command("seed_demo", verbosity=0)
    return people


def as_user(page, base, username, language):
    User.objects.filter(username=username).update(language=language)  # the user's choice wins over the browser's
    page.context.clear_cookies()
    log_in(page, base, username, DEMO_PASSWORD)


def opens(page, url, username) -> bool:
    """Open the page; the GM sees every page, a salesperson skips the records of other departments."""
    status = page.goto(url).status
    if username == "gm":
        assert status == 200, f"{url} answered {status}"
    return status == 200


# In the page: what sticks out of the window, and which tables scroll sideways (a phone shows cards instead).
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const out = [];
  if (document.documentElement.scrollWidth > width) {
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right > width + 1 && el.offsetParent !== null && !el.closest('.table-responsive, .record-tabs')) {
        out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')}`
                 + ` right=${Math.round(r.right)}: ${(el.innerText || '').slice(0, 40).replace(/\\s+/g, ' ')}`);
        if (out.length > 5) break;
      }
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, elements: out};
}"""

SIDEWAYS_TABLES_JS = """() => [...document.querySelectorAll('.table-cards')]
  .filter(el => el.scrollWidth > el.clientWidth + 1 && el.offsetParent !== null)
  .map(el => `${el.closest('[id]') ? '#' + el.closest('[id]').id : ''} ${el.scrollWidth}>${el.clientWidth}`)"""


def test_no_page_is_wider_than_the_window_on_a_phone_or_a_laptop(browser_page, live_server, demo):
    page, base = browser_page, live_server.url
    problems = []
    for username in ("gm", "sales"):
        for language in ("zh-hans", "en"):
            as_user(page, base, username, language)
            for width in (LAPTOP, PHONE):
                page.set_viewport_size({"width": width, "height": 900})
                for url in main_pages(demo[username]):
                    if not opens(page, base + url, username):
                        continue
                    result = page.evaluate(OVERFLOW_JS)
                    if result["scrollWidth"] > result["width"]:
                        problems.append(f"{username} {language} {width}px {url}: page is {result['scrollWidth']}px "
                                        f"wide; {result['elements']}")
                    if width == PHONE:
                        sideways = page.evaluate(SIDEWAYS_TABLES_JS)
                        if sideways:
                            problems.append(f"{username} {language} {width}px {url}: table scrolls sideways {sideways}")
    assert not problems, "\n".join(problems)


def test_lists_fold_their_filters_away_on_a_phone_and_show_them_on_a_laptop(browser_page, live_server, demo):
    page, base = browser_page, live_server.url
    as_user(page, base, "gm", "zh-hans")
    page.set_viewport_size({"width": PHONE, "height": 800})
    page.goto(f"{base}/complaints/")
    assert not page.locator("#filter-form").is_visible()
    # The first record is on the first screen, before any filter field.
    first_row = page.locator("table tbody tr").first.bounding_box()
    assert first_row["y"] < 800
    toggle = page.get_by_role("button", name="筛选")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    page.locator("#filter-form").wait_for(state="visible")
    assert toggle.get_attribute("aria-expanded") == "true"

    page.set_viewport_size({"width": LAPTOP, "height": 800})
    page.goto(f"{base}/complaints/")
    assert page.locator("#filter-form").is_visible()
    assert not toggle.is_visible()


def test_axe_finds_no_wcag_violation_on_the_main_pages(browser_page, live_server, demo):
    from axe_playwright_python.sync_playwright import Axe

    page, base = browser_page, live_server.url
    axe = Axe()
    found = []
    for username in ("gm", "sales"):
        as_user(page, base, username, "zh-hans")
        page.set_viewport_size({"width": LAPTOP, "height": 900})
        for url in main_pages(demo[username]):
            if not opens(page, base + url, username):
                continue
            result = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
            for violation in result.response["violations"]:
                for node in violation["nodes"]:
                    found.append(f"{username} {url}: {violation['id']} {node['target']} "
                                 f"{node.get('failureSummary', '')!r}"[:400])
    assert not found, f"{len(found)} violations:\n" + "\n".join(found)
