"""Table columns every procedure's lists share, and the fast rendering of a list's rows."""
import datetime as dt
import html as html_text
import inspect
import re
import weakref

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.db import models as dj_models
from django.template.defaultfilters import date as date_filter
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape, format_html
from django.utils.functional import Promise
from django.utils.safestring import SafeData, mark_safe
from django.utils import timezone
from django.utils.hashable import make_hashable
from django.utils.http import urlencode
from django.utils.timezone import template_localtime
from django_tables2.columns.base import LinkTransform
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.columns.manytomanycolumn import ManyToManyColumn
from django_tables2.rows import BoundRow
from django_tables2.templatetags.django_tables2 import table_page_range
from django_tables2.utils import Accessor, AttributeDict, computed_values, signature
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import workflow
from qms.links import url_maker


def _labels_of(field) -> dict:
    """{value: translated label} of a field with choices, for looking labels up cell by cell."""
    return {make_hashable(value): str(label) for value, label in field.flatchoices}


def per_table(table, key, make):
    """What a table's cells share, made once per table (a page, an export): a grade's badge, a choice field's labels.
    ``make()`` is called the first time ``key`` is asked for."""
    memo = table.__dict__.setdefault("_per_table", {})
    try:
        return memo[key]
    except KeyError:
        made = memo[key] = make()
        return made


def choice_label(table, record, field_name: str):
    """``record.get_FOO_display()`` for a table's cells: the field's labels are translated once per table and looked
    up in a dict (``get_FOO_display`` builds the choices' dict and translates the label again on every call: a
    quarter of the time of a 100,000-customer export went there)."""
    key = ("choices", record.__class__, field_name)
    labels = table.__dict__.get("_per_table", {}).get(key)
    if labels is None:
        labels = per_table(table, key, lambda: _labels_of(record._meta.get_field(field_name)))
    value = getattr(record, field_name)
    try:
        return labels.get(value, value)
    except TypeError:  # an unhashable value (a JSON field's list): as get_FOO_display looks it up
        return labels.get(make_hashable(value), value)


def status_badge(record, status_field: str | None = None) -> str:
    """The record's state as a badge, in the colour its workflow declares (``Workflow(badges=…)``)."""
    wf = workflow.workflow_for(record)
    name = status_field or (wf.status_field if wf else "status")
    value = getattr(record, name)
    colour = wf.badge(value) if wf else "primary"
    return format_html('<span class="badge status-{} text-bg-{}">{}</span>', value, colour,
                       workflow.status_label(type(record), value))


class StatusColumn(tables.Column):
    """The record's state as its workflow's badge; the export writes the state's label."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("verbose_name", _("状态"))
        kwargs.setdefault("accessor", "status")
        super().__init__(*args, **kwargs)

    def render(self, value, record, table=None):
        if table is None:
            return status_badge(record, str(self.accessor))
        # the same few states on every row of a page: each badge is made once per table
        return per_table(table, ("status", type(record), value), lambda: status_badge(record, str(self.accessor)))

    def value(self, value, record):
        return workflow.status_label(type(record), value)


# --- the rows of a list, rendered in microseconds per cell ------------------------------------------------------
# django-tables2 renders each cell through its general machinery: the column's attrs computed again, the render
# method's signature inspected again, a template node per cell. Everything that does not change from row to row
# is worked out here once per page (the cell's <td> attributes, which arguments the render method takes, whether
# the value is a choice label, the link), and each row is one string join. Sorting, column choice, the header,
# pagination and the export stay django-tables2's.
_DATE_TEMPLATE = re.compile(r'\{\{ value\|date:"([^"]*)"\|default:default \}\}')
_CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "bound_row", "table")


# Django date-format characters that strftime writes the same way in every language (digits only)
_STRFTIME = {"Y": "%Y", "m": "%m", "d": "%d", "H": "%H", "i": "%M", "s": "%S", "y": "%y"}


def _strftime_of(django_format: str) -> str | None:
    """The strftime pattern of a Django date format made only of numeric fields and punctuation, else None."""
    out = []
    for char in django_format:
        if char in _STRFTIME:
            out.append(_STRFTIME[char])
        elif char.isalpha() or char == "\\":
            return None
        else:
            out.append(char.replace("%", "%%"))
    return "".join(out)


# the cell arguments each render function takes, read once per function (inspect.signature on every column of every
# page was a sixtieth of a list page); weak, so that a function made per table does not stay for good
_TAKES_OF_METHOD: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TAKES_OF_FUNCTION: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _takes(function) -> tuple[str, ...]:
    underlying = getattr(function, "__func__", None)
    known, key = (_TAKES_OF_METHOD, underlying) if underlying is not None else (_TAKES_OF_FUNCTION, function)
    try:
        return known[key]
    except (KeyError, TypeError):  # not read yet, or not a function that can be weakly referenced
        pass
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return ("value",)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        takes = _CELL_ARGUMENTS
    else:
        takes = tuple(name for name in _CELL_ARGUMENTS if name in parameters)
    try:
        known[key] = takes
    except TypeError:
        pass
    return takes


def _has_callables(attrs: dict) -> bool:
    return any(callable(value) for value in attrs.values())


def _url_of_record(record):
    return record.get_absolute_url() if hasattr(record, "get_absolute_url") else None


def _escaped(content) -> str:
    """``conditional_escape(content)`` as text: plain text through the standard library's escape directly (Django's
    ``escape`` first checks every argument for a lazy translation: a third of a page's cell time), markup as it is."""
    if type(content) is str:
        return html_text.escape(content)
    if type(content) is int:  # digits need no escaping
        return str(content)
    if isinstance(content, SafeData):
        return content
    if isinstance(content, Promise):  # a lazy translation: its text, escaped unless the text is markup
        return _escaped(str(content))
    return conditional_escape(content)


class _Cell:
    """How one column's cells are made, worked out once per page."""

    def __init__(self, table, bound_column, zone=None):
        self.bound_column = bound_column
        self.column = bound_column.column
        self.name = bound_column.name
        self.accessor = Accessor(bound_column.accessor)
        self.simple = "." not in self.accessor and "__" not in self.accessor
        self.default = bound_column.default
        if isinstance(self.default, Promise):  # "—" translated once for the page, not for every empty cell
            self.default = str(self.default)
        self.empty_values = self.column.empty_values
        self.render = bound_column.render
        self.render_takes = _takes(self.render)
        custom = hasattr(table, f"render_{self.name}")
        self.plain_render = type(self.column).render is tables.Column.render and not custom
        # DateColumn / DateTimeColumn compile a template for every cell: the same filter, applied directly
        self.date_format = None
        if isinstance(self.column, (tables.DateColumn, tables.DateTimeColumn)) and not custom:
            found = _DATE_TEMPLATE.fullmatch(self.column.template_code or "")
            if found:
                self.date_format = found.group(1)
        self.strftime = _strftime_of(self.date_format) if self.date_format is not None else None
        self.zone = zone or timezone.get_current_timezone()  # the page's zone, read once (not per date-time cell)
        self.link = bound_column.link
        self.linkify_url = isinstance(self.link, LinkTransform) and self.link.url is None \
            and self.link.reverse_args == {} and self.link.accessor is None and not self.link.attrs
        self.link_takes = _takes(self.link.__call__) if self.link else ()
        self.url_of = _url_of_record
        if self.linkify_url:  # the model's detail_url pattern, reversed once for the page (qms.links)
            model = getattr(table._meta, "model", None)
            maker = url_maker(model)
            if maker is not None:
                self.url_of = lambda record: maker(record) if type(record) is model else _url_of_record(record)
        self.special = isinstance(self.column, (BaseLinkColumn, ManyToManyColumn))
        # a field with choices shows the choice's label: the labels of the page's language, looked up once
        # (Model.get_FOO_display builds the choices' dict again on every call)
        # a model field without choices (most columns): its attribute read directly from the table's own records
        # (the checks below are for dicts, methods and other models)
        self.choices_labels = self.field_attribute = None
        model = self.model = getattr(table._meta, "model", None)
        if self.simple and model is not None:
            try:
                field = model._meta.get_field(str(self.accessor))
                if getattr(field, "choices", None) and not isinstance(field, dj_models.ForeignObjectRel):
                    self.choices_labels = _labels_of(field)
                elif field.concrete and field.name == str(self.accessor):
                    self.field_attribute = field.name
            except FieldDoesNotExist:
                pass
        column_attrs = {**dict(table.attrs), **dict(self.column.attrs)}
        td = column_attrs.get("td", column_attrs.get("cell", {}))
        self.dynamic_attrs = _has_callables(td)
        label = getattr(self.column, "cell_label", None)
        if label is None:  # a column whose header is markup (a checkbox) names its cells itself
            label = escape(str(bound_column.header)) if bound_column.header else ""
        self.data_label = f' data-label="{label}"' if label else ""
        self.td_open = "" if self.dynamic_attrs else f"<td {bound_column.attrs['td'].as_html()}{self.data_label}>"
        self.localize = self.column.localize

    def format_date(self, value) -> str:
        """What the column's ``{{ value|date:"…" }}`` gives, through strftime when the format is plain digits."""
        if self.strftime is not None and isinstance(value, dt.date):
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                value = value.astimezone(self.zone)
            return value.strftime(self.strftime)
        return date_filter(template_localtime(value), self.date_format) or self.default

    def value_of(self, record):
        """The cell's value as django-tables2 finds it: the choice's label for a field with choices."""
        if self.field_attribute is not None and type(record) is self.model:
            try:
                return getattr(record, self.field_attribute)
            except AttributeError:  # a required relation that is not set: empty, as below
                return None
        if self.choices_labels is not None:
            raw = record.get(str(self.accessor)) if isinstance(record, dict) else getattr(record, str(self.accessor))
            value = self.choices_labels.get(make_hashable(raw), raw)
        elif self.simple:
            if isinstance(record, dict):
                value = record.get(str(self.accessor))
            else:
                value = getattr(record, str(self.accessor), None)
                if callable(value) and not hasattr(value, "all"):
                    value = value()
        else:
            try:
                value = self.accessor.resolve(record)
            except Exception:  # noqa: BLE001 - a column that is not a field (django-tables2 does the same)
                value = None
        return value

    def html(self, record, table, bound_row=None) -> str:
        value = self.value_of(record)
        if value in self.empty_values and not self.special:
            content = self.default
        elif self.special:
            content = bound_row.get_cell(self.name)
        else:
            if self.plain_render:
                content = value
            elif self.date_format is not None:
                content = self.format_date(value)
            else:
                arguments = {"value": value, "record": record, "column": self.column,
                             "bound_column": self.bound_column, "bound_row": bound_row, "table": table}
                content = self.render(**{name: arguments[name] for name in self.render_takes})
            if self.link:
                if self.linkify_url:
                    url = self.url_of(record)
                    if url:  # what format_html('<a href="{}">{}</a>', url, content) gives
                        return self.td(record, f'<a href="{html_text.escape(url)}">{_escaped(content)}</a>')
                else:
                    arguments = {"value": value, "record": record, "column": self.column,
                                 "bound_column": self.bound_column, "bound_row": bound_row, "table": table}
                    content = self.link(content, **{name: arguments[name] for name in self.link_takes})
        if not isinstance(content, str) and self.localize is not False:
            content = localize(template_localtime(content))  # what {{ cell }} in the template did
        return self.td(record, _escaped(content))

    def td(self, record, text: str) -> str:
        """The cell: its <td> (worked out once, unless its attributes depend on the record) around ``text``."""
        if self.dynamic_attrs:
            self.bound_column.current_record, self.bound_column.current_value = record, text
            opening = f"<td {self.bound_column.attrs['td'].as_html()}{self.data_label}>"
            self.bound_column.current_record = self.bound_column.current_value = None
            return f"{opening}{text}</td>"
        return f"{self.td_open}{text}</td>"


def _attribute_of(value, table):
    """``record -> value`` of one row attribute as django-tables2's ``computed_values`` gives it (a function gets the
    arguments it names among ``table`` and ``record``, all of them with ``**kwargs``, and is not called when it names
    another), with the function's signature read once per page instead of once per row."""
    if not callable(value):
        return lambda record: value
    names, catch_all = signature(value)
    if catch_all:
        return lambda record: value(table=table, record=record)
    if any(name not in ("table", "record") for name in names):
        return lambda record: None
    if names == ("record",):
        return lambda record: value(record=record)
    return lambda record: value(**{name: {"table": table, "record": record}[name] for name in names})


def _row_opening(table):
    """``(record, parity) -> '<tr …>'``: the row's attributes (``Meta.row_attrs``) with the even/odd class, as
    ``AttributeDict(attrs).as_html()`` writes them."""
    row_attrs = table.row_attrs or {}
    if not row_attrs:
        return lambda record, parity: f'<tr class="{parity}">'
    if any(isinstance(value, dict) for value in row_attrs.values()):  # nested attributes: django-tables2's own way
        def opening(record, parity):
            attrs = computed_values(row_attrs, kwargs={"table": table, "record": record})
            attrs["class"] = f"{attrs['class']} {parity}" if attrs.get("class") else parity
            return f"<tr {AttributeDict(attrs).as_html()}>"
        return opening
    names = [name for name in row_attrs if name not in AttributeDict.blacklist]
    attributes = [(html_text.escape(str(name)), name == "class", _attribute_of(row_attrs[name], table))
                  for name in names]
    has_class = "class" in row_attrs

    def opening(record, parity):
        parts = []
        for name, is_class, value_of in attributes:
            value = value_of(record)
            if is_class:
                value = f"{value} {parity}" if value else parity
            if value is not None:
                parts.append(f'{name}="{_escaped(value)}"')
        if not has_class:
            parts.append(f'class="{parity}"')
        return f"<tr {' '.join(parts)}>"
    return opening


def render_rows(table) -> str:
    """The <tr> rows of the table's current page as HTML (what ``templates/includes/table.html`` puts in tbody)."""
    zone = timezone.get_current_timezone()
    cells = [_Cell(table, bound_column, zone) for bound_column in table.columns]
    special = any(cell.special for cell in cells)
    opening = _row_opening(table)
    page = getattr(table, "page", None)  # a list page's table is paginated; a table without pages: every row
    rows = page.object_list.data if page else table.data
    parts = []
    for counter, record in enumerate(rows):
        bound_row = BoundRow(record, table=table) if special else None
        parts.append(opening(record, "odd" if counter % 2 else "even")
                     + "".join(cell.html(record, table, bound_row) for cell in cells) + "</tr>")
    return mark_safe("\n".join(parts))  # noqa: S308  (every cell escaped above or built by format_html)


def _query_with(request):
    """``(name, value) -> "?…"``: the page's query string with ``name`` set to ``value``, escaped for an attribute, as
    django-tables2's ``{% querystring_replace name=value %}`` writes it; the request's parameters read once."""
    params = dict(request.GET) if request is not None else {}

    def query(name, value) -> str:
        return escape("?" + urlencode({**params, name: value}, doseq=True))
    return query


def render_head(table, request) -> str:
    """The table's <thead>, as django-tables2's bootstrap5 template writes it: each column's header in its <th>, a
    sortable one as the link that sorts by it (its next direction), the page's other parameters kept. Built here once
    per page: the template resolved every column's attributes, header and link through the template engine."""
    if not table.show_header:
        return ""
    query = _query_with(request)
    sort_field = table.prefixed_order_by_field
    cells = []
    for column in table.columns:
        header = conditional_escape(column.header)
        if column.orderable:
            header = f'<a href="{query(sort_field, column.order_by_alias.next)}">{header}</a>'
        cells.append(f'<th {column.attrs["th"].as_html()} scope="col">{header}</th>')
    attrs = table.attrs.get("thead")
    return mark_safe(f'<thead {AttributeDict(attrs).as_html() if attrs else ""}><tr>{"".join(cells)}</tr></thead>')  # noqa: S308


# django-tables2's own words for the pagination links, translated by its own catalogue (as its template did)
_PREVIOUS, _NEXT = "previous", "next"


def render_pagination(table, request) -> str:
    """The page links under a paginated table, as django-tables2's bootstrap5 template writes them: previous, the
    page numbers of ``table_page_range`` (with "..." between), next; empty for a single page."""
    page = getattr(table, "page", None)
    if page is None or table.paginator.num_pages <= 1:
        return ""
    query, field = _query_with(request), table.prefixed_page_field
    items = []
    if page.has_previous():
        items.append(f'<li class="previous page-item"><a href="{query(field, page.previous_page_number())}" '
                     f'class="page-link"><span aria-hidden="true">&laquo;</span> {escape(gettext(_PREVIOUS))}</a></li>')
    if page.has_previous() or page.has_next():
        for number in table_page_range(page, table.paginator):
            active = " active" if number == page.number else ""
            link = f' href="{query(field, number)}"' if number != "..." else ""
            items.append(f'<li class="page-item{active}"><a class="page-link"{link}>{localize(number)}</a></li>')
    if page.has_next():
        items.append(f'<li class="next page-item"><a href="{query(field, page.next_page_number())}" '
                     f'class="page-link">{escape(gettext(_NEXT))} <span aria-hidden="true">&raquo;</span></a></li>')
    # the portal's own label for screen readers (django-tables2's template says "Table navigation" in English only)
    return mark_safe(f'<nav aria-label="{escape(gettext("分页"))}"><ul class="pagination justify-content-center">'  # noqa: S308
                     f'{"".join(items)}</ul></nav>')
