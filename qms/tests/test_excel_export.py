"""List pages export to .xlsx: the filtered rows, the table's columns, data never turned into formulas."""
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
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
    from django_tables2.rows import BoundRow

    from qms.directory import StaffTable, staff_directory
    from qms.excel.export import table_headers_and_rows
    from qms.excel.views import ImportBatchTable

    ImportBatch.objects.create(definition_key="staff", file_name="a.xlsx", file="a.xlsx", created_by=people["hr"],
                               status="imported")
    for table_class, queryset in ((StaffTable, staff_directory()), (ImportBatchTable, ImportBatch.objects.all())):
        table = table_class(queryset)
        headers, rows = table_headers_and_rows(table, queryset, exclude=("actions",))
        expected = [[BoundRow(record, table).get_cell_value(c.name) for c in table.columns if c.name != "actions"]
                    for record in queryset]
        assert list(rows) == expected and len(headers) == len(expected[0])
