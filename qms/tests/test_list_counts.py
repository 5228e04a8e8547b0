"""A list's total and figures: one grouped query, kept briefly, counted again as soon as a record changes
(issue 16)."""
import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from qms.capa.models import CapaStatus
from qms.demo import DEMO_PASSWORD
from qms.tests.capa_helpers import raised_capa, submitted_capa
from qms.tests.cases import count_queries
from qms.workflow import perform

pytestmark = pytest.mark.django_db


def _counting(queries, table):
    return [q["sql"] for q in queries.captured_queries if f'FROM "{table}"' in q["sql"] and "COUNT(" in q["sql"]]


@pytest.fixture
def counts_kept():
    cache.clear()
    with override_settings(LIST_COUNTS_SECONDS=30):
        yield
    cache.clear()


def test_paging_through_a_list_counts_it_once(people, login, counts_kept):
    for _ in range(3):
        raised_capa(people)
    client = login(people["quality"])
    with count_queries() as first:
        page = client.get(reverse("qms:capa_list"), {"scope": "all"}).content.decode()
    assert len(_counting(first, "qms_capa")) == 1 and "共 3 条" in page
    with count_queries() as again:
        page = client.get(reverse("qms:capa_list"), {"scope": "all", "sort": "title"}).content.decode()
    assert _counting(again, "qms_capa") == [] and "共 3 条" in page


def test_a_new_record_or_a_move_is_counted_at_once(people, login, counts_kept):
    capa = submitted_capa(people)
    client = login(people["quality"])
    assert "共 1 条" in client.get(reverse("qms:capa_list"), {"scope": "all"}).content.decode()
    raised_capa(people)
    page = client.get(reverse("qms:capa_list"), {"scope": "all"}).content.decode()
    assert "共 2 条" in page
    perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD)  # a guarded UPDATE, no save()
    response = client.get(reverse("qms:capa_list"), {"scope": "all"})
    by_status = {str(v["value"]): v["n"] for v in response.context["counts"][0]["values"]}
    assert by_status == {"待制定计划": 1, "实施中": 1}


def test_each_user_and_filter_has_its_own_counts(people, login, counts_kept):
    raised_capa(people)
    raised_capa(people, responsible="quality", title="来料检验漏检")
    client = login(people["quality"])
    assert "共 2 条" in client.get(reverse("qms:capa_list"), {"scope": "all"}).content.decode()
    assert "共 1 条" in client.get(reverse("qms:capa_list"), {"scope": "mine"}).content.decode()
    assert "共 1 条" in client.get(reverse("qms:capa_list"), {"scope": "all", "q": "来料"}).content.decode()


def test_a_lists_rows_link_to_their_records_and_escape_what_users_typed(people, login):
    capa = raised_capa(people, title="<b>毛刺</b> & 飞边")
    page = login(people["quality"]).get(reverse("qms:capa_list"), {"scope": "all"}).content.decode()
    assert f'<a href="{capa.get_absolute_url()}">{capa.number}</a>' in page
    assert "&lt;b&gt;毛刺&lt;/b&gt; &amp; 飞边" in page and "<b>毛刺</b>" not in page
    assert 'class="badge status-raised text-bg-warning">待制定计划</span>' in page


@pytest.fixture
def panel_kept():
    cache.clear()
    with override_settings(FILTER_PANEL_SECONDS=600):
        yield
    cache.clear()


def _option_queries(queries):
    return [q["sql"] for q in queries.captured_queries if 'FROM "customers_customeroption"' in q["sql"]]


def test_the_filter_panel_is_rendered_once_and_again_when_its_choices_change(people, login, panel_kept):
    from customers.models import CustomerOption, OptionKind

    client = login(people["gm"])
    with count_queries() as first:
        page = client.get(reverse("customers:list"), {"grade": "A"}).content.decode()
    assert _option_queries(first) and '<option value="A" selected>' in page
    with count_queries() as again:
        page = client.get(reverse("customers:list"), {"grade": "A"}).content.decode()
    assert _option_queries(again) == [] and '<option value="A" selected>' in page  # kept: no drop-down query
    # another query is another panel (its own selection)
    page = client.get(reverse("customers:list"), {"grade": "B"}).content.decode()
    assert '<option value="B" selected>' in page and '<option value="A" selected>' not in page
    # an administrator adds an industry: the next page offers it at once
    CustomerOption.objects.create(kind=OptionKind.INDUSTRY, label="低空经济", order=99)
    page = client.get(reverse("customers:list"), {"grade": "A"}).content.decode()
    assert "低空经济" in page
    # and a department renamed shows in the owner drop-down's labels (the people are listed with it)
    department = people["sales"].department
    department.name = "华东销售部"
    department.save()
    assert "华东销售部 · " in client.get(reverse("customers:list"), {"grade": "A"}).content.decode()
