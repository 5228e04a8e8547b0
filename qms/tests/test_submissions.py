"""One-time form tokens (qms.submissions): two POSTs of one create form — a double click, a resent request,
two at the same moment — save one record; the second is sent to what the first one made."""
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from customers.models import BusinessRecord, FollowUp
from customers.tests.factories import make_customer
from qms.submissions import FIELD, SubmissionToken, new_key

ALREADY = "此表单已提交，没有重复保存。"


def follow_up(customer, token):
    return reverse("customers:follow_up_add", args=[customer.pk]), {
        "kind": "call", "occurred_at": "2026-12-01T10:00", "content": "电话确认交期", FIELD: token}


def business(customer, token):
    return reverse("customers:business_add", args=[customer.pk]), {
        "occurred_on": "2026-12-01", "amount": "12000.00", "description": "年度框架订单", FIELD: token}


CASES = [(follow_up, FollowUp, "follow_ups"), (business, BusinessRecord, "business")]


@pytest.mark.django_db
@pytest.mark.parametrize("post_of, model, tab", CASES)
def test_the_form_carries_a_token_and_a_second_post_with_it_saves_nothing_and_goes_where_the_first_went(
        people, login, post_of, model, tab):
    customer = make_customer(people["sales"], name="华南精密仪器有限公司")
    client = login(people["sales"])
    html = client.get(customer.get_absolute_url(), {"tab": tab}).content.decode()
    assert f'name="{FIELD}"' in html

    token = new_key()
    url, data = post_of(customer, token)
    first = client.post(url, data)
    assert first.status_code == 302 and model.objects.count() == 1
    second = client.post(url, data)
    assert second.status_code == 302 and second.url == first.url
    assert model.objects.count() == 1
    assert ALREADY in client.get(second.url).content.decode()
    assert SubmissionToken.objects.get(key=token).user == people["sales"]

    url, data = post_of(customer, new_key())  # the next form (a new token) is saved again
    assert client.post(url, data).status_code == 302 and model.objects.count() == 2


@pytest.mark.django_db
def test_a_form_refused_for_its_errors_gives_its_token_back(people, login):
    customer = make_customer(people["sales"], name="华南精密仪器有限公司")
    client = login(people["sales"])
    url, data = follow_up(customer, new_key())
    assert client.post(url, {**data, "content": ""}).status_code == 400
    assert not FollowUp.objects.exists() and not SubmissionToken.objects.exists()
    assert client.post(url, data).status_code == 302 and FollowUp.objects.count() == 1


@pytest.mark.django_db
def test_a_malformed_token_is_refused(people, login):
    customer = make_customer(people["sales"], name="华南精密仪器有限公司")
    url, data = follow_up(customer, "x' OR 1=1")
    assert login(people["sales"]).post(url, data).status_code == 400
    assert not FollowUp.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("post_of, model, tab", CASES)
def test_two_simultaneous_posts_of_one_form_make_one_row(people, post_of, model, tab):
    customer = make_customer(people["sales"], name="华南精密仪器有限公司")
    url, data = post_of(customer, new_key())
    start = threading.Barrier(2)
    results = [None, None]

    def send(i):
        try:
            client = Client()
            client.force_login(people["sales"])
            start.wait()
            results[i] = client.post(url, data).status_code
        except Exception as error:  # noqa: BLE001 - handed to the test thread
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == [302, 302]
    assert model.objects.filter(customer=customer).count() == 1
    assert SubmissionToken.objects.count() == 1
