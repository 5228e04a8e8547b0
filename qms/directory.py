"""The staff directory (通讯录): who is who, by department and role. Also the owner picker's source."""
import django_filters
import django_tables2 as tables
from django.contrib.auth.models import Group
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _

from qms.people import Department, User
from qms.views.generic import RecordDetailView, RecordListView



def staff_directory():
    return (
        User.objects.filter(is_active=True)
        .select_related("department", "department__manager")
        .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
    )


class StaffFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名/账号"), method="search")
    department = django_filters.ModelChoiceFilter(label=_("部门"), queryset=Department.objects.all())
    groups = django_filters.ModelChoiceFilter(label=_("岗位"), queryset=Group.objects.order_by("name"))

    class Meta:
        model = User
        fields = ["q", "department", "groups"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(full_name__icontains=value) | Q(username__icontains=value))


class StaffTable(tables.Table):
    display_name = tables.Column(verbose_name=_("姓名"), linkify=True, order_by=("full_name", "username"),
                                 accessor="display_name")
    username = tables.Column(verbose_name=_("账号"))
    department = tables.Column(verbose_name=_("部门"))
    roles = tables.Column(verbose_name=_("岗位"), empty_values=(), orderable=False)
    phone = tables.Column(verbose_name=_("手机"))
    email = tables.EmailColumn(verbose_name=_("邮箱"))

    class Meta:
        model = User
        fields = ["display_name", "username", "department", "roles", "phone", "email"]
        order_by = ("department", "username")

    def render_roles(self, record):
        return "、".join(group.name for group in record.groups.all())


class StaffListView(RecordListView):
    model = User
    table_class = StaffTable
    filterset_class = StaffFilter
    permission_required = "qms.view_user"
    title = _("通讯录")
    count_by = ("department",)
    import_key = "staff"

    def base_queryset(self):
        return staff_directory()


class StaffDetailView(RecordDetailView):
    model = User
    permission_required = "qms.view_user"
    tabs = [("overview", _("概览"), "qms/staff_overview.html")]

    def base_queryset(self):
        return staff_directory()
