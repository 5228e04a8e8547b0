"""The audit trail: every change of a controlled record with who, when, old and new value, and why."""
import datetime as dt
import io

import pytest
from django.db import InternalError, connection, models, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from qms import audit
from qms.people import Department, User
from qms.registry import menu_for
from qms.tests.cases import assert_queries_at_most, count_queries

pytestmark = pytest.mark.django_db


def history_of(model, pk):
    return audit.history_for(model(pk=pk))


def test_create_update_and_delete_are_recorded_with_user_and_reason(people):
    with audit.context(user=people["mr"], reason="新设部门"):
        department = Department.objects.create(code="qa2", name="质量二部")
    with audit.context(user=people["gm"], reason="部门更名"):
        department.name = "质量保证部"
        department.save()
    pk = department.pk
    with audit.context(user=people["gm"], reason="部门撤销"):
        department.delete()

    rows = history_of(Department, pk)
    deleted = rows[0]
    [renamed] = [r for r in rows if r["action"] == "修改"]
    created = [r for r in rows if r["action"] == "新建"]
    assert (deleted["action"], deleted["user"], deleted["reason"]) == ("删除", "王总", "部门撤销")
    assert {(r["field"], r["old"]) for r in rows if r["action"] == "删除"} >= {("部门名称", "质量保证部")}
    assert (renamed["action"], renamed["field"], renamed["old"], renamed["new"]) == ("修改", "部门名称", "质量二部",
                                                                                    "质量保证部")
    assert (renamed["user"], renamed["reason"]) == ("王总", "部门更名")
    assert {(r["field"], r["new"]) for r in created} >= {("部门代码", "qa2"), ("部门名称", "质量二部"), ("启用", "是")}
    assert {(r["user"], r["reason"]) for r in created} == {("李代表", "新设部门")}
    assert rows[0]["time"] >= rows[-1]["time"]  # newest first


def test_a_bulk_update_is_recorded_for_every_row(people):
    codes = ["sales", "service"]
    with audit.context(user=people["quality"], reason="批量停用"):
        assert Department.objects.filter(code__in=codes).update(is_active=False) == 2
    for department in Department.objects.filter(code__in=codes):
        latest = audit.history_for(department)[0]
        assert (latest["field"], latest["old"], latest["new"]) == ("启用", "是", "否")
        assert (latest["user"], latest["reason"]) == ("陈品质", "批量停用")


def test_excluded_fields_are_not_recorded_and_their_changes_leave_no_entry(people):
    user = people["sales"]
    before = len(audit.history_for(user))
    user.set_password("Another@2026")
    user.last_login = timezone.now()
    user.save()
    assert len(audit.history_for(user)) == before
    recorded = {f.name for f in audit.event_model(User)._meta.fields}
    assert "password" not in recorded and "last_login" not in recorded and "phone" in recorded


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE qms_departmentevent SET name = '改过的名称'",
    "DELETE FROM qms_departmentevent",
])
def test_the_database_refuses_to_rewrite_or_delete_the_trail(people, statement):
    count = audit.event_model(Department).objects.count()
    assert count > 0
    with pytest.raises(InternalError, match="Cannot update or delete rows from qms_departmentevent"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert audit.event_model(Department).objects.count() == count
    assert not audit.event_model(Department).objects.filter(name="改过的名称").exists()


def test_a_reason_stays_with_the_changes_made_under_it(people):
    with audit.context(user=people["mr"], reason="外层"):
        with audit.context(reason="第一次调整"):
            Department.objects.filter(code="sales").update(name="销售一部")
        with audit.context(reason="第二次调整"):
            Department.objects.filter(code="service").update(name="客服一部")
        Department.objects.filter(code="quality").update(name="品质保证部")
    reasons = {code: audit.history_for(Department.objects.get(code=code))[0]
               for code in ("sales", "service", "quality")}
    assert {code: (row["user"], row["reason"]) for code, row in reasons.items()} == {
        "sales": ("李代表", "第一次调整"), "service": ("李代表", "第二次调整"), "quality": ("李代表", "外层")}


def test_a_web_change_records_the_user_and_keeps_their_name_after_a_rename(people, login):
    client = login(people["sales"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    people["sales"].refresh_from_db()
    assert people["sales"].language == "en"
    User.objects.filter(pk=people["sales"].pk).update(full_name="张改名")
    change = next(r for r in audit.history_for(people["sales"]) if r["field"] == "界面语言")
    assert (change["user"], change["old"], change["new"]) == ("张销售", "", "en")


def test_choice_fields_show_their_labels():
    field = models.CharField(choices=[("closed", "已关闭"), ("open", "处理中")])
    assert audit.display_value(field, "closed") == "已关闭"
    assert audit.display_value(models.BooleanField(), False) == "否"


def test_the_history_tab_shows_the_change_on_the_staff_page(people, login):
    engineer = people["engineering"]
    with audit.context(user=people["hr"], reason="员工换号"):
        engineer.phone = "13900001111"
        engineer.save()
    response = login(people["sales"]).get(reverse("qms:staff_detail", args=[engineer.pk]) + "?tab=history")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-tab="history"' in html and "历史记录" in html
    history = html[html.index('id="record-history"'):]
    for text in ("手机", "13900001111", "员工换号", "徐人事", "修改"):
        assert text in history


def test_the_history_tab_is_the_last_tab(people, login):
    response = login(people["sales"]).get(reverse("qms:staff_detail", args=[people["gm"].pk]))
    assert [tab["slug"] for tab in response.context["tabs"]][-1] == "history"


# --- the auditor's page -----------------------------------------------------------------------------
@pytest.fixture
def changes(people):
    with audit.context(user=people["mr"], reason="组织调整"):
        Department.objects.filter(code="sales").update(name="市场销售部")
    with audit.context(user=people["gm"], reason="号码变更"):
        User.objects.filter(pk=people["engineering"].pk).update(phone="13800002222")
    return people


def trail_page(client, **params):
    response = client.get(reverse("qms:audit_trail"), params)
    assert response.status_code == 200
    return response.context["rows"]


def test_the_auditor_filters_by_user_model_field_and_text(changes, login):
    client = login(changes["quality"])
    by_mr = trail_page(client, user=changes["mr"].pk)
    assert [(r["record"], r["action"], r["reason"]) for r in by_mr] == [("市场销售部", "修改", "组织调整")]
    assert by_mr[0]["changes"] == [{"field": "部门名称", "name": "name", "old": "销售部", "new": "市场销售部"}]

    users_only = trail_page(client, model="qms.user")
    assert users_only and {r["model"] for r in users_only} == {"用户"}

    phone = trail_page(client, field="手机")
    assert [(r["record"], r["user"], r["changes"]) for r in phone] == [
        ("刘工程", "王总", [{"field": "手机", "name": "phone", "old": "", "new": "13800002222"}])]

    assert [r["reason"] for r in trail_page(client, text="号码")] == ["号码变更"]


def test_the_auditor_filters_by_date(changes, login):
    client = login(changes["mr"])
    with connection.cursor() as cursor:  # the trail is stamped by the database's clock (the triggers' NOW())
        cursor.execute("SELECT now()")
        today = timezone.localdate(cursor.fetchone()[0])
    assert len(trail_page(client, user=changes["gm"].pk, date_from=today, date_to=today)) == 1
    assert trail_page(client, user=changes["gm"].pk, date_from=today + dt.timedelta(days=1)) == []
    assert trail_page(client, user=changes["gm"].pk, date_to=today - dt.timedelta(days=1)) == []


@pytest.mark.parametrize("role", ["mr", "gm", "quality", "doccontrol", "admin"])
def test_the_auditor_roles_open_the_page_and_see_the_menu(people, login, role):
    assert login(people[role]).get(reverse("qms:audit_trail")).status_code == 200
    links = [link["url"] for entry in menu_for(people[role]) for link in entry["links"]]
    assert reverse("qms:audit_trail") in links


def test_a_salesperson_is_refused_the_trail_and_its_export(people, login):
    client = login(people["sales"])
    assert client.get(reverse("qms:audit_trail")).status_code == 403
    assert client.get(reverse("qms:audit_export")).status_code == 403
    links = [link["url"] for entry in menu_for(people["sales"]) for link in entry["links"]]
    assert reverse("qms:audit_trail") not in links


def test_the_excel_export_contains_the_filtered_rows(changes, login):
    response = login(changes["mr"]).get(reverse("qms:audit_export"), {"user": changes["mr"].pk})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间", "操作人", "记录类型", "记录", "操作", "字段", "原值", "新值", "理由")
    assert [row[1:] for row in rows[1:]] == [("李代表", "部门", "市场销售部", "修改", "部门名称", "销售部", "市场销售部",
                                              "组织调整")]
    assert isinstance(rows[1][0], dt.datetime)


def test_the_auditor_page_runs_the_same_number_of_queries_for_3_or_30_events(people, login):
    client = login(people["quality"])
    url = reverse("qms:audit_trail") + "?model=qms.department&text=审计测试"

    def add_events(n):
        with audit.context(user=people["mr"], reason="审计测试"):
            for i in range(n):
                Department.objects.create(code=f"audit-{Department.objects.count()}-{i}", name=f"部门{i}-{timezone.now()}",
                                          manager=people["gm"], parent=Department.objects.get(code="gm-office"))

    add_events(3)
    with count_queries() as few:
        assert len(client.get(url).context["rows"]) == 3
    add_events(27)
    with assert_queries_at_most(len(few)):
        response = client.get(url)
    assert len(response.context["rows"]) == 25
    assert response.context["page_obj"].paginator.count == 30


def test_event_tables_are_indexed_by_record_and_time_only_and_a_records_history_uses_the_index(people):
    # An event copies its record's columns; its copied foreign keys are values nobody looks events up by. An index
    # on each made every audited write maintain a dozen more (a customer's event had fourteen).
    with connection.cursor() as cursor:
        for model in audit.tracked_models():
            table = audit.event_model(model)._meta.db_table
            indexes = connection.introspection.get_constraints(cursor, table)
            columns = sorted(tuple(info["columns"]) for info in indexes.values() if info["index"])
            assert columns == [("pgh_created_at",), ("pgh_obj_id", "pgh_id")], (table, columns)  # and the primary key
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is small: ask which index would serve it
        events = audit.event_model(User).objects.filter(pgh_obj_id=people["gm"].pk).order_by("pgh_id")
        cursor.execute(f"EXPLAIN {events.query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index" in plan and "pgh_obj" in plan, plan
