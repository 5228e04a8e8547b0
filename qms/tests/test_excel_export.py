"""List pages export to .xlsx: the filtered rows, the table's columns, data never turned into formulas."""
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from qms.excel.export import build_workbook_file
from qms.excel.models import ImportBatch
from qms.people import Department, Role, User

pytestmark = pytest.mark.django_db

STAFF_COLUMNS = ["姓名", "账号", "部门", "岗位", "手机", "邮箱"]


def download(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    return b"".join(response.streaming_content)


def rows_of(content: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_the_staff_list_exports_the_filtered_rows_with_the_tables_columns(people, login):
    client = login(people["quality"])
    sales = Department.objects.get(code="sales")
    people["sales2"].groups.add(Group.objects.get(name=Role.CUSTOMER_SERVICE))
    people["sales2"].phone = "13800138000"
    people["sales2"].save()
    content = download(client.get(reverse("qms:staff_list"), {"department": sales.pk, "export": "xlsx"}))
    rows = rows_of(content)
    assert list(rows[0]) == STAFF_COLUMNS
    assert rows[1:] == [  # the table's default order: department, account
        ("张销售", "sales", "销售部", "销售", None, "sales@example.com"),
        ("钱销售", "sales2", "销售部", "客户服务、销售", "13800138000", "sales2@example.com"),
    ]


def test_the_export_is_every_page_in_the_pages_sort_order(people, login, settings):
    User.objects.bulk_create(User(username=f"staff{i:02d}", full_name=f"员工{i}") for i in range(settings.LIST_PAGE_SIZE))
    client = login(people["quality"])
    content = download(client.get(reverse("qms:staff_list"), {"sort": "-username", "export": "xlsx"}))
    accounts = [row[1] for row in rows_of(content)[1:]]
    assert len(accounts) == User.objects.filter(is_active=True).count() > settings.LIST_PAGE_SIZE
    assert accounts == sorted(accounts, reverse=True)


def test_a_value_that_looks_like_a_formula_is_exported_as_text(people, login):
    User.objects.create(username="evil", full_name="=cmd|' /C calc'!A0", phone="+8613800138000",
                        department=Department.objects.get(code="sales"))
    client = login(people["quality"])
    content = download(client.get(reverse("qms:staff_list"), {"q": "evil", "export": "xlsx"}))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    name, phone = sheet["A2"], sheet["E2"]
    assert (name.value, name.data_type) == ("=cmd|' /C calc'!A0", "s")
    assert (phone.value, phone.data_type) == ("+8613800138000", "s")
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


def _styles_xml_xf(content: bytes, cell_ref: str) -> dict:
    """The attributes of the cellXfs entry (the cell format) that ``cell_ref`` of the first sheet uses."""
    from xml.etree import ElementTree

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    archive = zipfile.ZipFile(io.BytesIO(content))
    sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    cell = sheet.find(f".//m:c[@r='{cell_ref}']", ns)
    xfs = ElementTree.fromstring(archive.read("xl/styles.xml")).find("m:cellXfs", ns)
    return dict(xfs[int(cell.get("s", "0"))].attrib)


def test_text_that_begins_like_a_formula_keeps_excels_quote_prefix_so_editing_it_keeps_it_text(people, login):
    department = Department.objects.get(code="sales")
    for username, name, phone in [("evil1", "=HYPERLINK(\"http://x\")", "+8613800138000"),
                                  ("evil2", "@SUM(A1)", "-1+2"), ("plain", "普通员工", "13800138000")]:
        User.objects.create(username=username, full_name=name, phone=phone, department=department)
    client = login(people["quality"])
    content = download(client.get(reverse("qms:staff_list"), {"department": department.pk, "sort": "username",
                                                              "export": "xlsx"}))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    by_account = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    for account, name, phone in [("evil1", "=HYPERLINK(\"http://x\")", "+8613800138000"),
                                 ("evil2", "@SUM(A1)", "-1+2")]:
        name_cell, phone_cell = by_account[account][0], by_account[account][4]
        assert (name_cell.value, name_cell.data_type, name_cell.quotePrefix) == (name, "s", True)
        assert (phone_cell.value, phone_cell.data_type, phone_cell.quotePrefix) == (phone, "s", True)
        assert _styles_xml_xf(content, name_cell.coordinate).get("quotePrefix") == "1"
    plain = by_account["plain"][0]
    assert plain.value == "普通员工" and not plain.quotePrefix
    assert _styles_xml_xf(content, plain.coordinate).get("quotePrefix", "0") == "0"
    assert sheet["A1"].font.b  # the header stays bold


def test_date_times_are_exported_in_local_time_as_excel_date_cells(people, login):
    uploaded = dt.datetime(2026, 12, 4, 10, 38, 25, 307180, tzinfo=dt.timezone.utc)  # 18:38 in Shanghai
    with time_machine.travel(uploaded, tick=False):
        ImportBatch.objects.create(definition_key="staff", file_name="人事的.xlsx", file="x.xlsx", created_by=people["hr"])
        page = login(people["hr"]).get(reverse("qms:import_list")).content.decode()
        content = download(login(people["hr"]).get(reverse("qms:import_list"), {"export": "xlsx"}))
    assert "2026-12-04 18:38" in page
    cell = openpyxl.load_workbook(io.BytesIO(content)).active["A2"]
    assert cell.is_date and cell.value == dt.datetime(2026, 12, 4, 18, 38, 25)
    assert cell.number_format == "yyyy-mm-dd hh:mm"


def test_every_tables_date_and_date_time_columns_are_date_cells():
    import django_tables2 as tables

    from qms.excel.export import table_headers_and_rows

    class PlanTable(tables.Table):
        name = tables.Column()
        due = tables.DateColumn(format="Y-m-d")
        at = tables.DateTimeColumn(format="Y-m-d H:i")

    record = {"name": "计划", "due": dt.date(2026, 12, 31), "at": dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.timezone.utc)}
    empty = {"name": "无日期", "due": None, "at": None}
    headers, rows = table_headers_and_rows(PlanTable([record, empty]), [record, empty])
    sheet = openpyxl.load_workbook(build_workbook_file("计划", headers, rows)).active
    due, at = sheet["B2"], sheet["C2"]
    assert due.is_date and due.value == dt.datetime(2026, 12, 31) and due.number_format == "yyyy-mm-dd"
    assert at.is_date and at.value == dt.datetime(2027, 1, 1, 0, 30) and at.number_format == "yyyy-mm-dd hh:mm"
    assert sheet["B3"].value is None and sheet["C3"].value is None


def test_list_pages_link_to_their_export_with_the_current_filters(people, login):
    page = login(people["quality"]).get(reverse("qms:staff_list"), {"q": "销售"}).content.decode()
    assert f'href="{reverse("qms:staff_list")}?q=%E9%94%80%E5%94%AE&amp;export=xlsx"' in page


def test_an_export_holds_only_what_the_user_may_see(people, login):
    ImportBatch.objects.create(definition_key="staff", file_name="人事的.xlsx", file="x.xlsx", created_by=people["hr"])
    ImportBatch.objects.create(definition_key="staff", file_name="管理员的.xlsx", file="y.xlsx", created_by=people["admin"])
    content = download(login(people["hr"]).get(reverse("qms:import_list"), {"export": "xlsx"}))
    rows = rows_of(content)
    assert "" not in rows[0] and None not in rows[0]  # the revert-button column is left out
    assert [row[1] for row in rows[1:]] == ["人事的.xlsx"]
    assert rows[1][2] == "通讯录" and rows[1][4] == "校验中"  # the table's rendered values, not raw codes


def test_dates_are_written_as_dates_and_empty_values_as_empty_cells():
    handle = build_workbook_file("表", ["日期", "时间", "空"], [[dt.date(2026, 1, 31), dt.datetime(2026, 1, 31, 8, 30), None]])
    sheet = openpyxl.load_workbook(handle).active
    assert sheet["A2"].value == dt.datetime(2026, 1, 31) and sheet["A2"].number_format == "yyyy-mm-dd"
    assert sheet["B2"].value == dt.datetime(2026, 1, 31, 8, 30) and sheet["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["C2"].value is None


def test_export_values_are_those_django_tables2_gives_for_each_cell(people):
    from django_tables2 import DateColumn, DateTimeColumn
    from django_tables2.rows import BoundRow

    from qms.directory import StaffTable, staff_directory
    from qms.excel.export import table_headers_and_rows
    from qms.excel.views import ImportBatchTable

    ImportBatch.objects.create(definition_key="staff", file_name="a.xlsx", file="a.xlsx", created_by=people["hr"],
                               status="imported")
    for table_class, queryset in ((StaffTable, staff_directory()), (ImportBatchTable, ImportBatch.objects.all())):
        table = table_class(queryset)
        headers, rows = table_headers_and_rows(table, queryset, exclude=("actions",))
        # except date and date-time columns: the value itself (a date cell, in local time), not its ISO text
        expected = [[c.accessor.resolve(record) if isinstance(c.column, (DateColumn, DateTimeColumn))
                     else BoundRow(record, table).get_cell_value(c.name) for c in table.columns if c.name != "actions"]
                    for record in queryset]
        assert list(rows) == expected and len(headers) == len(expected[0])


def _seen(record) -> tuple:
    department = record.department
    manager = department.manager if department is not None else None
    return (record.pk, record.username, record.display_name, record.last_login, record.department_id,
            department and department.name, manager and manager.username)


def test_an_exports_records_are_the_querysets_own_with_its_relations_read_once_for_every_chunk(people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qms.excel.export import export_records

    sales = Department.objects.get(code="sales")
    User.objects.bulk_create(User(username=f"rep{i:02d}", full_name=f"销售{i}", department=sales) for i in range(9))
    everyone = User.objects.select_related("department__manager").order_by("-username")
    in_sales = everyone.filter(department=sales)
    with CaptureQueriesContext(connection) as queries:
        records = list(export_records(in_sales, chunk_size=2))
    # the value rows (one query), then their department and its manager, each read once though the rows came in
    # five chunks of two or more: nothing is read again per chunk or per row
    assert len(records) > 10 and len(queries) == 3
    assert [_seen(record) for record in records] == [_seen(user) for user in in_sales]
    # every department and manager (some with none), in the queryset's order
    records = list(export_records(everyone, chunk_size=2))
    assert [_seen(record) for record in records] == [_seen(user) for user in everyone]
    assert all(not record._state.adding and record._state.db == "default" for record in records)


def test_an_export_of_a_queryset_it_cannot_copy_reads_it_as_django_does(people):
    from qms.directory import staff_directory
    from qms.excel.export import export_records

    queryset = staff_directory().order_by("username")  # the roles are a many-to-many Prefetch
    records = list(export_records(queryset, chunk_size=3))
    assert [record.pk for record in records] == [user.pk for user in queryset]
    assert {record.username: [group.name for group in record.groups.all()] for record in records}["sales2"] == \
        [group.name for group in people["sales2"].groups.order_by("name")]


def test_text_with_control_characters_is_exported_instead_of_stopping_the_export():
    """A name pasted from another system can hold control characters, which XML cannot: the export writes them in
    Excel's escaped form (Excel shows the characters) instead of failing on that row."""
    handle = build_workbook_file("表", ["客户名称", "评分"], [["华东\x0b有限公司", 4], ["普通", float("nan")]])
    sheet = openpyxl.load_workbook(handle).active
    assert sheet["A2"].value == "华东_x000B_有限公司"
    assert sheet["B2"].value == 4 and sheet["B3"].value == "nan"  # Excel holds no NaN: its text


def test_a_workbook_of_several_sheets_keeps_each_header_in_view_and_makes_titles_excel_accepts():
    from qms.excel.export import ExportWorkbook, write_rows

    workbook = ExportWorkbook()
    assert write_rows(workbook.sheet("2026/Q1: 汇总"), ["项目", "数值"], [["发出份数", 12], [], ["回收份数", 9]]) == 3
    write_rows(workbook.sheet("全部不良事件" * 6), ["编号"], [["AE-001"]])
    write_rows(workbook.sheet("全部不良事件" * 7), ["编号"], [["AE-002"]])  # the same 31 first characters
    book = openpyxl.load_workbook(workbook.finish())
    assert book.sheetnames == ["2026_Q1_ 汇总", ("全部不良事件" * 6)[:31], ("全部不良事件" * 6)[:27] + " (2)"]
    first = book["2026_Q1_ 汇总"]
    assert [list(row) for row in first.iter_rows(values_only=True)] == [
        ["项目", "数值"], ["发出份数", 12], [None, None], ["回收份数", 9]]
    assert first.freeze_panes == "A2" and first["A1"].font.b and not first["A2"].font.b


def test_an_exports_long_text_is_read_for_a_whole_chunk_only_when_a_column_reads_it(people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qms.excel.export import export_records

    for number in range(5):
        ImportBatch.objects.create(definition_key="staff", file_name=f"{number}.xlsx", file=f"{number}.xlsx",
                                   created_by=people["hr"], message=f"第 {number} 批的说明")
    queryset = ImportBatch.objects.order_by("file_name")
    with CaptureQueriesContext(connection) as made:
        records = list(export_records(queryset, chunk_size=2))
    assert len(made) == 1 and '"message"' not in made[0]["sql"]  # the rows come without the text
    with CaptureQueriesContext(connection) as read:
        messages = [record.message for record in records]
    assert messages == [f"第 {number} 批的说明" for number in range(5)]
    assert len(read) == 3  # one query per chunk (2 + 2 + 1 records), not one per record
    assert [record.file_name for record in records] == [f"{number}.xlsx" for number in range(5)]

    records = list(export_records(queryset, chunk_size=2))
    ImportBatch.objects.filter(file_name="1.xlsx").delete()  # gone between the rows and the text: Django's error
    assert records[0].message == "第 0 批的说明"
    with pytest.raises(ImportBatch.DoesNotExist):
        records[1].message
