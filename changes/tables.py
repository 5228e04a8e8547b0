import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from qms.tables import StatusColumn
from changes.models import ChangeRequest


class ChangeTable(tables.Table):
    """变更登记台账: the register quality keeps, on the page and in the export."""

    number = tables.Column(verbose_name=_("变更编号"), linkify=True)
    title = tables.Column(verbose_name=_("变更名称"))
    kind = tables.Column(verbose_name=_("变更类别"))
    process_class = tables.Column(verbose_name=_("过程变更等级"), default="—")
    requesting_department = tables.Column(verbose_name=_("申请部门"), accessor="requesting_department__name")
    created_by = tables.Column(verbose_name=_("申请人"), accessor="created_by__full_name")
    wanted_effective_date = tables.DateColumn(verbose_name=_("期望生效日期"), format="Y-m-d")
    effective_date = tables.DateColumn(verbose_name=_("生效日期"), format="Y-m-d", default="—")
    open_tasks = tables.Column(verbose_name=_("未完成任务"), orderable=False)
    status = StatusColumn()
    created_at = tables.DateTimeColumn(verbose_name=_("申请时间"), format="Y-m-d")

    class Meta:
        model = ChangeRequest
        fields = ["number", "title", "kind", "process_class", "requesting_department", "created_by",
                  "wanted_effective_date", "effective_date", "open_tasks", "status", "created_at"]
        order_by = ("-created_at",)
