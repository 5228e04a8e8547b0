"""大客户分析 page and the printed 大客户档案 (customer archive, form QR-8.2-01)."""
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Q, Sum
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from customers.models import BusinessRecord, Customer
from customers.services.analysis import PERIODS, add_months, customer_analysis
from qms.pdf import PrintForm
from qms.views.records import RecordPdfView

ARCHIVE_RECORDS_SHOWN = 100
ARCHIVE_FOLLOW_UPS_SHOWN = 20
ARCHIVE_VISITS_SHOWN = 20


class CustomerAnalysisView(PermissionRequiredMixin, TemplateView):
    template_name = "customers/analysis.html"
    permission_required = "customers.view_customer"
    raise_exception = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        analysis = customer_analysis(self.request.user, period=self.request.GET.get("period", ""))
        context.update({
            "title": _("客户分析"),
            "analysis": analysis,
            "chart_data": analysis.chart_data(),
            "periods": [{"key": key, "label": label, "active": key == analysis.period}
                        for key, (label, _months) in PERIODS.items()],
        })
        return context


class CustomerArchivePdfView(RecordPdfView):
    """大客户档案: everything the company keeps on a key account, printed (anyone who may not see it: 404)."""

    model = Customer
    print_form = PrintForm(code="QR-8.2-01", title=_("大客户档案"), revision="A/0",
                           template="print/customer_archive.html")

    def base_queryset(self):
        return Customer.objects.select_related(
            "owner", "created_by", "industry", "source", "nature", "revenue_band", "employees_band", "status",
            "province", "city")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customer = self.object
        contacts = list(customer.contacts.filter(is_active=True).order_by("-is_primary", "id"))
        records = customer.business_records.select_related("recorded_by")
        year_ago = add_months(timezone.localdate(), -12)
        totals = BusinessRecord.objects.filter(customer=customer).aggregate(
            count=Count("id"), total_amount=Sum("amount"),
            last_12_months=Sum("amount", filter=Q(occurred_on__gt=year_ago)))
        context.update({
            "primary_contact": next((c for c in contacts if c.is_primary), None),
            "other_contacts": [c for c in contacts if not c.is_primary],
            "archive_sections": [(Customer._meta.get_field(name).verbose_name, getattr(customer, name))
                                 for name in ("organisation", "business_situation", "major_events", "competition",
                                              "needs", "shareholders", "stock_info", "bank_accounts",
                                              "service_notes", "other_info")],
            "business_records": records[:ARCHIVE_RECORDS_SHOWN],
            "records_shown": ARCHIVE_RECORDS_SHOWN,
            "totals": totals,
            "follow_ups": customer.follow_ups.select_related("by", "contact")[:ARCHIVE_FOLLOW_UPS_SHOWN],
            "visits": customer.visits.select_related("owner").order_by("-period_start", "-id")[:ARCHIVE_VISITS_SHOWN],
        })
        return context


urlpatterns = [
    path("analysis/", CustomerAnalysisView.as_view(), name="analysis"),
    path("<int:pk>/archive.pdf", CustomerArchivePdfView.as_view(), name="archive_pdf"),
]
