"""The customer list's quick search and advanced filters (PROCEDURES.md §1: search by name, industry, source,
nature, revenue, address, owner)."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, CustomerOption, Grade, OptionKind, Rating, Region
from customers.services.names import name_matches
from qms.filters import YesNoFilter
from qms.people import User


class OwnerFilterField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.department or '—'} · {obj.display_name}"


class OwnerFilter(django_filters.ModelChoiceFilter):
    field_class = OwnerFilterField


def _options(kind):
    return CustomerOption.objects.filter(kind=kind).order_by("-is_active", "order", "id")


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("快速搜索"), method="search",
                                  help_text=_("客户名称、拼音或拼音首字母（如 bjxx）"))
    industry = django_filters.ModelChoiceFilter(label=_("客户行业"), queryset=_options(OptionKind.INDUSTRY))
    source = django_filters.ModelChoiceFilter(label=_("客户信息来源"), queryset=_options(OptionKind.SOURCE))
    nature = django_filters.ModelChoiceFilter(label=_("公司性质"), queryset=_options(OptionKind.NATURE))
    revenue_band = django_filters.ModelChoiceFilter(label=_("年营业额"), queryset=_options(OptionKind.REVENUE))
    status = django_filters.ModelChoiceFilter(label=_("客户状态"), queryset=_options(OptionKind.STATUS))
    grade = django_filters.ChoiceFilter(label=_("客户等级"), choices=Grade.choices)
    rating = django_filters.ChoiceFilter(label=_("评分"), choices=Rating.choices)
    province = django_filters.ModelChoiceFilter(label=_("省份"),
                                                queryset=Region.objects.filter(level=Region.Level.PROVINCE))
    address = django_filters.CharFilter(label=_("地址"), method="search_address")
    owner = OwnerFilter(label=_("负责人"), queryset=User.objects.filter(is_active=True).select_related("department")
                        .order_by("department__code", "full_name", "username"))
    in_pool = YesNoFilter(label=_("在客户池中"), field_name="owner", lookup_expr="isnull")

    class Meta:
        model = Customer
        fields = ["q", "industry", "source", "nature", "revenue_band", "status", "grade", "rating", "province",
                  "address", "owner", "in_pool"]

    def search(self, queryset, name, value):
        """Name (contains), full pinyin or pinyin initials: "bjxx" finds 北京信息…, "beijing" too."""
        if not value.strip():
            return queryset
        return queryset.filter(name_matches(value))

    def search_address(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(address__icontains=value) | Q(province__name__icontains=value)
                               | Q(city__name__icontains=value))
