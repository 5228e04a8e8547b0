"""The property structure pages: units (房号) with their owner, tenant and renovation history; the import."""
from django.urls import path
from django.utils.translation import gettext_lazy

from qms.views.generic import RecordDetailView, RecordListView
from renovation.filtersets import UnitFilter
from renovation.models import Unit
from renovation.selectors import unit_list_queryset
from renovation.tables import UnitTable


class UnitListView(RecordListView):
    model = Unit
    table_class = UnitTable
    filterset_class = UnitFilter
    permission_required = "renovation.use_renovation"
    title = gettext_lazy("房号及业主")
    import_key = "renovation_units"
    count_by = ("usage",)

    def base_queryset(self):
        return unit_list_queryset()


class UnitDetailView(RecordDetailView):
    model = Unit
    permission_required = "renovation.view_unit"  # anyone signed in; a unit they may not see: 404
    template_name = "renovation/unit_detail.html"
    tabs = [
        ("overview", gettext_lazy("房号信息"), "renovation/unit_tab_overview.html"),
        ("renovations", gettext_lazy("装修记录"), "renovation/unit_tab_renovations.html"),
    ]

    def base_queryset(self):
        return Unit.objects.select_related("building__project")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["renovations"] = self.object.applications.select_related("received_by").order_by("-submitted_at")
        context["may_apply"] = self.request.user.has_perm("renovation.add_application")
        return context


urlpatterns = [
    path("units/", UnitListView.as_view(), name="units"),
    path("units/<int:pk>/", UnitDetailView.as_view(), name="unit_detail"),
]
