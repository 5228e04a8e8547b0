"""Filters of the complaint list: state, type, customer, grade, product, overdue, key account (issue 7)."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import Channel, Complaint, ComplaintStatus, FeedbackType
from complaints.selectors import overdue_clock_exists
from customers.models import Grade
from qms.filters import YesNoFilter
from qms.people import Department


class ComplaintFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/客户/产品/批号/描述"), method="search")
    status = django_filters.MultipleChoiceFilter(label=_("状态"), choices=ComplaintStatus.choices)
    type = django_filters.ChoiceFilter(label=_("类型"), choices=FeedbackType.choices)
    channel = django_filters.ChoiceFilter(label=_("渠道"), choices=Channel.choices)
    customer = django_filters.CharFilter(label=_("客户"), field_name="customer_name", lookup_expr="icontains")
    grade = django_filters.ChoiceFilter(label=_("客户等级"), field_name="customer__grade", choices=Grade.choices)
    product = django_filters.CharFilter(label=_("产品"), field_name="product", lookup_expr="icontains")
    responsible_department = django_filters.ModelChoiceFilter(label=_("责任部门"),
                                                              queryset=Department.objects.filter(is_active=True))
    overdue = YesNoFilter(label=_("有逾期的时限"), method="filter_overdue")
    key_account = YesNoFilter(label=_("大客户"), field_name="is_key_account")
    received_after = django_filters.DateFilter(label=_("受理日期从"), field_name="received_at", lookup_expr="date__gte")
    received_before = django_filters.DateFilter(label=_("受理日期至"), field_name="received_at", lookup_expr="date__lte")

    class Meta:
        model = Complaint
        fields = ["q", "status", "type", "channel", "customer", "grade", "product", "responsible_department",
                  "overdue", "key_account", "received_after", "received_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        # each term has its index (Complaint.Meta.indexes), so PostgreSQL ORs five bitmap scans instead of a scan
        return queryset.filter(Q(number__icontains=value) | Q(customer_name__icontains=value)
                               | Q(product__icontains=value) | Q(description__icontains=value)
                               | Q(batch__iexact=value))

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_clock_exists()) if value else queryset.exclude(overdue_clock_exists())
