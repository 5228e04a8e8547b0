"""The customer pages (PROCEDURES.md §1): create / edit validation, near-duplicates, lists, visibility,
detail tabs (contacts, follow-ups, status, business records) and their audit rows."""
import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from customers.models import BusinessRecord, Contact, Customer, CustomerOption, CustomerPolicy, OptionKind
from customers.tests.factories import make_contact, make_customer
from qms import audit
from qms.tests.cases import assert_queries_at_most, count_queries
from qms.tests.plans import index_only_plan

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MOBILE_MESSAGE = "请输入有效的中国大陆手机号码（11 位数字）。"


def form_data(**overrides):
    data = {"name": "华东精工机械有限公司", "postcode": "200120", "address": "世纪大道 100 号", "action": "save",
            "contact-name": "", "contact-mobile": "", "contact-email": "", "contact-qq": ""}
    data.update(overrides)
    return data


def create(client, **overrides):
    return client.post(reverse("customers:create"), form_data(**overrides))


def page(response) -> str:
    return response.content.decode()


# --- create: validation -------------------------------------------------------------------------------------
def test_an_empty_name_is_refused_with_the_procedures_message(people, login):
    response = create(login(people["sales2"]), name="")
    assert response.status_code == 400
    assert "请填写客户名" in page(response)
    assert not Customer.all_objects.exists()


def test_a_name_of_51_characters_is_refused(people, login):
    response = create(login(people["sales2"]), name="长" * 51)
    assert response.status_code == 400
    assert "客户名称不能超过 50 个字符" in page(response)
    assert create(login(people["sales2"]), name="长" * 50).status_code == 302


@pytest.mark.parametrize("postcode", ["20012", "2001200", "20012a"])
def test_a_postcode_must_be_six_digits(people, login, postcode):
    response = create(login(people["sales2"]), postcode=postcode)
    assert response.status_code == 400
    assert "邮编应为 6 位数字。" in page(response)


def test_a_qq_number_with_letters_is_refused(people, login):
    response = create(login(people["sales2"]), **{"contact-name": "王经理", "contact-qq": "12345abc"})
    assert response.status_code == 400
    assert "QQ 号只能是数字，最多 20 位。" in page(response)
    assert not Customer.all_objects.exists()


@pytest.mark.parametrize("mobile", ["12345678901", "1380013800", "138001380001", "abcdefghijk", "²3800138000",
                                    "01380013800", "17951380013"])
def test_an_invalid_mainland_mobile_is_refused(people, login, mobile):
    response = create(login(people["sales2"]), **{"contact-name": "王经理", "contact-mobile": mobile})
    assert response.status_code == 400
    assert MOBILE_MESSAGE in page(response)


def test_the_primary_contact_is_saved_with_the_customer(people, login):
    response = create(login(people["sales2"]), **{"contact-name": "王经理", "contact-mobile": "138 0013 8000",
                                                  "contact-email": "wang@example.com", "contact-qq": "123456"})
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.owner == people["sales2"] and customer.created_by == people["sales2"]
    contact = customer.contacts.get()
    assert (contact.name, contact.mobile, contact.is_primary) == ("王经理", "13800138000", True)


def test_contact_fields_need_a_contact_name_and_a_valid_email(people, login):
    response = create(login(people["sales2"]), **{"contact-mobile": "13800138000", "contact-email": "not-an-email"})
    assert response.status_code == 400
    assert "请填写联系人姓名。" in page(response)
    assert "请输入有效的邮箱地址。" in page(response)


def test_the_city_must_belong_to_the_chosen_province(people, login):
    client = login(people["sales2"])
    response = create(client, province="11", city="4403")  # 北京市 / 深圳市
    assert response.status_code == 400
    assert "所选城市不属于北京市。" in page(response)
    assert create(client, province="44", city="4403").status_code == 302
    assert Customer.objects.get().city.name == "深圳市"


def test_the_city_list_waits_for_a_province_instead_of_listing_every_city(people, login):
    html = page(login(people["sales2"]).get(reverse("customers:create")))
    cities = html[html.index('name="city"'):]
    cities = cities[:cities.index("</select>")]
    assert cities.count("<option") == 1 and "请先选择省份" in cities and "深圳市" not in cities
    customer = make_customer(people["sales2"], province_id="44", city_id="4403")
    html = page(login(people["sales2"]).get(reverse("customers:edit", args=[customer.pk])))
    cities = html[html.index('name="city"'):]
    cities = cities[:cities.index("</select>")]
    assert "深圳市" in cities and "广州市" in cities and "朝阳区" not in cities


def test_the_cities_endpoint_lists_the_provinces_cities(people, login):
    data = login(people["sales2"]).get(reverse("customers:cities"), {"province": "11"}).json()
    names = [row["name"] for row in data["cities"]]
    assert "朝阳区" in names and "深圳市" not in names


def test_someone_outside_sales_and_service_may_not_create_customers(people, login):
    client = login(people["quality"])
    assert client.get(reverse("customers:create")).status_code == 403
    assert create(client).status_code == 403
    assert "新建客户" not in page(client.get(reverse("home")))
    assert "新建客户" in page(login(people["sales2"]).get(reverse("home")))


def test_a_salesperson_may_only_make_themselves_the_owner(people, login):
    response = create(login(people["sales2"]), owner=str(people["sales"].pk))
    assert response.status_code == 400
    assert not Customer.all_objects.exists()
    # the sales manager may register a customer for a member of his department
    assert create(login(people["sales"]), owner=str(people["sales2"].pk)).status_code == 302
    assert Customer.objects.get().owner == people["sales2"]


def test_put_into_the_pool_on_creation(people, login):
    assert create(login(people["sales2"]), to_pool="on").status_code == 302
    customer = Customer.objects.get()
    assert customer.owner is None and customer.pool_entered_at is not None


# --- near-duplicates ---------------------------------------------------------------------------------------
# (the same name with other spaces, "北京\u3000信息科技有限公司", is no near-duplicate but the same name: test_unique_names)
@pytest.mark.parametrize("typed", ["北京 信息科技股份有限公司", "北京信息科技（集团）有限公司", "北京信息科技有限责任公司"])
def test_a_near_duplicate_name_is_flagged_before_saving(people, login, typed):
    existing = make_customer(people["sales"], name="北京信息科技有限公司")
    client = login(people["sales"])
    response = create(client, name=typed, postcode="100080", address="中关村大街 1 号")
    assert response.status_code == 400
    html = page(response)
    assert 'id="duplicate-warning"' in html
    assert "北京信息科技有限公司" in html and existing.owner.display_name in html
    assert "仍然保存" in html
    assert 'value="100080"' in html and "中关村大街 1 号" in html  # what was typed is kept
    assert Customer.all_objects.count() == 1

    assert create(client, name=typed, confirm_duplicate="on").status_code == 302
    assert Customer.all_objects.count() == 2


def test_full_width_characters_are_folded_for_duplicates(people, login):
    make_customer(people["sales"], name="ABC贸易有限公司")
    response = create(login(people["sales"]), name="ＡＢＣ贸易有限公司")
    assert response.status_code == 400 and 'id="duplicate-warning"' in page(response)


# --- save / save and new ------------------------------------------------------------------------------------
def test_save_returns_to_the_list_and_save_and_new_to_a_fresh_form(people, login):
    client = login(people["sales2"])
    response = create(client, name="甲公司", action="save")
    assert response.status_code == 302 and response.url == reverse("customers:list")

    response = create(client, name="乙公司", action="save_new")
    assert response.status_code == 302 and response.url == reverse("customers:create")
    fresh = client.get(response.url)
    html = page(fresh)
    assert "已保存客户“乙公司”。" in html
    assert fresh.context["form"].is_bound is False and "乙公司" not in str(fresh.context["form"]["name"].value() or "")
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["乙公司", "甲公司"]


# --- list: search, scopes, visibility, queries, export ------------------------------------------------------
def names_in(response):
    return sorted(row.record.name for row in response.context["table"].page.object_list)


def test_quick_search_finds_names_by_pinyin_initials(people, login):
    make_customer(people["sales"], name="北京信息技术有限公司")
    make_customer(people["sales"], name="上海贸易有限公司")
    client = login(people["sales"])
    assert names_in(client.get(reverse("customers:list"), {"q": "bjxx"})) == ["北京信息技术有限公司"]
    assert names_in(client.get(reverse("customers:list"), {"q": "BeiJing"})) == ["北京信息技术有限公司"]
    assert names_in(client.get(reverse("customers:list"), {"q": "贸易"})) == ["上海贸易有限公司"]


def test_quick_search_can_use_its_trigram_indexes_instead_of_reading_every_customer():
    from customers.filtersets import CustomerFilter

    # all_objects: Customer.objects adds "deleted_at IS NULL", which the partial unique index on live names
    # answers by itself; on this empty table the planner would read that index whole instead of the trigram ones
    plan = index_only_plan(CustomerFilter({"q": "bjxx"}, queryset=Customer.all_objects.all()).qs)
    for index in ("customer_name_upper_trgm", "customer_name_key_trgm", "customer_pinyin_trgm",
                  "customer_initials_trgm"):
        assert f"Bitmap Index Scan on {index} " in plan, plan
    assert "Seq Scan" not in plan


def test_filters_by_industry_and_owner(people, login):
    industry = CustomerOption.objects.get(kind=OptionKind.INDUSTRY, label="电子商务")
    make_customer(people["sales"], name="电商一号", industry=industry)
    make_customer(people["sales2"], name="外贸二号")
    client = login(people["sales"])
    assert names_in(client.get(reverse("customers:list"), {"industry": industry.pk})) == ["电商一号"]
    assert names_in(client.get(reverse("customers:list"), {"owner": people["sales2"].pk})) == ["外贸二号"]


def _created(customer, when):
    Customer.objects.filter(pk=customer.pk).update(created_at=when, owner_since=when, updated_at=when)


def test_scopes_use_local_calendar_days(people, login):
    # Wednesday 18 March 2026, 10:00 in Shanghai
    with time_machine.travel(dt.datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI), tick=False):
        local = lambda *a: dt.datetime(*a, tzinfo=SHANGHAI)  # noqa: E731
        owner = people["sales"]
        _created(make_customer(owner, name="今天凌晨"), local(2026, 3, 18, 0, 30))  # still 17 March in UTC
        _created(make_customer(owner, name="昨天深夜"), local(2026, 3, 17, 23, 50))
        _created(make_customer(owner, name="本周一"), local(2026, 3, 16, 9, 0))
        _created(make_customer(owner, name="上周日"), local(2026, 3, 15, 20, 0))
        _created(make_customer(owner, name="本月一日"), local(2026, 3, 1, 8, 0))
        _created(make_customer(owner, name="上月"), local(2026, 2, 27, 8, 0))
        _created(make_customer(people["sales2"], name="别人的"), local(2026, 3, 18, 9, 0))
        Customer.objects.update(updated_at=local(2026, 1, 1, 8, 0))
        client = login(owner)

        def scope(key):
            return names_in(client.get(reverse("customers:list"), {"scope": key}))

        assert scope("today") == sorted(["今天凌晨", "别人的"])
        assert scope("week") == sorted(["今天凌晨", "别人的", "昨天深夜", "本周一"])
        assert scope("month") == sorted(["今天凌晨", "别人的", "昨天深夜", "本周一", "上周日", "本月一日"])
        assert "别人的" not in scope("mine") and len(scope("mine")) == 6
        assert len(scope("all")) == 7

        Customer.objects.filter(name="上月").update(updated_at=local(2026, 3, 17, 12, 0))
        Customer.objects.filter(name="本周一").update(updated_at=local(2026, 3, 18, 9, 0))
        Customer.objects.filter(name="本月一日").update(updated_at=local(2026, 2, 17, 9, 0))  # a month and a day
        recent = client.get(reverse("customers:list"), {"scope": "recent"})
        assert [row.record.name for row in recent.context["table"].page.object_list] == ["本周一", "上月"]


def test_a_salesperson_gets_404_on_another_salespersons_customer(people, login):
    theirs = make_customer(people["sales"], name="张的客户")
    pooled = make_customer(None, by=people["sales"], name="池中客户")
    client = login(people["sales2"])
    for url in [reverse("customers:detail", args=[theirs.pk]), reverse("customers:edit", args=[theirs.pk])]:
        assert client.get(url).status_code == 404
    assert client.post(reverse("customers:follow_up_add", args=[theirs.pk]),
                       {"kind": "call", "content": "x"}).status_code == 404
    assert client.get(reverse("customers:detail", args=[pooled.pk])).status_code == 200
    assert names_in(client.get(reverse("customers:list"))) == ["池中客户"]


def test_the_sales_manager_sees_and_edits_his_departments_customers(people, login):
    mine = make_customer(people["sales2"], name="钱的客户")
    client = login(people["sales"])
    response = client.get(reverse("customers:detail", args=[mine.pk]))
    assert response.status_code == 200 and response.context["can_edit"] is True
    assert "钱的客户" in names_in(client.get(reverse("customers:list")))
    # someone of another department sees only their own and the pool
    assert login(people["quality"]).get(reverse("customers:detail", args=[mine.pk])).status_code == 404


def test_a_pool_customer_is_visible_but_not_editable_by_a_salesperson(people, login):
    pooled = make_customer(None, by=people["sales"], name="池中客户")
    client = login(people["sales2"])
    response = client.get(reverse("customers:edit", args=[pooled.pk]), follow=True)
    assert "只有负责人、其部门经理、总经理、管理者代表和客户服务部可以修改此客户。" in page(response)
    assert login(people["service"]).get(reverse("customers:edit", args=[pooled.pk])).status_code == 200


def test_the_list_runs_a_constant_number_of_queries(people, login):
    status = CustomerOption.objects.filter(kind=OptionKind.STATUS).first()
    client = login(people["sales"])

    def add(n, start):
        for i in range(n):
            customer = make_customer(people["sales2"] if i % 2 else people["sales"], name=f"客户{start + i}号",
                                     status=status)
            make_contact(customer, name="联系人", primary=True)
        make_customer(None, by=people["sales"], name=f"池客户{start}")

    add(2, 0)
    with count_queries() as few:
        assert client.get(reverse("customers:list")).status_code == 200
    add(28, 100)
    with assert_queries_at_most(len(few)):
        response = client.get(reverse("customers:list"))
    assert response.context["table"].paginator.count == 32


def test_days_until_return_and_counts_on_the_list(people, login):
    policy = CustomerPolicy.current()
    owned = make_customer(people["sales"], name="有主客户", grade="B")
    Customer.objects.filter(pk=owned.pk).update(owner_since=timezone.now() - dt.timedelta(days=10),
                                                created_at=timezone.now() - dt.timedelta(days=10))
    make_customer(None, by=people["sales"], name="池中客户")
    response = login(people["sales"]).get(reverse("customers:list"))
    table = response.context["table"]
    days = {row.record.name: row.get_cell_value("due_days") for row in table.page.object_list}
    assert days == {"有主客户": policy.return_days_b - 10, "池中客户": "—"}
    counts = {group["field"]: {str(v["value"]): v["n"] for v in group["values"]}
              for group in response.context["counts"]}
    assert counts["grade"] == {"B 类": 1, "C 类": 1}


def test_the_export_has_the_lists_columns(people, login):
    make_customer(people["sales"], name="导出客户")
    make_customer(None, by=people["sales"], name="池中客户")
    response = login(people["sales"]).get(reverse("customers:list"), {"export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("客户名称", "客户行业") and "距到期天数" in rows[0] and "操作" not in rows[0]
    by_name = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert by_name["池中客户"]["负责人"] == "客户池" and by_name["池中客户"]["距到期天数"] == "—"
    assert by_name["导出客户"]["负责人"] == people["sales"].display_name


def test_the_export_writes_what_the_table_computes_from_django_records(people):
    """The export's records come from value rows (qms.excel.export.export_records): every cell is what the table
    gives for the records Django builds with the list's own prefetches."""
    from customers.tables import CustomerTable
    from customers.views.customers import CustomerListView
    from qms.excel.export import export_records, table_headers_and_rows

    make_customer(people["sales"], name="导出客户", grade="A")
    make_customer(None, by=people["sales"], name="池中客户")
    make_customer(people["sales2"], name="另一客户", rating=3)
    queryset = CustomerListView().base_queryset().order_by("name")
    table = CustomerTable(queryset, policy=CustomerPolicy.current())
    headers, rows = table_headers_and_rows(table, export_records(queryset, chunk_size=2), exclude=("actions",))
    _headers, expected = table_headers_and_rows(table, queryset.iterator(chunk_size=2), exclude=("actions",))
    rows, expected = list(rows), list(expected)
    assert rows == expected and len(rows) == 3
    assert {row[0]: row[headers.index("负责人")] for row in rows} == {
        "导出客户": people["sales"].display_name, "池中客户": "客户池", "另一客户": people["sales2"].display_name}


# --- detail: contacts, follow-ups, status, business, archive, edit --------------------------------------------
def test_making_a_contact_primary_unmarks_the_previous_one(people, login):
    customer = make_customer(people["sales2"], contacts=[Contact(name="旧联系人", is_primary=True)])
    client = login(people["sales2"])
    response = client.post(reverse("customers:contact_add", args=[customer.pk]),
                           {"name": "新联系人", "mobile": "13912345678", "is_primary": "on"})
    assert response.status_code == 302
    assert dict(customer.contacts.values_list("name", "is_primary")) == {"旧联系人": False, "新联系人": True}

    old = customer.contacts.get(name="旧联系人")
    client.post(reverse("customers:contact_edit", args=[customer.pk, old.pk]), {"name": "旧联系人", "is_primary": "on"})
    assert dict(customer.contacts.values_list("name", "is_primary")) == {"旧联系人": True, "新联系人": False}
    assert any(row["reason"] == "修改联系人" for row in audit.history_for(old))

    client.post(reverse("customers:contact_deactivate", args=[customer.pk, old.pk]))
    old.refresh_from_db()
    assert (old.is_active, old.is_primary) == (False, False)
    assert Customer.objects.get(pk=customer.pk).primary_contact is None


def test_an_invalid_contact_mobile_is_refused_on_the_contact_page(people, login):
    customer = make_customer(people["sales2"])
    response = login(people["sales2"]).post(reverse("customers:contact_add", args=[customer.pk]),
                                            {"name": "新联系人", "mobile": "12345678901"})
    assert response.status_code == 400 and MOBILE_MESSAGE in page(response)
    assert not customer.contacts.exists()


def test_a_follow_up_resets_the_pool_clock(people, login):
    customer = make_customer(people["sales2"])
    long_ago = timezone.now() - dt.timedelta(days=25)
    Customer.objects.filter(pk=customer.pk).update(created_at=long_ago, owner_since=long_ago,
                                                   last_follow_up_at=long_ago)
    policy = CustomerPolicy.current()
    before = policy.return_due(Customer.objects.get(pk=customer.pk))
    client = login(people["sales2"])
    response = client.post(reverse("customers:follow_up_add", args=[customer.pk]),
                           {"kind": "call", "content": "电话确认下月订单", "occurred_at": ""})
    assert response.status_code == 400  # the time is required: the form keeps what was typed
    assert "电话确认下月订单" in page(response)
    now = timezone.localtime().replace(second=0, microsecond=0)
    response = client.post(reverse("customers:follow_up_add", args=[customer.pk]),
                           {"kind": "call", "content": "电话确认下月订单", "occurred_at": now.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.last_follow_up_at == now
    assert policy.return_due(customer) - before >= dt.timedelta(days=24)
    assert customer.follow_ups.get().by == people["sales2"]


def test_the_quick_status_change_is_audited_with_its_reason(people, login):
    customer = make_customer(people["sales2"])
    status = CustomerOption.objects.get(kind=OptionKind.STATUS, label="合作中")
    client = login(people["sales2"])
    response = client.post(reverse("customers:set_status", args=[customer.pk]),
                           {"status": status.pk, "expected": "", "reason": "已签首单"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.status == status
    row = next(r for r in audit.history_for(customer) if r["field"] == "客户状态")
    assert row["new"] == "合作中" and "已签首单" in row["reason"] and row["user"] == people["sales2"].display_name

    other = CustomerOption.objects.get(kind=OptionKind.STATUS, label="流失")
    response = client.post(reverse("customers:set_status", args=[customer.pk]),
                           {"status": other.pk, "expected": "", "reason": ""}, follow=True)  # stale page
    assert "客户状态已被他人修改，请刷新页面后重试。" in page(response)
    customer.refresh_from_db()
    assert customer.status == status


def test_business_records_refuse_negative_amounts(people, login):
    customer = make_customer(people["sales2"])
    client = login(people["sales2"])
    response = client.post(reverse("customers:business_add", args=[customer.pk]),
                           {"occurred_on": "2026-01-05", "amount": "-1", "description": "退款"})
    assert response.status_code == 400 and "金额不能为负数。" in page(response)
    assert 'id="tab-business"' in page(response)
    response = client.post(reverse("customers:business_add", args=[customer.pk]),
                           {"occurred_on": "2026-01-05", "amount": "12000.50", "description": "首批订单"})
    assert response.status_code == 302
    assert BusinessRecord.objects.get().amount == 12000.50
    html = page(client.get(reverse("customers:detail", args=[customer.pk]), {"tab": "business"}))
    assert "首批订单" in html and ("12,000.50" in html or "12000.50" in html)


def test_an_edit_is_audited_and_keeps_the_search_keys(people, login):
    customer = make_customer(people["sales2"], name="旧名称贸易有限公司", address="旧地址")
    client = login(people["sales2"])
    data = {"name": "新名称贸易有限公司", "address": "新地址 8 号", "postcode": ""}
    response = client.post(reverse("customers:edit", args=[customer.pk]), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.address == "新地址 8 号" and customer.name_initials.startswith("xmc")
    rows = [r for r in audit.history_for(customer) if r["field"] == "详细地址"]
    assert rows[0]["old"] == "旧地址" and rows[0]["new"] == "新地址 8 号"
    assert rows[0]["reason"] == "修改客户资料" and rows[0]["user"] == people["sales2"].display_name
    # the history tab shows what the user changed, not the search keys the portal derives from it
    assert {r["field"] for r in audit.history_for(customer)} >= {"客户名称", "详细地址"}
    history = page(client.get(reverse("customers:detail", args=[customer.pk]), {"tab": "history"}))
    assert "新名称贸易有限公司" in history
    for internal in ("名称比对键", "名称拼音", "xmc"):
        assert internal not in history


def test_the_edit_page_validates_like_the_create_page(people, login):
    customer = make_customer(people["sales2"])
    response = login(people["sales2"]).post(reverse("customers:edit", args=[customer.pk]),
                                            {"name": "", "postcode": "abc"})
    assert response.status_code == 400
    assert "请填写客户名" in page(response) and "邮编应为 6 位数字。" in page(response)


def test_the_archive_sections_are_saved(people, login):
    customer = make_customer(people["sales2"])
    client = login(people["sales2"])
    response = client.post(reverse("customers:archive_edit", args=[customer.pk]),
                           {"organisation": "董事会下设三个事业部", "needs": "年度框架协议"})
    assert response.status_code == 302
    html = page(client.get(reverse("customers:detail", args=[customer.pk]), {"tab": "archive"}))
    assert "董事会下设三个事业部" in html and "年度框架协议" in html


@pytest.mark.parametrize("tab", ["overview", "contacts", "follow_ups", "business", "archive", "history"])
def test_every_tab_of_the_detail_page_renders(people, login, tab):
    customer = make_customer(people["sales2"], contacts=[Contact(name="王经理", is_primary=True)])
    response = login(people["sales2"]).get(reverse("customers:detail", args=[customer.pk]), {"tab": tab})
    assert response.status_code == 200
    assert f'id="tab-{tab}"' in page(response)


# --- demo data -----------------------------------------------------------------------------------------------
def test_the_demo_seeder_gives_every_grade_and_is_idempotent(people):
    from customers.demo import CUSTOMERS, seed_customers
    from qms.registry import registry

    assert seed_customers in registry.demo_seeders
    out = io.StringIO()
    seed_customers(people, out)
    seed_customers(people, out)
    assert Customer.objects.count() == len(CUSTOMERS)
    assert set(Customer.objects.values_list("grade", flat=True)) == {"A", "B", "C"}
    assert Customer.objects.filter(owner__isnull=True).count() == 4
    assert set(Customer.objects.exclude(owner=None).values_list("owner__username", flat=True)) == {"sales", "sales2"}
    assert BusinessRecord.objects.filter(customer__grade="A").count() == 16
    assert Customer.objects.filter(owner__isnull=False, last_follow_up_at__isnull=False).count() == 19
    assert Contact.objects.filter(is_primary=True).count() == len(CUSTOMERS)


# --- administration of the lists and the policy ------------------------------------------------------------
def test_an_option_in_use_cannot_be_deleted_only_deactivated(people, login):
    used = CustomerOption.objects.get(kind=OptionKind.STATUS, label="合作中")
    unused = CustomerOption.objects.get(kind=OptionKind.STATUS, label="流失")
    make_customer(people["sales"], status=used)
    client = login(people["admin"])
    assert client.get(reverse("admin:customers_customeroption_delete", args=[used.pk])).status_code == 403
    delete_unused = reverse("admin:customers_customeroption_delete", args=[unused.pk])
    assert client.post(delete_unused, {"post": "yes"}).status_code == 302
    assert not CustomerOption.objects.filter(pk=unused.pk).exists()
    client.post(reverse("admin:customers_customeroption_changelist"),
                {"action": "deactivate", "_selected_action": [used.pk]})
    used.refresh_from_db()
    assert used.is_active is False
    # a deactivated status is no longer offered on the create page, but a customer keeps it
    assert used.pk not in [o.pk for o in login(people["sales"]).get(reverse("customers:create"))
                           .context["form"].fields["status"].queryset]


def test_the_policy_is_a_single_row_that_cannot_be_deleted(people, login):
    policy = CustomerPolicy.current()
    client = login(people["admin"])
    assert client.get(reverse("admin:customers_customerpolicy_add")).status_code == 403
    assert client.get(reverse("admin:customers_customerpolicy_delete", args=[policy.pk])).status_code == 403
    assert client.get(reverse("admin:customers_customerpolicy_change", args=[policy.pk])).status_code == 200
    assert client.get(reverse("admin:customers_customer_changelist")).status_code == 200
    assert client.get(reverse("admin:customers_customer_add")).status_code == 403


@pytest.mark.parametrize("model", ["customer", "customeroption", "customerpolicy", "region", "contact", "followup",
                                   "visit", "ownershipchange", "businessrecord"])
def test_every_customers_admin_list_opens(people, login, model):
    make_customer(people["sales"], contacts=[Contact(name="王经理", is_primary=True)])
    response = login(people["admin"]).get(reverse(f"admin:customers_{model}_changelist"), {"q": "王"})
    assert response.status_code == 200


@pytest.mark.parametrize("mobile", ["13800138000", "１３８００１３８０００", "199 0000 0000"])
def test_a_mainland_mobile_is_accepted_in_any_digits(people, login, mobile):
    response = create(login(people["sales2"]), **{"contact-name": "王经理", "contact-mobile": mobile})
    assert response.status_code == 302
    assert Customer.objects.get().contacts.get().mobile == mobile.replace(" ", "")
