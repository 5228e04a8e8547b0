import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from qms.tables import StatusColumn, choice_label
from reviews.models import InputReport, Review, ReviewOutput


class ReviewTable(tables.Table):
    number = tables.Column(verbose_name=_("编号"), linkify=True)
    title = tables.Column(verbose_name=_("标题"))
    kind = tables.Column(verbose_name=_("评审类别"))
    trigger = tables.Column(verbose_name=_("追加评审的原因"), default="—")
    meeting_at = tables.DateTimeColumn(verbose_name=_("评审时间"), format="Y-m-d H:i")
    period = tables.Column(verbose_name=_("评审期间"), accessor="period_start", order_by=("period_start",))
    status = StatusColumn()

    class Meta:
        model = Review
        fields = ["number", "title", "kind", "trigger", "meeting_at", "period", "status"]
        order_by = ("-meeting_at",)

    def render_period(self, record):
        return f"{record.period_start:%Y-%m-%d} ~ {record.period_end:%Y-%m-%d}"

    def value_period(self, record):
        return self.render_period(record)


class InputReportTable(tables.Table):
    review = tables.Column(verbose_name=_("管理评审"), accessor="review__number")
    item = tables.Column(verbose_name=_("评审输入"), linkify=True)
    role = tables.Column(verbose_name=_("负责岗位"))
    responsible = tables.Column(verbose_name=_("负责人"))
    due = tables.DateTimeColumn(verbose_name=_("提交期限"), accessor="open_due_at", format="Y-m-d H:i", default="—",
                                orderable=False)
    status = StatusColumn()
    submitted_at = tables.DateTimeColumn(verbose_name=_("提交时间"), format="Y-m-d H:i", default="—")

    class Meta:
        model = InputReport
        fields = ["review", "item", "role", "responsible", "due", "status", "submitted_at"]
        order_by = ("review", "item")


class OutputTable(tables.Table):
    review = tables.Column(verbose_name=_("管理评审"), accessor="review__number", linkify=lambda record:
                           record.review.get_absolute_url() + "?tab=report")
    section = tables.Column(verbose_name=_("评审结果"))
    title = tables.Column(verbose_name=_("改进要求"))
    department = tables.Column(verbose_name=_("责任部门"), accessor="department__name")
    responsible = tables.Column(verbose_name=_("责任人"))
    capa = tables.Column(verbose_name=_("纠正和预防措施"), accessor="capa__number", default="—",
                         linkify=lambda record: record.capa.get_absolute_url() if record.capa_id else None)
    capa_status = tables.Column(verbose_name=_("措施状态"), accessor="capa__status", default="—")

    class Meta:
        model = ReviewOutput
        fields = ["review", "section", "title", "department", "responsible", "capa", "capa_status"]
        order_by = ("-review", "section")

    def render_capa_status(self, record):
        return choice_label(self, record.capa, "status") if record.capa_id else "—"

    def value_capa_status(self, record):
        return self.render_capa_status(record)
