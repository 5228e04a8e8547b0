"""Management review pages: the list of reviews (and its export), a review's page with its plan, input reports
and input pack, the plan's PDF, drafting and editing a plan, calling an extra review, and the input reports."""
from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from qms import deadlines
from qms.pdf import PrintForm
from qms.refusals import Refused
from qms.views.actions import RecordActionView, RecordFormView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView
from reviews.filtersets import InputReportFilter, OutputFilter, ReviewFilter
from reviews.forms import ExtraReviewForm, InputTextForm, MeetingForm, OutputForm, PlanForm, ReportForm
from reviews.models import InputReport, InputStatus, Review, ReviewOutput, ReviewStatus
from reviews.services import plans
from reviews.tables import InputReportTable, OutputTable, ReviewTable
from reviews.views.pack import default_period, drawn

CALENDAR_NOTE = gettext_lazy("计划下达（前 15 天）、输入报告提交（前 7 天）和资料分发（前 3 天）均按日历日计算，"
                             "依据《管理评审控制程序》5.2.1。")


class ReviewListView(RecordListView):
    model = Review
    table_class = ReviewTable
    filterset_class = ReviewFilter
    permission_required = "reviews.view_review"
    title = gettext_lazy("管理评审")
    create_url_name = "reviews:plan"
    create_permission = "reviews.plan_review"
    export_url_name = "reviews:export"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("进行中"), lambda qs, user: qs.exclude(status=ReviewStatus.CANCELLED)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }


def _initial_plan(year: int) -> dict:
    start, end = default_period(timezone.localdate())
    return {**plans.default_plan(year), "period_start": start, "period_end": end}


class PlanCreateView(RecordFormView):
    form_class = PlanForm
    template_name = "reviews/form_page.html"
    permission = "reviews.plan_review"
    title = gettext_lazy("编制管理评审实施计划")
    intro = CALENDAR_NOTE
    title_of_year = gettext_lazy("%(year)d 年度管理评审")

    def get_form_kwargs(self, record):
        year = timezone.localdate().year
        return {"initial": {**_initial_plan(year), "title": str(self.title_of_year) % {"year": year}}}

    def save(self, record, form, formsets):
        return plans.plan_review(self.request.user, **form.cleaned_data)

    def get_success_message(self, review):
        return _("已创建管理评审 %(number)s。") % {"number": review.number}


class ExtraReviewCreateView(PlanCreateView):
    form_class = ExtraReviewForm
    permission = "reviews.call_review"
    title = gettext_lazy("提出追加管理评审")
    title_of_year = gettext_lazy("%(year)d 年度追加管理评审")

    def save(self, record, form, formsets):
        return plans.call_extra_review(self.request.user, **form.cleaned_data)


class ReviewDetailView(RecordDetailView):
    model = Review
    permission_required = "reviews.view_review"
    template_name = "reviews/review_detail.html"
    signatures = attachments = True
    tabs = [("overview", gettext_lazy("实施计划"), "reviews/tab_plan.html"),
            ("inputs", gettext_lazy("输入报告"), "reviews/tab_inputs.html"),
            ("pack", gettext_lazy("输入数据包"), "reviews/tab_pack.html"),
            ("meeting", gettext_lazy("会议记录"), "reviews/tab_meeting.html"),
            ("report", gettext_lazy("评审报告与输出"), "reviews/tab_report.html")]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        review = self.object
        context["milestones"] = plans.milestones(review)
        context["calendar_note"] = CALENDAR_NOTE
        context["deadlines"] = deadlines.deadlines_for(review).filter(state="open")
        context["may_edit"] = (review.status == ReviewStatus.DRAFT
                               and self.request.user.has_perm("reviews.change_review", review))
        if context["current_tab"]["slug"] == "inputs":
            context["reports"] = deadlines.with_open_due(review.input_reports.select_related("responsible"),
                                                         plans.INPUT_REPORT.kind)
        user = self.request.user
        minutes = user.has_role(*plans.MINUTES_ROLES)
        context["may_record_meeting"] = minutes and review.status == ReviewStatus.PACK_DISTRIBUTED
        context["may_write_report"] = minutes and review.status == ReviewStatus.MEETING_HELD
        context["may_add_output"] = minutes and review.status in (ReviewStatus.MEETING_HELD,
                                                                  ReviewStatus.REPORT_REVIEWED,
                                                                  ReviewStatus.REPORT_APPROVED)
        if context["current_tab"]["slug"] == "meeting":
            context["attendance"] = review.attendance.select_related("person__department")
            context["reports"] = review.input_reports.all()
        if context["current_tab"]["slug"] == "report":
            context.update(_report_context(review))
            context["my_acknowledgement"] = next(
                (a for a in context["acknowledgements"] if a.acknowledged_at is None
                 and a.department.manager_id == user.pk), None)
        if context["current_tab"]["slug"] == "pack":
            sections = ([plans.review_inputs.PackSection.from_dict(s) for s in review.pack] if review.pack
                        else plans.review_inputs.collect(review.period_start, review.period_end))
            context["sections"] = drawn(sections)
        return context


def _report_context(review) -> dict:
    from qms.capa.selectors import capa_list_queryset

    outputs = list(review.outputs.select_related("department", "responsible"))
    capas = {capa.pk: capa for capa in capa_list_queryset().filter(pk__in=[o.capa_id for o in outputs if o.capa_id])}
    for output in outputs:
        output.raised = capas.get(output.capa_id)
    return {"outputs": outputs, "acknowledgements": list(review.acknowledgements.select_related(
        "department__manager", "acknowledged_by")), "deadlines": deadlines.deadlines_for(review).filter(state="open")}


class ReviewPdfView(RecordPdfView):
    model = Review
    print_form = PrintForm(code="QR-5.6-01", title=gettext_lazy("管理评审实施计划"), revision="A/0",
                           template="print/review_plan.html")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["milestones"] = plans.milestones(self.object)
        context["calendar_note"] = CALENDAR_NOTE
        context["reports"] = self.object.input_reports.select_related("responsible")
        return context


class PlanEditView(RecordActionView):
    model = Review
    form_class = PlanForm
    permission = "reviews.change_review"
    template_name = "reviews/form_page.html"
    title = gettext_lazy("修改管理评审实施计划")
    success_message = gettext_lazy("计划已保存。")

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "instance": record}

    def refusal(self, record):
        return None if record.status == ReviewStatus.DRAFT else _("只有草拟中的计划可以修改。")

    def get_context_data(self, record, form, **kwargs):
        return super().get_context_data(record, form, intro=CALENDAR_NOTE, **kwargs)

    def perform(self, record, form):
        return plans.edit_plan(record, self.request.user, **{name: form.cleaned_data[name] for name in form.fields})


class MinutesPdfView(RecordPdfView):
    model = Review
    print_form = PrintForm(code="QR-5.6-02", title=gettext_lazy("会议记录"), revision="A/0",
                           template="print/review_minutes.html")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["attendance"] = self.object.attendance.select_related("person__department")
        context["reports"] = self.object.input_reports.all()
        return context


class ReportPdfView(RecordPdfView):
    """《管理评审报告》 with the input pack's charts, drawn on the server as SVG."""

    model = Review
    print_form = PrintForm(code="QR-5.6-03", title=gettext_lazy("管理评审报告"), revision="A/0",
                           template="print/review_report.html")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        review = self.object
        context.update(_report_context(review))
        context["attendance"] = review.attendance.select_related("person__department")
        sections = ([plans.review_inputs.PackSection.from_dict(s) for s in review.pack] if review.pack
                    else plans.review_inputs.collect(review.period_start, review.period_end))
        context["sections"] = drawn(sections)
        return context


class MeetingView(RecordActionView):
    model = Review
    form_class = MeetingForm
    template_name = "reviews/form_page.html"
    title = gettext_lazy("记录管理评审会议")
    success_message = gettext_lazy("会议记录已保存。")
    tab = "meeting"

    permission = "reviews.keep_minutes"

    def refusal(self, record):
        return None if record.status == ReviewStatus.PACK_DISTRIBUTED else _(
            "评审资料分发后、会议记录完成前才能记录会议。")

    def perform(self, record, form):
        data = form.cleaned_data
        return plans.record_meeting(record, self.request.user, present=list(data["present"]),
                                    apologies=list(data["apologies"]), conclusion=data["conclusion"],
                                    notes=form.notes())


class ReportWriteView(RecordActionView):
    model = Review
    form_class = ReportForm
    template_name = "reviews/form_page.html"
    title = gettext_lazy("编写管理评审报告")
    success_message = gettext_lazy("评审报告已保存。")
    tab = "report"

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "instance": record}

    permission = "reviews.keep_minutes"

    def refusal(self, record):
        return None if record.status == ReviewStatus.MEETING_HELD else _("会议记录完成后、报告审核前才能编写报告。")

    def perform(self, record, form):
        return plans.write_report(record, self.request.user, **form.cleaned_data)


class OutputAddView(RecordActionView):
    model = Review
    form_class = OutputForm
    template_name = "reviews/form_page.html"
    title = gettext_lazy("登记评审输出")
    success_message = gettext_lazy("评审输出已登记。")
    tab = "report"

    permission = "reviews.keep_minutes"

    def perform(self, record, form):
        return plans.add_output(record, self.request.user, **form.cleaned_data)


class AcknowledgeView(RecordActionView):
    model = Review
    permission = "reviews.acknowledge_review"
    success_message = gettext_lazy("已签收管理评审报告。")
    tab = "report"

    def perform(self, record, form):
        department = self.request.user.managed_departments.filter(
            pk__in=record.acknowledgements.values("department")).first()
        if department is None:
            raise Refused(_("只有部门经理可以签收本部门的管理评审报告。"))
        return plans.acknowledge(record, self.request.user, department)


# --- input reports ---------------------------------------------------------------------------------------------
class InputReportListView(RecordListView):
    model = InputReport
    table_class = InputReportTable
    filterset_class = InputReportFilter
    permission_required = "reviews.view_inputreport"
    title = gettext_lazy("评审输入报告")
    export_url_name = "reviews:input_export"
    count_by = ("status",)
    scopes = {
        "pending": (gettext_lazy("待提交"), lambda qs, user: qs.filter(status=InputStatus.PENDING,
                                                                       review__status=ReviewStatus.ISSUED)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return deadlines.with_open_due(InputReport.objects.select_related("review", "responsible"),
                                       plans.INPUT_REPORT.kind)


class InputReportDetailView(RecordDetailView):
    model = InputReport
    permission_required = "reviews.view_inputreport"
    template_name = "reviews/input_detail.html"
    signatures = True
    tabs = [("overview", gettext_lazy("输入报告"), "reviews/tab_input.html")]

    def get_queryset(self):
        return super().get_queryset().select_related("review", "responsible")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.object
        context["sections"] = drawn(plans.figures_for(report))
        context["deadlines"] = deadlines.deadlines_for(report).filter(state="open")
        context["may_write"] = (report.status == InputStatus.PENDING and report.review.status == ReviewStatus.ISSUED
                                and plans.may_write(report, self.request.user))
        return context


class InputWriteView(RecordActionView):
    model = InputReport
    form_class = InputTextForm
    template_name = "reviews/form_page.html"
    title = gettext_lazy("填写评审输入报告")
    success_message = gettext_lazy("输入报告已保存，确认无误后请提交。")

    def get_form_kwargs(self, record):
        kwargs = super().get_form_kwargs(record)
        kwargs["initial"] = {"text": record.text}
        return kwargs

    def perform(self, record, form):
        return plans.save_text(record, self.request.user, text=form.cleaned_data["text"])


urlpatterns = [
    path("", ReviewListView.as_view(), name="list"),
    path("export/", ReviewListView.as_view(export=True), name="export"),
    path("plan/", PlanCreateView.as_view(), name="plan"),
    path("extra/", ExtraReviewCreateView.as_view(), name="extra"),
    path("<int:pk>/", ReviewDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", PlanEditView.as_view(), name="edit"),
    path("<int:pk>/pdf/", ReviewPdfView.as_view(), name="pdf"),
    path("<int:pk>/minutes/", MeetingView.as_view(), name="meeting"),
    path("<int:pk>/minutes/pdf/", MinutesPdfView.as_view(), name="minutes_pdf"),
    path("<int:pk>/report/", ReportWriteView.as_view(), name="report"),
    path("<int:pk>/report/pdf/", ReportPdfView.as_view(), name="report_pdf"),
    path("<int:pk>/outputs/new/", OutputAddView.as_view(), name="output_add"),
    path("<int:pk>/acknowledge/", AcknowledgeView.as_view(), name="acknowledge"),
    path("inputs/", InputReportListView.as_view(), name="input_list"),
    path("inputs/export/", InputReportListView.as_view(export=True), name="input_export"),
    path("inputs/<int:pk>/", InputReportDetailView.as_view(), name="input_detail"),
    path("inputs/<int:pk>/write/", InputWriteView.as_view(), name="input_write"),
]


class YearView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """年度视图: the reviews of a year, how many were held, their outputs open, closed and overdue."""

    template_name = "reviews/year.html"
    permission_required = "reviews.view_review"
    raise_exception = True

    def get_context_data(self, **kwargs):
        from reviews.selectors import year_view

        today = timezone.localdate()
        try:
            year = int(self.request.GET.get("year") or today.year)
        except ValueError:
            year = today.year
        year = min(max(year, 2000), 2100)
        return super().get_context_data(title=_("%(year)d 年度管理评审") % {"year": year}, year=year,
                                        years=range(today.year + 1, today.year - 5, -1),
                                        **year_view(self.request.user, year, timezone.now()), **kwargs)


class OutputListView(RecordListView):
    """Every review's outputs and the state of the CAPA each became (open ones reappear in the next pack)."""

    model = ReviewOutput
    table_class = OutputTable
    filterset_class = OutputFilter
    permission_required = "reviews.view_reviewoutput"
    title = gettext_lazy("评审输出")
    export_url_name = "reviews:output_export"
    scopes = {
        "open": (gettext_lazy("未关闭"), lambda qs, user: qs.exclude(capa__status__in=("closed", "voided"))),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return ReviewOutput.objects.select_related("review", "department", "responsible", "capa")


urlpatterns += [
    path("year/", YearView.as_view(), name="year"),
    path("outputs/", OutputListView.as_view(), name="output_list"),
    path("outputs/export/", OutputListView.as_view(export=True), name="output_export"),
]
