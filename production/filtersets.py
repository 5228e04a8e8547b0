import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from production.models import (CustomerOpinion, Disposition, FieldServiceRecord, FieldServiceStatus, InspectionStatus,
                               IsolationEntry, IsolationSource, IsolationStatus, Lot, LotStatus, OpinionKind,
                               OpinionStatus, ProcessCard, TaskOrder, TaskOrderStatus)


class ProcessCardFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/产品"), method="search")
    is_active = django_filters.BooleanFilter(label=_("有效"))

    class Meta:
        model = ProcessCard
        fields = ["q", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(product__icontains=value)
                               | Q(specification__icontains=value))


class TaskOrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/产品/合同"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=TaskOrderStatus.choices)
    due_after = django_filters.DateFilter(label=_("完工日期从"), field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(label=_("完工日期至"), field_name="due_date", lookup_expr="lte")

    class Meta:
        model = TaskOrder
        fields = ["q", "status", "due_after", "due_before"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(product__icontains=value)
                               | Q(contract__number__icontains=value))


class LotFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("批号/任务书/产品"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=LotStatus.choices)
    inspection_status = django_filters.ChoiceFilter(label=_("检验状态"), choices=InspectionStatus.choices,
                                                    field_name="current__inspection_status")

    class Meta:
        model = Lot
        fields = ["q", "status", "inspection_status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(task_order__number__icontains=value)
                               | Q(task_order__product__icontains=value))


class IsolationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/产品/批号"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=IsolationStatus.choices)
    source = django_filters.ChoiceFilter(label=_("来源"), choices=IsolationSource.choices)
    disposition = django_filters.ChoiceFilter(label=_("处置方式"), choices=Disposition.choices)
    placed_after = django_filters.DateFilter(label=_("移入日期从"), field_name="placed_at", lookup_expr="date__gte")
    placed_before = django_filters.DateFilter(label=_("移入日期至"), field_name="placed_at", lookup_expr="date__lte")

    class Meta:
        model = IsolationEntry
        fields = ["q", "status", "source", "disposition", "placed_after", "placed_before"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(product__icontains=value) | Q(batch__icontains=value)
                               | Q(source_reference__icontains=value))


class FieldServiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/客户/批号/投诉"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=FieldServiceStatus.choices)

    class Meta:
        model = FieldServiceRecord
        fields = ["q", "status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(customer_name__icontains=value)
                               | Q(batch__icontains=value) | Q(complaint__number__icontains=value))


class CustomerOpinionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/客户/批号/投诉"), method="search")
    kind = django_filters.ChoiceFilter(label=_("类别"), choices=OpinionKind.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=OpinionStatus.choices)

    class Meta:
        model = CustomerOpinion
        fields = ["q", "kind", "status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(customer_name__icontains=value)
                               | Q(batch__icontains=value) | Q(complaint__number__icontains=value))
