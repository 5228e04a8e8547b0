"""The customer pool (PROCEDURES.md §1): claiming with its limits and reclaim block, two people claiming at once,
release, bulk transfer (all or nothing, audited), the automatic return and its single warning, the beat
schedule, the pool page, the 归属记录 tab and 我的待办."""
import datetime as dt
import threading
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from customers import tasks
from customers.models import Contact, Customer, CustomerPolicy, FollowUpKind, OwnershipChange, OwnershipKind
from customers.services import pool
from customers.services.records import create_customer, record_follow_up
from qms import audit
from qms.notifications import Notification
from qms.people import Department, Role, User, role_group
from qms.refusals import Refused
from qms.registry import my_work
from qms.tests.cases import assert_queries_at_most, count_queries

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def local(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def make(by, *, owner=None, to_pool=False, grade="C", name=None):
    name = name or f"客户池测试{Customer.all_objects.count() + 1}号有限公司"
    return create_customer(by=by, owner=owner, to_pool=to_pool, name=name, grade=grade)


def pooled(people, name=None):
    return make(people["sales"], to_pool=True, name=name)


def set_policy(**values):
    policy = CustomerPolicy.current()
    for key, value in values.items():
        setattr(policy, key, value)
    policy.save()
    return policy


def refusal(fn, *args, **kwargs) -> str:
    with pytest.raises(Refused) as caught:
        fn(*args, **kwargs)
    return str(caught.value)


# --- claim ----------------------------------------------------------------------------------------------
def test_a_salesperson_claims_a_pool_customer_on_record(people):
    customer = pooled(people)

    change = pool.claim(customer, people["sales2"])

    customer.refresh_from_db()
    assert customer.owner == people["sales2"] and customer.pool_entered_at is None and customer.owner_since
    assert (change.kind, change.from_owner, change.to_owner, change.by) == (
        OwnershipKind.CLAIMED, None, people["sales2"], people["sales2"])
    owner_change = next(row for row in audit.history_for(customer) if row["name"] == "owner")
    assert owner_change["new"] == people["sales2"].display_name
    assert owner_change["user"] == people["sales2"].display_name and owner_change["reason"] == "从客户池领取"


def test_a_customer_with_an_owner_cannot_be_claimed(people):
    customer = make(people["sales"])
    assert refusal(pool.claim, customer, people["sales2"]) == "该客户已有负责人"


def test_only_salespeople_claim(people):
    customer = pooled(people)
    for code in ("quality", "service", "admin"):
        assert refusal(pool.claim, customer, people[code]) == "只有销售人员可以领取客户池中的客户。"
    assert Customer.objects.get(pk=customer.pk).owner is None


def test_the_holding_limit_stops_a_claim(people):
    set_policy(claim_limit=2)
    make(people["sales2"]), make(people["sales2"])
    customer = pooled(people)

    message = refusal(pool.claim, customer, people["sales2"])

    assert message == "您名下已有 2 个客户，已达到持有上限 2 个，不能再领取。"
    pool.claim(customer, people["sales"])  # another salesperson is below the limit


def test_the_daily_claim_limit_counts_the_local_calendar_day(people):
    set_policy(daily_claim_limit=2)
    customers = [pooled(people) for _ in range(4)]
    with time_machine.travel(local(2026, 3, 2, 0, 30), tick=False):  # just after midnight in Shanghai
        pool.claim(customers[0], people["sales2"])
    with time_machine.travel(local(2026, 3, 2, 23, 50), tick=False):
        pool.claim(customers[1], people["sales2"])
        assert refusal(pool.claim, customers[2], people["sales2"]) == \
            "您今天已领取 2 个客户，已达到每日领取上限 2 个。"
    with time_machine.travel(local(2026, 3, 3, 0, 10), tick=False):
        pool.claim(customers[2], people["sales2"])
    assert Customer.objects.filter(owner=people["sales2"]).count() == 3


def test_a_customer_returned_from_a_salesperson_is_blocked_for_them_only(people):
    set_policy(reclaim_block_days=30)
    with time_machine.travel(T0, tick=False):
        customer = make(people["sales2"])
        pool.release(customer, people["sales2"], "客户暂无需求")
    with time_machine.travel(T0 + dt.timedelta(days=29), tick=False):
        assert refusal(pool.claim, customer, people["sales2"]) == "该客户于 2026-03-02 从您名下回收，30 天内不能再次领取"
    with time_machine.travel(T0 + dt.timedelta(days=30, minutes=1), tick=False):
        pool.claim(customer, people["sales2"])
    assert Customer.objects.get(pk=customer.pk).owner == people["sales2"]


def test_an_automatic_return_blocks_the_former_owner(people):
    with time_machine.travel(T0, tick=False):
        customer = make(people["sales2"])
    with time_machine.travel(T0 + dt.timedelta(days=31), tick=False):
        assert pool.return_due_customers() == 1
        customer.refresh_from_db()
        assert refusal(pool.claim, customer, people["sales2"]).startswith("该客户于 2026-04-02 从您名下回收")
        pool.claim(customer, people["sales"])


@pytest.mark.django_db(transaction=True)
def test_two_salespeople_claiming_the_same_customer_at_once_one_wins(people):
    customer = pooled(people)
    contenders = [people["sales"], people["sales2"]]
    barrier = threading.Barrier(2)
    outcomes = {}

    def attempt(user):
        try:
            mine = Customer.objects.get(pk=customer.pk)  # each saw it in the pool
            barrier.wait()
            pool.claim(mine, user)
            outcomes[user.username] = "won"
        except Refused as refused:
            outcomes[user.username] = str(refused)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes.values()) == ["won", "该客户已被他人领取"]
    winner = next(user for user in contenders if outcomes[user.username] == "won")
    assert Customer.objects.get(pk=customer.pk).owner == winner
    assert OwnershipChange.objects.filter(customer=customer, kind=OwnershipKind.CLAIMED).count() == 1


# --- release ----------------------------------------------------------------------------------------------
def test_release_needs_a_reason_and_the_owner_or_their_managers(people):
    customer = make(people["sales2"])
    assert refusal(pool.release, customer, people["sales2"], " ") == "请填写放入客户池的原因。"
    assert refusal(pool.release, customer, people["quality"], "不想要了") == \
        "只有负责人、其部门经理、总经理或管理者代表可以把客户放入客户池。"

    change = pool.release(customer, people["sales"], "销售二转岗，客户重新分配")  # the sales manager

    customer.refresh_from_db()
    assert customer.owner is None and customer.pool_entered_at is not None
    assert (change.kind, change.from_owner, change.by, change.reason) == (
        OwnershipKind.RELEASED, people["sales2"], people["sales"], "销售二转岗，客户重新分配")
    assert Notification.objects.filter(recipient=people["sales2"], title__contains=customer.name).exists()
    assert refusal(pool.release, customer, people["gm"], "再放一次") == "该客户已在客户池中。"


# --- bulk transfer --------------------------------------------------------------------------------------
def test_bulk_transfer_moves_every_customer_and_is_audited(people):
    customers = [make(people["sales2"]) for _ in range(3)]

    moved = pool.transfer(customers, people["sales"], by=people["gm"], reason="客户区域调整")

    assert len(moved) == 3
    assert set(Customer.objects.filter(owner=people["sales"]).values_list("pk", flat=True)) == {c.pk for c in customers}
    rows = OwnershipChange.objects.filter(customer__in=customers, kind=OwnershipKind.TRANSFERRED)
    assert sorted((r.from_owner_id, r.to_owner_id, r.by_id, r.reason) for r in rows) == [
        (people["sales2"].pk, people["sales"].pk, people["gm"].pk, "客户区域调整")] * 3
    history = audit.history_for(customers[0])
    owner_change = next(row for row in history if row["name"] == "owner")
    assert (owner_change["old"], owner_change["new"], owner_change["user"], owner_change["reason"]) == (
        people["sales2"].display_name, people["sales"].display_name, people["gm"].display_name, "客户区域调整")
    assert Notification.objects.filter(recipient=people["sales"], title__contains="转给您 3 个客户").exists()
    assert Notification.objects.filter(recipient=people["sales2"], title__contains="您的 3 个客户已转给").exists()


def test_transfer_to_the_pool(people):
    customers = [make(people["sales2"]) for _ in range(2)]
    pool.transfer(customers, None, by=people["sales"], reason="离职交接")
    assert Customer.objects.filter(pk__in=[c.pk for c in customers], owner__isnull=True).count() == 2


def test_transfer_without_the_permission_is_refused(people):
    customer = make(people["sales2"])
    assert refusal(pool.transfer, [customer], people["sales"], by=people["sales2"], reason="x") == \
        "您没有批量转移客户的权限。"
    # the quality manager manages a department, but not the salespeople
    assert refusal(pool.transfer, [customer], people["sales"], by=people["quality"], reason="x") == \
        "您只能把客户转给本部门的人员或放入客户池。"
    assert refusal(pool.transfer, [customer], None, by=people["quality"], reason="x") == \
        f"您无权转移以下客户：{customer.name}。"
    assert not OwnershipChange.objects.filter(kind=OwnershipKind.TRANSFERRED).exists()
    assert not people["sales2"].has_perm("customers.transfer_customer")
    assert people["sales"].has_perm("customers.transfer_customer", customer)
    assert not people["quality"].has_perm("customers.transfer_customer", customer)


def test_transfer_is_all_or_nothing_against_the_new_owners_limit(people):
    set_policy(claim_limit=3)
    make(people["sales"]), make(people["sales"])
    customers = [make(people["sales2"]) for _ in range(2)]

    message = refusal(pool.transfer, customers, people["sales"], by=people["gm"], reason="调整")

    assert message == f"{people['sales'].display_name} 名下已有 2 个客户，再转入 2 个将超过持有上限 3 个，未转移任何客户。"
    assert Customer.objects.filter(owner=people["sales2"]).count() == 2
    assert not OwnershipChange.objects.filter(kind=OwnershipKind.TRANSFERRED).exists()
    assert refusal(pool.transfer, customers, people["sales"], by=people["gm"], reason=" ") == "请填写转移原因。"


# --- automatic return and the warning ---------------------------------------------------------------------
def test_a_customer_without_follow_up_returns_on_its_day_and_a_follow_up_pushes_it_back(people):
    with time_machine.travel(T0, tick=False):
        idle = make(people["sales2"], grade="C")  # 30 days by default
        followed = make(people["sales2"], grade="C")
        important = make(people["sales2"], grade="A")  # 90 days
    with time_machine.travel(T0 + dt.timedelta(days=20), tick=False):
        record_follow_up(followed, by=people["sales2"], kind=FollowUpKind.CALL, content="电话沟通")
    with time_machine.travel(T0 + dt.timedelta(days=30) - dt.timedelta(minutes=1), tick=False):
        assert pool.return_due_customers() == 0
    with time_machine.travel(T0 + dt.timedelta(days=30, minutes=1), tick=False):
        assert pool.return_due_customers() == 1
        assert pool.return_due_customers() == 0  # a second run the same night returns nothing twice
    idle.refresh_from_db()
    assert idle.owner is None and idle.pool_entered_at == T0 + dt.timedelta(days=30, minutes=1)
    change = OwnershipChange.objects.get(customer=idle, kind=OwnershipKind.AUTO_RETURNED)
    assert (change.from_owner, change.by, change.reason) == (people["sales2"], None, "超过 30 天未跟进，自动回收到客户池")
    assert Notification.objects.filter(recipient=people["sales2"], title=f"客户已回收到客户池：{idle.name}").exists()
    assert Customer.objects.get(pk=followed.pk).owner == people["sales2"]
    with time_machine.travel(T0 + dt.timedelta(days=50, minutes=1), tick=False):
        assert pool.return_due_customers() == 1
    assert Customer.objects.get(pk=followed.pk).owner is None
    assert Customer.objects.get(pk=important.pk).owner == people["sales2"]


def test_binned_and_pool_customers_are_not_returned(people):
    with time_machine.travel(T0, tick=False):
        binned = make(people["sales2"])
        Customer.objects.filter(pk=binned.pk).update(deleted_at=T0)
        pooled(people)
    with time_machine.travel(T0 + dt.timedelta(days=100), tick=False):
        assert pool.return_due_customers() == 0
    assert Customer.all_objects.get(pk=binned.pk).owner == people["sales2"]


def test_the_warning_is_sent_once_per_clock_period(people):
    set_policy(return_warning_days=7)
    with time_machine.travel(T0, tick=False):
        customer = make(people["sales2"], grade="C")
    warnings = Notification.objects.filter(recipient=people["sales2"], title=f"客户即将回收到客户池：{customer.name}")
    with time_machine.travel(T0 + dt.timedelta(days=22, hours=23), tick=False):  # 7 days and 1 hour left
        assert pool.warn_before_return() == 0
    with time_machine.travel(T0 + dt.timedelta(days=23, hours=1), tick=False):
        assert pool.warn_before_return() == 1
        assert pool.warn_before_return() == 0  # the task ran twice
        tasks.warn_before_return()
    with time_machine.travel(T0 + dt.timedelta(days=24), tick=False):
        assert pool.warn_before_return() == 0
    assert warnings.count() == 1
    note = warnings.get()
    assert "2026-04-01 10:00" in note.body and note.level == Notification.Level.REMINDER
    assert note.link.startswith(customer.get_absolute_url())

    with time_machine.travel(T0 + dt.timedelta(days=25), tick=False):
        record_follow_up(customer, by=people["sales2"], kind=FollowUpKind.VISIT, content="上门拜访")
    with time_machine.travel(T0 + dt.timedelta(days=49), tick=False):  # the new period: due on day 55
        assert pool.warn_before_return() == 1
    assert warnings.count() == 2


def test_the_daily_task_returns_then_warns(people):
    with time_machine.travel(T0, tick=False):
        due = make(people["sales2"])
    with time_machine.travel(T0 + dt.timedelta(days=5), tick=False):
        soon = make(people["sales2"])
    with time_machine.travel(T0 + dt.timedelta(days=30, hours=1), tick=False):
        assert tasks.pool_daily_run() == {"returned": 1, "warned": 1}
    assert Customer.objects.get(pk=due.pk).owner is None and Customer.objects.get(pk=soon.pk).owner is not None


def test_the_beat_schedule_exists_once_at_two_in_the_morning_shanghai_time():
    from django_celery_beat.models import PeriodicTask

    from qms.taskqueue import create_periodic_rows

    create_periodic_rows()  # what runs after every migrate: the declared row is created once
    create_periodic_rows()

    task = PeriodicTask.objects.get(name=tasks.SCHEDULE_NAME)
    assert task.task == "customers.tasks.pool_daily_run" and task.enabled
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("2", "0", "Asia/Shanghai")


# --- pages ----------------------------------------------------------------------------------------------
def _pool_of(people, n):
    with time_machine.travel(T0, tick=False):
        start = Customer.all_objects.count()  # §1 names are unique: a second call adds new ones
        for index in range(start, start + n):
            customer = make(people["sales"], name=f"公海客户{index:02d}有限公司")
            pool.release(customer, people["sales"], "暂无需求")


def test_the_pool_page_runs_the_same_queries_for_3_and_30_customers(people, login):
    client = login(people["sales2"])
    _pool_of(people, 3)
    client.get(reverse("customers:pool"))  # warm caches (content types, policy row)

    with count_queries() as few:
        response = client.get(reverse("customers:pool"))
    assert response.status_code == 200
    assert response.content.decode().count('class="btn btn-sm btn-primary claim-one"') == 3
    _pool_of(people, 27)
    with assert_queries_at_most(len(few)):
        response = client.get(reverse("customers:pool"))
    page = response.content.decode()
    assert page.count("claim-one") == 25  # one page
    assert people["sales"].display_name in page  # the former owner


def test_the_pool_page_shows_the_reclaim_block_instead_of_the_button(people, login):
    customer = make(people["sales2"], name="被回收的客户有限公司")
    pool.release(customer, people["sales2"], "客户暂无需求")
    page = login(people["sales2"]).get(reverse("customers:pool")).content.decode()
    assert "从您名下回收，30 天内不能再次领取" in page and f'name="one" value="{customer.pk}"' not in page
    other = login(people["sales"]).get(reverse("customers:pool")).content.decode()
    assert f'name="one" value="{customer.pk}"' in other


def test_people_who_see_the_pool_but_are_not_salespeople_get_no_claim_buttons(people, login):
    pooled(people, name="公海里的客户有限公司")
    page = login(people["service"]).get(reverse("customers:pool")).content.decode()
    assert "公海里的客户有限公司" in page and "claim-one" not in page and "pool-claim-form" not in page


def _pool_customer_with_a_contact(people):
    return create_customer(by=people["sales"], to_pool=True, name="公海里的客户有限公司",
                           contacts=[Contact(name="王经理", mobile="13812345678", is_primary=True)])


@pytest.mark.parametrize("role", ["security", "production", "quality"])
def test_staff_outside_sales_see_neither_the_pool_nor_its_customers_contacts(people, login, role):
    customer = _pool_customer_with_a_contact(people)
    contact = customer.contacts.get()
    client = login(people[role])
    refused = client.get(reverse("customers:pool"))
    assert refused.status_code == 403
    assert '<strong id="roles-needed">总经理、管理者代表、客户服务、销售</strong>' in refused.content.decode()
    assert "13812345678" not in refused.content.decode() and "公海里的客户有限公司" not in refused.content.decode()
    assert client.get(customer.get_absolute_url()).status_code == 404
    assert client.get(f"{customer.get_absolute_url()}?tab=contacts").status_code == 404
    assert client.get(reverse("customers:contact_edit", args=[customer.pk, contact.pk])).status_code == 404
    listed = client.get(reverse("customers:list"), {"in_pool": "true"}).content.decode()
    assert "公海里的客户有限公司" not in listed
    home = client.get(reverse("home")).content.decode()
    assert reverse("customers:pool") not in home  # the menu hides it
    assert client.post(reverse("customers:claim"), {"one": customer.pk}).status_code == 403


@pytest.mark.parametrize("role", ["sales2", "gm", "mr", "service"])
def test_sales_and_the_roles_that_see_every_customer_see_the_pool_and_its_contacts(people, login, role):
    customer = _pool_customer_with_a_contact(people)
    client = login(people[role])
    assert "公海里的客户有限公司" in client.get(reverse("customers:pool")).content.decode()
    assert "13812345678" in client.get(f"{customer.get_absolute_url()}?tab=contacts").content.decode()
    assert reverse("customers:pool") in client.get(reverse("home")).content.decode()


def test_the_manager_of_salespeople_sees_the_pool_without_the_sales_role(people, login):
    customer = _pool_customer_with_a_contact(people)
    region_manager = User.objects.create_user("regionmgr", full_name="区域经理")
    region = Department.objects.create(code="sales-east", name="华东销售部", manager=region_manager)
    User.objects.create_user("eastsales", full_name="华东销售", department=region).groups.add(role_group(Role.SALES))
    client = login(region_manager)
    assert "公海里的客户有限公司" in client.get(reverse("customers:pool")).content.decode()
    assert client.get(customer.get_absolute_url()).status_code == 200
    # a manager of a department without salespeople does not
    workshop = Department.objects.create(code="workshop", name="二车间", manager=people["engineering"])
    User.objects.create_user("worker1", full_name="车间工人", department=workshop).groups.add(
        role_group(Role.PRODUCTION))
    assert login(people["engineering"]).get(reverse("customers:pool")).status_code == 403


def test_claiming_from_the_page_and_the_detail_page(people, login):
    first, second, third = (pooled(people) for _ in range(3))
    client = login(people["sales2"])
    detail = client.get(first.get_absolute_url()).content.decode()
    assert 'id="claim-customer"' in detail

    response = client.post(reverse("customers:claim"), {"one": first.pk, "next": first.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == first.get_absolute_url()
    response = client.post(reverse("customers:claim"), {"ids": [second.pk, third.pk]}, follow=True)
    assert Customer.objects.filter(owner=people["sales2"]).count() == 3
    assert "已领取" in response.content.decode()

    # the sales manager still sees it (his department's), another salesperson no longer does
    response = login(people["sales"]).post(reverse("customers:claim"), {"one": second.pk}, follow=True)
    assert f"{second.name}：该客户已被他人领取" in response.content.decode()
    fourth = pooled(people)
    pool.claim(fourth, people["sales"])
    response = login(people["sales2"]).post(reverse("customers:claim"), {"one": fourth.pk}, follow=True)
    assert "所选客户中有 1 个已被他人领取或已删除。" in response.content.decode()


def test_release_from_the_detail_page(people, login):
    customer = make(people["sales2"])
    client = login(people["sales2"])
    assert 'id="release-form"' in client.get(customer.get_absolute_url()).content.decode()
    response = client.post(reverse("customers:release", args=[customer.pk]), {"reason": ""}, follow=True)
    assert "请填写放入客户池的原因。" in response.content.decode()
    client.post(reverse("customers:release", args=[customer.pk]), {"reason": "客户已倒闭"})
    assert Customer.objects.get(pk=customer.pk).owner is None
    other = make(people["sales"])
    response = login(people["sales2"]).post(reverse("customers:release", args=[other.pk]), {"reason": "x"})
    assert response.status_code == 404


def test_the_transfer_page(people, login):
    customers = [make(people["sales2"]) for _ in range(2)]
    client = login(people["sales"])
    url = reverse("customers:transfer")
    page = client.get(url, {"ids": [c.pk for c in customers]}).content.decode()
    assert page.count(" checked>") == 2

    response = client.post(f"{url}?ids={customers[0].pk}&ids={customers[1].pk}",
                           {"customers": [c.pk for c in customers], "to_owner": people["sales"].pk, "reason": ""})
    assert response.status_code == 400
    assert "请填写转移原因。" in response.content.decode() and response.content.decode().count(" checked>") == 2

    response = client.post(url, {"customers": [c.pk for c in customers], "to_pool": "on", "reason": "重新分配"})
    assert response.status_code == 302
    assert Customer.objects.filter(pk__in=[c.pk for c in customers], owner__isnull=True).count() == 2
    assert login(people["sales2"]).get(url).status_code == 403


def test_the_ownership_tab_lists_every_change(people, login):
    customer = make(people["sales2"])
    pool.release(customer, people["sales2"], "客户暂无需求")
    pool.claim(customer, people["sales"])
    page = login(people["sales"]).get(customer.get_absolute_url(), {"tab": "ownership"}).content.decode()
    assert page.count("<tr data-kind=") == 3
    assert "客户暂无需求" in page and "领取" in page and "新建" in page


def test_my_work_lists_customers_about_to_return(people):
    with time_machine.travel(T0, tick=False):
        soon = make(people["sales2"], name="快到期客户有限公司")
        make(people["sales2"], grade="A")
    with time_machine.travel(T0 + dt.timedelta(days=25), tick=False):
        from customers.work import customers_returning_to_pool

        with assert_queries_at_most(3):
            items = customers_returning_to_pool(people["sales2"])
        assert [item.title for item in items] == ["跟进客户，避免回收到客户池：快到期客户有限公司"]
        assert items[0].due == T0 + dt.timedelta(days=30) and items[0].category == "客户池"
        assert any(item.title.endswith(soon.name) for item in my_work(people["sales2"]))
        assert customers_returning_to_pool(people["sales"]) == []
