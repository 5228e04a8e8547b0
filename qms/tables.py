"""Table columns every procedure's lists share."""
import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from qms import workflow


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

    def render(self, value, record):
        return status_badge(record, str(self.accessor))

    def value(self, value, record):
        return workflow.status_label(type(record), value)
