"""Pages of the process control records (seed 003 §5.2.3, §5.2.7, §5.2.8): setup verifications 《作业准备验证表》,
process discipline checks 《工艺纪律检查表》 and engineering specification changes 《工程规范更改》 — lists with
filters and export, detail pages with the shared tabs (their moves ask for the comparison, the findings and the
review with the password), their controlled forms as PDFs, and the forms that raise them."""
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms.deadlines import with_open_due
from qms.pdf import PrintForm
from qms.views.actions import RecordActionView, RecordFormView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView
from production.models import LotOperation
from production.process_forms import SetupRequestForm, SpecChangeForm
from production.process_tables import (DisciplineCheckFilter, DisciplineCheckTable, SetupVerificationFilter,
                                       SetupVerificationTable, SpecChangeFilter, SpecChangeTable)
from production.services import discipline, setup
from production.setup_models import DisciplineCheck, SetupVerification, SpecChange


def setup_queryset():
    return SetupVerification.objects.select_related("operation__lot__task_order", "process_card", "requested_by",
                                                    "verified_by")


def discipline_queryset():
    return with_open_due(DisciplineCheck.objects.select_related("checked_by"), discipline.DISCIPLINE_DUE.kind)


def spec_change_queryset():
    return with_open_due(SpecChange.objects.select_related("process_card", "requested_by"),
                         discipline.SPEC_CHANGE_DUE.kind)


# --- setup verification ------------------------------------------------------------------------------------------
class SetupListView(RecordListView):
    model = SetupVerification
    table_class = SetupVerificationTable
    filterset_class = SetupVerificationFilter
    permission_required = "production.use_production"
    title = gettext_lazy("作业准备验证")
    export_url_name = "production:setup_export"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("待验证"), lambda qs, user: qs.filter(status="requested")),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return setup_queryset()


class SetupDetailView(RecordDetailView):
    model = SetupVerification
    permission_required = "production.view_setupverification"
    template_name = "production/process_detail.html"
    signatures = attachments = True
    tabs = [("overview", gettext_lazy("概览"), "production/setup_tab_overview.html")]
    pdf_url_name = "production:setup_pdf"

    def base_queryset(self):
        return setup_queryset()


class SetupPdfView(RecordPdfView):
    model = SetupVerification
    print_form = PrintForm(code="JR/QP7-8-04", title=gettext_lazy("作业准备验证表"), revision="A/0",
                           template="print/production_setup_verification.html")

    def get_queryset(self):
        return setup_queryset()


class SetupRequestView(RecordActionView):
    """申请作业准备验证 for the operation where the lot stands (the reason the portal sees is proposed)."""

    queryset = LotOperation.objects.select_related("lot__task_order")
    form_class = SetupRequestForm
    permission = "production.request_setup"
    template_name = "production/form_page.html"
    title = gettext_lazy("申请作业准备验证")

    def refusal(self, record):
        lot = record.lot
        if lot.status != "in_process" or lot.current_id != record.pk:
            return _("批次 %(lot)s 当前不在工序“%(op)s”。") % {"lot": lot.number, "op": record.name}
        return None

    def get_form_kwargs(self, record):
        kwargs = super().get_form_kwargs(record)
        kwargs["initial"] = {"trigger": setup.suggested_trigger(record)}
        return kwargs

    def get_context_data(self, record, form, **kwargs):
        return super().get_context_data(record, form, title=f"{self.title} · {record}", intro=_(
            "首次生产、作业更改、材料变更、长期停产后恢复生产、模具更换或检验难以判断时，须由技术部、品保部会同制造部进行"
            "作业准备验证；验证通过前不能登记本工序。"), **kwargs)

    def perform(self, record, form):
        return setup.request(record, self.request.user, **form.cleaned_data)

    def get_success_message(self, record, result):
        return _("已申请作业准备验证 %(number)s，待品质部检验员验证。") % {"number": result.number}

    def get_success_url(self, record, result):
        return result.get_absolute_url()

    def back_url(self, record):
        return record.lot.get_absolute_url()


# --- process discipline checks -----------------------------------------------------------------------------------
class DisciplineListView(RecordListView):
    model = DisciplineCheck
    table_class = DisciplineCheckTable
    filterset_class = DisciplineCheckFilter
    permission_required = "production.use_production"
    title = gettext_lazy("工艺纪律检查")
    export_url_name = "production:discipline_export"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("待检查"), lambda qs, user: qs.filter(status="due")),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return discipline_queryset()


class DisciplineDetailView(RecordDetailView):
    model = DisciplineCheck
    permission_required = "production.view_disciplinecheck"
    template_name = "production/process_detail.html"
    signatures = attachments = True
    tabs = [("overview", gettext_lazy("概览"), "production/discipline_tab_overview.html")]
    pdf_url_name = "production:discipline_pdf"

    def base_queryset(self):
        return discipline_queryset()


class DisciplinePdfView(RecordPdfView):
    model = DisciplineCheck
    print_form = PrintForm(code="JR/QP7-8-03", title=gettext_lazy("工艺纪律检查表"), revision="A/0",
                           template="print/production_discipline_check.html")

    def get_queryset(self):
        return discipline_queryset()


# --- engineering specification changes ---------------------------------------------------------------------------
class SpecChangeListView(RecordListView):
    model = SpecChange
    table_class = SpecChangeTable
    filterset_class = SpecChangeFilter
    permission_required = "production.use_production"
    title = gettext_lazy("工程规范更改")
    create_url_name = "production:specchange_create"
    create_permission = "production.request_specchange"
    export_url_name = "production:specchange_export"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("待评审"), lambda qs, user: qs.filter(status="requested")),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return spec_change_queryset()


class SpecChangeCreateView(RecordFormView):
    form_class = SpecChangeForm
    template_name = "production/form_page.html"
    permission = "production.request_specchange"
    title = gettext_lazy("提出工程规范更改")
    intro = gettext_lazy("技术部须在五个工作日内评审并发放，记录实施日期。")

    def save(self, record, form, formsets):
        return discipline.request_spec_change(self.request.user, **form.cleaned_data)

    def get_success_message(self, change):
        return _("已提出工程规范更改 %(number)s。") % {"number": change.number}


class SpecChangeDetailView(RecordDetailView):
    model = SpecChange
    permission_required = "production.view_specchange"
    template_name = "production/process_detail.html"
    signatures = attachments = True
    tabs = [("overview", gettext_lazy("概览"), "production/specchange_tab_overview.html")]
    pdf_url_name = "production:specchange_pdf"

    def base_queryset(self):
        return spec_change_queryset()


class SpecChangePdfView(RecordPdfView):
    model = SpecChange
    print_form = PrintForm(code="JR/QP7-8-05", title=gettext_lazy("工程规范更改单"), revision="A/0",
                           template="print/production_spec_change.html")

    def get_queryset(self):
        return spec_change_queryset()


urlpatterns = [
    path("setup/", SetupListView.as_view(), name="setup_list"),
    path("setup/export/", SetupListView.as_view(export=True), name="setup_export"),
    path("setup/<int:pk>/", SetupDetailView.as_view(), name="setup_detail"),
    path("setup/<int:pk>/pdf/", SetupPdfView.as_view(), name="setup_pdf"),
    path("operations/<int:pk>/setup/", SetupRequestView.as_view(), name="setup_request"),
    path("discipline/", DisciplineListView.as_view(), name="discipline_list"),
    path("discipline/export/", DisciplineListView.as_view(export=True), name="discipline_export"),
    path("discipline/<int:pk>/", DisciplineDetailView.as_view(), name="discipline_detail"),
    path("discipline/<int:pk>/pdf/", DisciplinePdfView.as_view(), name="discipline_pdf"),
    path("spec-changes/", SpecChangeListView.as_view(), name="specchange_list"),
    path("spec-changes/export/", SpecChangeListView.as_view(export=True), name="specchange_export"),
    path("spec-changes/new/", SpecChangeCreateView.as_view(), name="specchange_create"),
    path("spec-changes/<int:pk>/", SpecChangeDetailView.as_view(), name="specchange_detail"),
    path("spec-changes/<int:pk>/pdf/", SpecChangePdfView.as_view(), name="specchange_pdf"),
]
