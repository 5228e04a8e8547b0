"""投诉统计: the complaints dashboard (figures in complaints/services/dashboard.py)."""
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from complaints.services.dashboard import PERIODS, complaint_dashboard


class ComplaintDashboardView(PermissionRequiredMixin, TemplateView):
    template_name = "complaints/dashboard.html"
    permission_required = "complaints.view_dashboard"
    raise_exception = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dashboard = complaint_dashboard(self.request.user, period=self.request.GET.get("period", ""))
        context.update({
            "title": _("投诉统计"),
            "dashboard": dashboard,
            "chart_data": dashboard.chart_data(),
            "periods": [{"key": key, "label": label, "active": key == dashboard.period}
                        for key, (label, _months) in PERIODS.items()],
        })
        return context


urlpatterns = [
    path("dashboard/", ComplaintDashboardView.as_view(), name="dashboard"),
]
