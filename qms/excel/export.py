"""Streaming .xlsx export: write-only workbooks, constant memory, never a formula from data.

``stream_xlsx(filename, headers, rows)`` returns a response that the browser downloads; ``rows`` is any
iterable (use ``queryset.iterator()``), consumed once while the workbook is written to a temporary file
in write-only mode, then streamed back in chunks. ``stream_table(table, records, filename)`` does the same
with a django-tables2 table's visible columns, so that a list page exports exactly what it shows.

Dates and date-times are Excel date cells (local time, ``yyyy-mm-dd hh:mm``), so that they sort and filter in
Excel; text that begins like a formula is text with Excel's quote prefix (``CellStyles``).

A list's export reads its records with ``export_records(queryset)``: the same records, in the same order, with the
relations the list declares (``select_related`` / ``prefetch_related``) attached, made from plain value rows and
small id maps instead of Django's per-row instance machinery (most of an export's time at 100,000 rows).
"""
from __future__ import annotations

import datetime as dt
import decimal
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from urllib.parse import quote

from django.db.models.base import ModelState
from django.db.models.query import ModelIterable
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
FORMULA_STARTS = frozenset(FORMULA_PREFIXES)
PLAIN_TYPES = frozenset({int, float, bool, decimal.Decimal})
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
        self.zone = timezone.get_current_timezone()

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
        kind = type(value)
        if kind is str:  # most cells: checked by their first character only
            return self._formula_text(value) if value[:1] in FORMULA_STARTS else value
        if value is None or kind in PLAIN_TYPES:
            return value
        if kind is dt.datetime:
            if value.tzinfo is not None:  # local time, as the pages show it (the zone read once per sheet)
                value = value.astimezone(self.zone)
            return self.cell(value.replace(tzinfo=None, microsecond=0), self.datetime)
        value = cell_value(value)  # lazy translations, marked-safe HTML, subclasses
        if isinstance(value, str):
            return self._formula_text(value) if value.startswith(FORMULA_PREFIXES) else value
        if isinstance(value, dt.datetime):
            return self.cell(value, self.datetime)
        if isinstance(value, dt.date):
            return self.cell(value, self.date)
        return value

    def _formula_text(self, value: str) -> Cell:
        cell = self.cell(value, self.formula_text)
        cell.data_type = "s"  # a string starting with "=" is text, never a formula
        return cell


def write_rows(sheet, headers: Sequence[str], rows: Iterable, columns: Sequence[Callable] | None = None) -> int:
    """Append a bold header row then the data rows to a write-only sheet; returns the data row count. ``rows`` are
    sequences of values, or, with ``columns`` (one ``item -> value`` function per column), the items they are read
    from: each cell is then read and written in one step, with no list of values in between."""
    styles = CellStyles(sheet)
    sheet.append([styles.cell(force_str(header), styles.header) for header in headers])
    count = 0
    data_cell, append = styles.data_cell, sheet.append
    if columns is None:
        for row in rows:
            append([data_cell(value) for value in row])
            count += 1
    else:
        for item in rows:
            append([data_cell(value_of(item)) for value_of in columns])
            count += 1
    return count


def build_workbook_file(sheet_title: str, headers: Sequence[str], rows: Iterable,
                        columns: Sequence[Callable] | None = None):
    """Write the workbook to a temporary file (spooled to disk) and return it rewound."""
    workbook = Workbook(write_only=True)
    title = INVALID_TITLE_CHARACTERS.sub("_", force_str(sheet_title))[:31]
    sheet = workbook.create_sheet(title=title or "Sheet1")
    write_rows(sheet, headers, rows, columns)
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(handle)
    handle.seek(0)
    return handle


def stream_xlsx(filename: str, headers: Sequence[str], rows: Iterable, sheet_title: str = "",
                columns: Sequence[Callable] | None = None) -> FileResponse:
    """The download response for an export (``rows`` and ``columns`` as ``write_rows`` takes them); ``filename``
    may be Chinese (RFC 5987 encoded)."""
    if not filename.endswith(".xlsx"):
        filename += ".xlsx"
    handle = build_workbook_file(sheet_title or filename.rsplit(".", 1)[0], headers, rows, columns)
    return xlsx_response(handle, filename)


def xlsx_response(handle, filename: str) -> FileResponse:
    """Download an .xlsx held in an open, rewound file; ``filename`` may be Chinese (RFC 5987 encoded)."""
    response = FileResponse(handle, content_type=XLSX_CONTENT_TYPE, as_attachment=True, filename=filename)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _caller(function, names: tuple[str, ...], fixed: dict):
    """``(value, record) -> function(...)`` with only the arguments the function takes (``fixed``: the ones that are
    the same on every row), without building a dict of every argument for every cell."""
    if names == ("record",):
        return lambda value, record: function(record=record)
    if names == ("value",):
        return lambda value, record: function(value=value)
    if names == ("value", "record"):
        return lambda value, record: function(value=value, record=record)
    if not names:
        return lambda value, record: function()
    fixed = {name: fixed[name] for name in names if name in fixed}
    per_row = [name for name in names if name in ("value", "record")]

    def call(value, record):
        varying = {"value": value, "record": record}
        return function(**fixed, **{name: varying[name] for name in per_row})
    return call


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
    value_of = cell.value_of

    if cell.special:  # a link or many-to-many column: django-tables2's own way, cell by cell
        def get(record):
            return BoundRow(record, table=table).get_cell_value(bound_column.name)
        return get

    if raw:
        def get(record):
            value = value_of(record)
            return None if value in empty else value
        return get

    if not empty and names == ("record",):  # a value function of the record alone (most of them): called as it is
        return lambda record: function(record=record)
    call = _caller(function, names, {"column": column, "bound_column": bound_column, "bound_row": None,
                                     "table": table})
    if not empty and "value" not in names:  # the cell's value is neither tested nor passed: not worked out
        return lambda record: call(None, record)

    def get(record):
        value = value_of(record)
        if value in empty:
            return None
        return call(value, record)

    return get


def table_columns(table, exclude: Sequence[str] = ()) -> tuple[list[str], list[Callable]]:
    """The table's visible, exportable columns: their headers, and for each a ``record -> value`` function giving
    what the table computes (``value_FOO``, else ``render_FOO``, else the column's accessor)."""
    columns = [column for column in table.columns
               if not column.column.exclude_from_export and column.name not in exclude]
    return [force_str(column.header) for column in columns], [_value_getter(table, column) for column in columns]


def table_headers_and_rows(table, records: Iterable, exclude: Sequence[str] = ()) -> tuple[list[str], Iterable[list]]:
    """The headers of ``table_columns`` and each record's values."""
    headers, getters = table_columns(table, exclude)
    return headers, ([get(record) for get in getters] for record in records)


def stream_table(table, records: Iterable, filename: str, exclude: Sequence[str] = (),
                 sheet_title: str = "") -> FileResponse:
    """Export ``records`` (e.g. ``export_records(queryset)``) with ``table``'s columns, less ``exclude``."""
    headers, getters = table_columns(table, exclude)
    return stream_xlsx(filename, headers, records, sheet_title=sheet_title, columns=getters)


# --- the records of an export ----------------------------------------------------------------------------------
EXPORT_CHUNK_ROWS = 2000
RELATED_KEPT = 20_000  # related records kept between chunks (options, regions, people: all of them; customers: a window)


def export_records(queryset, chunk_size: int = EXPORT_CHUNK_ROWS) -> Iterator:
    """The queryset's records in its order, for an export: made from value rows ``chunk_size`` at a time, each with
    the forward relations the queryset joins or prefetches attached from id maps (one query per relation for the
    ids a chunk adds; an option, a region or a person is read once per export). Django builds every record through
    ``Model.__init__`` and prefetches the relations again for every chunk: two thirds of an export's own time at
    100,000 customers. The records are the model's own (methods and properties work) and read-only. A queryset this
    cannot copy exactly (values, deferred fields, ``extra``, a ``Prefetch`` object, a reverse or many-to-many
    relation, a model with its own ``__init__``, ``from_db`` or ``post_init`` receivers) is iterated as Django does."""
    relations = _forward_relations(queryset)
    if relations is None:
        yield from queryset.iterator(chunk_size=chunk_size)
        return
    model, db = queryset.model, queryset.db
    names = [field.attname for field in model._meta.concrete_fields] + list(queryset.query.annotation_select)
    rows = queryset.select_related(None).prefetch_related(None).values_list(*names).iterator(chunk_size=chunk_size)
    kept = {field: {} for field in relations}
    new = model.__new__
    while True:
        chunk = list(islice(rows, chunk_size))
        if not chunk:
            return
        records = []
        for row in chunk:
            record = new(model)
            record.__dict__.update(zip(names, row))
            state = record._state = ModelState()
            state.adding, state.db = False, db
            records.append(record)
        for field, nested in relations.items():
            _attach(records, field, nested, kept[field], db)
        yield from records


def _forward_relations(queryset) -> dict | None:
    """``{forward relation field: [its own lookups]}`` of what the queryset joins (``select_related``) or prefetches,
    or None when it is not a plain model queryset whose relations are all forward many-to-one or one-to-one."""
    from django.db.models import Model, signals

    model, query = queryset.model, queryset.query
    if (queryset._iterable_class is not ModelIterable or query.deferred_loading[0] or query.extra
            or query.select_related is True or model.__init__ is not Model.__init__
            or model.from_db.__func__ is not Model.from_db.__func__ or signals.post_init.has_listeners(model)):
        return None
    lookups = []

    def walk(tree: dict, prefix: str) -> None:
        for name, below in tree.items():
            lookups.append(prefix + name)
            walk(below, f"{prefix}{name}__")

    walk(query.select_related or {}, "")
    for lookup in queryset._prefetch_related_lookups:
        if not isinstance(lookup, str):  # a Prefetch with its own queryset
            return None
        lookups.append(lookup)
    relations: dict = {}
    for lookup in lookups:
        first, _, rest = lookup.partition("__")
        try:
            field = model._meta.get_field(first)
        except Exception:  # noqa: BLE001 - not a field: a prefetch of something else
            return None
        if not (field.is_relation and field.concrete and (field.many_to_one or field.one_to_one)
                and len(field.foreign_related_fields) == 1):
            return None
        below = relations.setdefault(field, [])
        if rest and rest not in below:
            below.append(rest)
    return relations


def _attach(records: list, field, nested: list[str], kept: dict, db: str) -> None:
    """Give each record its ``field`` relation from ``kept`` (the related records by key), reading the missing ones
    (with their own ``nested`` relations) in one query."""
    attname, target = field.attname, field.foreign_related_fields[0].attname
    missing = {getattr(record, attname) for record in records} - kept.keys()
    missing.discard(None)
    if missing:
        if len(kept) + len(missing) > RELATED_KEPT:
            kept.clear()
            missing = {getattr(record, attname) for record in records} - {None}
        related = field.related_model._base_manager.db_manager(db).filter(**{f"{target}__in": missing})
        if nested:
            related = related.prefetch_related(*nested)
        kept.update((getattr(obj, target), obj) for obj in related)
    name = field.name
    for record in records:
        key = getattr(record, attname)
        record._state.fields_cache[name] = kept.get(key) if key is not None else None
