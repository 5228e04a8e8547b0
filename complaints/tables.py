"""The columns of the complaint list, used by the page and its Excel export alike."""
import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Complaint
from qms.tables import StatusColumn, choice_label

def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class ComplaintTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("编号"), linkify=True)
    key_account = tables.Column(verbose_name=gettext_lazy("大客户"), accessor="is_key_account",
                                order_by=("-is_key_account", "-received_at"))
    type = tables.Column(verbose_name=gettext_lazy("类型"))
    customer_name = tables.Column(verbose_name=gettext_lazy("客户"))
    grade = tables.Column(verbose_name=gettext_lazy("客户等级"), accessor="customer__grade", default="")
    product = tables.Column(verbose_name=gettext_lazy("产品"))
    batch = tables.Column(verbose_name=gettext_lazy("批号"))
    status = StatusColumn()
    responsible_department = tables.Column(verbose_name=gettext_lazy("责任部门"),
                                           order_by=("responsible_department__name",))
    handler = tables.Column(verbose_name=gettext_lazy("当前责任人"), empty_values=(),
                            order_by=("responsible__full_name", "received_by__full_name"))
    received_at = tables.DateTimeColumn(verbose_name=gettext_lazy("受理时间"), format="Y-m-d H:i")
    next_due = tables.Column(verbose_name=gettext_lazy("最近时限"), empty_values=())
    overdue = tables.Column(verbose_name=gettext_lazy("逾期"), accessor="has_overdue", orderable=True,
                            order_by=("-has_overdue", "-received_at"))

    class Meta:
        model = Complaint
        fields = ["number", "key_account", "type", "customer_name", "grade", "product", "batch", "status",
                  "responsible_department", "handler", "received_at", "next_due", "overdue"]
        order_by = ("-received_at",)
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "complaint-table"}
        row_attrs = {"class": lambda record: "table-danger" if getattr(record, "has_overdue", False) else "",
                     "data-complaint": lambda record: record.pk}

    def render_key_account(self, value):
        return format_html('<span class="badge text-bg-danger priority-badge">{}</span>', _("大客户")) if value else ""

    def value_key_account(self, value):
        return _("是") if value else ""

    def value_type(self, record):
        return choice_label(self, record, "type")

    def render_grade(self, record):
        return choice_label(self, record.customer, "grade") if record.customer_id else "—"

    def value_grade(self, record):
        return record.customer.grade if record.customer_id else ""

    def _handler(self, record):
        person = record.responsible if record.responsible_id else record.received_by
        return person.display_name

    def render_handler(self, record):
        return self._handler(record)

    def value_handler(self, record):
        return self._handler(record)

    def value_responsible_department(self, record):
        return record.responsible_department.name if record.responsible_department_id else ""

    def value_received_at(self, value):
        return value

    def render_next_due(self, record):
        return _local(getattr(record, "next_due", None)) or "—"

    def value_next_due(self, record):
        return getattr(record, "next_due", None)

    def render_overdue(self, value):
        return format_html('<span class="badge text-bg-danger overdue-flag">{}</span>', _("已逾期")) if value else ""

    def value_overdue(self, value):
        return _("已逾期") if value else ""
