import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reviews.models import (InputItem, InputReport, InputStatus, ResultSection, Review, ReviewKind, ReviewOutput,
                            ReviewStatus)


class ReviewFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/标题"), method="search")
    year = django_filters.NumberFilter(label=_("年度"))
    kind = django_filters.ChoiceFilter(label=_("评审类别"), choices=ReviewKind.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ReviewStatus.choices)

    class Meta:
        model = Review
        fields = ["q", "year", "kind", "status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))


class InputReportFilter(django_filters.FilterSet):
    review = django_filters.CharFilter(label=_("评审编号"), field_name="review__number", lookup_expr="icontains")
    item = django_filters.ChoiceFilter(label=_("评审输入"), choices=InputItem.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=InputStatus.choices)

    class Meta:
        model = InputReport
        fields = ["review", "item", "status"]


class OutputFilter(django_filters.FilterSet):
    review = django_filters.CharFilter(label=_("评审编号"), field_name="review__number", lookup_expr="icontains")
    section = django_filters.ChoiceFilter(label=_("评审结果"), choices=ResultSection.choices)

    class Meta:
        model = ReviewOutput
        fields = ["review", "section"]
