"""Customer choosers of forms (``qms.widgets.SearchSelect``): the page carries only the chosen customer, however
many the user may see; the search box asks ``customers:choices``, which finds only customers the user may see
(and, for contracts and opportunities, only those someone keeps); what is posted is still checked."""
import re

import pytest
from django.urls import reverse

from customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db


def options_of(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no <select id={select_id}>"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def test_the_contract_form_lists_no_customers_until_searched_and_the_chosen_one_when_given(people, login):
    customers = [make_customer(people["sales"], name=f"杭州第{i}人民医院") for i in range(25)]
    client = login(people["gm"])
    page = client.get(reverse("customers:contract_create")).content.decode()
    assert options_of(page, "id_customer") == [""]
    assert 'data-search-url="/customers/choices/?kept=1"' in page
    page = client.get(reverse("customers:contract_create"), {"customer": customers[3].pk}).content.decode()
    assert options_of(page, "id_customer") == ["", str(customers[3].pk)]


def test_the_search_finds_only_customers_the_user_may_see(people, login):
    mine = make_customer(people["sales2"], name="武汉协和医院设备处")
    theirs = make_customer(people["sales"], name="武汉协和医院药剂科")  # the sales manager's own
    pooled = make_customer(None, by=people["sales2"], name="武汉协和医院后勤处")
    url = reverse("customers:choices")

    def found(user, **params):
        return {row["id"] for row in login(user).get(url, params).json()["results"]}

    assert found(people["sales2"], q="协和") == {mine.pk, pooled.pk}  # the manager's customer is not hers
    assert found(people["sales2"], q="协和", kept="1") == {mine.pk}  # a contract needs a kept customer
    assert found(people["gm"], q="whxh") == {mine.pk, theirs.pk, pooled.pk}  # pinyin initials, as the list
    assert found(people["gm"], q="") == set()


def test_a_customer_the_user_may_not_see_is_refused_when_posted(people, login):
    theirs = make_customer(people["sales"], name="南京鼓楼医院")
    response = login(people["sales2"]).post(reverse("customers:opportunity_create"), {
        "customer": theirs.pk, "title": "监护仪更新", "stage": "lead", "expected_amount": "1000",
        "expected_close_on": "2027-01-31", "owner": people["sales2"].pk})
    assert response.status_code == 400
    assert "请选择您负责或可查看的客户。" in response.content.decode()
    assert options_of(response.content.decode(), "id_customer") == [""]  # nothing about it is shown
