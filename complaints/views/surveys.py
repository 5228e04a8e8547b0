"""The satisfaction survey pages (PROCEDURES.md §2 客户满意度调查): the campaigns, a new campaign, a campaign's
page (overview with questions and deadlines, recipients and responses, analysis with charts and its Excel
export), editing a draft and its recipients, a response's page and its entry form; 开始调查 / 结束调查 are the
shared workflow moves (qms:move). Results are imported through the shared import pages (``complaints.imports``).

Permissions (declared in ``complaints.rules``):

- ``complaints.view_surveycampaign`` / ``view_surveyresponse`` — visibility: customer service, MR, quality and GM see every campaign and response; an
  owner (and their department manager) the open or closed campaigns surveying their customers, and those
  customers' responses only. Anything else answers 404.
- ``complaints.add_surveycampaign`` / ``change_surveycampaign`` — customer service and the MR.
- ``complaints.analyse_survey`` — the analysis tab and its export: customer service, MR, quality, GM.
- ``complaints.enter_survey_response`` — a response's results: customer service, the MR, the customer's owner.
- ``complaints.import_survey_results`` — customer service and the MR.

"我的待办" needs no provider of its own: each collector's open "survey_collect" deadline is listed by
``qms.deadlines.open_deadlines_as_work``.
"""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, OuterRef, Q, Subquery
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints import imports as survey_imports
from complaints.forms_surveys import CampaignForm, RecipientsForm, ResponseForm
from complaints.models import CampaignStatus, SurveyAnswer, SurveyCampaign, SurveyResponse
from complaints.services import surveys
from qms import audit, deadlines, workflow
from qms.excel.export import xlsx_response
from qms.people import visible_to
from qms.views.generic import RecordDetailView, RecordListView

STATUS_CSS = {CampaignStatus.DRAFT: "secondary", CampaignStatus.OPEN: "primary", CampaignStatus.CLOSED: "success"}


# --- the list -------------------------------------------------------------------------------------------
class CampaignFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=gettext_lazy("年度"))
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=CampaignStatus.choices)

    class Meta:
        model = SurveyCampaign
        fields = ["year", "status"]


class CampaignTable(tables.Table):
    year = tables.Column(verbose_name=gettext_lazy("年度"))
    title = tables.Column(verbose_name=gettext_lazy("标题"), linkify=True)
    period = tables.Column(verbose_name=gettext_lazy("调查期间"), empty_values=(), order_by=("opens_on", "closes_on"))
    status = tables.Column(verbose_name=gettext_lazy("状态"))
    recipients = tables.Column(verbose_name=gettext_lazy("调查对象"))
    returned = tables.Column(verbose_name=gettext_lazy("已回收"))
    rate = tables.Column(verbose_name=gettext_lazy("回收率（%）"), empty_values=(), orderable=False)
    average = tables.Column(verbose_name=gettext_lazy("平均分"))

    class Meta:
        model = SurveyCampaign
        fields = ["year", "title", "period", "status", "recipients", "returned", "rate", "average"]
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "survey-table"}

    def value_period(self, record):
        return f"{record.opens_on:%Y-%m-%d} ~ {record.closes_on:%Y-%m-%d}"

    def render_period(self, record):
        return self.value_period(record)

    def render_status(self, record):
        return format_html('<span class="badge text-bg-{}">{}</span>', STATUS_CSS.get(record.status, "light"),
                           record.get_status_display())

    def value_status(self, record):
        return record.get_status_display()

    def value_rate(self, record):
        return round(100.0 * record.returned / record.recipients, 1) if record.recipients else None

    def render_rate(self, record):
        value = self.value_rate(record)
        return "—" if value is None else value

    def value_average(self, record, value):
        return round(float(value), 2) if value is not None else None

    def render_average(self, record, value):
        return f"{float(value):.2f}"


def campaign_list_queryset():
    average = (SurveyAnswer.objects.filter(response__campaign=OuterRef("pk")).order_by()
               .values("response__campaign").annotate(a=Avg("score")).values("a"))
    return SurveyCampaign.objects.annotate(
        recipients=Count("responses"),
        returned=Count("responses", filter=Q(responses__submitted_at__isnull=False)),
        average=Subquery(average),
    ).order_by("-year", "-pk")  # Meta.ordering does not apply to a grouped query


class CampaignListView(RecordListView):
    model = SurveyCampaign
    table_class = CampaignTable
    filterset_class = CampaignFilter
    permission_required = "complaints.view_surveycampaign"
    title = gettext_lazy("客户满意度调查")
    create_url_name = "complaints:survey_create"
    create_permission = "complaints.add_surveycampaign"
    count_by = ("status",)

    def base_queryset(self):
        return campaign_list_queryset()


# --- create and edit a draft ----------------------------------------------------------------------------
def _form_page(request, form, title, back_url, form_id, status=200, extra=None):
    return render(request, "complaints/survey_form.html", {
        "form": form, "title": title, "back_url": back_url, "form_id": form_id, **(extra or {})}, status=status)


@login_required
def survey_create(request):
    if not request.user.has_perm("complaints.add_surveycampaign"):
        raise PermissionDenied(_("只有客户服务或管理者代表可以发起满意度调查。"))
    form = CampaignForm(request.POST or None, initial=CampaignForm.initial_for_new())
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = surveys.create_campaign(
                    by=request.user, year=data["year"], title=data["title"], opens_on=data["opens_on"],
                    closes_on=data["closes_on"], low_score=data["low_score"], questions=data["questions"],
                    customers=form.recipients())
            except surveys.SurveyRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("已创建满意度调查（准备中），调查对象 %(n)d 个客户。确认后请点击“开始调查”。") % {
                    "n": campaign.responses.count()})
                return HttpResponseRedirect(campaign.get_absolute_url())
        return _form_page(request, form, _("发起满意度调查"), reverse("complaints:surveys"), "campaign-form", 400)
    return _form_page(request, form, _("发起满意度调查"), reverse("complaints:surveys"), "campaign-form")


def _visible_campaign(request, pk) -> SurveyCampaign:
    return get_object_or_404(visible_to(request.user, SurveyCampaign.objects.select_related("created_by")), pk=pk)


def _refuse(request, url, text):
    messages.error(request, text)
    return HttpResponseRedirect(url)


@login_required
def survey_edit(request, pk):
    campaign = _visible_campaign(request, pk)
    if not request.user.has_perm("complaints.change_surveycampaign"):
        return _refuse(request, campaign.get_absolute_url(), _("只有客户服务或管理者代表可以修改满意度调查。"))
    if campaign.status != CampaignStatus.DRAFT:
        return _refuse(request, campaign.get_absolute_url(), _("调查已开始，不能再修改问题、调查对象和日期。"))
    form = CampaignForm(request.POST or None, editing=True, initial=CampaignForm.initial_for(campaign))
    title = _("修改满意度调查：%(title)s") % {"title": campaign.title}
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                surveys.update_campaign(campaign, by=request.user, title=data["title"], opens_on=data["opens_on"],
                                        closes_on=data["closes_on"], low_score=data["low_score"],
                                        questions=data["questions"])
            except surveys.SurveyRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("已保存。"))
                return HttpResponseRedirect(campaign.get_absolute_url())
        return _form_page(request, form, title, campaign.get_absolute_url(), "campaign-form", 400)
    return _form_page(request, form, title, campaign.get_absolute_url(), "campaign-form")


@login_required
def survey_recipients(request, pk):
    campaign = _visible_campaign(request, pk)
    back = campaign.get_absolute_url() + "?tab=responses"
    if not request.user.has_perm("complaints.change_surveycampaign"):
        return _refuse(request, back, _("只有客户服务或管理者代表可以修改满意度调查。"))
    if campaign.status != CampaignStatus.DRAFT:
        return _refuse(request, back, _("调查已开始，不能再修改问题、调查对象和日期。"))
    current = list(campaign.responses.values_list("customer_id", flat=True))
    form = RecipientsForm(request.POST or None, initial={"customers": current})
    title = _("调查对象：%(title)s") % {"title": campaign.title}
    if request.method == "POST":
        if form.is_valid():
            try:
                added, removed = surveys.set_recipients(campaign, by=request.user,
                                                        customers=form.cleaned_data["customers"])
            except surveys.SurveyRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("调查对象已更新：增加 %(added)d 个，移除 %(removed)d 个。") % {
                    "added": added, "removed": removed})
                return HttpResponseRedirect(back)
        return _form_page(request, form, title, back, "recipients-form", 400)
    return _form_page(request, form, title, back, "recipients-form")


# --- a campaign's page ----------------------------------------------------------------------------------
class CampaignDetailView(RecordDetailView):
    model = SurveyCampaign
    permission_required = "complaints.view_surveycampaign"
    template_name = "complaints/survey_detail.html"
    tabs = [
        ("overview", gettext_lazy("概览"), "complaints/survey_tab_overview.html"),
        ("responses", gettext_lazy("调查对象与答卷"), "complaints/survey_tab_responses.html"),
        ("analysis", gettext_lazy("统计分析"), "complaints/survey_tab_analysis.html"),
    ]

    def base_queryset(self):
        return SurveyCampaign.objects.select_related("created_by")

    def all_tabs(self):
        tabs = super().all_tabs()
        if not self.request.user.has_perm("complaints.analyse_survey"):
            tabs = [tab for tab in tabs if tab["slug"] != "analysis"]
        return tabs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign, user = self.object, self.request.user
        tab = context["current_tab"]["slug"]
        is_draft = campaign.status == CampaignStatus.DRAFT
        can_change = is_draft and user.has_perm("complaints.change_surveycampaign")
        context.update({
            "title": campaign.title,
            "campaign": campaign,
            "status_css": STATUS_CSS.get(campaign.status, "light"),
            "can_change": can_change,
            "can_analyse": user.has_perm("complaints.analyse_survey"),
            "can_import": campaign.status == CampaignStatus.OPEN and user.has_perm(survey_imports.PERMISSION),
            "import_key": survey_imports.import_key(campaign),
            "collect_due": surveys.collect_due(campaign),
            # why 开始调查 is not offered to someone who may open it (the move buttons only show what may be done)
            "open_refusal": workflow.refusal(campaign, CampaignStatus.OPEN, user)
            if is_draft and user.has_perm("complaints.change_surveycampaign") else None,
        })
        if tab == "overview":
            context["questions"] = list(campaign.questions.order_by("order", "pk"))
            context["deadlines"] = deadlines.deadlines_for(campaign).order_by("due_at", "pk")
        elif tab == "responses":
            context.update(self.responses_context(campaign, user))
        elif tab == "analysis":
            analysis = surveys.analyse(campaign)
            context["analysis"] = analysis
            context["chart_data"] = surveys.chart_data(analysis)
            context["scores"] = [(score, surveys.SCORE_LABELS[score]) for score in surveys.SCORES]
        return context

    def responses_context(self, campaign, user) -> dict:
        mine = self.request.GET.get("mine") == "1"
        questions = list(campaign.questions.order_by("order", "pk"))
        rows = visible_to(user, surveys.response_rows(campaign))
        if mine:
            rows = rows.filter(customer__owner=user)
        feedback = surveys.feedback_by_response(campaign)
        open_ = campaign.status == CampaignStatus.OPEN
        result = []
        for response in rows:
            scores = {a.question_id: a.score for a in response.answers.all()}
            result.append({
                "response": response,
                "scores": [scores.get(q.pk) for q in questions],
                "feedback": feedback.get(response.pk),
                "low": any(s is not None and s <= campaign.low_score for s in scores.values()),
                "can_enter": open_ and surveys.may_enter(user, response),
                "url": reverse("complaints:survey_response", args=[response.pk]),
            })
        return {"questions": questions, "rows": result, "mine": mine}


@login_required
def survey_export(request, pk):
    campaign = _visible_campaign(request, pk)
    if not request.user.has_perm("complaints.analyse_survey"):
        raise Http404
    name = f"{campaign.title}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return xlsx_response(surveys.analysis_workbook(campaign), name)


# --- a response ------------------------------------------------------------------------------------------
def _visible_response(request, pk) -> SurveyResponse:
    queryset = SurveyResponse.objects.select_related("campaign", "customer__owner", "entered_by")
    return get_object_or_404(visible_to(request.user, queryset), pk=pk)


@login_required
def survey_response(request, pk):
    response = _visible_response(request, pk)
    campaign = response.campaign
    answers = {a.question_id: a.score for a in response.answers.all()}
    questions = [{"question": q, "score": answers.get(q.pk),
                  "label": surveys.SCORE_LABELS.get(answers.get(q.pk), ""),
                  "low": answers.get(q.pk) is not None and answers[q.pk] <= campaign.low_score}
                 for q in campaign.questions.order_by("order", "pk")]
    return render(request, "complaints/survey_response.html", {
        "title": _("%(customer)s · %(campaign)s") % {"customer": response.customer.name, "campaign": campaign.title},
        "response": response, "campaign": campaign, "questions": questions,
        "feedback": surveys.feedback_for(response),
        "can_enter": campaign.status == CampaignStatus.OPEN and surveys.may_enter(request.user, response),
        "can_see_customer": request.user.has_perm("customers.view_customer", response.customer),
        "history_html": audit.render_history(request, response),
    })


@login_required
def survey_response_enter(request, pk):
    response = _visible_response(request, pk)
    campaign = response.campaign
    url = reverse("complaints:survey_response", args=[response.pk])
    if campaign.status != CampaignStatus.OPEN:
        return _refuse(request, url, _("调查“%(title)s”%(status)s，不能录入结果。") % {
            "title": campaign.title, "status": campaign.get_status_display()})
    if not request.user.has_perm("complaints.enter_survey_response", response):
        return _refuse(request, url, _("只有客户负责人、客户服务或管理者代表可以录入此客户的调查结果。"))
    questions = campaign.questions.order_by("order", "pk")
    form = ResponseForm(request.POST or None, response=response, questions=questions,
                        initial=ResponseForm.initial_for(response))
    title = _("录入调查结果：%(customer)s") % {"customer": response.customer.name}
    extra = {"response": response, "campaign": campaign}
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            submitted_at = data["submitted_at"]
            if response.submitted_at and submitted_at == timezone.localtime(response.submitted_at).replace(
                    second=0, microsecond=0):
                submitted_at = None  # the field shows minutes: unchanged, the recorded time stays
            try:
                surveys.enter_response(response, by=request.user, scores=form.scores(),
                                       respondent=data["respondent"], comment=data["comment"],
                                       submitted_at=submitted_at, reason=data.get("reason", ""))
            except surveys.SurveyRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                feedback = surveys.feedback_for(response)
                if feedback is not None:
                    messages.warning(request, _("已保存。有项目得分不高于 %(low)d 分，已登记顾客反馈 %(number)s。") % {
                        "low": campaign.low_score, "number": feedback.number})
                else:
                    messages.success(request, _("已保存。"))
                return HttpResponseRedirect(url)
        return _form_page(request, form, title, url, "response-form", 400, extra)
    return _form_page(request, form, title, url, "response-form", extra=extra)


urlpatterns = [
    path("surveys/", CampaignListView.as_view(), name="surveys"),
    path("surveys/new/", survey_create, name="survey_create"),
    path("surveys/<int:pk>/", CampaignDetailView.as_view(), name="survey_detail"),
    path("surveys/<int:pk>/edit/", survey_edit, name="survey_edit"),
    path("surveys/<int:pk>/recipients/", survey_recipients, name="survey_recipients"),
    path("surveys/<int:pk>/export.xlsx", survey_export, name="survey_export"),
    path("surveys/responses/<int:pk>/", survey_response, name="survey_response"),
    path("surveys/responses/<int:pk>/enter/", survey_response_enter, name="survey_response_enter"),
]
