"""Streaming .xlsx export: constant memory, never a formula from data.

``stream_xlsx(filename, headers, rows)`` returns a response that the browser downloads; ``rows`` is any
iterable (use ``queryset.iterator()``), consumed once while the workbook is written row by row to a temporary file
(``ExportWorkbook``, xlsxwriter's constant-memory mode), then streamed back in chunks. ``stream_table(table,
records, filename)`` does the same with a django-tables2 table's visible columns, so that a list page exports
exactly what it shows. A workbook of several sheets is an ``ExportWorkbook`` filled sheet by sheet with
``write_rows``.

Dates and date-times are Excel date cells (local time, ``yyyy-mm-dd hh:mm``), so that they sort and filter in
Excel; text that begins like a formula is text with Excel's quote prefix (``ExportSheet.cell_writer``).

A list's export reads its records with ``export_records(queryset)``: the same records, in the same order, with the
relations the list declares (``select_related`` / ``prefetch_related``) attached, made from plain value rows and
small id maps instead of Django's per-row instance machinery (most of an export's time at 100,000 rows).
"""
from __future__ import annotations

import datetime as dt
import decimal
import inspect
import math
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import islice
from urllib.parse import quote

from django.db.models import TextField
from django.db.models.base import Model, ModelState
from django.db.models.query import ModelIterable
from django.http import FileResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from django_tables2 import Column, DateColumn, DateTimeColumn
from django_tables2.rows import BoundRow
import xlsxwriter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@")
FORMULA_STARTS = frozenset(FORMULA_PREFIXES)
PLAIN_TYPES = frozenset({int, float, bool, decimal.Decimal})
INVALID_TITLE_CHARACTERS = re.compile(r"[\\/?*\[\]:]")


DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm"
# xlsxwriter's write() would turn text into formulas, links or numbers; the export writes every cell by its type
WRITER_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                  "strings_to_numbers": False}


class ExportWorkbook:
    """An .xlsx written row by row in constant memory into a temporary file: ``sheet(title)`` adds a sheet,
    ``write_rows`` fills it, ``finish()`` returns the file rewound.

    It is written with xlsxwriter in its constant-memory mode (each row goes to disk when the next one starts): at
    100,000 customers it writes the cells in two thirds of the time openpyxl's write-only mode takes
    (benchmarks/bench_lists.py). Every cell is written by its value's type, never as a formula."""

    def __init__(self):
        self.handle = tempfile.TemporaryFile(suffix=".xlsx")
        self.book = xlsxwriter.Workbook(self.handle, WRITER_OPTIONS)
        self.titles: set[str] = set()
        self.formats = {
            "header": self.book.add_format({"bold": True}),
            # text that begins like a formula is text *and* carries Excel's quote prefix (the hidden apostrophe),
            # so that editing the cell in Excel keeps it text instead of turning it into a live formula
            "formula_text": self.book.add_format({"quote_prefix": True}),
            "datetime": self.book.add_format({"num_format": DATETIME_FORMAT}),
            "date": self.book.add_format({"num_format": DATE_FORMAT}),
            "time": self.book.add_format({"num_format": TIME_FORMAT}),
        }

    def sheet(self, title) -> "ExportSheet":
        """A new sheet; its title made one Excel accepts (no ``\\ / ? * [ ] :``, at most 31 characters, not the
        title of another sheet: "汇总 (2)")."""
        base = INVALID_TITLE_CHARACTERS.sub("_", force_str(title))[:31].strip("'") or "Sheet1"
        name, number = base, 1
        while name.casefold() in self.titles:
            number += 1
            suffix = f" ({number})"
            name = base[:31 - len(suffix)] + suffix
        self.titles.add(name.casefold())
        return ExportSheet(self, self.book.add_worksheet(name))

    def finish(self):
        self.book.close()
        self.handle.seek(0)
        return self.handle


class ExportSheet:
    """A sheet of an ``ExportWorkbook``, filled from its top row down (``write_rows``)."""

    def __init__(self, workbook: ExportWorkbook, worksheet):
        self.worksheet = worksheet
        self.formats = workbook.formats
        self.next_row = 0
        self.zone = timezone.get_current_timezone()  # date-times in local time, as the pages show them
        self._writers: dict[type, Callable] = {}
        # the worksheet's cell methods without XlsxWriter's wrapper for A1 notation ("B3"), which tries int() on every
        # cell's row: a tenth of writing a text cell. Rows and columns are always numbers here.
        self.write_string, self.write_number, self.write_datetime, self.write_boolean = (
            inspect.unwrap(getattr(type(worksheet), name)).__get__(worksheet)
            for name in ("write_string", "write_number", "write_datetime", "write_boolean"))

    def write_header(self, headers: Sequence) -> None:
        """A bold row that stays in view when the sheet is scrolled."""
        bold, row = self.formats["header"], self.next_row
        for column, header in enumerate(headers):
            self.write_string(row, column, force_str(header), bold)
        self.worksheet.freeze_panes(row + 1, 0)
        self.next_row += 1

    def cell_writer(self) -> Callable:
        """``(row, column, value) -> None``: the value written as Excel data: text as text (with the quote prefix
        when it begins like a formula), numbers, dates and date-times as date cells (date-times in local time, as the
        pages show them, to the second), lazy translations as their text, marked-safe HTML (a table's render_FOO) as
        its text without tags, anything else (a record) as ``str()``; nothing for None. How a value is written
        depends on its type alone, worked out once per type."""
        write_string, formula_text = self.write_string, self.formats["formula_text"]
        writers = self._writers

        def write(row, column, value):
            kind = type(value)
            if kind is str:  # most cells: checked by their first character only
                if value[:1] in FORMULA_STARTS:
                    write_string(row, column, value, formula_text)
                else:
                    write_string(row, column, value)
            elif value is not None:
                try:
                    writer = writers[kind]
                except KeyError:
                    writer = writers[kind] = self._writer_for(kind)
                writer(row, column, value)
        return write

    def _writer_for(self, kind: type) -> Callable:
        """How a value of type ``kind`` is written (see ``cell_writer``); subclasses as their base type."""
        formats, write = self.formats, self.write_datetime
        if issubclass(kind, bool):
            return self.write_boolean
        if issubclass(kind, (int, float, decimal.Decimal)):
            return self._write_number
        if issubclass(kind, dt.datetime):
            zone, style = self.zone, formats["datetime"]

            def write_datetime(row, column, value):
                if value.tzinfo is not None:
                    value = value.astimezone(zone)
                write(row, column, value.replace(tzinfo=None, microsecond=0), style)
            return write_datetime
        if issubclass(kind, (dt.date, dt.time)):
            style = formats["date" if issubclass(kind, dt.date) else "time"]
            return lambda row, column, value: write(row, column, value, style)
        if issubclass(kind, Promise):
            return lambda row, column, value: self._write_text(row, column, force_str(value))
        if issubclass(kind, SafeData):  # a table's render_FOO that returns HTML (badges, links): its text
            return lambda row, column, value: self._write_text(row, column, strip_tags(value))
        return lambda row, column, value: self._write_text(row, column, str(value))  # a record: its name

    def _write_text(self, row, column, text: str) -> None:
        if text.startswith(FORMULA_PREFIXES):
            self.write_string(row, column, text, self.formats["formula_text"])
        else:
            self.write_string(row, column, text)

    def _write_number(self, row, column, value) -> None:
        if value != value or value in (math.inf, -math.inf):  # Excel holds no NaN or infinity: their text
            self._write_text(row, column, str(value))
        else:
            self.write_number(row, column, value)


def write_rows(sheet: ExportSheet, headers: Sequence[str], rows: Iterable,
               columns: Sequence[Callable] | None = None) -> int:
    """Write a bold header row then the data rows on ``sheet``; returns the data row count. ``rows`` are sequences
    of values, or, with ``columns`` (one ``item -> value`` function per column), the items they are read from: each
    cell is then read and written in one step, with no list of values in between."""
    sheet.write_header(headers)
    write, write_string, first = sheet.cell_writer(), sheet.write_string, sheet.next_row
    row = first
    if columns is None:
        for values in rows:
            for column, value in enumerate(values):
                write(row, column, value)
            row += 1
    else:
        for item in rows:
            column = 0
            for value_of in columns:
                value = value_of(item)
                if value.__class__ is str and value[:1] not in FORMULA_STARTS:  # plain text (most cells): as it is
                    write_string(row, column, value)
                else:
                    write(row, column, value)
                column += 1
            row += 1
    sheet.next_row = row
    return row - first


def build_workbook_file(sheet_title: str, headers: Sequence[str], rows: Iterable,
                        columns: Sequence[Callable] | None = None):
    """A one-sheet workbook in a temporary file (on disk), rewound."""
    workbook = ExportWorkbook()
    write_rows(workbook.sheet(sheet_title), headers, rows, columns)
    return workbook.finish()


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
    is_empty = _empty_test(empty)
    value_of = cell.value_of

    if cell.special:  # a link or many-to-many column: django-tables2's own way, cell by cell
        def get(record):
            return BoundRow(record, table=table).get_cell_value(bound_column.name)
        return get

    if raw:
        def get(record):
            value = value_of(record)
            return None if is_empty(value) else value
        return get

    if not empty and names == ("record",):  # a value function of the record alone (most of them): called as it is
        return lambda record: function(record=record)
    call = _caller(function, names, {"column": column, "bound_column": bound_column, "bound_row": None,
                                     "table": table})
    if not empty and "value" not in names:  # the cell's value is neither tested nor passed: not worked out
        return lambda record: call(None, record)

    def get(record):
        value = value_of(record)
        if is_empty(value):
            return None
        return call(value, record)

    return get


def _empty_test(empty) -> Callable:
    """``value -> value in empty``, without comparing a record with each empty value (``Model.__eq__`` in Python,
    twice per cell of a relation column) when ``empty`` is django-tables2's default ``(None, "")``: a record is never
    equal to None or to text."""
    if tuple(empty) != (None, ""):
        return lambda value: value in empty

    def is_empty(value) -> bool:
        if value is None:
            return True
        if value.__class__ is str:
            return not value
        return not isinstance(value, Model) and value in empty
    return is_empty


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
    100,000 customers. Long text (``TextField``: a customer's ten archive notes) is left out of the rows and read for
    a whole chunk the first time a column reads one record's. The records are the model's own (methods and properties
    work) and read-only. A queryset this
    cannot copy exactly (values, deferred fields, ``extra``, a ``Prefetch`` object, a reverse or many-to-many
    relation, a model with its own ``__init__``, ``from_db`` or ``post_init`` receivers) is iterated as Django does."""
    relations = _forward_relations(queryset)
    if relations is None:
        yield from queryset.iterator(chunk_size=chunk_size)
        return
    model, db = queryset.model, queryset.db
    # long text (a customer's ten archive notes) is read for a chunk only when a column reads it
    long_text = frozenset(field.attname for field in model._meta.concrete_fields
                          if isinstance(field, TextField) and not field.primary_key)
    names = [field.attname for field in model._meta.concrete_fields if field.attname not in long_text]
    names += list(queryset.query.annotation_select)
    rows = queryset.select_related(None).prefetch_related(None).values_list(*names).iterator(chunk_size=chunk_size)
    # per relation: its name, where its key is in a row, and the related records kept by key
    plan = [(field, nested, names.index(field.attname), {}) for field, nested in relations.items()]
    new_record, new_state = model.__new__, ModelState.__new__
    while True:
        chunk = list(islice(rows, chunk_size))
        if not chunk:
            return
        related = [(field.name, index, _related_records(chunk, index, field, nested, kept, db).get)
                   for field, nested, index, kept in plan]
        records = []
        refresh = _ChunkText(records, long_text, db).refresh if long_text else None
        for row in chunk:
            record = new_record(model)
            values = record.__dict__
            values.update(zip(names, row))
            state = record._state = new_state(ModelState)
            # a relation's record, or None for an empty key (the maps never hold None)
            state.__dict__.update(adding=False, db=db,
                                  fields_cache={name: get(row[index]) for name, index, get in related})
            if refresh is not None:  # what Django calls to read a field a record was made without
                values["refresh_from_db"] = partial(refresh, record)
            records.append(record)
        yield from records


class _ChunkText:
    """The long-text fields an export's records were made without, read for every record of their chunk at once
    (one query per field a column reads, per chunk) the first time one record's is asked for: Django would read it
    record by record."""

    def __init__(self, records: list, fields: frozenset, db: str):
        self.records, self.fields, self.db = records, fields, db

    def refresh(self, record, fields=None, **kwargs) -> None:
        if fields is None or not set(fields) <= self.fields:
            return Model.refresh_from_db(record, fields=fields, **kwargs)
        missing = [name for name in fields if name not in record.__dict__]
        if missing:
            model = type(record)
            by_key = {row[0]: row[1:] for row in model._base_manager.db_manager(self.db)
                      .filter(pk__in=[each.pk for each in self.records]).values_list("pk", *missing)}
            for each in self.records:
                found = by_key.get(each.pk)
                if found is not None:
                    each.__dict__.update(zip(missing, found))
        if any(name not in record.__dict__ for name in fields):  # the record is gone: Django's own error
            return Model.refresh_from_db(record, fields=fields, **kwargs)
        return None


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


def _related_records(chunk: list, index: int, field, nested: list[str], kept: dict, db: str) -> dict:
    """``kept`` (the ``field`` relation's records by key) with the records of the keys at ``index`` in the chunk's
    rows, the missing ones (with their own ``nested`` relations) read in one query."""
    keys = {row[index] for row in chunk}
    keys.discard(None)
    missing = keys - kept.keys()
    if missing:
        if len(kept) + len(missing) > RELATED_KEPT:
            kept.clear()
            missing = keys
        target = field.foreign_related_fields[0].attname
        related = field.related_model._base_manager.db_manager(db).filter(**{f"{target}__in": missing})
        if nested:
            related = related.prefetch_related(*nested)
        kept.update((getattr(obj, target), obj) for obj in related)
    return kept
