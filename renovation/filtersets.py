import datetime as dt

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.deadlines import overdue_q
from qms.filters import YesNoFilter
from qms.widgets import MonthInput
from renovation.models import (REVIEW_STATES, Application, ApplicationStatus, Building, Project, Unit, UnitUsage,
                               Violation, ViolationKind, ViolationStatus)
from renovation.services.applications import REVIEW_DEADLINE


class ApplicationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/房号/申请人/施工单位"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ApplicationStatus.choices)
    project = django_filters.ModelChoiceFilter(label=_("项目"), field_name="unit__building__project",
                                               queryset=Project.objects.all())
    overdue = YesNoFilter(label=_("审批已逾期"), method="filter_overdue")
    submitted_after = django_filters.DateFilter(label=_("提交日期从"), field_name="submitted_at",
                                                lookup_expr="date__gte")
    submitted_before = django_filters.DateFilter(label=_("提交日期至"), field_name="submitted_at",
                                                 lookup_expr="date__lte")

    class Meta:
        model = Application
        fields = ["q", "status", "project", "overdue", "submitted_after", "submitted_before"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(unit__number__icontains=value)
                               | Q(applicant_name__icontains=value) | Q(contractor_name__icontains=value))

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status__in=REVIEW_STATES) & Q(overdue_q(Application, REVIEW_DEADLINE.kind))
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class UnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("房号/业主/租户"), method="search")
    project = django_filters.ModelChoiceFilter(label=_("项目"), field_name="building__project",
                                               queryset=Project.objects.all())
    building = django_filters.ModelChoiceFilter(label=_("楼栋"), queryset=Building.objects.select_related("project"))
    usage = django_filters.ChoiceFilter(label=_("用途"), choices=UnitUsage.choices)

    class Meta:
        model = Unit
        fields = ["q", "project", "building", "usage"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(owner_name__icontains=value)
                               | Q(tenant_name__icontains=value))


class ViolationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/房号/违章情况"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ViolationStatus.choices)
    kind = django_filters.ChoiceFilter(label=_("违章类型"), choices=ViolationKind.choices)
    project = django_filters.ModelChoiceFilter(label=_("项目"), field_name="application__unit__building__project",
                                               queryset=Project.objects.all())
    month = django_filters.DateFilter(label=_("发现月份"), method="filter_month",
                                      widget=MonthInput(), input_formats=["%Y-%m"])

    class Meta:
        model = Violation
        fields = ["q", "status", "kind", "project", "month"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(application__unit__number__icontains=value)
                               | Q(description__icontains=value))

    def filter_month(self, queryset, name, value):
        start = timezone.make_aware(dt.datetime(value.year, value.month, 1))
        end = timezone.make_aware(dt.datetime(value.year + value.month // 12, value.month % 12 + 1, 1))
        return queryset.filter(found_at__gte=start, found_at__lt=end)
