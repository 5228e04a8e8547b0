import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from qms.capa.models import Capa
from qms.tables import StatusColumn


class CapaTable(tables.Table):
    number = tables.Column(verbose_name=_("编号"), linkify=True)
    title = tables.Column(verbose_name=_("标题"))
    source = tables.Column(verbose_name=_("来源"))
    status = StatusColumn()
    responsible_department = tables.Column(verbose_name=_("责任部门"))
    responsible = tables.Column(verbose_name=_("责任人"))
    # from the open deadline row of the current step (capa_list_queryset), the same time the detail page shows
    current_due_at = tables.DateTimeColumn(verbose_name=_("当前期限"), format="Y-m-d H:i")
    raised_at = tables.DateTimeColumn(verbose_name=_("提出时间"), format="Y-m-d")

    class Meta:
        model = Capa
        fields = ["number", "title", "source", "status", "responsible_department", "responsible", "current_due_at",
                  "raised_at"]
        order_by = ("-raised_at",)
