"""Opening an uploaded workbook safely, and reading its rows.

An uploaded file is hostile until proven otherwise. Before openpyxl sees it: its size, the zip magic, the
``[Content_Types].xml`` part every .xlsx has, the number of entries and the sum of their uncompressed sizes
(Python's zipfile never inflates an entry past its declared size, so that sum bounds the work). openpyxl
then parses the XML through defusedxml (installed from requirements.txt), in read-only mode, ignoring the
sheet's declared dimensions because writers get them wrong; the data rows are parsed by openpyxl's code from
lxml's elements, with entities unresolved and a document type declaration refused as defusedxml refuses it
(``_SheetParser.rows``). Formulas are read as text and never evaluated.

The upload reads the sheet once: its rows go, as they are read, to a row store next to the stored file (gzipped
JSON lines, ``write_row_store``), which the validation and the commit read back (``read_row_store``) instead of
parsing the workbook again.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import logging
import math
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import NamedTuple
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException, DTDForbidden
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from lxml import etree
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import INLINE_STRING, ROW_TAG, WorkSheetParser
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.xml.constants import SHEET_MAIN_NS

logger = logging.getLogger(__name__)

ZIP_MAGIC = b"PK\x03\x04"
# What a malformed or hostile sheet raises while its rows are read (XML entities refused by defusedxml too; lxml's
# errors where it reads the rows)
UNREADABLE = (DefusedXmlException, ParseError, etree.LxmlError, zipfile.BadZipFile, zlib.error, EOFError)
ERROR_COLUMN = "错误原因"  # the column the error workbook adds; ignored when the file comes back


class ImportFileError(Exception):
    """The file is refused as a whole; ``str(error)`` is the translated reason shown to the user."""


class Cell(NamedTuple):  # a tuple: tens of thousands are made per file
    value: object
    is_formula: bool = False
    is_error: bool = False  # Excel error values (#N/A, #VALUE!) and dates outside Excel's range


class Row(NamedTuple):
    number: int  # the row number Excel shows (the header is row 1)
    cells: tuple[Cell, ...]


EMPTY = Cell(None)


def check_xlsx(fileobj, size: int | None = None) -> None:
    """Refuse anything that is not a plain, reasonably sized .xlsx; leaves ``fileobj`` rewound."""
    max_bytes = settings.QMS_IMPORT_MAX_BYTES
    if size is None:
        fileobj.seek(0, 2)
        size = fileobj.tell()
    fileobj.seek(0)
    if size > max_bytes:
        raise ImportFileError(_("文件太大（%(size)s），上限为 %(limit)s。") % {
            "size": filesizeformat(size), "limit": filesizeformat(max_bytes)})
    not_xlsx = ImportFileError(_("这不是 Excel 工作簿（.xlsx）文件。请用导入模板填写后另存为 .xlsx 再上传。"))
    if fileobj.read(4) != ZIP_MAGIC:
        fileobj.seek(0)
        raise not_xlsx
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise not_xlsx from None
    finally:
        fileobj.seek(0)
    if not any(entry.filename == "[Content_Types].xml" for entry in entries):
        raise not_xlsx
    if len(entries) > settings.QMS_IMPORT_MAX_ZIP_ENTRIES:
        raise ImportFileError(_("文件结构异常（包含 %(count)d 个部件，上限 %(limit)d），已拒绝。") % {
            "count": len(entries), "limit": settings.QMS_IMPORT_MAX_ZIP_ENTRIES})
    uncompressed = sum(entry.file_size for entry in entries)
    if uncompressed > settings.QMS_IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise ImportFileError(_("文件解压后过大（%(size)s，上限 %(limit)s），可能是压缩炸弹，已拒绝。") % {
            "size": filesizeformat(uncompressed), "limit": filesizeformat(settings.QMS_IMPORT_MAX_UNCOMPRESSED_BYTES)})


def _caused_by(error: BaseException | None, kind: type) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kind):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def unreadable(error: Exception) -> ImportFileError:
    """The refusal of a file openpyxl could not read, in words the user understands (the log keeps the
    exception for the administrator; its class name means nothing to the person who uploaded the file)."""
    logger.info("Uploaded workbook refused: %r", error)
    if _caused_by(error, DefusedXmlException):  # openpyxl wraps it: ValueError("Unable to read workbook …")
        return ImportFileError(_("无法读取此文件：其中含有不允许的 XML 内容（实体定义或外部引用），出于安全原因已拒绝。"
                                 "请用导入模板填写后另存为 .xlsx 再上传。"))
    return ImportFileError(_("无法读取此文件：它不是有效的 Excel 工作簿（.xlsx），或文件已损坏。"
                             "请用导入模板填写后另存为 .xlsx 再上传。"))


INLINE_TEXT_TAG = f"{{{SHEET_MAIN_NS}}}t"


class _SheetParser(WorkSheetParser):
    """openpyxl's sheet parser, with a plain inline string (``<is><t>…</t></is>``, as openpyxl writes every text,
    so the portal's templates and the files other programs make with it) read as its text: openpyxl builds a
    rich-text ``Text`` object for it first, half the reading of such a sheet. Every other cell (text in formatted
    runs among them) is parsed by openpyxl."""

    def parse_cell(self, element):
        if element.get("t") == "inlineStr" and len(element) == 1:
            inline = element[0]
            if inline.tag == INLINE_STRING and len(inline) == 1 and inline[0].tag == INLINE_TEXT_TAG:
                coordinate = element.get("r")
                if coordinate:
                    row, column = coordinate_to_tuple(coordinate)
                    self.col_counter = column
                else:
                    self.col_counter += 1
                    row, column = self.row_counter, self.col_counter
                return {"row": row, "column": column, "value": inline[0].text or "", "data_type": "s",
                        "style_id": int(element.get("s", 0))}
        return super().parse_cell(element)

    def rows(self) -> Iterator[tuple[int, list[dict]]]:
        """(row number, [cell: {"column", "value", "data_type", …}]) of every row, as ``parse`` gives them, with the
        sheet's XML read by lxml's C parser, which hands over the rows alone: ``parse`` is given every element of the
        sheet (three or four per cell) through defusedxml's pure-Python handlers. As safe: entities are not resolved,
        no DTD is loaded, nothing is fetched, a document type declaration (where entities are declared) is refused
        with defusedxml's own error, and comments and processing instructions are dropped, as xml.etree drops them."""
        parsed = etree.iterparse(self.source, events=("end",), tag=ROW_TAG, resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True)
        checked = False
        for _event, row in parsed:
            if not checked:  # the declaration comes before the first row, and nothing was expanded meanwhile
                _refuse_declarations(row)
                checked = True
            yield self.parse_row(row)
            row.clear()  # the row's values are read: keep the tree small
            while row.getprevious() is not None:
                del row.getparent()[0]
        if not checked and parsed.root is not None:
            _refuse_declarations(parsed.root)


def _refuse_declarations(element) -> None:
    """defusedxml's refusal of the document of ``element`` (lxml) where it has a document type declaration."""
    info = element.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise DTDForbidden(info.root_name, info.system_url, info.public_id)


class _SheetOfUnknownSize(ReadOnlyWorksheet):
    """A read-only sheet that does not look for its declared size: the portal ignores it (writers get it wrong),
    and where a sheet declares none (openpyxl's own writer, so the portal's exports and error workbooks,
    declares none) openpyxl parses the whole sheet to find that out before the rows are read."""

    def _get_size(self):
        pass

    def parsed_rows(self, min_row: int) -> Iterator[tuple[int, list[dict]]]:
        """(row number, [openpyxl's cell: {"column", "value", "data_type", …}]) of the rows from ``min_row``, as
        the sheet's XML gives them: what ``iter_rows`` reads before it makes a ``ReadOnlyCell`` of every cell and
        a tuple of every row. Like ``iter_rows``, a row that repeats or goes back to an earlier number is
        skipped; missing rows are not given."""
        last = min_row - 1
        with self._get_source() as source:
            parser = _SheetParser(source, self._shared_strings, data_only=self.parent.data_only,
                                  epoch=self.parent.epoch, date_formats=self.parent._date_formats,
                                  timedelta_formats=self.parent._timedelta_formats)
            for number, cells in parser.rows():
                if number > last:
                    last = number
                    yield number, cells


class _ReadOnlyReader(ExcelReader):
    """openpyxl's reader in read-only mode (``load_workbook(read_only=True)``), with ``_SheetOfUnknownSize`` sheets."""

    def read_worksheets(self):
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            worksheet = _SheetOfUnknownSize(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


def open_workbook(fileobj):
    """The workbook in ``fileobj``, read-only, as ``load_workbook(read_only=True)`` opens it (links, macros and
    rich text left out), its sheets without their declared sizes."""
    reader = _ReadOnlyReader(fileobj, read_only=True, keep_vba=False, data_only=False, keep_links=False,
                             rich_text=False)
    reader.read()
    return reader.wb


@contextmanager
def open_sheet(fileobj, sheet_title: str = ""):
    """The checked workbook's data sheet (the one titled ``sheet_title``, else the first), read-only."""
    check_xlsx(fileobj)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style", dates out of range (reported per cell)
            workbook = open_workbook(fileobj)
    except Exception as error:  # noqa: BLE001 - any parser failure (malformed XML, entities) is a refusal
        raise unreadable(error) from error
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise ImportFileError(_("工作簿中没有工作表。"))
        sheet = next((s for s in sheets if s.title == sheet_title), sheets[0])
        try:
            yield sheet  # read-only sheets are parsed while the caller iterates their rows
        except UNREADABLE as error:
            raise unreadable(error) from error
    finally:
        workbook.close()


def _cell(value, data_type: str) -> Cell:
    """A cell of openpyxl's parser: its value and its type ("f" formula, "e" error, "s" text, "n", "d", "b")."""
    if value is None:
        return EMPTY
    if data_type == "f" or isinstance(value, (ArrayFormula, DataTableFormula)):
        text = value.text if isinstance(value, ArrayFormula) else str(value)
        return Cell(text, is_formula=True)
    if data_type == "e":
        return Cell(value, is_error=True)
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return EMPTY
    return Cell(value)


def read_header(sheet) -> list[str]:
    """Row 1, as stripped text (a leading "*" that marks required columns in some templates is dropped)."""
    for row in sheet.iter_rows(min_row=1, max_row=1, values_only=True):
        headers = [("" if value is None else str(value)).strip().lstrip("*").strip() for value in row]
        while headers and headers[-1] == "":
            headers.pop()
        return headers
    return []


def iter_rows(sheet: _SheetOfUnknownSize, width: int) -> Iterator[Row]:
    """Data rows from row 2, ``width`` cells each; blank rows (trailing or not) are skipped. Read from openpyxl's
    parser directly (``parsed_rows``), without the cell object per cell that ``sheet.iter_rows`` makes."""
    for number, parsed in sheet.parsed_rows(min_row=2):
        cells = [EMPTY] * width
        blank = True
        for item in parsed:
            index = item["column"] - 1
            if index < width:
                cell = _cell(item["value"], item["data_type"])
                if cell is not EMPTY:
                    cells[index] = cell
                    blank = False
        if not blank:
            yield Row(number, tuple(cells))


# --- the row store ------------------------------------------------------------------------------------------
# One line per row: [number, [cell, …]]. A cell is its value when JSON keeps it as it is (text, integer, finite
# number, true/false, empty); anything else is an object naming its kind. A value of another type (none that
# openpyxl gives is known) makes the file go without a store: it is then read from the workbook each time.
ROW_STORE_SUFFIX = ".rows.gz"


class _NotStorable(Exception):
    pass


def _encode(cell: Cell):
    value = cell.value
    if cell.is_formula or cell.is_error:
        if not isinstance(value, str):
            raise _NotStorable(value)
        return {"f" if cell.is_formula else "e": value}
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise _NotStorable(value)
        return value
    if kind is dt.datetime:
        return {"dt": value.isoformat()}
    if kind is dt.date:
        return {"d": value.isoformat()}
    if kind is dt.time:
        return {"t": value.isoformat()}
    if kind is dt.timedelta:
        return {"td": [value.days, value.seconds, value.microseconds]}
    raise _NotStorable(value)


def _decode(value) -> Cell:
    if value is None:
        return EMPTY
    if type(value) is not dict:
        return Cell(value)
    (kind, data), = value.items()
    if kind == "f":
        return Cell(data, is_formula=True)
    if kind == "e":
        return Cell(data, is_error=True)
    if kind == "dt":
        return Cell(dt.datetime.fromisoformat(data))
    if kind == "d":
        return Cell(dt.date.fromisoformat(data))
    if kind == "t":
        return Cell(dt.time.fromisoformat(data))
    return Cell(dt.timedelta(days=data[0], seconds=data[1], microseconds=data[2]))


def file_digest(fileobj) -> str:
    """The SHA-256 of a file's content (read from the start; left rewound): a row store is used only with the
    workbook it was read from."""
    fileobj.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def write_row_store(headers: list[str], rows: Iterable[Row], handle, source: str) -> tuple[int, bool]:
    """Write ``rows`` to ``handle`` (a binary file) as a row store of the workbook whose ``file_digest`` is
    ``source``; (the number of rows, whether the store is complete). Every row is counted even when a value cannot
    be stored (the store is then incomplete: unusable)."""
    count = 0
    complete = True
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with gzip.GzipFile(fileobj=handle, mode="wb", compresslevel=1) as archive:
        archive.write(dumps({"headers": headers, "source": source}).encode() + b"\n")
        for row in rows:
            count += 1
            if complete:
                try:
                    line = dumps([row.number, [_encode(cell) for cell in row.cells]])
                except _NotStorable as error:
                    logger.info("Import row store not kept: %r in row %d", error.args[0], row.number)
                    complete = False
                    continue
                archive.write(line.encode() + b"\n")
    return count, complete


class StaleRowStore(Exception):
    """The row store was not read from the workbook it is asked for (the stored file has changed since)."""


@contextmanager
def read_row_store(handle, source: str):
    """(headers, the rows) of a row store written by ``write_row_store`` from the workbook ``source``."""
    with gzip.GzipFile(fileobj=handle, mode="rb") as archive:
        head = json.loads(archive.readline())
        if head.get("source") != source:
            raise StaleRowStore()
        headers = head["headers"]

        def rows() -> Iterator[Row]:
            loads = json.loads
            for line in archive:
                number, cells = loads(line)
                yield Row(number, tuple(map(_decode, cells)))

        yield headers, rows()


# The rows the validation found good, as the definition keeps them for its commit (``ImportDefinition.keep_row``):
# one line per row, [number, kept], after a first line naming the workbook they were read from. JSON (dates and
# decimals as text): a file in the portal's storage that is read back, never unpickled.
KEPT_STORE_SUFFIX = ".kept.gz"


@contextmanager
def kept_store_writer(handle, source: str):
    """A function ``keep(number, kept)`` that writes one good row to ``handle`` (a binary file)."""
    dumps = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with gzip.GzipFile(fileobj=handle, mode="wb", compresslevel=1) as archive:
        archive.write(dumps({"source": source}).encode() + b"\n")
        yield lambda number, kept: archive.write(dumps([number, kept]).encode() + b"\n")


def read_kept_store(handle, source: str) -> list[tuple[int, dict]]:
    """[(row number, kept)] of a kept store written from the workbook ``source`` (``StaleRowStore`` if not)."""
    with gzip.GzipFile(fileobj=handle, mode="rb") as archive:
        if json.loads(archive.readline()).get("source") != source:
            raise StaleRowStore()
        loads = json.loads
        return [tuple(loads(line)) for line in archive]
