"""The service records' pages: the field service record 《现场服务处理记录单》 and the customer opinion form
《顾客意见处理表》 — lists with filters and export, a form to register one (from a complaint's page too), the detail
page with the shared tabs and moves, and the printed form."""
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Complaint
from qms.pdf import PrintForm
from qms.people import visible_to
from qms.views.actions import RecordFormView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView
from production.filtersets import CustomerOpinionFilter, FieldServiceFilter
from production.service_forms import CustomerOpinionForm, FieldServiceForm
from production.service_models import CustomerOpinion, FieldServiceRecord
from production.services import service_records as service
from production.tables import CustomerOpinionTable, FieldServiceTable


def field_service_queryset():
    return FieldServiceRecord.objects.select_related("complaint", "engineer", "created_by")


def opinion_queryset():
    return CustomerOpinion.objects.select_related("complaint", "registered_by")


class _CreateView(RecordFormView):
    """Register a record, optionally for a complaint the user may see (``?complaint=<pk>`` fills it in)."""

    template_name = "production/form_page.html"

    def complaints(self):
        return visible_to(self.request.user, Complaint.objects.all())

    def get_initial(self):
        pk = self.request.GET.get("complaint") or ""
        complaint = self.complaints().filter(pk=pk).first() if pk.isdigit() else None
        if complaint is None:
            return {}
        return {"complaint_number": complaint.number, "customer_name": complaint.customer_name,
                "product": complaint.product, "batch": complaint.batch}

    def get_form_kwargs(self, record):
        return {"complaints_queryset": self.complaints(), "initial": self.get_initial()}

    def save(self, record, form, formsets):
        data = dict(form.cleaned_data)
        data["complaint"] = data.pop("complaint_number")
        return self.create(data)

    def get_success_message(self, record):
        return _("已创建 %(number)s。") % {"number": record.number}


# --- 现场服务处理记录单 -----------------------------------------------------------------------------------
class FieldServiceListView(RecordListView):
    model = FieldServiceRecord
    table_class = FieldServiceTable
    filterset_class = FieldServiceFilter
    permission_required = "production.use_service_records"
    title = gettext_lazy("现场服务处理记录单")
    create_url_name = "production:field_service_create"
    create_permission = "production.add_fieldservicerecord"
    export_url_name = "production:field_service_export"
    count_by = ("status",)

    def base_queryset(self):
        return field_service_queryset()


class FieldServiceCreateView(_CreateView):
    form_class = FieldServiceForm
    permission = "production.add_fieldservicerecord"
    title = gettext_lazy("填写现场服务处理记录单")
    intro = gettext_lazy("服务结束后由派出人员当场填写，并请顾客签字确认；返回后交营销部归档。")

    def get_initial(self):
        return {"arrived_at": timezone.localtime().replace(second=0, microsecond=0), **super().get_initial()}


    def create(self, data):
        return service.record_field_service(by=self.request.user, **data)


class FieldServiceDetailView(RecordDetailView):
    model = FieldServiceRecord
    permission_required = "production.view_fieldservicerecord"
    template_name = "production/service_detail.html"
    signatures = attachments = True
    tabs = [("overview", gettext_lazy("概览"), "production/field_service_tab_overview.html")]

    def base_queryset(self):
        return field_service_queryset()

    def get_context_data(self, **kwargs):
        return super().get_context_data(pdf_url_name="production:field_service_pdf", **kwargs)


class FieldServicePdfView(RecordPdfView):
    model = FieldServiceRecord
    print_form = PrintForm(code="QR-7.5-05", title=gettext_lazy("现场服务处理记录单"), revision="A/0",
                           template="print/production_field_service.html")

    def get_queryset(self):
        return field_service_queryset()


# --- 顾客意见处理表 -------------------------------------------------------------------------------------
class OpinionListView(RecordListView):
    model = CustomerOpinion
    table_class = CustomerOpinionTable
    filterset_class = CustomerOpinionFilter
    permission_required = "production.use_service_records"
    title = gettext_lazy("顾客意见处理表")
    create_url_name = "production:opinion_create"
    create_permission = "production.add_customeropinion"
    export_url_name = "production:opinion_export"
    count_by = ("status",)

    def base_queryset(self):
        return opinion_queryset()


class OpinionCreateView(_CreateView):
    form_class = CustomerOpinionForm
    permission = "production.add_customeropinion"
    title = gettext_lazy("填写顾客意见处理表")
    intro = gettext_lazy("顾客拒收或验收后发现质量问题时由营销部填写，连同顾客的《整改要求单》交品保部分析原因、提出整改措施并答复顾客。")

    def create(self, data):
        return service.register_opinion(by=self.request.user, **data)


class OpinionDetailView(RecordDetailView):
    model = CustomerOpinion
    permission_required = "production.view_customeropinion"
    template_name = "production/service_detail.html"
    signatures = attachments = True
    tabs = [("overview", gettext_lazy("概览"), "production/opinion_tab_overview.html")]

    def base_queryset(self):
        return opinion_queryset()

    def get_context_data(self, **kwargs):
        return super().get_context_data(pdf_url_name="production:opinion_pdf", **kwargs)


class OpinionPdfView(RecordPdfView):
    model = CustomerOpinion
    print_form = PrintForm(code="QR-7.5-06", title=gettext_lazy("顾客意见处理表"), revision="A/0",
                           template="print/production_customer_opinion.html")

    def get_queryset(self):
        return opinion_queryset()


def render_complaint_tab(request, complaint) -> str:
    """The complaint's 现场服务与顾客意见 tab: the records that serve it, and the forms to add one."""
    user = request.user
    return render_to_string("production/complaint_service_tab.html", {
        "object": complaint,
        "field_services": visible_to(user, field_service_queryset().filter(complaint=complaint)),
        "opinions": visible_to(user, opinion_queryset().filter(complaint=complaint)),
        "may_add_field_service": user.has_perm("production.add_fieldservicerecord"),
        "may_add_opinion": user.has_perm("production.add_customeropinion"),
        "may_trace": user.has_perm("production.trace_batch"),
    }, request=request)


urlpatterns = [
    path("field-service/", FieldServiceListView.as_view(), name="field_service_list"),
    path("field-service/export/", FieldServiceListView.as_view(export=True), name="field_service_export"),
    path("field-service/new/", FieldServiceCreateView.as_view(), name="field_service_create"),
    path("field-service/<int:pk>/", FieldServiceDetailView.as_view(), name="field_service_detail"),
    path("field-service/<int:pk>/pdf/", FieldServicePdfView.as_view(), name="field_service_pdf"),
    path("opinions/", OpinionListView.as_view(), name="opinion_list"),
    path("opinions/export/", OpinionListView.as_view(export=True), name="opinion_export"),
    path("opinions/new/", OpinionCreateView.as_view(), name="opinion_create"),
    path("opinions/<int:pk>/", OpinionDetailView.as_view(), name="opinion_detail"),
    path("opinions/<int:pk>/pdf/", OpinionPdfView.as_view(), name="opinion_pdf"),
]
