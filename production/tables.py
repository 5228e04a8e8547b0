import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from qms.tables import StatusColumn, choice_label
from production.models import CustomerOpinion, FieldServiceRecord, IsolationEntry, Lot, ProcessCard, TaskOrder


class ProcessCardTable(tables.Table):
    code = tables.Column(verbose_name=_("工艺卡编号"), linkify=True)
    product = tables.Column(verbose_name=_("产品名称"))
    specification = tables.Column(verbose_name=_("规格型号"))
    revision = tables.Column(verbose_name=_("版本"))
    step_count = tables.Column(verbose_name=_("工序数"))
    is_active = tables.BooleanColumn(verbose_name=_("有效"))

    class Meta:
        model = ProcessCard
        fields = ["code", "product", "specification", "revision", "step_count", "is_active"]
        order_by = ("code",)


class TaskOrderTable(tables.Table):
    number = tables.Column(verbose_name=_("任务书编号"), linkify=True)
    product = tables.Column(verbose_name=_("产品名称"))
    specification = tables.Column(verbose_name=_("规格型号"))
    quantity = tables.Column(verbose_name=_("数量"))
    due_date = tables.DateColumn(verbose_name=_("完工日期"), format="Y-m-d")
    contract = tables.Column(verbose_name=_("合同"), accessor="contract__number", default="—")
    status = StatusColumn()
    created_at = tables.DateTimeColumn(verbose_name=_("创建时间"), format="Y-m-d")

    class Meta:
        model = TaskOrder
        fields = ["number", "product", "specification", "quantity", "due_date", "contract", "status", "created_at"]
        order_by = ("-created_at",)


class LotTable(tables.Table):
    number = tables.Column(verbose_name=_("批号"), linkify=True)
    task_order = tables.Column(verbose_name=_("生产任务书"), accessor="task_order__number")
    product = tables.Column(verbose_name=_("产品名称"), accessor="task_order__product")
    quantity = tables.Column(verbose_name=_("数量"))
    current = tables.Column(verbose_name=_("当前工序"), accessor="current__name", default="—")
    inspection_status = tables.Column(verbose_name=_("检验状态"), accessor="current__inspection_status",
                                      default="—")
    status = StatusColumn()
    created_at = tables.DateTimeColumn(verbose_name=_("创建时间"), format="Y-m-d")

    class Meta:
        model = Lot
        fields = ["number", "task_order", "product", "quantity", "current", "inspection_status", "status",
                  "created_at"]
        order_by = ("-created_at",)

    def render_inspection_status(self, record):
        return choice_label(self, record.current, "inspection_status")

    def value_inspection_status(self, record):
        return choice_label(self, record.current, "inspection_status") if record.current else ""


class IsolationTable(tables.Table):
    number = tables.Column(verbose_name=_("台账编号"), linkify=True)
    source = tables.Column(verbose_name=_("来源"))
    source_reference = tables.Column(verbose_name=_("来源单号"))
    product = tables.Column(verbose_name=_("产品名称"))
    specification = tables.Column(verbose_name=_("规格型号"))
    batch = tables.Column(verbose_name=_("批号"))
    quantity = tables.Column(verbose_name=_("数量"))
    reason = tables.Column(verbose_name=_("隔离原因"))
    placed_by = tables.Column(verbose_name=_("移入人"))
    placed_at = tables.DateTimeColumn(verbose_name=_("移入时间"), format="Y-m-d H:i")
    location = tables.Column(verbose_name=_("存放位置"))
    disposition = tables.Column(verbose_name=_("处置方式"), default="—")
    open_due_at = tables.DateTimeColumn(verbose_name=_("截止时间"), format="Y-m-d H:i", default="—")
    status = StatusColumn()

    class Meta:
        model = IsolationEntry
        fields = ["number", "source", "source_reference", "product", "specification", "batch", "quantity", "reason",
                  "placed_by", "placed_at", "location", "disposition", "open_due_at", "status"]
        order_by = ("-placed_at",)


class FieldServiceTable(tables.Table):
    number = tables.Column(verbose_name=_("编号"), linkify=True)
    customer_name = tables.Column(verbose_name=_("客户名称"))
    site = tables.Column(verbose_name=_("服务地点"))
    batch = tables.Column(verbose_name=_("批号"))
    complaint = tables.Column(verbose_name=_("关联投诉"), accessor="complaint__number", default="—")
    engineer = tables.Column(verbose_name=_("服务人员"), accessor="engineer__username")
    arrived_at = tables.DateTimeColumn(verbose_name=_("到达现场时间"), format="Y-m-d H:i")
    status = StatusColumn()

    class Meta:
        model = FieldServiceRecord
        fields = ["number", "customer_name", "site", "batch", "complaint", "engineer", "arrived_at", "status"]
        order_by = ("-arrived_at",)

    def render_engineer(self, record):
        return record.engineer.display_name

    def value_engineer(self, record):
        return record.engineer.display_name


class CustomerOpinionTable(tables.Table):
    number = tables.Column(verbose_name=_("编号"), linkify=True)
    customer_name = tables.Column(verbose_name=_("客户名称"))
    kind = tables.Column(verbose_name=_("类别"))
    product = tables.Column(verbose_name=_("产品"))
    batch = tables.Column(verbose_name=_("批号"))
    complaint = tables.Column(verbose_name=_("关联投诉"), accessor="complaint__number", default="—")
    registered_at = tables.DateTimeColumn(verbose_name=_("登记时间"), format="Y-m-d")
    status = StatusColumn()

    class Meta:
        model = CustomerOpinion
        fields = ["number", "customer_name", "kind", "product", "batch", "complaint", "registered_at", "status"]
        order_by = ("-registered_at",)
