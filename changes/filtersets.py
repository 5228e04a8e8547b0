import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qms.people import Department
from changes.models import ChangeRequest, ChangeStatus, Kind, ProcessClass


class ChangeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/名称"), method="search")
    kind = django_filters.ChoiceFilter(label=_("变更类别"), choices=Kind.choices)
    process_class = django_filters.ChoiceFilter(label=_("过程变更等级"), choices=ProcessClass.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ChangeStatus.choices)
    requesting_department = django_filters.ModelChoiceFilter(label=_("申请部门"),
                                                             queryset=Department.objects.order_by("code"))
    created_after = django_filters.DateFilter(label=_("申请日期从"), field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(label=_("申请日期至"), field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = ChangeRequest
        fields = ["q", "kind", "process_class", "status", "requesting_department", "created_after", "created_before"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))
