"""Excel import: one mechanism that every app's master data plugs into.

An app declares what it imports::

    register_import(ImportDefinition(
        key="customers", title=_("客户"), form_class=CustomerForm, permission="customers.import_customer",
        columns=[Column("客户名称", "name"), Column("客户等级", "grade"), …],
        unique=("客户名称",),
    ))

Every row is validated by the same ModelForm the web page uses (choice and foreign-key cells are given as
their labels and turned into the form's values first). The flow, one service each, for the views and the
Celery task alike:

``start_import`` (file checks, header check, batch stored) → ``validate_batch`` (every row, the error
report, status 预览) → ``request_commit`` / ``commit_batch`` (all-or-nothing, or only the good rows) →
``revert_batch`` (while the created records are untouched since).

A definition that declares ``keep_row`` and ``commit_rows`` is committed from what its validation found instead of
checking every row with the form again: the validation keeps each good row's values (``keep_row``, written beside
the row store), and the commit hands them to ``commit_rows`` ``BULK_ROWS`` at a time, which checks in sets only
what may have changed since (one query per look-up column per chunk: an option made inactive, a name saved by
someone else meanwhile) and saves the rows that still pass. Files above
``settings.QMS_IMPORT_ASYNC_ROWS`` rows are validated and committed by the ``run_import`` task, which
reports its progress on the batch.

A definition whose rows would each repeat the same look-ups (a choice column's options, the keys of the
existing records) declares ``prepare_run``: it fills an ``ImportRun``'s cache once per pass over the file,
and the forms get the run as ``import_run=``. ``save_rows`` saves the good rows a chunk at a time (bulk
inserts, which the audit triggers record row by row like any insert).
"""
from __future__ import annotations

import datetime as dt
import decimal
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models, router, transaction
from django.db.models import QuerySet
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from qms.refusals import Refused
from qms import taskqueue
from qms.collector import older_objects_set_aside
from qms.excel.models import ImportBatch
from qms.excel.rowforms import bind_row
from qms.excel.reading import (ERROR_COLUMN, KEPT_STORE_SUFFIX, ROW_STORE_SUFFIX, ImportFileError, Row, StaleRowStore,
                               file_digest, iter_rows, kept_store_writer, open_sheet, read_header, read_kept_store,
                               read_row_store, write_row_store)

logger = logging.getLogger(__name__)
Status = ImportBatch.Status

# Several values in one cell: 销售、品质 / 销售,品质 / 销售，品质 / 销售;品质
MULTI_VALUE_SEPARATORS = re.compile(r"[、,，;；\n]+")
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "✗"}



class ImportRefused(Refused):
    """An action on a batch that was not done; ``str(error)`` is the translated reason."""


@dataclass(frozen=True)
class Column:
    # The header in row 1 of the file. It is the file format, so it stays Chinese in every interface language.
    header: str
    field: str  # the form field the cell fills
    required: bool | None = None  # default: the form field's ``required``
    help: str = ""  # extra note for the 说明 sheet (translated, e.g. gettext_lazy)


@dataclass
class ImportDefinition:
    key: str
    title: str  # e.g. gettext_lazy("通讯录"); also the data sheet's title in the template
    columns: Sequence[Column]
    form_class: type[forms.ModelForm]
    permission: str  # a Django/rules permission, checked with user.has_perm
    # (form, batch, user) -> the created object; default ``form.save()``
    save_row: Callable | None = None
    # headers (or tuples of headers) whose values must not repeat inside one file
    unique: Sequence[str | tuple[str, ...]] = ()
    # (user) -> extra keyword arguments for the form, for forms that need to know who is importing
    form_kwargs: Callable | None = None
    # (queryset, batch, user) -> None: undo the created records; default delete (master data). Controlled
    # records void them instead.
    revert_objects: Callable | None = None
    list_url_name: str | None = None  # where the imported records are listed
    # () -> rows of cell values written under the header of the template (e.g. the customers of a survey, to
    # be completed); default: an empty template
    template_rows: Callable | None = None
    # (run: ImportRun) -> None: fill ``run.cache`` once per pass over a file (the validation, the commit) with
    # what every row would otherwise look up again; the forms then get ``import_run=run`` as well.
    prepare_run: Callable | None = None
    # (forms, batch, user) -> the created objects, one per form, in order: saves up to ``BULK_ROWS`` good rows
    # at once instead of one ``save_row`` each. A chunk the database refuses is saved again row by row (through
    # ``save_row``), so that the refused row is the one reported. Rows wait to be saved while the next ones are
    # validated: a form whose check must see the rows before it saved calls ``import_run.flush()`` first.
    save_rows: Callable | None = None
    # The form is built once per pass (its fields, querysets, the importer's permissions) and each row is checked
    # by a shallow copy of it bound to the row's data (``bind_row``), instead of a new form per row. Only for a
    # form whose ``__init__`` does not depend on the row's data and whose checks keep nothing of one row on the
    # form but what ``bind_row`` renews (data, errors, cleaned_data, instance) or what the form renews itself.
    form_per_run: bool = False
    # (form) -> a dict of JSON values (``frozen`` gives a model's field values so): what the commit needs of a row
    # the validation found good. With ``commit_rows``, the commit does not run the form again.
    keep_row: Callable | None = None
    # ([(row number, kept)], run: ImportRun) -> (the created objects in row order, [(row number, header, message)]):
    # check in sets what the form checked against data that may have changed since the validation, and save the
    # rows that still pass (in all-or-nothing mode a refused row undoes everything, so those may be saved or not).
    commit_rows: Callable | None = None

    def __post_init__(self):
        if (self.keep_row is None) != (self.commit_rows is None):
            raise ValueError(f"Import {self.key!r}: keep_row and commit_rows go together")
        known = set(self.form_class.base_fields)
        for column in self.columns:
            if column.field not in known:
                raise ValueError(f"Import {self.key!r}: {column.field!r} is not a field of {self.form_class.__name__}")
        headers = [column.header for column in self.columns]
        if len(set(headers)) != len(headers):
            raise ValueError(f"Import {self.key!r}: duplicate headers")
        for group in self.unique:
            for header in (group,) if isinstance(group, str) else group:
                if header not in headers:
                    raise ValueError(f"Import {self.key!r}: unique column {header!r} is not declared")

    @property
    def model(self):
        return self.form_class._meta.model

    @property
    def sheet_title(self) -> str:
        return force_str(self.title)[:31]

    def form_field(self, column: Column) -> forms.Field:
        return self.form_class.base_fields[column.field]

    def is_required(self, column: Column) -> bool:
        return self.form_field(column).required if column.required is None else column.required

    def allowed(self, user) -> bool:
        return bool(user and user.is_authenticated and user.has_perm(self.permission))


_definitions: dict[str, ImportDefinition] = {}


def register_import(definition: ImportDefinition) -> ImportDefinition:
    """Plug an app's import in (from its ``AppConfig.ready()``); the key appears in the URLs."""
    _definitions[definition.key] = definition
    return definition


# prefix -> factory(rest of the key) -> ImportDefinition or None: imports whose columns depend on a record
# (e.g. one column per question of a survey campaign, key "survey-12"), built when the key is looked up.
_families: dict[str, Callable] = {}


def register_import_family(prefix: str, factory: Callable) -> None:
    """Plug in imports built per record: ``get_definition(prefix + rest)`` returns ``factory(rest)``."""
    _families[prefix] = factory


def get_definition(key: str) -> ImportDefinition:
    try:
        return _definitions[key]
    except KeyError:
        pass
    for prefix, factory in _families.items():
        if key.startswith(prefix):
            definition = factory(key[len(prefix):])
            if definition is not None:
                return definition
    raise LookupError(key)


def definitions_for(user) -> list[ImportDefinition]:
    return [d for d in _definitions.values() if d.allowed(user)]


# --- choice labels ----------------------------------------------------------------------------------
def choice_options(field: forms.Field) -> list[tuple[str, str]]:
    """[(label shown in the drop-down, value the form expects)] of a choice or foreign-key field."""
    if isinstance(field, forms.ModelChoiceField):
        return [(force_str(field.label_from_instance(obj)), force_str(field.prepare_value(obj)))
                for obj in field.queryset.all()]
    if isinstance(field, forms.ChoiceField):
        options = []
        for value, label in field.choices:
            if isinstance(label, (list, tuple)):  # an option group
                options.extend((force_str(sub_label), force_str(sub_value)) for sub_value, sub_label in label)
            elif value not in ("", None):
                options.append((force_str(label), force_str(value)))
        return options
    return []


def is_multiple(field: forms.Field) -> bool:
    return isinstance(field, (forms.ModelMultipleChoiceField, forms.MultipleChoiceField))


def is_choice(field: forms.Field) -> bool:
    return isinstance(field, (forms.ModelChoiceField, forms.ChoiceField))


# --- kept rows --------------------------------------------------------------------------------------
def frozen(model, values: dict) -> dict:
    """{attname: value} of ``values`` ({model field name: value, a related record or its id}) for a kept row: a
    foreign key as its id; dates and decimals become text when the row is stored. ``thawed`` gives them back."""
    get_field = model._meta.get_field
    out = {}
    for name, value in values.items():
        field = get_field(name)
        if field.is_relation and isinstance(value, models.Model):
            value = value.pk
        out[field.attname] = value
    return out


def thawed(model, values: dict) -> dict:
    """The Python values of ``frozen`` fields read back from a kept row: {attname: value}."""
    fields = _fields_by_attname(model)
    return {name: fields[name].to_python(value) for name, value in values.items()}


@functools.cache
def _fields_by_attname(model) -> dict[str, models.Field]:
    return {field.attname: field for field in model._meta.concrete_fields}


class _CellError(Exception):
    pass


class ImportRun:
    """One pass over a batch's rows (its validation, or its commit), for definitions with ``prepare_run``.

    ``cache`` is the definition's: what it loads once for all the rows of the pass. ``flush()`` saves the
    rows that wait for a bulk save (``save_rows``); while validating, nothing waits and it does nothing.
    """

    def __init__(self, definition: ImportDefinition, user=None, committing: bool = False, flush: Callable | None = None,
                 batch: ImportBatch | None = None):
        self.definition = definition
        self.user = user
        self.committing = committing
        self.batch = batch  # the batch whose rows are checked: a definition may read its file (``batch_rows``)
        self.cache: dict = {}
        self._flush = flush

    def flush(self) -> None:
        if self._flush is not None:
            self._flush()


class RowChecker:
    """Turns the file's rows into form data and validates each with the definition's form.

    Built once per run: it checks the header row, loads each choice column's labels once, and remembers
    the unique columns' values to report a value that repeats inside the file.
    """

    def __init__(self, definition: ImportDefinition, headers: list[str], user=None, run: ImportRun | None = None):
        self.definition = definition
        self.user = user
        self.run = run
        by_header = {column.header: column for column in definition.columns}
        seen, unknown = set(), []
        self.positions: list[tuple[int, Column]] = []
        for index, header in enumerate(headers):
            if not header or header == ERROR_COLUMN:
                continue
            if header in seen:
                raise ImportFileError(_("列名“%(header)s”出现了两次。") % {"header": header})
            seen.add(header)
            if header in by_header:
                self.positions.append((index, by_header[header]))
            else:
                unknown.append(header)
        if unknown:
            raise ImportFileError(_("文件中有模板没有的列：%(unknown)s。模板的列为：%(expected)s。") % {
                "unknown": "、".join(unknown), "expected": "、".join(by_header)})
        missing = [c.header for c in definition.columns if c.header not in seen and definition.is_required(c)]
        if missing:
            raise ImportFileError(_("缺少必填的列：%(missing)s。请使用导入模板。") % {"missing": "、".join(missing)})
        self.width = len(headers)
        self.header_of_field = {column.field: column.header for column in definition.columns}
        self.lookups: dict[str, dict[str, str]] = {}
        for _index, column in self.positions:
            field_ = definition.form_field(column)
            if is_choice(field_):
                lookup = {}
                for label, value in choice_options(field_):
                    lookup.setdefault(value, value)
                    lookup[label] = value  # a label wins over a value that happens to read the same
                self.lookups[column.field] = lookup
        self.unique_groups = [(group,) if isinstance(group, str) else tuple(group) for group in definition.unique]
        self.present_unique = [g for g in self.unique_groups if all(h in seen for h in g)]
        self.first_seen: dict[tuple, int] = {}
        self.prototype: forms.BaseForm | None = None  # see ImportDefinition.form_per_run

    def check(self, row: Row) -> tuple[forms.ModelForm | None, list[tuple[str, str]]]:
        """(the bound, valid form or None, [(column header, reason)])."""
        data: dict = {}
        errors: list[tuple[str, str]] = []
        failed_fields = set()
        raw: dict[str, object] = {}
        for index, column in self.positions:
            cell = row.cells[index] if index < len(row.cells) else None
            if cell is None:
                continue
            raw[column.header] = cell.value
            try:
                value = self._value(column, cell)
            except _CellError as error:
                errors.append((column.header, str(error)))
                failed_fields.add(column.field)
                continue
            if value is not None:
                data[column.field] = value
            elif self.definition.is_required(column):
                # the form field's own message (e.g. 请填写客户名), as the web page shows it
                message = self.definition.form_field(column).error_messages.get(
                    "required", forms.Field.default_error_messages["required"])
                errors.append((column.header, force_str(message)))
                failed_fields.add(column.field)
        for group in self.present_unique:
            values = tuple(_normal(raw.get(header)) for header in group)
            if all(v == "" for v in values):
                continue
            first = self.first_seen.setdefault((group, values), row.number)
            if first != row.number:
                errors.append((group[0], _("与第 %(row)d 行重复") % {"row": first}))
        form = self._form(data)
        if not form.is_valid():
            for field_name, messages in form.errors.items():
                if field_name in failed_fields:
                    continue  # the cell's own error already says what is wrong
                if field_name == NON_FIELD_ERRORS:
                    header = ""
                else:
                    header = self.header_of_field.get(field_name) or force_str(form.fields[field_name].label or field_name)
                errors.extend((header, force_str(message)) for message in messages)
        return (form if not errors else None), errors

    def _form(self, data: dict) -> forms.BaseForm:
        if self.prototype is not None:
            return bind_row(self.prototype, data)
        kwargs = self.definition.form_kwargs(self.user) if self.definition.form_kwargs else {}
        if self.run is not None:
            kwargs["import_run"] = self.run
        if self.definition.form_per_run:
            # built at the first row (after prepare_run), bound but never checked: every row gets a copy
            self.prototype = self.definition.form_class(data={}, **kwargs)
            return bind_row(self.prototype, data)
        return self.definition.form_class(data=data, **kwargs)

    def _value(self, column: Column, cell):
        if cell.is_formula:
            raise _CellError(_("不接受公式（%(formula)s），请填写数值本身。") % {"formula": str(cell.value)[:50]})
        if cell.is_error:
            raise _CellError(_("单元格是错误值（%(value)s）。") % {"value": cell.value})
        value = cell.value
        if value is None:
            return None
        field_ = self.definition.form_field(column)
        lookup = self.lookups.get(column.field)
        if lookup is not None:
            if is_multiple(field_):
                labels = [part.strip() for part in MULTI_VALUE_SEPARATORS.split(_text(value)) if part.strip()]
                return [self._choice(lookup, label) for label in labels] or None
            return self._choice(lookup, _text(value))
        if isinstance(field_, forms.DateTimeField):
            return _excel_date(value, keep_time=True)
        if isinstance(field_, forms.DateField):
            return _excel_date(value, keep_time=False)
        if isinstance(field_, (forms.BooleanField, forms.NullBooleanField)):
            if isinstance(value, bool):
                return value
            word = _text(value).lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise _CellError(_("请填写“是”或“否”。"))
        if isinstance(field_, forms.TimeField) and isinstance(value, (dt.time, dt.datetime)):
            return value if isinstance(value, dt.time) else value.time()
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, (dt.date, dt.time)):
            return value.isoformat()
        return _text(value)

    @staticmethod
    def _choice(lookup: dict[str, str], label: str) -> str:
        if label not in lookup:
            raise _CellError(not_an_option(label))
        return lookup[label]


def not_an_option(label) -> str:
    """A choice cell's value that is not (or no longer) among the field's options."""
    return _("“%(value)s”不是可选的值，请从下拉列表中选择。") % {"value": label}


def _text(value) -> str:
    """A cell as text; integral numbers without ".0" (Excel stores 13800138000 as a float)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    return str(value).strip()


def _normal(value) -> str:
    return "" if value is None else _text(value)


def _excel_date(value, keep_time: bool):
    """Dates typed as dates come from openpyxl as datetimes; a bare serial number is converted."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            value = from_excel(value)
        except (ValueError, OverflowError, TypeError):
            raise _CellError(_("“%(value)s”不是有效的日期。") % {"value": _text(value)}) from None
        if not isinstance(value, dt.datetime):
            raise _CellError(_("“%(value)s”不是有效的日期。") % {"value": _text(value)})
    if isinstance(value, dt.datetime):
        return value if keep_time else value.date()
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()) if keep_time else value
    return _text(value)  # text: the form parses it with its input formats and says what is wrong


# --- progress ---------------------------------------------------------------------------------------
class _Progress:
    """Writes ``progress_done`` about fifty times per run, visible to the polling page at once.

    Inside the commit's transaction an ORM update would stay invisible until the end, so it is written through a
    separate autocommit connection, also while validating (outside any transaction), so that there is one way. Its
    commits do not wait for the disk (``synchronous_commit`` off, about 3 ms each: a crash loses at most the last
    figures of a run that is then handed over again anyway), nor for a lock (progress is never worth a wait).
    """

    def __init__(self, batch: ImportBatch):
        self.batch_id = batch.pk
        self.step = max(1, batch.total_rows // 50)
        self.side = None

    def tick(self, done: int) -> None:
        if done % self.step:
            return
        now = timezone.now()  # also the sign of life that keeps the beat tick from handing the batch over again
        try:
            if self.side is None:
                self.side = connections.create_connection(DEFAULT_DB_ALIAS)
                with self.side.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '1s'")
                    cursor.execute("SET synchronous_commit = off")
            with self.side.cursor() as cursor:
                cursor.execute(
                    f'UPDATE "{ImportBatch._meta.db_table}" SET "progress_done" = %s, "worked_at" = %s WHERE "id" = %s',
                    [done, now, self.batch_id],
                )
        except DatabaseError:
            logger.warning("Could not report the progress of import batch %s", self.batch_id, exc_info=True)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _language(user) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def _move(batch: ImportBatch, old: str, new: str, **fields) -> bool:
    """One guarded update: the batch moves only if it is still in ``old`` (two clicks, two workers)."""
    return bool(ImportBatch.objects.filter(pk=batch.pk, status=old).update(status=new, **fields))


def _error_rows(errors: list[dict]) -> int:
    return len({error["row"] for error in errors})


# --- services ---------------------------------------------------------------------------------------
def start_import(definition: ImportDefinition, uploaded_file, user) -> ImportBatch:
    """Check the file and its header, store it as a batch, then validate it now or in the background.

    Raises ``ImportFileError`` (refused file, nothing stored) or ``PermissionDenied``.
    """
    if not definition.allowed(user):
        raise PermissionDenied(_("您没有导入“%(title)s”的权限。") % {"title": definition.title})
    with older_objects_set_aside():
        return _start_import(definition, uploaded_file, user)


def _start_import(definition: ImportDefinition, uploaded_file, user) -> ImportBatch:
    with tempfile.TemporaryFile() as store:
        source = file_digest(uploaded_file)
        with open_sheet(uploaded_file, definition.sheet_title) as sheet:
            headers = read_header(sheet)
            if not headers:
                raise ImportFileError(_("第一行应为列名，请使用导入模板。"))
            RowChecker(definition, headers)
            # the one reading of the workbook: its rows are counted and kept for the validation and the commit
            total, complete = write_row_store(headers, iter_rows(sheet, len(headers)), store, source)
        if total == 0:
            raise ImportFileError(_("文件中没有数据行。"))
        name = os.path.basename(uploaded_file.name or "")[:255] or "import.xlsx"
        batch = ImportBatch(definition_key=definition.key, file_name=name, created_by=user, total_rows=total,
                            status=Status.VALIDATING, queued_at=timezone.now())
        uploaded_file.seek(0)
        batch.file.save(f"{definition.key}.xlsx", uploaded_file, save=False)  # never the user's file name on disk
        if complete:
            store.seek(0)
            wanted = _row_store_name(batch)
            if batch.file.storage.save(wanted, File(store)) != wanted:  # taken: read the workbook instead
                logger.warning("Import row store %s exists already; not used", wanted)
        batch.save()
    if total > settings.QMS_IMPORT_ASYNC_ROWS:
        _send(batch)
    else:
        run_batch(batch.pk)
        batch.refresh_from_db()
    return batch


RUN_IMPORT = "qms.tasks.run_import"


def _send(batch: ImportBatch) -> None:
    taskqueue.send_after_commit(RUN_IMPORT, batch.pk)


# pg_try_advisory_lock(class, batch id) held by whoever runs a batch's step: a task delivered twice (a re-send
# by the beat tick while the first is still queued or running) finds it taken and does nothing. A session lock
# (not a transaction's): the validation runs outside any transaction; a worker that dies releases it with its
# connection.
_RUN_LOCK = 0x494D  # "IM"


def run_batch(batch_id: int) -> str:
    """The step of a batch its status asks for (the task's body; the request's for a small file). Idempotent:
    a redelivered or re-sent task finds nothing to do, or the batch busy with another worker ("busy")."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_RUN_LOCK, batch_id])
        if not cursor.fetchone()[0]:
            return "busy"
    try:
        with older_objects_set_aside():
            return _run_step(batch_id)
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_RUN_LOCK, batch_id])
        except DatabaseError:  # a broken connection has let go of the lock with its session
            logger.warning("Could not release the run lock of import batch %s", batch_id, exc_info=True)


def _run_step(batch_id: int) -> str:
    batch = ImportBatch.objects.select_related("created_by").filter(pk=batch_id).first()
    if batch is None:
        return "missing"
    if batch.status in (Status.VALIDATING, Status.IMPORTING):
        ImportBatch.objects.filter(pk=batch_id, status=batch.status).update(worked_at=timezone.now())
    if batch.status == Status.VALIDATING:
        validate_batch(batch)
    elif batch.status == Status.IMPORTING:
        commit_batch(batch)
    return ImportBatch.objects.values_list("status", flat=True).get(pk=batch_id)


def resend_stalled_batches(now: dt.datetime | None = None) -> int:
    """Hand over again the batches whose step nobody has worked on for ``QMS_IMPORT_STALE_MINUTES``: never
    started (the task was lost, e.g. the broker was down at the upload), or started and silent since (the worker
    died). Called by the beat tick; returns how many were sent.

    Each re-send is one guarded update of ``queued_at``, so two ticks at once send a batch once; a worker still
    on it holds the batch's run lock, and the re-sent task then does nothing.
    """
    now = now or timezone.now()
    stale = now - dt.timedelta(minutes=settings.QMS_IMPORT_STALE_MINUTES)
    last_seen = Coalesce("worked_at", "queued_at", "created_at")
    stalled = (ImportBatch.objects.filter(status__in=[Status.VALIDATING, Status.IMPORTING])
               .annotate(last_seen=last_seen).filter(last_seen__lt=stale))
    sent = 0
    for pk, status, queued_at, worked_at in stalled.values_list("pk", "status", "queued_at", "worked_at"):
        claimed = ImportBatch.objects.filter(pk=pk, status=status, queued_at=queued_at, worked_at=worked_at).update(
            queued_at=now)
        if claimed:
            logger.warning("Import batch %s (%s) has not progressed since %s; sending it again", pk, status,
                           worked_at or queued_at)
            sent += taskqueue.send_now(RUN_IMPORT, pk)
    return sent


def _row_store_name(batch: ImportBatch) -> str:
    return batch.file.name + ROW_STORE_SUFFIX


def _kept_store_name(batch: ImportBatch) -> str:
    return batch.file.name + KEPT_STORE_SUFFIX


def _drop_row_store(batch: ImportBatch) -> None:
    """The rows are not read again once the batch is imported (or failed): the workbook stays, the stores go."""
    for name in (_row_store_name(batch), _kept_store_name(batch)):
        try:
            batch.file.storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s of import batch %s", name, batch.pk, exc_info=True)


def _workbook_digest(batch: ImportBatch) -> str:
    with batch.file.open("rb") as workbook:
        return file_digest(workbook)


@contextmanager
def _kept_rows_writer(batch: ImportBatch, definition: ImportDefinition):
    """``keep(number, kept)`` for the validation of a definition with ``keep_row`` (else None); the kept store
    replaces the previous one when the validation completes."""
    if definition.keep_row is None:
        yield None
        return
    storage, name = batch.file.storage, _kept_store_name(batch)
    with tempfile.TemporaryFile() as handle:
        with kept_store_writer(handle, _workbook_digest(batch)) as keep:
            yield keep
        handle.seek(0)
        storage.delete(name)
        if storage.save(name, File(handle)) != name:  # taken meanwhile: the commit checks every row with the form
            logger.warning("Import kept store %s exists already; not used", name)


def _kept_rows(batch: ImportBatch, definition: ImportDefinition) -> list[tuple[int, dict]] | None:
    """The good rows the validation kept for ``commit_rows``; None when there are none to trust (a definition
    without, a batch validated before there were kept stores, a workbook changed since)."""
    storage, name = batch.file.storage, _kept_store_name(batch)
    if definition.commit_rows is None or not storage.exists(name):
        return None
    try:
        with storage.open(name, "rb") as handle:
            return read_kept_store(handle, _workbook_digest(batch))
    except StaleRowStore:
        logger.warning("Import batch %s: the stored workbook differs from its kept rows", batch.pk)
        return None


@contextmanager
def batch_rows(batch: ImportBatch, definition: ImportDefinition):
    """(headers, rows) of the batch's file: from the row store the upload wrote, else (a batch uploaded before
    there were stores, or a file whose values could not be stored) from the workbook."""
    storage, name = batch.file.storage, _row_store_name(batch)
    if storage.exists(name):
        with batch.file.open("rb") as workbook:
            source = file_digest(workbook)
        try:
            with storage.open(name, "rb") as handle, read_row_store(handle, source) as (headers, rows):
                yield headers, rows
            return
        except StaleRowStore:  # the workbook has changed since the upload: it is read (and checked) again
            logger.warning("Import batch %s: the stored workbook differs from its row store", batch.pk)
    with batch.file.open("rb") as handle, open_sheet(handle, definition.sheet_title) as sheet:
        headers = read_header(sheet)
        yield headers, iter_rows(sheet, len(headers))


def _checked_rows(batch: ImportBatch, definition: ImportDefinition, user, run: ImportRun | None = None):
    """Yield (row, form or None, errors) for every data row of the batch's stored file."""
    with batch_rows(batch, definition) as (headers, rows):
        if definition.prepare_run:
            run = run or ImportRun(definition, user, batch=batch)
        else:
            run = None
        checker = RowChecker(definition, headers, user=user, run=run)
        if run is not None:
            definition.prepare_run(run)  # after the header check: a refused file loads nothing
        for row in rows:
            form, errors = checker.check(row)
            yield row, form, errors


def validate_batch(batch: ImportBatch) -> None:
    """Validate every row: the error report and the counts, then 预览 (or 失败 if the file is unreadable)."""
    definition = get_definition(batch.definition_key)
    progress = _Progress(batch)
    errors: list[dict] = []
    total = valid = 0
    try:
        with translation.override(_language(batch.created_by)), _kept_rows_writer(batch, definition) as keep:
            for total, (row, form, row_errors) in enumerate(_checked_rows(batch, definition, batch.created_by), 1):
                if form is not None:
                    valid += 1
                    if keep is not None:
                        keep(row.number, definition.keep_row(form))
                errors.extend({"row": row.number, "column": h, "message": m} for h, m in row_errors)
                progress.tick(total)
    except ImportFileError as error:
        _move(batch, Status.VALIDATING, Status.FAILED, message=str(error))
        _drop_row_store(batch)
        return
    except Exception as error:  # noqa: BLE001 - the batch says what went wrong; the log has the trace
        logger.exception("Validating import batch %s failed", batch.pk)
        _move(batch, Status.VALIDATING, Status.FAILED, message=_("校验失败：%(error)s") % {"error": error})
        _drop_row_store(batch)
        return
    finally:
        progress.close()
    _move(batch, Status.VALIDATING, Status.PREVIEW, total_rows=total, valid_rows=valid,
          error_rows=_error_rows(errors), errors=errors, progress_done=total)


def request_commit(batch: ImportBatch, user, good_rows_only: bool) -> ImportBatch:
    """The user's 导入 on a previewed batch: now, or by the worker for a large file."""
    definition = get_definition(batch.definition_key)
    if not definition.allowed(user):
        raise PermissionDenied(_("您没有导入“%(title)s”的权限。") % {"title": definition.title})
    if batch.status != Status.PREVIEW:
        raise ImportRefused(_("此批次的状态是“%(status)s”，不能再导入。") % {"status": batch.get_status_display()})
    if not batch.valid_rows:
        raise ImportRefused(_("没有可导入的行。"))
    if batch.error_rows and not good_rows_only:
        raise ImportRefused(_("有 %(count)d 行有错误：请修改后重新上传，或勾选“只导入无误的行”。") % {
            "count": batch.error_rows})
    if not _move(batch, Status.PREVIEW, Status.IMPORTING, good_rows_only=good_rows_only, progress_done=0,
                 message="", queued_at=timezone.now(), worked_at=None):
        raise ImportRefused(_("此批次已在处理中。"))
    batch.refresh_from_db()
    if batch.total_rows > settings.QMS_IMPORT_ASYNC_ROWS:
        _send(batch)
    else:
        run_batch(batch.pk)
        batch.refresh_from_db()
    return batch


class _NothingSaved(Exception):
    def __init__(self, errors, valid):
        super().__init__()
        self.errors, self.valid = errors, valid


BULK_ROWS = 500  # good rows saved at once by a definition's ``save_rows``


class _Saver:
    """The saving half of a commit: each good row through ``save_row`` as soon as it is checked, or (with
    ``save_rows``) ``BULK_ROWS`` at a time; it keeps what the batch reports: the created pks in row order, the
    errors, the number of rows saved."""

    def __init__(self, definition: ImportDefinition, batch: ImportBatch, user):
        self.definition, self.batch, self.user = definition, batch, user
        self.save_row = definition.save_row or (lambda form, batch, user: form.save())
        self.created: list = []
        self.errors: list[dict] = []
        self.valid = 0
        self.waiting: list[tuple[Row, forms.ModelForm]] = []

    def add(self, row: Row, form) -> None:
        if self.definition.save_rows is None:
            self._save_one(row, form)
            return
        self.waiting.append((row, form))
        if len(self.waiting) >= BULK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.waiting:
            return
        chunk, self.waiting = self.waiting, []
        try:
            with transaction.atomic():  # a savepoint: a chunk the database refuses is saved again row by row
                objects = self.definition.save_rows([form for _row, form in chunk], self.batch, self.user)
        except (DatabaseError, ValidationError):
            for row, form in chunk:
                self._save_one(row, form)
            return
        self.created.extend(obj.pk for obj in objects)
        self.valid += len(objects)

    def _save_one(self, row: Row, form) -> None:
        try:
            if self.batch.good_rows_only:
                with transaction.atomic():  # a savepoint: a row the database refuses is skipped
                    obj = self.save_row(form, self.batch, self.user)
            else:
                obj = self.save_row(form, self.batch, self.user)
        except (DatabaseError, ValidationError) as error:
            # a service's refusal (ValidationError, e.g. a name saved meanwhile by someone else) names its field:
            # the report gives that field's column and the service's message, as the check would have
            found = self._validation_errors(row, error) if isinstance(error, ValidationError) else [
                {"row": row.number, "column": "", "message": _("保存失败：%(error)s") % {"error": error}}]
            if not self.batch.good_rows_only:
                # what the file's rows up to this one report (later rows may have been checked already)
                errors = [e for e in self.errors if e["row"] < row.number]
                errors.extend(found)
                raise _NothingSaved(errors, self.valid) from error
            self.errors.extend(found)
        else:
            self.created.append(obj.pk)
            self.valid += 1


    def _validation_errors(self, row: Row, error: ValidationError) -> list[dict]:
        headers = {column.field: column.header for column in self.definition.columns}
        by_field = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
        return [{"row": row.number, "column": headers.get(field_name, ""), "message": force_str(message)}
                for field_name, messages in by_field.items() for message in messages]


def commit_batch(batch: ImportBatch) -> None:
    """Save the rows in one transaction: all of them, or (if the user chose so) the good ones only.

    Rows are validated again, by the same form, against the data as it is now. In all-or-nothing mode any
    error rolls everything back and the batch returns to 预览 with the new report.
    """
    definition = get_definition(batch.definition_key)
    user = batch.created_by
    progress = _Progress(batch)
    try:
        with translation.override(_language(user)), transaction.atomic():
            # Foreign keys are checked at the end of each statement instead of the transaction's: PostgreSQL walks
            # its list of pending deferred checks at the end of every statement, so that each chunk's inserts took
            # longer than the one before (contacts: 26 ms for the first 500, 250 ms for the twentieth)
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            kept = _kept_rows(batch, definition)
            if kept is None:
                errors, valid, created, total = _commit_checked_rows(batch, definition, user, progress)
            else:
                errors, valid, created, total = _commit_kept_rows(batch, definition, user, progress, kept)
            errors.sort(key=lambda error: error["row"])  # a chunk's save errors come after later rows' checks
            if errors and not batch.good_rows_only:
                raise _NothingSaved(errors, valid)
            if not created:
                raise _NothingSaved(errors, valid)
            prints = fingerprints(definition.model, created)
            moved = _move(batch, Status.IMPORTING, Status.IMPORTED, created_objects=[[pk, prints[str(pk)]] for pk in created],
                          created_count=len(created), valid_rows=valid, errors=errors, error_rows=_error_rows(errors),
                          total_rows=total, progress_done=total, committed_at=timezone.now())
            if not moved:
                raise ImportRefused(_("此批次已被他人处理。"))
        _drop_row_store(batch)
    except _NothingSaved as nothing:
        with translation.override(_language(user)):
            message = _("导入前重新校验时发现错误，未导入任何行。请查看错误后修改文件重新上传，或只导入无误的行。")
        _move(batch, Status.IMPORTING, Status.PREVIEW, errors=nothing.errors, error_rows=_error_rows(nothing.errors),
              valid_rows=nothing.valid, message=message)
    except ImportRefused:
        raise
    except Exception as error:  # noqa: BLE001 - the batch says what went wrong; the log has the trace
        logger.exception("Committing import batch %s failed", batch.pk)
        with translation.override(_language(user)):
            message = _("导入失败，未导入任何行：%(error)s") % {"error": error}
        _move(batch, Status.IMPORTING, Status.FAILED, message=message)
        _drop_row_store(batch)
    finally:
        progress.close()


def _commit_checked_rows(batch: ImportBatch, definition: ImportDefinition, user, progress: _Progress):
    """Check every row with the form again, and save the good ones: (errors, saved, created pks, rows)."""
    saver = _Saver(definition, batch, user)
    run = ImportRun(definition, user, committing=True, flush=saver.flush, batch=batch)
    total = 0
    for total, (row, form, row_errors) in enumerate(_checked_rows(batch, definition, user, run), 1):
        progress.tick(total)
        if form is not None:
            saver.add(row, form)
        saver.errors.extend({"row": row.number, "column": h, "message": m} for h, m in row_errors)
    saver.flush()
    return saver.errors, saver.valid, saver.created, total


def _commit_kept_rows(batch: ImportBatch, definition: ImportDefinition, user, progress: _Progress, kept: list):
    """Save the rows the validation kept through ``commit_rows``, a chunk at a time: (errors, saved, created pks,
    rows). The rows the validation refused keep their errors; what ``commit_rows`` refuses is added (an earlier
    commit's findings on kept rows are found again, not repeated). Every chunk is checked, so that an
    all-or-nothing commit that is undone reports every refused row."""
    kept_numbers = {number for number, _kept in kept}
    errors = [error for error in batch.errors if error["row"] not in kept_numbers]
    run = ImportRun(definition, user, committing=True, batch=batch)
    created: list = []
    refused_rows = len({error["row"] for error in errors})
    for start in range(0, len(kept), BULK_ROWS):
        chunk = kept[start:start + BULK_ROWS]
        objects, refused = definition.commit_rows(chunk, run)
        errors.extend({"row": number, "column": header, "message": force_str(message)}
                      for number, header, message in refused)
        created.extend(obj.pk for obj in objects)
        for done in range(refused_rows + start + 1, refused_rows + start + len(chunk) + 1):
            progress.tick(done)
    return errors, len(created), created, batch.total_rows


# --- revert -----------------------------------------------------------------------------------------
def fingerprints(model, pks) -> dict[str, str]:
    """{str(pk): digest of the record's field values and many-to-many links} for records that exist."""
    m2m = [f for f in model._meta.many_to_many]
    fields = model._meta.concrete_fields
    pks = list(pks)
    links: dict[str, dict] = {}
    for f in m2m:  # {field: {pk: sorted linked pks}}, one query per link table
        through = f.remote_field.through
        source, target = f.m2m_field_name(), f.m2m_reverse_field_name()
        linked: dict = {}
        for chunk_start in range(0, len(pks), 10_000):
            for owner, other in through._default_manager.filter(
                    **{f"{source}__in": pks[chunk_start:chunk_start + 10_000]}).values_list(source, target):
                linked.setdefault(owner, []).append(force_str(other))
        links[f.name] = linked
    result = {}
    encode = json.JSONEncoder(sort_keys=True, default=str, ensure_ascii=False).encode
    for chunk_start in range(0, len(pks), 10_000):
        # the field values as the model instance would hold them (values_list converts them alike), read without
        # building an instance per record
        rows = model._default_manager.filter(pk__in=pks[chunk_start:chunk_start + 10_000]).values_list(
            *(f.attname for f in fields))
        for row in rows.iterator(chunk_size=2000):
            values = {f.attname: value for f, value in zip(fields, row)}
            pk = values[model._meta.pk.attname]
            for f in m2m:
                values[f.name] = sorted(links[f.name].get(pk, ()))
            result[force_str(pk)] = hashlib.sha256(encode(values).encode()).hexdigest()
    return result


def _describe(obj) -> str:
    return f"{obj._meta.verbose_name}“{obj}”"


def _referencing(model, objects: list, limit: int = 10) -> list[str]:
    """The records (other than the import's own) that deleting ``objects`` would delete, change or be
    refused by; their many-to-many links (e.g. a user's roles) belong to the import and do not count."""
    collector = Collector(using=router.db_for_write(model))
    try:
        collector.collect(objects)
    except ProtectedError as error:
        return [_describe(o) for o in list(error.protected_objects)[:limit]]
    except RestrictedError as error:
        return [_describe(o) for o in list(error.restricted_objects)[:limit]]
    own_links = {f.remote_field.through for f in model._meta.many_to_many}
    found: list = []
    for other_model, instances in collector.data.items():
        if other_model is not model:
            found.extend(list(instances)[:limit])
    for items in collector.field_updates.values():
        for item in items:
            found.extend(list(item[:limit]) if isinstance(item, QuerySet) else list(item)[:limit])
    for queryset in collector.fast_deletes:
        if queryset.model not in own_links:
            found.extend(queryset[:limit])
    return [_describe(o) for o in found[:limit]]


def revert_batch(batch: ImportBatch, user) -> int:
    """Undo an import while every record it created is as the import left it; returns how many."""
    definition = get_definition(batch.definition_key)
    if not definition.allowed(user):
        raise PermissionDenied(_("您没有导入“%(title)s”的权限。") % {"title": definition.title})
    model = definition.model
    with transaction.atomic():
        if not _move(batch, Status.IMPORTED, Status.REVERTED, reverted_at=timezone.now(), reverted_by=user):
            raise ImportRefused(_("只能撤销状态为“已导入”的批次。"))
        batch.refresh_from_db()
        recorded = {force_str(pk): digest for pk, digest in batch.created_objects}
        current = fingerprints(model, recorded)
        changed_pks = [pk for pk, digest in current.items() if recorded[pk] != digest]
        objects = {force_str(o.pk): o for o in model._default_manager.filter(pk__in=list(current))}
        if changed_pks:
            names = "、".join(str(objects[pk]) for pk in changed_pks[:20])
            more = _("等 %(count)d 条") % {"count": len(changed_pks)} if len(changed_pks) > 20 else ""
            raise ImportRefused(_("以下记录在导入后已被修改，不能撤销：%(names)s%(more)s。") % {"names": names, "more": more})
        # A definition that reverts by voiding or binning deletes nothing, so links to the records do not block it.
        references = [] if definition.revert_objects else _referencing(model, list(objects.values()))
        if references:
            raise ImportRefused(_("导入的记录已被其他记录引用，不能撤销：%(names)s。") % {"names": "、".join(references)})
        queryset = model._default_manager.filter(pk__in=list(objects))
        if definition.revert_objects:
            definition.revert_objects(queryset, batch, user)
        else:
            queryset.delete()
    return len(objects)
