"""List columns and filters of the process control records (one definition for the page and the export)."""
import django_filters
import django_tables2 as tables
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qms.tables import StatusColumn
from production.setup_models import (DisciplineCheck, DisciplineConclusion, DisciplineStatus, SetupStatus,
                                     SetupTrigger, SetupVerification, SpecChange, SpecChangeStatus)


class SetupVerificationTable(tables.Table):
    number = tables.Column(verbose_name=_("编号"), linkify=True)
    lot = tables.Column(verbose_name=_("批号"), accessor="operation__lot__number")
    product = tables.Column(verbose_name=_("产品名称"), accessor="operation__lot__task_order__product")
    operation = tables.Column(verbose_name=_("工序"), accessor="operation__name")
    work_centre = tables.Column(verbose_name=_("工作中心"), default="—")
    trigger = tables.Column(verbose_name=_("验证原因"))
    status = StatusColumn()
    requested_at = tables.DateTimeColumn(verbose_name=_("申请时间"), format="Y-m-d H:i")
    verified_by = tables.Column(verbose_name=_("验证人"), default="—")

    class Meta:
        model = SetupVerification
        fields = ["number", "lot", "product", "operation", "work_centre", "trigger", "status", "requested_at",
                  "verified_by"]
        order_by = ("-requested_at",)


class SetupVerificationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/批号/产品"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=SetupStatus.choices)
    trigger = django_filters.ChoiceFilter(label=_("验证原因"), choices=SetupTrigger.choices)

    class Meta:
        model = SetupVerification
        fields = ["q", "status", "trigger"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(operation__lot__number__icontains=value)
                               | Q(operation__lot__task_order__product__icontains=value))


class DisciplineCheckTable(tables.Table):
    number = tables.Column(verbose_name=_("编号"), linkify=True)
    work_centre = tables.Column(verbose_name=_("生产线"))
    period_start = tables.DateColumn(verbose_name=_("检查周期开始"), format="Y-m-d")
    period_end = tables.DateColumn(verbose_name=_("检查周期结束"), format="Y-m-d")
    status = StatusColumn()
    conclusion = tables.Column(verbose_name=_("检查结论"), default="—")
    checked_by = tables.Column(verbose_name=_("检查人"), default="—")

    class Meta:
        model = DisciplineCheck
        fields = ["number", "work_centre", "period_start", "period_end", "status", "conclusion", "checked_by"]
        order_by = ("-period_start",)


class DisciplineCheckFilter(django_filters.FilterSet):
    work_centre = django_filters.CharFilter(label=_("生产线"), lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=DisciplineStatus.choices)
    conclusion = django_filters.ChoiceFilter(label=_("检查结论"), choices=DisciplineConclusion.choices)

    class Meta:
        model = DisciplineCheck
        fields = ["work_centre", "status", "conclusion"]


class SpecChangeTable(tables.Table):
    number = tables.Column(verbose_name=_("编号"), linkify=True)
    title = tables.Column(verbose_name=_("更改标题"))
    process_card = tables.Column(verbose_name=_("工艺卡"), accessor="process_card__code", default="—")
    status = StatusColumn()
    requested_at = tables.DateTimeColumn(verbose_name=_("申请时间"), format="Y-m-d H:i")
    effective_date = tables.DateColumn(verbose_name=_("实施日期"), format="Y-m-d", default="—")
    requested_by = tables.Column(verbose_name=_("申请人"))

    class Meta:
        model = SpecChange
        fields = ["number", "title", "process_card", "status", "requested_at", "effective_date", "requested_by"]
        order_by = ("-requested_at",)


class SpecChangeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/标题"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=SpecChangeStatus.choices)

    class Meta:
        model = SpecChange
        fields = ["q", "status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))
