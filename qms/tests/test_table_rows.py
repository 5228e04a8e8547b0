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
