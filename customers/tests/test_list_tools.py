"""The customer list's ticking, bulk actions, column chooser and scenes (issue 16; qms.lists, RecordListView)."""
import io

import openpyxl
import pytest
from django.urls import reverse

from customers.models import Customer, OwnershipChange, OwnershipKind
from customers.tests.factories import make_customer
from qms import audit
from qms.lists import ListPreference, ListScene
from qms.tests.cases import assert_queries_at_most, count_queries

pytestmark = pytest.mark.django_db

LIST = "customers:list"


def rows_of(response) -> list[tuple]:
    assert response.status_code == 200, response.content[:500]
    content = b"".join(response.streaming_content)
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def offered(response) -> list[str]:
    return [action.key for action in response.context["table"].list_tools["bulk_actions"]]


def events_of(customer):
    return audit.event_model(Customer).objects.filter(pgh_obj_id=customer.pk)


def test_bulk_release_reports_each_record_refused_done_and_not_found(people, login):
    manager, member = people["sales"], people["sales2"]  # sales manages the sales department
    mine = make_customer(manager, name="甲客户")
    theirs = make_customer(member, name="乙客户")
    pooled = make_customer(None, by=manager, name="丙客户")
    unseen = make_customer(people["gm"], name="丁客户")  # the GM's: the sales manager may not see it
    events_before = {c.pk: events_of(c).count() for c in (mine, theirs, pooled, unseen)}
    client = login(manager)

    ids = [mine.pk, theirs.pk, pooled.pk, unseen.pk]
    page = client.post(reverse(LIST), {"bulk": "release", "ids": ids})
    assert page.status_code == 200  # the reason is asked once for all
    assert page.context["records"] and page.context["missing"] == 1

    response = client.post(reverse(LIST), {"bulk": "release", "ids": ids, "bulk_confirmed": "1",
                                           "bulk_form-reason": "长期无法联系"})
    assert response.status_code == 200
    outcomes = {o.pk: o for o in response.context["outcomes"]}
    assert outcomes[mine.pk].done and outcomes[theirs.pk].done
    assert not outcomes[pooled.pk].done and outcomes[pooled.pk].reason == "该客户已在客户池中。"
    assert outcomes[unseen.pk].record is None and not outcomes[unseen.pk].done
    assert outcomes[unseen.pk].reason == "未找到该记录，或您无权查看。"
    text = response.content.decode()
    assert "该客户已在客户池中。" in text and "未找到该记录，或您无权查看。" in text
    assert response.context["done"] == 2 and response.context["refused"] == 1 and response.context["missing"] == 1

    for customer in (mine, theirs):
        customer.refresh_from_db()
        assert customer.owner_id is None
        assert OwnershipChange.objects.filter(customer=customer, kind=OwnershipKind.RELEASED).count() == 1
        new_events = events_of(customer).order_by("pgh_id")[events_before[customer.pk]:]
        assert [(e.pgh_context or {}).get("reason") for e in new_events] == ["长期无法联系"]
    # refused and unseen: untouched, no audit row
    for customer in (pooled, unseen):
        assert events_of(customer).count() == events_before[customer.pk]
    unseen.refresh_from_db()
    assert unseen.owner_id == people["gm"].pk


def test_bulk_delete_without_a_reason_keeps_the_form(people, login):
    customer = make_customer(people["sales"], name="甲客户")
    client = login(people["sales"])
    response = client.post(reverse(LIST), {"bulk": "delete", "ids": [customer.pk], "bulk_confirmed": "1"})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["请填写原因。"]
    assert Customer.objects.filter(pk=customer.pk).exists()
    response = client.post(reverse(LIST), {"bulk": "delete", "ids": [customer.pk], "bulk_confirmed": "1",
                                           "bulk_form-reason": "重复录入"})
    assert [o.done for o in response.context["outcomes"]] == [True]
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert Customer.all_objects.get(pk=customer.pk).delete_reason == "重复录入"


def test_bulk_transfer_goes_through_the_transfer_service_per_customer(people, login):
    member = people["sales2"]
    first = make_customer(people["sales"], name="甲客户")
    second = make_customer(people["sales"], name="乙客户")
    already = make_customer(member, name="丙客户")
    response = login(people["gm"]).post(reverse(LIST), {
        "bulk": "transfer", "ids": [first.pk, second.pk, already.pk], "bulk_confirmed": "1",
        "bulk_form-to_owner": member.pk, "bulk_form-reason": "区域调整"})
    outcomes = {o.pk: o for o in response.context["outcomes"]}
    assert outcomes[first.pk].done and outcomes[second.pk].done
    assert not outcomes[already.pk].done and "无需转移" in outcomes[already.pk].reason
    assert set(Customer.objects.filter(owner=member).values_list("pk", flat=True)) == {first.pk, second.pk,
                                                                                        already.pk}
    assert OwnershipChange.objects.filter(kind=OwnershipKind.TRANSFERRED, to_owner=member).count() == 2


def test_a_bulk_action_the_user_lacks_is_not_offered_and_refused_on_post(people, login):
    customer = make_customer(people["sales2"], name="甲客户")
    client = login(people["sales2"])  # a salesperson: no transfer
    response = client.get(reverse(LIST))
    assert "transfer" not in offered(response)
    assert {"release", "delete", "export_selected"} <= set(offered(response))
    assert 'value="transfer"' not in response.content.decode()
    response = client.post(reverse(LIST), {"bulk": "transfer", "ids": [customer.pk], "bulk_confirmed": "1",
                                           "bulk_form-to_pool": "on", "bulk_form-reason": "x"})
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.owner_id == people["sales2"].pk
    assert "transfer" in offered(login(people["gm"]).get(reverse(LIST)))
    assert login(people["gm"]).post(reverse(LIST), {"bulk": "nonsense", "ids": [customer.pk]}).status_code == 404


def test_export_selected_writes_only_the_ticked_visible_rows(people, login):
    first = make_customer(people["sales"], name="甲客户")
    make_customer(people["sales"], name="乙客户")
    unseen = make_customer(people["gm"], name="丁客户")
    response = login(people["sales"]).post(reverse(LIST), {"bulk": "export_selected", "ids": [first.pk, unseen.pk]})
    rows = rows_of(response)
    assert [row[0] for row in rows[1:]] == ["甲客户"]


def test_the_column_chooser_hides_a_column_on_the_page_and_in_the_export_and_is_remembered(people, login):
    make_customer(people["sales"], name="甲客户", phone="010-12345678")
    client = login(people["sales"])
    page = client.get(reverse(LIST))
    names = [c["name"] for c in page.context["table"].list_tools["columns"]]
    assert "address" in names and "bulk_select" not in names
    shown = [name for name in names if name != "address"]
    response = client.get(reverse(LIST), {"scope": "mine", "columns_set": "1", "columns": shown})
    assert response.status_code == 302 and response["Location"] == reverse(LIST) + "?scope=mine"
    assert ListPreference.objects.get(user=people["sales"]).hidden_columns == ["address"]

    page = client.get(reverse(LIST))  # remembered on the next visit
    visible = [column.name for column in page.context["table"].columns]
    assert "address" not in visible and "name" in visible and visible[0] == "bulk_select"
    assert "地址" not in [str(c.header) for c in page.context["table"].columns]
    assert not next(c for c in page.context["table"].list_tools["columns"] if c["name"] == "address")["shown"]
    headers = rows_of(client.get(reverse(LIST), {"export": "xlsx"}))[0]
    assert "地址" not in headers and "客户名称" in headers
    # another user's list is as it was
    other = login(people["gm"]).get(reverse(LIST))
    assert "address" in [column.name for column in other.context["table"].columns]


def test_the_column_chooser_keeps_at_least_one_column(people, login):
    client = login(people["sales"])
    response = client.get(reverse(LIST), {"columns_set": "1"}, follow=True)
    assert "请至少保留一列。" in response.content.decode()
    assert not ListPreference.objects.exists()


def test_a_default_scene_applies_when_the_list_is_opened_without_a_query(people, login):
    make_customer(people["sales"], name="甲客户", grade="A")
    make_customer(people["sales"], name="乙客户", grade="C")
    client = login(people["sales"])
    response = client.post(reverse(LIST), {"scene_action": "save", "name": "A级客户", "query": "grade=A",
                                           "default": "1"})
    assert response.status_code == 302
    scene = ListScene.objects.get(user=people["sales"])
    assert scene.is_default and scene.query == "grade=A"

    page = client.get(reverse(LIST))
    assert [c.name for c in page.context["table"].data] == ["甲客户"]
    assert page.context["table"].list_tools["current_scene"] == scene
    # 清除 (?scene=) shows every record; another query is kept as asked
    assert len(client.get(reverse(LIST), {"scene": ""}).context["table"].data) == 2
    assert [c.name for c in client.get(reverse(LIST), {"grade": "C"}).context["table"].data] == ["乙客户"]

    client.post(reverse(LIST), {"scene_action": "save", "name": "C级", "query": "grade=C", "default": "1"})
    assert list(ListScene.objects.filter(is_default=True).values_list("name", flat=True)) == ["C级"]
    client.post(reverse(LIST), {"scene_action": "default", "scene": scene.pk})
    assert list(ListScene.objects.filter(is_default=True).values_list("name", flat=True)) == ["A级客户"]
    client.post(reverse(LIST), {"scene_action": "delete", "scene": scene.pk})
    assert list(ListScene.objects.values_list("name", flat=True)) == ["C级"]
    assert len(client.get(reverse(LIST)).context["table"].data) == 2  # no default now
    # someone else's scene cannot be touched
    other = ListScene.objects.get()
    assert login(people["gm"]).post(reverse(LIST), {"scene_action": "delete", "scene": other.pk}).status_code == 404


def test_the_list_with_preferences_and_scenes_runs_a_constant_number_of_queries(people, login):
    client = login(people["sales"])
    for n in range(3):
        make_customer(people["sales"], name=f"客户{n}号")
    client.get(reverse(LIST), {"columns_set": "1", "columns": ["name", "owner", "grade"]})
    client.post(reverse(LIST), {"scene_action": "save", "name": "全部", "query": "scope=all", "default": "1"})
    with count_queries() as few:
        assert client.get(reverse(LIST)).status_code == 200
    for n in range(3, 30):
        make_customer(people["sales"], name=f"客户{n}号")
    with assert_queries_at_most(len(few)):
        response = client.get(reverse(LIST))
    assert len(response.context["table"].page.object_list) == min(30, response.context["table"].paginator.per_page)


def test_the_pool_keeps_its_own_ticking_and_the_bin_its_order(people, login):
    make_customer(None, by=people["sales"], name="池客户")
    pool = login(people["sales"]).get(reverse("customers:pool"))
    assert "bulk_select" not in [column.name for column in pool.context["table"].columns]
    assert pool.context["table"].list_tools["bulk_actions"] == []


def test_the_users_columns_and_scenes_are_kept_until_they_change(people, login, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.LIST_CHOICES_SECONDS = 600  # as in production (the test settings read them on every request)
    client = login(people["sales"])
    client.post(reverse(LIST), {"scene_action": "save", "name": "A级客户", "query": "grade=A"})
    client.get(reverse(LIST))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse(LIST))
    assert not [q for q in queries.captured_queries if "qms_listscene" in q["sql"] or "qms_listpreference" in q["sql"]]
    scene = ListScene.objects.get()
    scene.name = "A类客户"
    scene.save()  # changed outside the list (the admin): the next page shows it
    assert [s.name for s in client.get(reverse(LIST)).context["table"].list_tools["scenes"]] == ["A类客户"]
    client.post(reverse(LIST), {"scene_action": "default", "scene": scene.pk})  # an update(): forgotten too
    assert client.get(reverse(LIST)).context["table"].list_tools["scenes"][0].is_default
