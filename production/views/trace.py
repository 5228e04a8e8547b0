"""The trace page 追溯 (PROCEDURES.md §6): a batch or heat number → where it was used, the lots and task orders,
the shipments and the customers that received them ("who got this batch", for a recall or an advisory notice);
and a product batch back to its task order, route card, materials and suppliers. Four queries whatever the size
(``production.services.trace``); ``?export=xlsx`` downloads who got the batch through the shared export."""
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from qms.excel.export import stream_xlsx
from production.services import trace as service


class TraceView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    template_name = "production/trace.html"
    permission_required = "production.trace_batch"
    raise_exception = True

    def query(self) -> str:
        return (self.request.GET.get("batch") or "").strip()[:200]

    def get(self, request, *args, **kwargs):
        batch = self.query()
        if batch and request.GET.get("export") == "xlsx":
            result = service.trace(batch)
            headers = [str(header) for header in service.EXPORT_HEADERS]
            return stream_xlsx(f"{_('批号追溯')}-{timezone.localtime():%Y%m%d-%H%M}.xlsx", headers,
                               service.export_rows(result), sheet_title=_("批号追溯"))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        batch = self.query()
        result = service.trace(batch) if batch else None
        return super().get_context_data(batch=batch, result=result,
                                        customers=result.customers if result else [], **kwargs)


urlpatterns = [path("trace/", TraceView.as_view(), name="trace")]
