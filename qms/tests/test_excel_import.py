"""The shared Excel import, through its first declaration: the staff list (通讯录)."""
import datetime as dt
import gc
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from unittest import mock

import openpyxl
import pytest
import xlsxwriter
import time_machine
from django import forms
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from qms import collector, tasks
from qms.excel import imports, reading
from qms.excel.imports import Column, ImportDefinition, register_import
from qms.excel.models import ImportBatch
from qms.excel.reading import Cell, Row
from qms.people import Department, Role, User
from qms.tests.cases import assert_queries_at_most, count_queries, post_import, workbook

pytestmark = pytest.mark.django_db

HEADERS = ["账号", "姓名", "部门", "岗位", "邮箱", "手机"]
GOOD_ROWS = [
    ["zhangsan", "张三", "销售部", "销售", "zhangsan@example.com", 13800138000],
    ["lisi", "李四", "品质部", "品质、文管中心", "lisi@example.com", "13900139000"],
    ["wangwu", "王五", "生产部", "生产,PMC", "", ""],
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def xlsx(rows, headers=HEADERS) -> bytes:
    return workbook(rows, headers=headers)


def upload(client, content: bytes, name="通讯录.xlsx", key="staff"):
    return post_import(client, key, content, name)


def latest_batch() -> ImportBatch:
    return ImportBatch.objects.latest("id")


def error_list(batch) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in batch.errors]


@pytest.fixture
def hr(people, login):
    return login(people["hr"])


# --- the template ------------------------------------------------------------------------------------
def test_template_has_chinese_headers_drop_downs_and_an_instructions_sheet(people, hr):
    response = hr.get(reverse("qms:import_template", args=["staff"]))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["通讯录"]
    assert [c.value for c in sheet[1]] == HEADERS
    validations = {str(dv.sqref).split(":")[0]: dv for dv in sheet.data_validations.dataValidation}
    departments = validations["C2"]
    assert departments.type == "list"
    assert set(departments.formula1.strip('"').split(",")) == set(Department.objects.values_list("name", flat=True))
    assert departments.showErrorMessage
    roles = validations["D2"]
    assert set(roles.formula1.strip('"').split(",")) == set(Role.NAMES)
    assert not roles.showErrorMessage  # "销售、品质" must stay possible
    assert set(validations) == {"C2", "D2"}

    notes = workbook["说明"]
    lines = {row[0]: row for row in notes.iter_rows(values_only=True) if row[0] in HEADERS}
    assert set(lines) == set(HEADERS)
    assert lines["账号"][1] == "必填" and lines["部门"][1] == "必填" and lines["手机"][1] == "选填"
    assert "销售部" in lines["部门"][2]
    assert "、" in lines["岗位"][3]  # how several roles are written
    assert "11 位手机号码" in lines["手机"][3]


def test_a_long_choice_list_is_kept_on_a_hidden_sheet(people, hr):
    Department.objects.bulk_create(Department(code=f"d{i:03d}", name=f"第{i:03d}项目部") for i in range(80))
    response = hr.get(reverse("qms:import_template", args=["staff"]))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    options = workbook["选项"]
    assert options.sheet_state == "hidden"
    names = [row[0] for row in options.iter_rows(min_row=2, values_only=True) if row[0]]
    assert set(names) == set(Department.objects.values_list("name", flat=True))
    validation = next(dv for dv in workbook["通讯录"].data_validations.dataValidation if str(dv.sqref).startswith("C2"))
    assert validation.formula1 == f"'选项'!$A$2:$A${len(names) + 1}"


# --- upload, preview, commit -------------------------------------------------------------------------
def test_a_good_file_is_previewed_then_imported_as_users_without_a_password(people, hr):
    response = upload(hr, xlsx(GOOD_ROWS))
    batch = latest_batch()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    assert (batch.status, batch.total_rows, batch.valid_rows, batch.error_rows) == ("preview", 3, 3, 0)
    assert not User.objects.filter(username="zhangsan").exists()  # nothing before the user confirms
    page = hr.get(batch.get_absolute_url()).content.decode()
    assert "全部 3 行检查无误" in page

    response = hr.post(reverse("qms:import_commit", args=[batch.pk]), follow=True)
    assert "已导入 3 条记录" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.created_count == 3 and batch.committed_at
    zhang = User.objects.get(username="zhangsan")
    assert (zhang.full_name, zhang.department.name, zhang.phone) == ("张三", "销售部", "13800138000")
    assert not zhang.has_usable_password()
    assert User.objects.get(username="lisi").role_names() == {Role.QUALITY, Role.DOCUMENT_CONTROL}
    assert User.objects.get(username="wangwu").role_names() == {Role.PRODUCTION, Role.PMC}
    assert sorted(pk for pk, _fp in batch.created_objects) == sorted(
        User.objects.filter(username__in=["zhangsan", "lisi", "wangwu"]).values_list("pk", flat=True))


def test_the_preview_lists_every_bad_row_with_its_column_and_reason(people, hr):
    rows = GOOD_ROWS[:1] + [
        ["lisi", "李四", "不存在的部门", "品质", "lisi@example.com", ""],        # row 3
        ["wangwu", "", "生产部", "生产", "not-an-email", "12345"],              # row 4
        ["zhangsan", "张三二", "销售部", "", "", ""],                           # row 5: repeats row 2
        ["sales", "重名", "销售部", "厨师", "", ""],                            # row 6: account exists
    ]
    upload(hr, xlsx(rows))
    batch = latest_batch()
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (5, 1, 4)
    errors = error_list(batch)
    assert (3, "部门", "“不存在的部门”不是可选的值，请从下拉列表中选择。") in errors
    assert (4, "姓名", "这个字段是必填项。") in errors
    assert (4, "邮箱", "输入一个有效的 Email 地址。") in errors
    assert (4, "手机", "请填写 11 位手机号码。") in errors
    assert (5, "账号", "与第 2 行重复") in errors
    assert (6, "账号", "已存在一位使用该名字的用户。") in errors
    assert (6, "岗位", "“厨师”不是可选的值，请从下拉列表中选择。") in errors
    assert {row for row, _c, _m in errors} == {3, 4, 5, 6}

    page = hr.get(batch.get_absolute_url()).content.decode()
    assert "1 行无误，4 行有错误" in page
    assert "与第 2 行重复" in page and "“不存在的部门”不是可选的值" in page
    assert 'name="good_rows_only"' in page


def test_the_error_workbook_holds_the_bad_rows_as_uploaded_with_a_reason_column(people, hr):
    rows = GOOD_ROWS[:1] + [["lisi", "李四", "不存在的部门", "品质", "bad-email", "13900139000"]]
    upload(hr, xlsx(rows))
    batch = latest_batch()
    response = hr.get(reverse("qms:import_errors", args=[batch.pk]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADERS + ["错误原因"]
    assert len(values) == 2  # the good row is not in it
    assert list(values[1][:6]) == ["lisi", "李四", "不存在的部门", "品质", "bad-email", "13900139000"]
    assert "部门：“不存在的部门”不是可选的值" in values[1][6] and "邮箱：输入一个有效的 Email 地址。" in values[1][6]
    assert "。；" not in values[1][6] and values[1][6].count("。") == 1 and values[1][6].endswith("。")

    # The corrected file goes back in as it is: the 错误原因 column is ignored.
    corrected = [list(values[1][:2]) + ["品质部"] + list(values[1][3:4]) + ["lisi@example.com", "13900139000", values[1][6]]]
    upload(hr, xlsx(corrected, HEADERS + ["错误原因"]))
    assert (latest_batch().valid_rows, latest_batch().error_rows) == (1, 0)


def test_all_or_nothing_is_refused_while_rows_have_errors(people, hr):
    upload(hr, xlsx(GOOD_ROWS + [["bad", "", "", "", "", ""]]))
    batch = latest_batch()
    response = hr.post(reverse("qms:import_commit", args=[batch.pk]), follow=True)
    assert "有 1 行有错误：请修改后重新上传，或勾选“只导入无误的行”。" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "preview"
    assert not User.objects.filter(username__in=["zhangsan", "lisi", "wangwu"]).exists()


def test_ticking_good_rows_only_imports_just_the_good_rows(people, hr):
    upload(hr, xlsx(GOOD_ROWS + [["bad", "", "", "", "", ""]]))
    batch = latest_batch()
    hr.post(reverse("qms:import_commit", args=[batch.pk]), {"good_rows_only": "1"})
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.good_rows_only and batch.created_count == 3
    assert User.objects.filter(username__in=["zhangsan", "lisi", "wangwu"]).count() == 3
    assert not User.objects.filter(username="bad").exists()


def test_all_or_nothing_imports_nothing_when_a_row_became_invalid_after_the_preview(people, hr):
    upload(hr, xlsx(GOOD_ROWS))
    batch = latest_batch()
    User.objects.create(username="lisi", full_name="先来的李四")  # created by someone else meanwhile
    response = hr.post(reverse("qms:import_commit", args=[batch.pk]), follow=True)
    assert "未导入任何行" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "preview" and batch.created_objects == []
    assert (3, "账号", "已存在一位使用该名字的用户。") in error_list(batch)
    assert not User.objects.filter(username__in=["zhangsan", "wangwu"]).exists()


def test_a_second_commit_of_the_same_batch_is_refused(people, hr):
    upload(hr, xlsx(GOOD_ROWS))
    batch = latest_batch()
    hr.post(reverse("qms:import_commit", args=[batch.pk]))
    response = hr.post(reverse("qms:import_commit", args=[batch.pk]), follow=True)
    assert "此批次的状态是“已导入”，不能再导入。" in response.content.decode()
    assert User.objects.filter(username="zhangsan").count() == 1


# --- revert ------------------------------------------------------------------------------------------
@pytest.fixture
def imported(people, hr):
    upload(hr, xlsx(GOOD_ROWS))
    batch = latest_batch()
    hr.post(reverse("qms:import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "imported"
    return batch


def test_an_untouched_import_is_reverted_deleting_only_the_users_it_created(people, hr, imported):
    before = set(User.objects.exclude(username__in=["zhangsan", "lisi", "wangwu"]).values_list("pk", flat=True))
    response = hr.post(reverse("qms:import_revert", args=[imported.pk]), follow=True)
    assert "已撤销导入，删除了 3 条记录。" in response.content.decode()
    imported.refresh_from_db()
    assert imported.status == "reverted" and imported.reverted_by == people["hr"] and imported.reverted_at
    assert not User.objects.filter(username__in=["zhangsan", "lisi", "wangwu"]).exists()
    assert set(User.objects.values_list("pk", flat=True)) == before


def test_revert_is_refused_naming_the_records_changed_since(people, hr, imported):
    User.objects.filter(username="lisi").update(phone="13700137000")
    response = hr.post(reverse("qms:import_revert", args=[imported.pk]), follow=True)
    assert "以下记录在导入后已被修改，不能撤销：李四。" in response.content.decode()
    imported.refresh_from_db()
    assert imported.status == "imported"
    assert User.objects.filter(username__in=["zhangsan", "lisi", "wangwu"]).count() == 3


def test_revert_is_refused_when_a_role_was_changed_since(people, hr, imported):
    User.objects.get(username="zhangsan").groups.add(Group.objects.get(name=Role.QUALITY))
    response = hr.post(reverse("qms:import_revert", args=[imported.pk]), follow=True)
    assert "不能撤销：张三" in response.content.decode()
    assert User.objects.filter(username="zhangsan").exists()


def test_revert_is_refused_when_another_record_refers_to_an_imported_user(people, hr, imported):
    Department.objects.filter(name="品质部").update(manager=User.objects.get(username="lisi"))
    response = hr.post(reverse("qms:import_revert", args=[imported.pk]), follow=True)
    assert "导入的记录已被其他记录引用，不能撤销：部门“品质部”。" in response.content.decode()
    assert Department.objects.get(name="品质部").manager.username == "lisi"
    assert User.objects.filter(username="lisi").exists()


def test_the_batch_list_shows_a_users_own_batches_with_a_revert_button_and_all_to_administrators(people, hr, imported, login):
    page = hr.get(reverse("qms:import_list")).content.decode()
    assert "通讯录.xlsx" in page and reverse("qms:import_revert", args=[imported.pk]) in page
    assert "data-confirm=" in page
    other_hr = User.objects.create(username="hr2", department=people["hr"].department)
    other_hr.groups.add(Group.objects.get(name=Role.HR_ADMIN))
    client = login(other_hr)
    assert "通讯录.xlsx" not in client.get(reverse("qms:import_list")).content.decode()
    assert client.get(imported.get_absolute_url()).status_code == 404
    assert client.post(reverse("qms:import_revert", args=[imported.pk])).status_code == 404
    client = login(people["admin"])
    assert "通讯录.xlsx" in client.get(reverse("qms:import_list")).content.decode()


def test_the_batch_list_query_count_does_not_grow_with_rows(people, hr):
    def make(n):
        ImportBatch.objects.bulk_create(ImportBatch(definition_key="staff", file_name=f"f{i}.xlsx", file="x.xlsx",
                                                    created_by=people["hr"], status="imported") for i in range(n))

    make(3)
    with count_queries() as three:
        assert hr.get(reverse("qms:import_list")).status_code == 200
    make(27)
    with assert_queries_at_most(len(three)):
        assert "共 30 条" in hr.get(reverse("qms:import_list")).content.decode()


# --- permissions -------------------------------------------------------------------------------------
def test_a_salesperson_may_not_import_staff(people, login):
    client = login(people["sales"])
    assert client.get(reverse("qms:import_start", args=["staff"])).status_code == 403
    assert client.get(reverse("qms:import_template", args=["staff"])).status_code == 403
    assert upload(client, xlsx(GOOD_ROWS)).status_code == 403
    assert not ImportBatch.objects.exists()
    assert 'id="import-link"' not in client.get(reverse("qms:staff_list")).content.decode()


def test_hr_and_superusers_see_the_import_link_on_the_staff_list(people, login):
    for code in ("hr", "admin"):
        page = login(people[code]).get(reverse("qms:staff_list")).content.decode()
        assert reverse("qms:import_start", args=["staff"]) in page


# --- hostile and malformed files ---------------------------------------------------------------------
def refusal(client, content, name="通讯录.xlsx") -> str:
    response = upload(client, content, name)
    assert response.status_code == 200  # the form again, with the reason
    assert not ImportBatch.objects.exists()
    return response.content.decode()


def test_a_text_file_renamed_to_xlsx_is_refused(people, hr):
    assert "这不是 Excel 工作簿（.xlsx）文件" in refusal(hr, "账号,姓名\nzhangsan,张三\n".encode())


def test_a_zip_that_is_not_a_workbook_is_refused(people, hr):
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "这不是 Excel 工作簿（.xlsx）文件" in refusal(hr, handle.getvalue())


def test_a_file_over_the_size_limit_is_refused(people, hr, settings):
    content = b"PK\x03\x04" + b"\0" * settings.QMS_IMPORT_MAX_BYTES
    assert "文件太大" in refusal(hr, content)


def test_a_zip_bomb_with_many_entries_is_refused_before_openpyxl_opens_it(people, hr, settings):
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for i in range(settings.QMS_IMPORT_MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"xl/media/{i}.bin", "")
    with mock.patch("qms.excel.reading.open_workbook") as load_workbook:
        assert "文件结构异常" in refusal(hr, handle.getvalue())
    load_workbook.assert_not_called()


def test_a_zip_bomb_inflating_past_the_limit_is_refused_before_openpyxl_opens_it(people, hr, settings):
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as entry:
            chunk = b"\0" * (1 << 20)
            for _ in range(settings.QMS_IMPORT_MAX_UNCOMPRESSED_BYTES // len(chunk) + 1):
                entry.write(chunk)
    assert len(handle.getvalue()) < 1024 * 1024  # a small file…
    with mock.patch("qms.excel.reading.open_workbook") as load_workbook:
        assert "可能是压缩炸弹" in refusal(hr, handle.getvalue())  # …that would inflate past the limit
    load_workbook.assert_not_called()


def test_xml_entities_are_refused_by_defusedxml(people, hr):
    assert openpyxl.DEFUSEDXML is True
    source = zipfile.ZipFile(io.BytesIO(xlsx(GOOD_ROWS)))
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>' + data.replace(b"zhangsan", b"&a;")
            archive.writestr(item, data)
    page = refusal(hr, handle.getvalue())
    assert "无法读取此文件：其中含有不允许的 XML 内容" in page
    assert "EntitiesForbidden" not in page and "DefusedXml" not in page


def _with_sheet(change) -> bytes:
    """The good workbook with its sheet's XML passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(GOOD_ROWS)))
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            archive.writestr(item, change(data) if item.filename == "xl/worksheets/sheet1.xml" else data)
    return handle.getvalue()


def _rows_read(content: bytes) -> list[list]:
    with reading.open_sheet(io.BytesIO(content)) as sheet:
        return [[cell.value for cell in row.cells] for row in reading.iter_rows(sheet, len(HEADERS))]


@pytest.mark.parametrize("declaration", [
    b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>',
    b'<!DOCTYPE worksheet [<!ENTITY a SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE worksheet SYSTEM "http://example.com/sheet.dtd">',
])
def test_the_rows_reader_refuses_a_document_type_declaration_itself(declaration):
    # The header is read by openpyxl through defusedxml, which refuses it first; the rows' own reader (lxml) is
    # asked here without it: a declaration before the rows, or before a sheet without rows.
    hostile = _with_sheet(lambda data: declaration + data.replace(b"zhangsan", b"&a;" if b"ENTITY" in declaration
                                                                   else b"zhangsan"))
    empty = _with_sheet(lambda data: declaration + re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData/>", data))
    for content in (hostile, empty):
        with pytest.raises(reading.ImportFileError, match="其中含有不允许的 XML 内容"):
            _rows_read(content)


def test_comments_and_processing_instructions_in_a_row_leave_its_cells_in_their_columns():
    # without the cells' references (a writer may leave them out), a cell's column is counted from its row's start
    def unreferenced(data: bytes) -> bytes:
        return re.sub(rb'<c r="[A-Z]+[0-9]+"', b"<c", data)

    noisy = _with_sheet(lambda data: unreferenced(data)
                        .replace(b'<row r="2">', b'<row r="2"><!-- a note --><?app hint?>', 1)
                        .replace(b"<c", b"<!-- between --><c", 20))
    assert _rows_read(noisy) == _rows_read(_with_sheet(unreferenced)) == _rows_read(xlsx(GOOD_ROWS)) == [
        ["zhangsan", "张三", "销售部", "销售", "zhangsan@example.com", 13800138000],
        ["lisi", "李四", "品质部", "品质、文管中心", "lisi@example.com", "13900139000"],
        ["wangwu", "王五", "生产部", "生产,PMC", None, None]]


def test_a_sheet_broken_in_its_rows_is_refused_as_no_workbook(people, hr):
    broken = _with_sheet(lambda data: data.replace(b"</row>", b"</rowx>", 2))
    with pytest.raises(reading.ImportFileError, match="它不是有效的 Excel 工作簿"):
        _rows_read(broken)
    assert "它不是有效的 Excel 工作簿" in refusal(hr, broken)


def test_rows_past_a_wrong_declared_size_are_read_and_a_sheet_declaring_none_is_read_too():
    # A writer may declare a size smaller than the sheet (here A1:B2 for a header and three rows); openpyxl's own
    # write-only writer (the portal's exports and error workbooks) declares none.
    source = zipfile.ZipFile(io.BytesIO(xlsx(GOOD_ROWS)))
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b'<dimension ref="A1:F4"/>' in data
                data = data.replace(b'<dimension ref="A1:F4"/>', b'<dimension ref="A1:B2"/>')
            archive.writestr(item, data)
    write_only = openpyxl.Workbook(write_only=True)
    sheet = write_only.create_sheet()
    for values in [HEADERS, *GOOD_ROWS]:
        sheet.append(values)
    undeclared = io.BytesIO()
    write_only.save(undeclared)
    for content in (handle, undeclared):
        with reading.open_sheet(content) as sheet:
            rows = list(reading.iter_rows(sheet, len(HEADERS)))
        assert [[cell.value for cell in row.cells] for row in rows] == [
            ["zhangsan", "张三", "销售部", "销售", "zhangsan@example.com", 13800138000],
            ["lisi", "李四", "品质部", "品质、文管中心", "lisi@example.com", "13900139000"],
            ["wangwu", "王五", "生产部", "生产,PMC", None, None]]
        assert [row.number for row in rows] == [2, 3, 4]


def _cells_as_openpyxl_gives_them(content: bytes, width: int) -> list[tuple[int, list]]:
    """[(row number, [(value, is formula, is error)])] of the non-blank data rows, from openpyxl's own read-only
    cells: what ``reading.iter_rows`` must give without them."""
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = []
    for number, cells in enumerate(sheet.iter_rows(min_row=2, max_col=width), start=2):
        values = []
        for cell in cells:
            value, kind = cell.value, getattr(cell, "data_type", None)
            if isinstance(value, str) and kind != "f":
                value = value.strip() or None
            values.append((value, kind == "f" and value is not None, kind == "e"))
        if any(value is not None for value, _formula, _error in values):
            rows.append((number, values))
    return rows


def test_cells_are_read_as_openpyxl_reads_them_whoever_wrote_the_file():
    rows = {  # row number -> cells; rows 4 and 5 are missing, row 6 is blank
        2: [" 张三 ", 42, 3.5, dt.datetime(2026, 12, 5, 9, 30), True, "=1+1", "#N/A", "超出宽度"],
        3: ["", "李四", None, dt.date(2026, 1, 2), False, "=A2&\"x\"", None, None],
        6: [None] * 8,
        7: ["王五", None, None, None, None, None, None, None],
    }
    width = 7

    def by_openpyxl() -> bytes:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(HEADERS + ["七"])
        for number, values in rows.items():
            for column, value in enumerate(values, start=1):
                if value is not None:
                    sheet.cell(number, column, value)
        sheet.cell(7, 2, CellRichText(" 加粗", TextBlock(InlineFont(b=True), "与普通 ")))  # text in formatted runs
        handle = io.BytesIO()
        book.save(handle)
        return handle.getvalue()

    def by_xlsxwriter() -> bytes:
        handle = io.BytesIO()
        book = xlsxwriter.Workbook(handle, {"in_memory": True, "strings_to_formulas": False})
        sheet = book.add_worksheet()
        bold, dates = book.add_format({"bold": True}), book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet.write_row(0, 0, HEADERS + ["七"])
        for number, values in rows.items():
            for column, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, (dt.date, dt.datetime)):
                    sheet.write_datetime(number - 1, column, value, dates)
                elif isinstance(value, str) and value.startswith("="):
                    sheet.write_formula(number - 1, column, value)
                elif value == "#N/A":
                    sheet.write_formula(number - 1, column, "=NA()", None, "#N/A")
                else:
                    sheet.write(number - 1, column, value)
        sheet.write_rich_string(6, 1, " 加粗", bold, "与普通 ")
        book.close()
        return handle.getvalue()

    files = {"openpyxl (inline text)": by_openpyxl(), "XlsxWriter (shared text)": by_xlsxwriter()}
    for writer, content in files.items():
        with reading.open_sheet(io.BytesIO(content)) as sheet:
            read = [(row.number, [(cell.value, cell.is_formula, cell.is_error) for cell in row.cells])
                    for row in reading.iter_rows(sheet, width)]
        assert read == _cells_as_openpyxl_gives_them(content, width), writer
        assert [number for number, _cells in read] == [2, 3, 7], writer
        first = dict(zip(HEADERS, read[0][1]))
        assert first["账号"] == ("张三", False, False) and first["姓名"][0] == 42, writer
        assert first["部门"][0] == 3.5 and first["岗位"][0] == dt.datetime(2026, 12, 5, 9, 30), writer
        assert first["邮箱"][0] is True and first["手机"][1] is True, writer
        assert read[2][1][1] == ("加粗与普通", False, False), writer  # row 7's formatted runs, as one text


def _zip(files: dict) -> bytes:
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return handle.getvalue()


WORD_DOCUMENT = _zip({  # a .docx renamed to .xlsx: a zip with content types, but no workbook in it
    "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                           '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                           'officedocument.wordprocessingml.document.main+xml"/></Types>',
    "word/document.xml": "<w:document/>",
})


@pytest.mark.parametrize("content, parser_error", [
    (WORD_DOCUMENT, None),  # openpyxl raises OSError
    (_zip({"[Content_Types].xml": "not xml at all"}), None),  # ParseError
    (xlsx(GOOD_ROWS), ValueError("Max value is 14")),  # what openpyxl raises on a malformed style, e.g.
])
def test_an_unreadable_workbook_is_refused_with_a_reason_not_an_exception_name(people, hr, content, parser_error):
    patch = (mock.patch("qms.excel.reading.open_workbook", side_effect=parser_error) if parser_error
             else mock.patch("qms.excel.reading.open_workbook", wraps=reading.open_workbook))
    with patch:
        page = refusal(hr, content)
    assert "无法读取此文件：它不是有效的 Excel 工作簿（.xlsx），或文件已损坏。请用导入模板填写后另存为 .xlsx 再上传。" in page
    for name in ("OSError", "ParseError", "ValueError", "KeyError", "BadZipFile"):
        assert name not in page
    assert not ImportBatch.objects.exists()


def test_a_file_with_unknown_or_missing_columns_is_refused_naming_them(people, hr):
    page = refusal(hr, xlsx([["zhangsan", "张三"]], ["账号", "名字"]))
    assert "文件中有模板没有的列：名字" in page
    page = refusal(hr, xlsx([["zhangsan", "张三"]], ["账号", "姓名"]))
    assert "缺少必填的列：部门" in page


def test_a_file_without_data_rows_is_refused(people, hr):
    assert "文件中没有数据行" in refusal(hr, xlsx([]))


def test_a_formula_is_reported_never_evaluated(people, hr):
    upload(hr, xlsx([["zhangsan", '=CONCAT("张","三")', "销售部", "", "", ""]]))
    batch = latest_batch()
    ((row, column, message),) = error_list(batch)
    assert (row, column) == (2, "姓名") and message.startswith("不接受公式")


def test_blank_rows_are_ignored_and_row_numbers_stay_those_of_excel(people, hr):
    def trailing_cells(sheet):  # trailing whitespace and a formatted, empty cell
        sheet.cell(row=30, column=2, value="   ")
        sheet.cell(row=40, column=1).number_format = "@"

    upload(hr, workbook([GOOD_ROWS[0], [], ["lisi", "李四", "火星部", "", "", ""]],  # row 3 blank, row 4
                        headers=HEADERS, edit=trailing_cells))
    batch = latest_batch()
    assert (batch.total_rows, batch.valid_rows) == (2, 1)
    assert [row for row, _c, _m in error_list(batch)] == [4]


class HireDateForm(forms.ModelForm):
    hired_on = forms.DateField(label="入职日期")

    class Meta:
        model = User
        fields = ["username"]


@pytest.fixture
def dated_import():
    definition = register_import(ImportDefinition(
        key="test-dates", title="入职", form_class=HireDateForm, permission="qms.import_staff",
        columns=[Column("账号", "username"), Column("入职日期", "hired_on")],
    ))
    yield definition
    imports._definitions.pop(definition.key)


def test_dates_typed_as_dates_text_or_serial_numbers_are_read_and_bad_dates_reported(people, hr, dated_import):
    rows = [
        ["a1", dt.datetime(2026, 3, 1)],  # a real date cell
        ["a2", "2026-03-02"],
        ["a3", 46084],  # a serial number without a date format: 2026-03-03
        ["a4", "2026-02-30"],
        ["a5", "下周一"],
        ["a6", 9999999],  # beyond Excel's calendar
    ]
    upload(hr, xlsx(rows, ["账号", "入职日期"]), key="test-dates")
    batch = latest_batch()
    assert batch.valid_rows == 3
    assert error_list(batch) == [
        (5, "入职日期", "输入一个有效的日期。"),
        (6, "入职日期", "输入一个有效的日期。"),
        (7, "入职日期", "“9999999”不是有效的日期。"),
    ]
    checker = imports.RowChecker(dated_import, ["账号", "入职日期"])
    form, errors = checker.check(Row(3, (Cell("a3"), Cell(46084))))
    assert errors == [] and form.cleaned_data["hired_on"] == dt.date(2026, 3, 3)


def test_a_pass_sets_the_older_objects_aside_from_the_cycle_collector_and_hands_them_back(people, hr):
    threshold = gc.get_threshold()
    seen = []
    original = imports.validate_batch

    def validate_and_look(batch):
        seen.append((gc.get_freeze_count(), gc.get_threshold()))
        with collector.older_objects_set_aside():  # a run inside a run leaves them aside
            pass
        seen.append((gc.get_freeze_count(), gc.get_threshold()))
        original(batch)

    with mock.patch("qms.excel.imports.validate_batch", validate_and_look):
        upload(hr, xlsx(GOOD_ROWS))
    assert latest_batch().status == "preview"
    for frozen, during in seen:
        assert frozen > 10_000  # Django's and the apps' objects, left out of the walks
        assert during[0] == collector.YOUNG_OBJECTS_PER_COLLECTION and during[1:] == threshold[1:]
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == threshold  # handed back after the pass

    with pytest.raises(RuntimeError), collector.older_objects_set_aside():
        raise RuntimeError("a pass that fails")
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == threshold


@pytest.fixture
def set_aside_for_good():
    """``set_aside_loaded_objects`` in the test process, undone afterwards."""
    threshold = gc.get_threshold()
    yield collector.set_aside_loaded_objects
    collector._for_good = False
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_worker_that_set_its_objects_aside_for_good_keeps_them_aside_after_a_pass(people, hr, set_aside_for_good):
    threshold = gc.get_threshold()
    set_aside_for_good()
    frozen = gc.get_freeze_count()
    assert frozen > 10_000 and gc.get_threshold() == (collector.YOUNG_OBJECTS_PER_COLLECTION, *threshold[1:])
    upload(hr, xlsx(GOOD_ROWS))
    assert latest_batch().status == "preview"
    # the pass neither handed the worker's objects back (gc.unfreeze: none left aside) nor lowered the threshold;
    # a few set-aside objects are freed as their last reference goes
    assert gc.get_freeze_count() > frozen * 0.9
    assert gc.get_threshold() == (collector.YOUNG_OBJECTS_PER_COLLECTION, *threshold[1:])


def test_setting_aside_for_good_during_a_pass_is_not_undone_when_the_pass_ends(set_aside_for_good):
    threshold = gc.get_threshold()
    with collector.older_objects_set_aside():
        set_aside_for_good()
    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold() == (collector.YOUNG_OBJECTS_PER_COLLECTION, *threshold[1:])


def test_the_web_workers_application_sets_the_loaded_portal_aside():
    """``qms.wsgi``, as gunicorn loads it in a worker: the URLconf's views loaded, then set aside for good."""
    code = ("import gc, sys, qms.wsgi; "
            "print(gc.get_freeze_count() > 100_000, gc.get_threshold()[0], 'renovation.views.applications' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2], env={**os.environ, "DJANGO_SETTINGS_MODULE": "qms.test_settings"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", str(collector.YOUNG_OBJECTS_PER_COLLECTION), "True"]


# --- large files: the worker ---------------------------------------------------------------------------
def test_a_large_file_is_validated_and_imported_by_the_worker_with_progress(people, hr, settings):
    settings.QMS_IMPORT_ASYNC_ROWS = 2
    with mock.patch("qms.taskqueue.send_after_commit") as send:
        upload(hr, xlsx(GOOD_ROWS))
    batch = latest_batch()
    send.assert_called_once_with("qms.tasks.run_import", batch.pk)
    assert batch.status == "validating"
    page = hr.get(batch.get_absolute_url()).content.decode()
    assert "import_progress.js" in page and reverse("qms:import_progress", args=[batch.pk]) in page
    assert "<script>" not in page
    progress = hr.get(reverse("qms:import_progress", args=[batch.pk])).json()
    assert progress["running"] and progress["total"] == 3 and progress["status_label"] == "校验中"

    assert imports.run_batch(batch.pk) == "preview"  # what the task does
    progress = hr.get(reverse("qms:import_progress", args=[batch.pk])).json()
    assert not progress["running"] and progress["done"] == 3 and progress["percent"] == 100

    with mock.patch("qms.taskqueue.send_after_commit") as send:
        hr.post(reverse("qms:import_commit", args=[batch.pk]))
    send.assert_called_once_with("qms.tasks.run_import", batch.pk)
    batch.refresh_from_db()
    assert batch.status == "importing" and not User.objects.filter(username="zhangsan").exists()
    assert tasks.run_import.apply(args=[batch.pk]).get() == "imported"  # the task body, in-process
    assert User.objects.filter(username__in=["zhangsan", "lisi", "wangwu"]).count() == 3
    assert imports.run_batch(batch.pk) == "imported"  # a redelivered task does nothing more
    assert User.objects.filter(username="zhangsan").count() == 1


def test_a_stored_file_that_cannot_be_read_fails_the_batch_with_its_reason(people, hr, settings):
    settings.QMS_IMPORT_ASYNC_ROWS = 2
    with mock.patch("qms.taskqueue.send_after_commit"):
        upload(hr, xlsx(GOOD_ROWS))
    batch = latest_batch()
    with open(batch.file.path, "wb") as damaged:
        damaged.write(b"not a workbook any more")
    assert imports.run_batch(batch.pk) == "failed"
    batch.refresh_from_db()
    assert batch.message.startswith("这不是 Excel 工作簿")
    page = hr.get(batch.get_absolute_url()).content.decode()
    assert "失败" in page and "这不是 Excel 工作簿" in page and 'id="commit-form"' not in page


UPLOADED_AT = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _broker_down():
    """Sending the task fails as it does when Redis does not answer."""
    from kombu.exceptions import OperationalError

    return mock.patch.object(tasks.run_import, "apply_async", side_effect=OperationalError(
        "Error 111 connecting to 127.0.0.1:6379. Connection refused."))


def _broker_and_worker_up():
    """The task is delivered and a worker runs it (in-process)."""
    return mock.patch.object(tasks.run_import, "apply_async",
                             side_effect=lambda args=None, kwargs=None, **options: tasks.run_import.apply(args, kwargs))


def test_a_large_import_sent_while_the_broker_was_down_is_sent_again_by_the_tick_and_finishes(
        people, hr, settings, django_capture_on_commit_callbacks):
    settings.QMS_IMPORT_ASYNC_ROWS = 2
    settings.QMS_IMPORT_STALE_MINUTES = 5
    minutes = lambda n: UPLOADED_AT + dt.timedelta(minutes=n)  # noqa: E731
    with time_machine.travel(UPLOADED_AT, tick=False):
        with _broker_down() as send, django_capture_on_commit_callbacks(execute=True):
            assert upload(hr, xlsx(GOOD_ROWS)).status_code == 302  # the upload itself succeeds
        assert send.call_count == 1
        batch = latest_batch()
        assert batch.status == "validating" and batch.progress_done == 0
        page = hr.get(batch.get_absolute_url()).content.decode()
        assert 'id="import-not-started"' in page and "尚未开始处理" in page and "自动重新提交" in page
        assert hr.get(reverse("qms:import_progress", args=[batch.pk])).json()["started"] is False

    # Too early to call it lost: the tick leaves it alone.
    with time_machine.travel(minutes(4), tick=False), _broker_down() as send:
        tasks.deadline_tick.apply().get()
    assert send.call_count == 0
    # Broker still down: the tick tries once; a second tick at the same moment does not send it again.
    with time_machine.travel(minutes(6), tick=False), _broker_down() as send:
        tasks.deadline_tick.apply().get()
        tasks.deadline_tick.apply().get()
    assert send.call_count == 1
    assert latest_batch().status == "validating"
    # Broker back: the next tick after the wait hands it to the worker, which validates it.
    with time_machine.travel(minutes(12), tick=False), _broker_and_worker_up() as send:
        tasks.deadline_tick.apply().get()
    assert send.call_count == 1
    batch.refresh_from_db()
    assert batch.status == "preview" and batch.valid_rows == 3 and batch.progress_done == 3
    page = hr.get(batch.get_absolute_url()).content.decode()
    assert "尚未开始处理" not in page and 'id="commit-form"' in page

    # The same for the commit: requested while the broker is down, finished by the tick.
    with time_machine.travel(minutes(20), tick=False):
        with _broker_down(), django_capture_on_commit_callbacks(execute=True):
            hr.post(reverse("qms:import_commit", args=[batch.pk]))
        batch.refresh_from_db()
        assert batch.status == "importing"
        page = hr.get(batch.get_absolute_url()).content.decode()
        assert "正在导入" in page and "尚未开始处理" in page
    with time_machine.travel(minutes(26), tick=False), _broker_and_worker_up():
        tasks.deadline_tick.apply().get()
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.created_count == 3
    assert User.objects.filter(username__in=["zhangsan", "lisi", "wangwu"]).count() == 3


def test_a_batch_that_a_worker_is_running_is_not_run_twice(people, hr, settings):
    settings.QMS_IMPORT_ASYNC_ROWS = 2
    with mock.patch("qms.taskqueue.send_after_commit"):
        upload(hr, xlsx(GOOD_ROWS))
    batch = latest_batch()
    worker = connections.create_connection(DEFAULT_DB_ALIAS)  # another worker's connection, busy with the batch
    try:
        with worker.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [imports._RUN_LOCK, batch.pk])
        assert imports.run_batch(batch.pk) == "busy"  # e.g. the tick's re-send, delivered while the first runs
        batch.refresh_from_db()
        assert batch.status == "validating" and batch.worked_at is None and batch.progress_done == 0
        with worker.cursor() as cursor:  # that worker is done with it
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [imports._RUN_LOCK, batch.pk])
    finally:
        worker.close()
    assert imports.run_batch(batch.pk) == "preview"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_progress_bar_follows_the_worker_and_the_page_reloads_when_it_is_done(browser_page, live_server, people,
                                                                                 settings, tmp_path):
    from qms.demo import DEMO_PASSWORD
    from qms.tests.browser import log_in

    settings.QMS_IMPORT_ASYNC_ROWS = 2
    source = tmp_path / "通讯录.xlsx"
    source.write_bytes(xlsx(GOOD_ROWS))
    page = browser_page
    log_in(page, live_server.url, "admin", DEMO_PASSWORD)  # a superuser: no role needed after a flush
    with mock.patch("qms.taskqueue.send_after_commit") as send:
        page.goto(f"{live_server.url}{reverse('qms:import_start', args=['staff'])}")
        page.set_input_files("#upload-form input[type=file]", str(source))
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("#import-progress progress")
        assert send.call_count == 1
        batch = latest_batch()
        imports.run_batch(batch.pk)  # the worker, while the page polls
        page.wait_for_selector("#commit-form", timeout=10000)
        assert "全部 3 行检查无误" in page.inner_text("main")
        page.click("#commit-form button[type=submit]")
        page.wait_for_selector("#import-progress")
        assert "正在导入" in page.inner_text("#import-progress")
        imports.run_batch(batch.pk)
        page.wait_for_selector("#revert-form", timeout=10000)
    assert User.objects.filter(username__in=["zhangsan", "lisi", "wangwu"]).count() == 3
