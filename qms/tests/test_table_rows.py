"""Every list's rows are made by ``qms.tables.render_rows`` (what does not change from row to row worked out once per
page, text escaped by the standard library): they must be exactly what django-tables2's own template renders."""
import datetime as dt
import re

import django_tables2 as tables
import pytest
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.timezone import template_localtime
from django.utils.translation import gettext_lazy as _

from qms.directory import StaffTable, staff_directory
from qms.excel.models import ImportBatch
from qms.people import Department, User
from qms.tables import render_rows

pytestmark = pytest.mark.django_db

ROW = re.compile(r"<tr ([^>]*)>(.*?)</tr>", re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)


class ProbeTable(tables.Table):
    display_name = tables.Column(verbose_name=_("姓名"), linkify=True)
    username = tables.Column()
    language = tables.Column()
    last_login = tables.DateTimeColumn(format="Y-m-d H:i")
    date_joined = tables.DateColumn(format="Y年n月j日")  # not plain digits: Django's date filter
    department = tables.Column(default=_("未填"))  # a lazy default for the empty cells
    staff = tables.Column(accessor="is_staff")

    class Meta:
        model = User
        fields = ["display_name", "username", "language", "last_login", "date_joined", "department", "staff"]
        row_attrs = {"class": lambda record: "table-danger" if record.is_staff else "",
                     "data-user": lambda record: record.pk,
                     "data-table": lambda table, record: f'{type(table).__name__}&"{record.username}"',
                     "data-none": lambda record: None,
                     "data-fixed": "<固定>"}


class BatchProbeTable(tables.Table):
    file_name = tables.Column()
    status = tables.Column()  # a field with choices: the choice's label
    created_by = tables.Column()

    class Meta:
        model = ImportBatch
        fields = ["file_name", "status", "created_by"]


def django_tables2_rows(table) -> list[tuple[str, list[str]]]:
    """The rows as templates/django_tables2/bootstrap5.html renders them: {{ row.attrs.as_html }} and {{ cell }}."""
    return [(str(row.attrs.as_html()),
             [str(conditional_escape(localize(template_localtime(cell)))) for _column, cell in row.items()])
            for row in table.rows]


def fast_rows(table) -> list[tuple[str, list[str]]]:
    return [(attrs, CELL.findall(cells)) for attrs, cells in ROW.findall(str(render_rows(table)))]


def test_the_rows_are_what_django_tables2_renders(people):
    sales = Department.objects.get(code="sales")
    User.objects.create(username="odd&name", full_name='<b>"甲&乙"</b>', language="en", is_staff=True,
                        department=sales, last_login=timezone.make_aware(dt.datetime(2026, 3, 1, 23, 30)))
    User.objects.create(username="nodept", full_name="", last_login=None)
    ImportBatch.objects.create(definition_key="staff", file_name="<a>.xlsx", file="a.xlsx", created_by=people["hr"],
                               status="imported")  # a status with choices: the choice's label
    for table in (ProbeTable(User.objects.order_by("username")), StaffTable(staff_directory().order_by("username")),
                  BatchProbeTable(ImportBatch.objects.all())):
        expected = django_tables2_rows(table)
        assert fast_rows(table) == expected and len(expected) >= 1
    probe = dict(fast_rows(ProbeTable(User.objects.filter(username="odd&name"))))
    attrs, cells = next(iter(probe.items()))
    assert 'class="table-danger even"' in attrs and "data-none" not in attrs and "&lt;固定&gt;" in attrs
    assert "&lt;b&gt;&quot;甲&amp;乙&quot;&lt;/b&gt;" in cells[0] and cells[2] == "en"
    assert cells[3] == "2026-03-01 23:30"


class RenderProbeTable(tables.Table):
    username = tables.Column()
    language = tables.Column()

    class Meta:
        model = User
        fields = ["username", "language"]

    def render_username(self, value, record):
        return f"{value}#{record.pk}"

    def render_language(self, value, table, **kwargs):
        return f"{value}:{type(table).__name__}:{kwargs['bound_column'].name}"


def test_each_render_function_gets_the_arguments_it_names_read_once_per_function(people, monkeypatch):
    import gc
    import inspect

    from qms import tables as qms_tables

    User.objects.create(username="probe-a", language="en")
    queryset = User.objects.filter(username="probe-a")
    expected = django_tables2_rows(RenderProbeTable(queryset))
    user = queryset.get()
    assert expected[0][1] == [f"probe-a#{user.pk}", "en:RenderProbeTable:language"]
    read = []
    real_signature = inspect.signature
    monkeypatch.setattr(qms_tables.inspect, "signature", lambda function: read.append(function) or real_signature(function))
    for _ in range(3):  # three pages: the signatures are read on the first only
        assert fast_rows(RenderProbeTable(queryset)) == expected
    assert {function.__name__ for function in read} == {"render_username", "render_language"} and len(read) == 2

    # a column whose render function is made per table is not kept once the table is gone
    monkeypatch.undo()
    read.clear()
    def one_page():
        table = RenderProbeTable(queryset)
        table.columns["username"].render = lambda value: f"<{value}>"
        return fast_rows(table)[0][1][0]

    assert one_page() == "&lt;probe-a&gt;"
    gc.collect()
    assert not [function for function in qms_tables._TAKES_OF_FUNCTION if function.__name__ == "<lambda>"]


# --- the head and the page links ---------------------------------------------------------------------------
class HeadProbeTable(tables.Table):
    select = tables.CheckBoxColumn(accessor="pk", attrs={"th__input": {"class": "bulk-select-all"}})
    username = tables.Column(verbose_name=_("账号"), attrs={"th": {"class": "fixed-width"}})
    display_name = tables.Column(verbose_name='名 & "姓"', order_by=("full_name", "username"))
    language = tables.Column(orderable=False)

    class Meta:
        model = User
        fields = ["select", "username", "display_name", "language"]
        attrs = {"thead": {"class": "table-light"}}


def _blocks(html: str) -> tuple[str, str]:
    """The <thead> and the page links' <nav> of a rendered table, whitespace between tags dropped."""
    def tidy(part: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", part)).replace(" >", ">").replace("> ", ">").replace(" <", "<")
    head = re.search(r"<thead.*?</thead>", html, re.S)
    nav = re.search(r"<nav.*?</nav>", html, re.S)
    return tidy(head.group(0)) if head else "", tidy(nav.group(0)) if nav else ""


@pytest.mark.parametrize("query", ["", "page=7&sort=-display_name&q=甲%26乙&tag=a&tag=b", "page=15&sort=username",
                                   "page=2"])
def test_the_head_and_the_page_links_are_what_django_tables2_renders(people, rf, query):
    from django.template import Context, Template
    from django_tables2 import RequestConfig

    from qms.tables import render_head, render_pagination

    for number in range(30):
        User.objects.create(username=f"probe{number:02d}", full_name=f"试用{number}")
    request = rf.get(f"/people/?{query}")
    table = HeadProbeTable(User.objects.order_by("username"))
    RequestConfig(request, paginate={"per_page": 3}).configure(table)
    theirs = Template('{% load django_tables2 %}{% render_table table "django_tables2/bootstrap5.html" %}').render(
        Context({"table": table, "request": request}))
    head, nav = _blocks(theirs)
    ours = _blocks(f"{render_head(table, request)}{render_pagination(table, request)}")
    # the same markup, but for the page links' label, which is translated
    assert ours == (head, nav.replace('aria-label="Table navigation"', 'aria-label="分页"'))
    if "tag" in query:  # the page's other parameters kept in every sort and page link
        assert head.count("q=%E7%94%B2%26%E4%B9%99&amp;tag=a&amp;tag=b") == 2
        assert "q=%E7%94%B2%26%E4%B9%99&amp;tag=a&amp;tag=b" in nav
    assert nav.count('class="page-item') >= 10  # the numbers of table_page_range, with "..." among them
    assert "&quot;姓&quot;" in head and 'class="table-light"' in head


def test_a_single_page_has_no_page_links(people, rf):
    from django_tables2 import RequestConfig

    from qms.tables import render_head, render_pagination

    request = rf.get("/people/")
    table = HeadProbeTable(User.objects.order_by("username"))
    RequestConfig(request, paginate={"per_page": 500}).configure(table)
    assert render_pagination(table, request) == ""
    assert render_head(table, request).count("<th ") == 4
