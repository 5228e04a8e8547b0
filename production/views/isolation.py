"""The isolation area's pages: 《隔离区产品跟踪台账》 (list with filters and export), an entry's page with the shared
tabs, its review 《隔离产品评审表》 and the disposition, the re-inspection, a CAPA in one click, the review form and the
isolation tag 《隔离卡》 as PDFs, and the monthly on-time disposition rate as a chart."""
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.urls import path
from django.utils.translation import gettext, gettext_lazy
from django.views.generic import TemplateView

from qms import deadlines
from qms.capa import services as capa_services
from qms.pdf import PrintForm
from qms.views.actions import RecordActionView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordLabelView, RecordPdfView
from production.filtersets import IsolationFilter
from production.forms_isolation import ReinspectionForm, ReviewForm, ReworkForm
from production.models import IsolationEntry, IsolationStatus as S
from production.selectors import isolation_list_queryset
from production.services import isolation
from production.tables import IsolationTable


class IsolationListView(RecordListView):
    model = IsolationEntry
    table_class = IsolationTable
    filterset_class = IsolationFilter
    permission_required = "production.use_production"
    title = gettext_lazy("隔离区产品跟踪台账")
    export_url_name = "production:isolation_export"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("在隔离区"), lambda qs, user: qs.exclude(status__in=[S.RELEASED, S.CLOSED])),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return deadlines.with_open_due(isolation_list_queryset(), *isolation.CLOCKS)


class IsolationDetailView(RecordDetailView):
    model = IsolationEntry
    permission_required = "production.view_isolationentry"  # production roles; anyone else: 404
    template_name = "production/isolation_detail.html"
    signatures = attachments = True
    tabs = [("overview", gettext_lazy("台账与评审"), "production/isolation_tab_overview.html")]

    def base_queryset(self):
        return isolation_list_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, entry = self.request.user, self.object
        context.update({
            "clocks": deadlines.deadlines_for(entry).filter(kind__in=isolation.CLOCKS).order_by("opened_at"),
            "capas": capa_services.capas_for_source(entry),
            "source_url": isolation.source_url(entry),
            "may_review": entry.status == S.AWAITING_REVIEW and user.has_perm("production.review_isolationentry"),
            "may_rework": entry.status == S.REWORK and user.has_perm("production.rework_isolationentry"),
            "may_reinspect": entry.status == S.REINSPECTION and user.has_perm(
                "production.reinspect_isolationentry"),
            "may_raise_capa": isolation.capa_refusal(entry, user) is None,
        })
        return context


class IsolationAction(RecordActionView):
    model = IsolationEntry
    template_name = "production/form_page.html"
    tab = "overview"
    status = None
    intro = ""

    def refusal(self, record):
        if self.status is not None and record.status != self.status:
            return gettext("台账 %(number)s 当前为“%(status)s”，不能执行此操作。") % {
                "number": record.number, "status": record.get_status_display()}
        return None

    def get_context_data(self, record, form, **kwargs):
        return super().get_context_data(record, form, title=f"{self.title} · {record}", intro=self.intro, **kwargs)


class ReviewView(IsolationAction):
    form_class = ReviewForm
    permission = "production.review_isolationentry"
    status = S.AWAITING_REVIEW
    title = gettext_lazy("隔离产品评审")
    intro = gettext_lazy("技术工程人员在移入隔离区后 2 个工作日内确定处置方式（返工、返修、报废、让步接收、退供方）并下达返工/处置指令，以密码签名。")
    success_message = gettext_lazy("评审结论已签署。")

    def perform(self, record, form):
        return isolation.review(record, self.request.user, **form.cleaned_data)


class ReworkView(IsolationAction):
    form_class = ReworkForm
    permission = "production.rework_isolationentry"
    status = S.REWORK
    title = gettext_lazy("处置完成")
    intro = gettext_lazy("生产部在评审后 5 个工作日内按指令完成返工/返修；完成后产品为待判定，须由品质部先行复检。")
    success_message = gettext_lazy("已提交复检。")

    def perform(self, record, form):
        return isolation.complete_rework(record, self.request.user, **form.cleaned_data)


class ReinspectView(IsolationAction):
    form_class = ReinspectionForm
    permission = "production.reinspect_isolationentry"
    status = S.REINSPECTION
    title = gettext_lazy("隔离品复检")
    intro = gettext_lazy("合格或让步接收的产品解除隔离，回到原工序继续转序或入库；仍不合格的重新评审。")
    success_message = gettext_lazy("复检结果已记录。")

    def perform(self, record, form):
        return isolation.reinspect(record, self.request.user, **form.cleaned_data)


class RaiseCapaView(RecordActionView):
    model = IsolationEntry
    tab = "overview"
    success_message = gettext_lazy("已提出纠正和预防措施。")

    def refusal(self, record):
        return isolation.capa_refusal(record, self.request.user)

    def perform(self, record, form):
        return isolation.raise_capa(record, self.request.user)

    def get_success_url(self, record, result):
        return result.get_absolute_url()


class IsolationReviewPdfView(RecordPdfView):
    model = IsolationEntry
    print_form = PrintForm(code="QR-8.3-02", title=gettext_lazy("隔离产品评审表"), revision="A/0",
                           template="print/production_isolation_review.html")

    def get_queryset(self):
        return isolation_list_queryset()


class IsolationTagView(RecordLabelView):
    """《隔离卡》: the label-sized tag that goes on the isolated product, with the QR code of its ledger line."""

    model = IsolationEntry
    file_suffix = "tag"

    def get_queryset(self):
        return isolation_list_queryset()

    def labels(self, obj):
        return [isolation.tag_label(obj)]


class IsolationRateView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """The monthly on-time disposition rate (seed 004), from the clocks' own rows."""

    template_name = "production/isolation_rate.html"
    permission_required = "production.use_production"
    raise_exception = True

    def get_context_data(self, **kwargs):
        months = isolation.on_time_by_month()
        return super().get_context_data(title=gettext("隔离品处置及时率"), months=months, chart_data={
            "labels": [row["month"] for row in months], "rates": [row["rate"] for row in months],
            "due": [row["due"] for row in months], "onTime": [row["on_time"] for row in months]}, **kwargs)


urlpatterns = [
    path("isolation/", IsolationListView.as_view(), name="isolation_list"),
    path("isolation/export/", IsolationListView.as_view(export=True), name="isolation_export"),
    path("isolation/rate/", IsolationRateView.as_view(), name="isolation_rate"),
    path("isolation/<int:pk>/", IsolationDetailView.as_view(), name="isolation_detail"),
    path("isolation/<int:pk>/review/", ReviewView.as_view(), name="isolation_review"),
    path("isolation/<int:pk>/rework/", ReworkView.as_view(), name="isolation_rework"),
    path("isolation/<int:pk>/reinspect/", ReinspectView.as_view(), name="isolation_reinspect"),
    path("isolation/<int:pk>/capa/", RaiseCapaView.as_view(), name="isolation_capa"),
    path("isolation/<int:pk>/pdf/", IsolationReviewPdfView.as_view(), name="isolation_pdf"),
    path("isolation/<int:pk>/tag/", IsolationTagView.as_view(), name="isolation_tag"),
]
