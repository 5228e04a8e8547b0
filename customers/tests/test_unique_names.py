"""§1 客户名称 is unique: the database holds it (a unique constraint on the normalised name among live
customers), the services turn a refused insert into the duplicate message, "仍然保存" only saves
near-duplicates, and the import reports a taken name as a bad row."""
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from customers.forms import CustomerForm
from customers.models import Customer
from customers.services.records import create_customer, duplicate_name_message, save_customer
from customers.services.recycle_bin import bin_customer, restore_customer
from customers.tests.factories import make_customer
from customers.tests.test_customers import create, page
from customers.tests.test_imports import errors_of, latest_batch, row, upload, xlsx
from qms.refusals import Refused

NAME = "华东精工机械有限公司"


def in_threads(count, target):
    """Run ``target(i)`` in ``count`` threads that start together, each on its own connection."""
    start = threading.Barrier(count)
    results = [None] * count

    def run(i):
        try:
            start.wait()
            results[i] = ("ok", target(i))
        except Exception as error:  # noqa: BLE001 - handed to the test thread
            results[i] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


# --- the database refuses a second live customer of one name --------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_creations_of_one_name_make_one_customer_and_the_others_get_the_message(people):
    results = in_threads(10, lambda i: create_customer(by=people["sales"], name=NAME).pk)
    saved = [value for outcome, value in results if outcome == "ok"]
    refused = [value for outcome, value in results if outcome == "error"]
    assert len(saved) == 1 and len(refused) == 9
    for error in refused:
        assert isinstance(error, ValidationError)
        assert error.message_dict == {"name": [duplicate_name_message(NAME)]}
    assert list(Customer.all_objects.values_list("pk", flat=True)) == saved


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_posts_of_the_create_page_save_one_customer_and_show_the_others_the_message(people):
    from django.test import Client

    def post(i):
        client = Client()
        client.force_login(people["sales"])
        response = create(client, name=NAME if i % 2 else f" {NAME} ")  # spaces are no other name
        return response.status_code, page(response)

    results = in_threads(10, post)
    assert [outcome for outcome, _value in results] == ["ok"] * 10, results
    statuses = sorted(status for _outcome, (status, _html) in results)
    assert statuses == [302] + [400] * 9
    for _outcome, (status, html) in results:
        if status == 400:
            assert duplicate_name_message(NAME) in html and 'id="confirm-duplicate"' not in html
    assert Customer.all_objects.count() == 1


# --- the page: an exact duplicate is refused even when confirmed; a near-duplicate may be confirmed -----------
@pytest.mark.django_db
@pytest.mark.parametrize("existing, typed", [(NAME, NAME), (NAME, "华东精工 机械有限公司"),
                                             (NAME, "华东精工机械有限公司\u3000"), ("ABC贸易有限公司", "ＡＢＣ贸易有限公司"),
                                             ("ABC贸易有限公司", "abc贸易有限公司")])
def test_confirming_an_exact_duplicate_is_refused(people, login, existing, typed):
    make_customer(people["sales2"], name=existing)
    client = login(people["sales"])
    for confirm in ("", "on"):
        response = create(client, name=typed, confirm_duplicate=confirm)
        assert response.status_code == 400
        html = page(response)
        assert 'id="duplicate-warning"' in html and "已有同名客户：" in html
        assert "客户名称不能重复" in html and 'id="confirm-duplicate"' not in html
    assert Customer.all_objects.count() == 1


@pytest.mark.django_db
def test_a_near_duplicate_is_saved_once_the_user_confirms_it(people, login):
    make_customer(people["sales2"], name=NAME)
    client = login(people["sales"])
    response = create(client, name="华东精工机械股份有限公司")
    assert response.status_code == 400 and 'id="confirm-duplicate"' in page(response)
    assert "已有名称相近的客户" in page(response)
    assert create(client, name="华东精工机械股份有限公司", confirm_duplicate="on").status_code == 302
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["华东精工机械有限公司", "华东精工机械股份有限公司"]


@pytest.mark.django_db
def test_a_name_saved_by_someone_else_after_the_check_is_refused_with_the_message_not_an_error_page(
        people, login, monkeypatch):
    make_customer(people["sales2"], name=NAME)
    monkeypatch.setattr(CustomerForm, "exact_duplicates", lambda self, name: [])  # the check ran before it existed
    response = create(login(people["sales"]), name=NAME, confirm_duplicate="on")
    assert response.status_code == 400
    assert duplicate_name_message(NAME) in page(response)
    assert Customer.all_objects.count() == 1


@pytest.mark.django_db
def test_renaming_a_customer_to_a_taken_name_is_refused(people, login):
    make_customer(people["sales"], name=NAME)
    other = make_customer(people["sales"], name="西南精工机械有限公司")
    response = login(people["sales"]).post(reverse("customers:edit", args=[other.pk]),
                                           {"name": NAME, "confirm_duplicate": "on"})
    assert response.status_code == 400 and duplicate_name_message(NAME) in page(response)
    other.name = NAME
    with pytest.raises(ValidationError):
        save_customer(other, by=people["sales"])
    assert Customer.objects.get(pk=other.pk).name == "西南精工机械有限公司"


# --- the recycle bin: binned customers do not hold their name; restoring one whose name was taken is refused --
@pytest.mark.django_db
def test_a_binned_customers_name_may_be_used_again_and_its_restore_is_then_refused(people):
    binned = make_customer(people["sales"], name=NAME)
    bin_customer(binned, by=people["sales"], reason="录入错误")
    again = create_customer(by=people["sales"], name=NAME)
    assert Customer.objects.get().pk == again.pk
    with pytest.raises(Refused, match="已有同名客户“华东精工机械有限公司”，不能恢复"):
        restore_customer(binned, by=people["sales"])
    assert Customer.all_objects.get(pk=binned.pk).deleted_at is not None


# --- the import: a name taken meanwhile is a bad row with its column and reason -----------------------------------
@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.django_db
def test_an_import_row_whose_name_is_taken_exactly_is_a_bad_row(people, login, media):
    make_customer(people["sales2"], name=NAME)
    manager = login(people["sales"])
    upload(manager, xlsx([row(客户名称="南京玄武科技有限公司"), row(客户名称="华东精工机械 有限公司")]))
    assert errors_of(latest_batch()) == [(3, "客户名称", "与已有客户重复：华东精工机械有限公司（负责人 钱销售）")]


@pytest.mark.django_db
@pytest.mark.parametrize("good_rows_only", [False, True])
def test_an_import_row_whose_name_was_taken_after_the_check_is_reported_with_its_column(
        people, login, media, monkeypatch, good_rows_only):
    manager = login(people["sales"])
    upload(manager, xlsx([row(客户名称="南京玄武科技有限公司"), row(客户名称=NAME)]))
    batch = latest_batch()
    assert batch.error_rows == 0
    make_customer(people["sales2"], name=NAME)  # saved by someone else meanwhile …
    monkeypatch.setattr("customers.imports.CustomerImportForm._duplicates", lambda self, name: [])  # … unseen
    monkeypatch.setattr("customers.imports.taken_name_keys", lambda keys: set())  # by the commit's check as well
    data = {"good_rows_only": "1"} if good_rows_only else {}
    manager.post(reverse("qms:import_commit", args=[batch.pk]), data)
    batch.refresh_from_db()
    assert errors_of(batch) == [(3, "客户名称", duplicate_name_message(NAME))]
    expected = ["华东精工机械有限公司", "南京玄武科技有限公司"] if good_rows_only else ["华东精工机械有限公司"]
    assert sorted(Customer.objects.values_list("name", flat=True)) == sorted(expected)
