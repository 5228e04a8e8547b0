"""The recycle bin (PROCEDURES.md §1 回收站): delete is soft and hides the customer from every list, restore brings
it back, purge is for administrators after the retention period and anonymises what has a history."""
import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from customers.models import Contact, Customer, CustomerPolicy, FollowUp, FollowUpKind, OwnershipChange
from customers.services import recycle_bin as bin_service
from customers.services.names import fill_name_keys
from customers.services.records import create_customer, record_follow_up
from qms import audit
from qms.refusals import Refused
from qms.tests.cases import assert_num_queries, count_queries

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def make(owner, name=None, **fields):
    name = name or f"回收站测试{Customer.all_objects.count() + 1}号有限公司"
    return create_customer(by=owner, owner=owner, name=name,
                           contacts=[Contact(name="周联系", mobile="13800138000", email="zhou@example.com",
                                             is_primary=True)], **fields)


def refusal(fn, *args, **kwargs) -> str:
    with pytest.raises(Refused) as caught:
        fn(*args, **kwargs)
    return str(caught.value)


def binned(owner, *, at=T0, **kwargs):
    customer = make(owner, **kwargs)
    with time_machine.travel(at, tick=False):
        bin_service.bin_customer(customer, by=owner, reason="重复录入")
    return Customer.all_objects.get(pk=customer.pk)


# --- delete and restore ---------------------------------------------------------------------------------
def test_a_deleted_customer_leaves_every_list_and_its_page(people, login):
    customer = make(people["sales2"], name="要删除的客户有限公司")
    client = login(people["sales2"])

    response = client.post(reverse("customers:delete", args=[customer.pk]), {"reason": "重复录入"})

    assert response.status_code == 302 and response["Location"] == reverse("customers:list")
    stored = Customer.all_objects.get(pk=customer.pk)
    assert (stored.deleted_by, stored.delete_reason) == (people["sales2"], "重复录入") and stored.deleted_at
    assert not Customer.objects.filter(pk=customer.pk).exists()
    client.get(reverse("customers:list"))  # shows (and so consumes) the success message naming it
    assert "要删除的客户有限公司" not in client.get(reverse("customers:list")).content.decode()
    assert client.get(customer.get_absolute_url()).status_code == 404
    assert "要删除的客户有限公司" in client.get(reverse("customers:bin")).content.decode()
    assert any(row["reason"] == "删除客户（放入回收站）：重复录入" for row in audit.history_for(stored))


def test_deleting_needs_a_reason_and_the_owner_or_their_managers(people, login):
    customer = make(people["sales2"])
    assert refusal(bin_service.bin_customer, customer, by=people["sales2"], reason="") == "请填写删除原因。"
    assert refusal(bin_service.bin_customer, customer, by=people["service"], reason="x") == \
        "只有负责人、其部门经理、总经理或管理者代表可以删除此客户。"
    other = make(people["sales"])
    response = login(people["sales2"]).post(reverse("customers:delete", args=[other.pk]), {"reason": "x"})
    assert response.status_code == 404
    response = login(people["sales2"]).post(reverse("customers:delete", args=[customer.pk]), {"reason": ""},
                                            follow=True)
    assert "请填写删除原因。" in response.content.decode() and Customer.objects.filter(pk=customer.pk).exists()
    bin_service.bin_customer(customer, by=people["sales"], reason="客户注销")  # the sales manager
    assert refusal(bin_service.bin_customer, customer, by=people["gm"], reason="x") == "该客户已在回收站中。"


def test_restore_brings_the_customer_back(people, login):
    customer = binned(people["sales2"], name="恢复的客户有限公司")
    client = login(people["sales2"])

    response = client.post(reverse("customers:restore", args=[customer.pk]))

    assert response.status_code == 302 and response["Location"] == customer.get_absolute_url()
    restored = Customer.objects.get(pk=customer.pk)
    assert (restored.deleted_at, restored.deleted_by, restored.delete_reason, restored.owner) == (
        None, None, "", people["sales2"])
    assert "恢复的客户有限公司" in client.get(reverse("customers:list")).content.decode()
    assert any(row["reason"] == "从回收站恢复客户" for row in audit.history_for(restored))


def test_another_salesperson_neither_sees_nor_restores_a_binned_customer(people, login):
    customer = binned(people["sales"], name="别人的客户有限公司")
    client = login(people["sales2"])
    assert "别人的客户有限公司" not in client.get(reverse("customers:bin")).content.decode()
    assert client.post(reverse("customers:restore", args=[customer.pk])).status_code == 404
    assert refusal(bin_service.restore_customer, customer, by=people["sales2"]) == \
        "只有负责人、其部门经理、总经理或管理者代表可以恢复此客户。"


# --- purge ----------------------------------------------------------------------------------------------
def test_only_administrators_purge(people):
    customer = binned(people["sales2"], at=T0 - dt.timedelta(days=400))
    for code in ("sales", "sales2", "mr"):
        assert refusal(bin_service.purge_customer, customer, by=people[code], reason="过期") == \
            "只有系统管理员可以彻底删除回收站中的客户。"
    assert people["gm"].has_perm("customers.manage_recycle_bin")
    assert people["admin"].has_perm("customers.manage_recycle_bin")


def test_purge_waits_for_the_retention_period(people):
    CustomerPolicy.objects.update(recycle_retention_days=180)
    customer = binned(people["sales2"], at=T0)
    with time_machine.travel(T0 + dt.timedelta(days=179), tick=False):
        assert refusal(bin_service.purge_customer, customer, by=people["admin"], reason="过期") == \
            "客户在回收站中保留满 180 天后才能彻底删除，请于 2026-08-29 之后再操作。"
    assert refusal(bin_service.purge_customer, make(people["sales2"]), by=people["admin"], reason="x") == \
        "只能彻底删除回收站中的客户。"


def test_purging_a_customer_with_a_history_anonymises_it_and_keeps_the_trail(people):
    customer = make(people["sales2"], address="科技路 1 号", phone="010-12345678", needs="需要稳定供货")
    record_follow_up(customer, by=people["sales2"], kind=FollowUpKind.CALL, content="电话沟通")
    with time_machine.travel(T0, tick=False):
        bin_service.bin_customer(customer, by=people["sales2"], reason="客户注销")
    customer = Customer.all_objects.get(pk=customer.pk)
    with time_machine.travel(T0 + dt.timedelta(days=181), tick=False):
        assert refusal(bin_service.purge_customer, customer, by=people["gm"], reason="") == "请填写彻底删除的原因。"
        outcome = bin_service.purge_customer(customer, by=people["gm"], reason="保留期满")

    assert outcome == "anonymised"
    stored = Customer.all_objects.get(pk=customer.pk)
    assert stored.name == f"已清除客户 #{customer.pk}" and stored.name_key == f"已清除客户#{customer.pk}"
    assert (stored.address, stored.phone, stored.needs) == ("", "", "")
    assert stored.delete_reason == "[已清除] 保留期满" and stored.deleted_at is not None
    contact = Contact.objects.get(customer=stored)
    assert (contact.name, contact.mobile, contact.email, contact.is_active, contact.is_primary) == (
        "已清除", "", "", False, False)
    assert OwnershipChange.objects.filter(customer=stored).count() == 1  # the append-only history stays
    assert FollowUp.objects.filter(customer=stored).count() == 1
    history = audit.history_for(stored)
    name_change = next(row for row in history if row["name"] == "name")
    assert name_change["old"] == "回收站测试1号有限公司" and name_change["user"] == people["gm"].display_name
    assert "保留期满" in name_change["reason"]
    assert refusal(bin_service.restore_customer, stored, by=people["gm"]) == "已清除的客户不能恢复。"
    assert refusal(bin_service.purge_customer, stored, by=people["gm"], reason="再来") == "该客户已清除。"


def test_purging_a_customer_without_a_history_deletes_it(people):
    customer = Customer(name="旧系统导入客户有限公司", created_by=people["sales2"], owner=people["sales2"],
                        deleted_at=T0 - dt.timedelta(days=365), deleted_by=people["sales2"], delete_reason="重复")
    fill_name_keys(customer)
    customer.save()
    Contact.objects.create(customer=customer, name="老联系人")

    assert bin_service.purge_customer(customer, by=people["admin"], reason="保留期满") == "deleted"

    assert not Customer.all_objects.filter(pk=customer.pk).exists()
    assert not Contact.objects.filter(customer_id=customer.pk).exists()
    from pghistory.models import Events

    deletion = Events.objects.filter(pgh_obj_model="customers.Customer", pgh_obj_id=str(customer.pk),
                                     pgh_label="delete").get()
    assert deletion.pgh_context["reason"] == "彻底删除回收站中的客户“旧系统导入客户有限公司”：保留期满"


def test_the_bin_page_offers_purge_only_when_allowed_and_runs_constant_queries(people, login):
    CustomerPolicy.objects.update(recycle_retention_days=180)
    old = binned(people["sales2"], at=T0 - dt.timedelta(days=200), name="早已删除的客户有限公司")
    recent = binned(people["sales2"], name="刚删除的客户有限公司")
    client = login(people["gm"])
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=True):
        page = client.get(reverse("customers:bin")).content.decode()
        assert page.count("purge-form") == 1 and reverse("customers:purge", args=[old.pk]) in page
        assert reverse("customers:purge", args=[recent.pk]) not in page
        assert "purge-form" not in login(people["sales2"]).get(reverse("customers:bin")).content.decode()

        response = login(people["gm"]).post(reverse("customers:purge", args=[recent.pk]), {"reason": "x"}, follow=True)
        assert "请于 2026-08-29 之后再操作" in response.content.decode()
        response = client.post(reverse("customers:purge", args=[old.pk]), {"reason": "保留期满"}, follow=True)
        assert "已清除" in response.content.decode()

        with count_queries() as few:
            client.get(reverse("customers:bin"))
        for _ in range(28):
            binned(people["sales2"], at=T0 - dt.timedelta(days=200))
        with assert_num_queries(len(few)):
            page = client.get(reverse("customers:bin")).content.decode()
    assert page.count("restore-customer") == 25  # one page (the purged one has no actions)
