"""Streaming .xlsx export: write-only workbooks, constant memory, never a formula from data.

``stream_xlsx(filename, headers, rows)`` returns a response that the browser downloads; ``rows`` is any
iterable (use ``queryset.iterator()``), consumed once while the workbook is written to a temporary file
in write-only mode, then streamed back in chunks. ``stream_table(table, records, filename)`` does the same
with a django-tables2 table's visible columns, so that a list page exports exactly what it shows.

Dates and date-times are Excel date cells (local time, ``yyyy-mm-dd hh:mm``), so that they sort and filter in
Excel; text that begins like a formula is text with Excel's quote prefix (``CellStyles``).
"""
from __future__ import annotations

import datetime as dt
import decimal
import re
import tempfile
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from django.http import FileResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from django_tables2 import Column, DateColumn, DateTimeColumn
from django_tables2.rows import BoundRow
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@")
INVALID_TITLE_CHARACTERS = re.compile(r"[\\/?*\[\]:]")


DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


def cell_value(value):
    """A value Excel will show as data: date-times in local time (settings.TIME_ZONE, as the pages show them)
    without a time zone, which Excel cannot hold; text that looks like a formula stays text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)  # Excel keeps milliseconds at best
    if isinstance(value, (dt.date, dt.time)):
        return value
    if isinstance(value, Promise):
        value = force_str(value)
    if isinstance(value, SafeData):  # a table's render_FOO that returns HTML (badges, links)
        return strip_tags(value)
    return str(value)


class CellStyles:
    """The few formats of an export's cells, each built once per sheet and given to the cells it applies to
    (openpyxl keeps a cell's format as a small array of indexes, copied when a cell is made with it).

    ``formula_text``: text that begins like a formula is written as text *and* with Excel's quote prefix (the
    hidden apostrophe), so that editing the cell in Excel keeps it text instead of turning it into a live formula.
    """

    def __init__(self, sheet):
        self.sheet = sheet
        self.header = self._style(font=Font(bold=True))
        self.formula_text = self._style(quotePrefix=True)
        self.datetime = self._style(number_format=DATETIME_FORMAT)
        self.date = self._style(number_format=DATE_FORMAT)

    def _style(self, **attributes):
        probe = WriteOnlyCell(self.sheet)
        for name, value in attributes.items():
            setattr(probe, name, value)
        return probe._style

    def cell(self, value, style=None) -> Cell:
        return Cell(self.sheet, row=1, column=1, value=value, style_array=style)

    def data_cell(self, value):
        """A value as the write-only sheet takes it: a styled cell for a date, a date-time and formula-like text,
        the plain value otherwise (most cells: openpyxl writes them without building a cell object)."""
        value = cell_value(value)
        if isinstance(value, str):
            if value.startswith(FORMULA_PREFIXES):
                cell = self.cell(value, self.formula_text)
                cell.data_type = "s"  # a string starting with "=" is text, never a formula
                return cell
            return value
        if isinstance(value, dt.datetime):
            return self.cell(value, self.datetime)
        if isinstance(value, dt.date):
            return self.cell(value, self.date)
        return value


def write_rows(sheet, headers: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Append a bold header row then the data rows to a write-only sheet; returns the data row count."""
    styles = CellStyles(sheet)
    sheet.append([styles.cell(force_str(header), styles.header) for header in headers])
    count = 0
    data_cell = styles.data_cell
    for row in rows:
        sheet.append([data_cell(value) for value in row])
        count += 1
    return count


def build_workbook_file(sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence]):
    """Write the workbook to a temporary file (spooled to disk) and return it rewound."""
    workbook = Workbook(write_only=True)
    title = INVALID_TITLE_CHARACTERS.sub("_", force_str(sheet_title))[:31]
    sheet = workbook.create_sheet(title=title or "Sheet1")
    write_rows(sheet, headers, rows)
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(handle)
    handle.seek(0)
    return handle


def stream_xlsx(filename: str, headers: Sequence[str], rows: Iterable[Sequence], sheet_title: str = "") -> FileResponse:
    """The download response for an export; ``filename`` may be Chinese (RFC 5987 encoded)."""
    if not filename.endswith(".xlsx"):
        filename += ".xlsx"
    handle = build_workbook_file(sheet_title or filename.rsplit(".", 1)[0], headers, rows)
    return xlsx_response(handle, filename)


def xlsx_response(handle, filename: str) -> FileResponse:
    """Download an .xlsx held in an open, rewound file; ``filename`` may be Chinese (RFC 5987 encoded)."""
    response = FileResponse(handle, content_type=XLSX_CONTENT_TYPE, as_attachment=True, filename=filename)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _value_getter(table, bound_column):
    """``record -> value`` equal to ``BoundRow.get_cell_value(name)``, with everything that does not change from
    row to row worked out once per column (the value function's arguments, whether the value is a choice's label,
    the accessor): django-tables2 works them out again for every cell, most of an export's time."""
    from qms.tables import _Cell, _takes

    column = bound_column.column
    cell = _Cell(table, bound_column)
    function = bound_column.value  # the table's value_FOO, else its render_FOO, else the column's value()
    own_value = getattr(function, "__func__", None)
    # Date and date-time columns export the value itself (a date cell, in local time), not their text:
    # django-tables2 gives value.isoformat(), in UTC with microseconds.
    raw = own_value in (DateTimeColumn.value, DateColumn.value) or (
        own_value is Column.value and type(column).render is Column.render)
    names = _takes(function)
    empty = column.empty_values

    if cell.special:  # a link or many-to-many column: django-tables2's own way, cell by cell
        def get(record):
            return BoundRow(record, table=table).get_cell_value(bound_column.name)
        return get

    def get(record):
        value = cell.value_of(record)
        if value in empty:
            return None
        if raw:
            return value
        arguments = {"value": value, "record": record, "column": column, "bound_column": bound_column,
                     "bound_row": None, "table": table}
        return function(**{name: arguments[name] for name in names})

    return get


def table_headers_and_rows(table, records: Iterable, exclude: Sequence[str] = ()) -> tuple[list[str], Iterable[list]]:
    """The table's visible, exportable columns: their headers, and each record's values as the table
    computes them (``value_FOO``, else ``render_FOO``, else the column's accessor)."""
    columns = [column for column in table.columns
               if not column.column.exclude_from_export and column.name not in exclude]
    headers = [force_str(column.header) for column in columns]
    getters = [_value_getter(table, column) for column in columns]

    def rows():
        for record in records:
            yield [get(record) for get in getters]

    return headers, rows()


def stream_table(table, records: Iterable, filename: str, exclude: Sequence[str] = (),
                 sheet_title: str = "") -> FileResponse:
    """Export ``records`` (e.g. ``queryset.iterator()``) with ``table``'s columns, less ``exclude``."""
    headers, rows = table_headers_and_rows(table, records, exclude)
    return stream_xlsx(filename, headers, rows, sheet_title=sheet_title)
