"""The workbooks an import hands out: the template to fill in, and the bad rows with their reasons."""
from __future__ import annotations

import io
from collections import defaultdict

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from qms.excel.export import build_workbook_file
from qms.excel.imports import ImportDefinition, choice_options, is_choice, is_multiple
from qms.excel.models import ImportBatch
from qms.excel.reading import ERROR_COLUMN, open_sheet, read_header

TEMPLATE_ROWS = 5000  # rows below the header that carry the drop-downs
INLINE_LIST_LIMIT = 250  # Excel refuses an inline list longer than 255 characters
OPTIONS_SHEET = "选项"
INSTRUCTIONS_SHEET = "说明"
REQUIRED_FONT = Font(bold=True, color="C00000")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def field_format(field: forms.Field) -> str:
    """How a cell of this form field is filled in, for the 说明 sheet."""
    if is_multiple(field):
        return _("从下拉列表选择；可填多个，用“、”或“,”分隔")
    if is_choice(field):
        return _("从下拉列表选择")
    if isinstance(field, forms.DateTimeField):
        return _("日期时间，如 2026-01-31 08:30")
    if isinstance(field, forms.DateField):
        return _("日期，如 2026-01-31")
    if isinstance(field, forms.TimeField):
        return _("时间，如 08:30")
    if isinstance(field, (forms.BooleanField, forms.NullBooleanField)):
        return _("是 / 否")
    if isinstance(field, forms.EmailField):
        return _("电子邮箱地址")
    if isinstance(field, forms.IntegerField):
        return _("整数")
    if isinstance(field, (forms.DecimalField, forms.FloatField)):
        return _("数字")
    max_length = getattr(field, "max_length", None)
    return _("文本，最多 %(n)d 个字") % {"n": max_length} if max_length else _("文本")


def column_width(field: forms.Field, header: str) -> float:
    if isinstance(field, forms.EmailField) or is_multiple(field):
        return 28
    if isinstance(field, (forms.DateTimeField, forms.DateField)) or is_choice(field):
        return 18
    return max(14, 2.2 * len(header) + 4)


def _allowed_text(labels: list[str]) -> str:
    if not labels:
        return ""
    if len(labels) > 30:
        return _("%(some)s …（共 %(count)d 项，见下拉列表）") % {"some": "、".join(labels[:30]), "count": len(labels)}
    return "、".join(labels)


def template_workbook(definition: ImportDefinition) -> io.BytesIO:
    """The .xlsx to fill in: Chinese headers (required ones in red), drop-downs, a 说明 sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = definition.sheet_title
    instructions = workbook.create_sheet(INSTRUCTIONS_SHEET)
    options_sheet, options_columns = None, 0
    notes = []
    for index, column in enumerate(definition.columns, start=1):
        field = definition.form_field(column)
        letter = get_column_letter(index)
        required = definition.is_required(column)
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = REQUIRED_FONT if required else Font(bold=True)
        cell.fill = HEADER_FILL
        sheet.column_dimensions[letter].width = column_width(field, column.header)
        labels = [label for label, _value in choice_options(field)] if is_choice(field) else []
        if labels:
            cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
            inline = ",".join(labels)
            if len(inline) + 2 <= INLINE_LIST_LIMIT and not any("," in label or '"' in label for label in labels):
                source = f'"{inline}"'
            else:
                # Long lists (and labels with commas) live on a hidden sheet the drop-down points at.
                if options_sheet is None:
                    options_sheet = workbook.create_sheet(OPTIONS_SHEET)
                    options_sheet.sheet_state = "hidden"
                options_columns += 1
                options_letter = get_column_letter(options_columns)
                options_sheet.cell(row=1, column=options_columns, value=column.header)
                for row, label in enumerate(labels, start=2):
                    options_sheet.cell(row=row, column=options_columns, value=label).data_type = "s"
                source = f"{quote_sheetname(OPTIONS_SHEET)}!${options_letter}$2:${options_letter}${len(labels) + 1}"
            multiple = is_multiple(field)
            validation = DataValidation(
                type="list", formula1=source, allow_blank=True,
                # several roles in one cell are typed by hand: the list helps, but must not refuse them
                showErrorMessage=not multiple,
                errorTitle=_("无效的值"), error=_("请从下拉列表中选择。"),
                promptTitle=column.header, prompt=field_format(field)[:255], showInputMessage=True,
            )
            validation.add(cells)
            sheet.add_data_validation(validation)
        elif not isinstance(field, (forms.DateField, forms.DateTimeField, forms.IntegerField, forms.DecimalField,
                                    forms.FloatField, forms.BooleanField)):
            # Text columns are formatted as text so that Excel keeps 0-led codes and long phone numbers.
            sheet.column_dimensions[letter].number_format = "@"
        notes.append([column.header, _("必填") if required else _("选填"), _allowed_text(labels),
                      "；".join(s for s in (field_format(field), force_str(column.help), force_str(field.help_text)) if s)])
    if definition.template_rows:
        for values in definition.template_rows():
            sheet.append(list(values))
    sheet.freeze_panes = "A2"

    instructions.append([_("填写说明：%(title)s") % {"title": definition.title}])
    instructions["A1"].font = Font(bold=True, size=14)
    for line in (
        _("第一行是列名，请勿修改；从第二行起每行一条记录，空行会被忽略。"),
        _("红色列名为必填列。不接受公式，请直接填写数值。"),
        _("文件须为 .xlsx 格式，不超过 %(size)s。") % {"size": filesizeformat(settings.QMS_IMPORT_MAX_BYTES)},
    ):
        instructions.append([line])
    instructions.append([])
    header_row = instructions.max_row + 1
    instructions.append([_("列名"), _("是否必填"), _("允许的值"), _("格式与说明")])
    for cell in instructions[header_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for note in notes:
        instructions.append(note)
    for letter, width in zip("ABCD", (16, 10, 50, 50)):
        instructions.column_dimensions[letter].width = width
    for row in instructions.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    handle = io.BytesIO()
    workbook.save(handle)
    handle.seek(0)
    return handle


def joined_reasons(reasons: list[str]) -> str:
    """A row's reasons as one Chinese sentence: clauses joined by "；", one "。" at the end (not "。；")."""
    clauses = [reason.strip().rstrip("。.;；") for reason in reasons if reason.strip()]
    return "；".join(clauses) + "。" if clauses else ""


def error_workbook(batch: ImportBatch, definition: ImportDefinition):
    """The uploaded sheet's bad rows, as they were, with a last column 错误原因; a rewound temporary file."""
    reasons: dict[int, list[str]] = defaultdict(list)
    for error in batch.errors:
        reasons[error["row"]].append(f"{error['column']}：{error['message']}" if error["column"] else error["message"])
    with batch.file.open("rb") as handle, open_sheet(handle, definition.sheet_title) as sheet:
        headers = read_header(sheet)
        keep = [i for i, h in enumerate(headers) if h != ERROR_COLUMN]  # a file that came back from here

        def rows():
            for number, row in enumerate(sheet.iter_rows(min_row=2, max_col=len(headers), values_only=True), start=2):
                if number in reasons:
                    values = list(row) + [None] * (len(headers) - len(row))
                    yield [values[i] for i in keep] + [joined_reasons(reasons[number])]

        return build_workbook_file(definition.sheet_title, [headers[i] for i in keep] + [ERROR_COLUMN], rows())
