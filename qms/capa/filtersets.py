import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qms.filters import YesNoFilter
from qms.capa.models import Capa, CapaSource, CapaStatus
from qms.capa.selectors import plan_overdue
from qms.people import Department


class CapaFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/标题"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CapaStatus.choices)
    source = django_filters.ChoiceFilter(label=_("来源"), choices=CapaSource.choices)
    responsible_department = django_filters.ModelChoiceFilter(label=_("责任部门"), queryset=Department.objects.all())
    overdue = YesNoFilter(label=_("计划已逾期"), method="filter_overdue")
    raised_after = django_filters.DateFilter(label=_("提出日期从"), field_name="raised_at", lookup_expr="date__gte")
    raised_before = django_filters.DateFilter(label=_("提出日期至"), field_name="raised_at", lookup_expr="date__lte")

    class Meta:
        model = Capa
        fields = ["q", "status", "source", "responsible_department", "overdue", "raised_after", "raised_before"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))

    def filter_overdue(self, queryset, name, value):
        overdue = Q(plan_overdue(), status=CapaStatus.RAISED)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
