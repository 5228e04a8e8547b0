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
from django.db.models import Avg, Count, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints import imports as survey_imports
from complaints.forms_surveys import CampaignForm, RecipientsForm, ResponseForm
from complaints.models import CampaignStatus, SurveyAnswer, SurveyCampaign, SurveyResponse
from complaints.services import surveys
from qms import audit, deadlines, workflow
from qms.excel.export import xlsx_response
from qms.people import visible_to
from qms.views.actions import RecordActionView, RecordFormView, get_visible_or_404
from qms.tables import StatusColumn
from qms.views.generic import RecordDetailView, RecordListView

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
    status = StatusColumn()
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


class SurveyCreateView(RecordFormView):
    form_class = CampaignForm
    permission = "complaints.add_surveycampaign"
    template_name = "complaints/survey_form.html"
    title = gettext_lazy("发起满意度调查")
    cancel_url = "complaints:surveys"

    def get_form_kwargs(self, record):
        return {"initial": CampaignForm.initial_for_new()}

    def get_context_data(self, record, form, formsets, **kwargs):
        return super().get_context_data(record, form, formsets, form_id="campaign-form", **kwargs)

    def save(self, record, form, formsets):
        data = form.cleaned_data
        return surveys.create_campaign(
            by=self.request.user, year=data["year"], title=data["title"], opens_on=data["opens_on"],
            closes_on=data["closes_on"], low_score=data["low_score"], questions=data["questions"],
            customers=form.recipients())

    def get_success_message(self, campaign):
        return _("已创建满意度调查（准备中），调查对象 %(n)d 个客户。确认后请点击“开始调查”。") % {
            "n": campaign.responses.count()}


class SurveyActionView(RecordActionView):
    """An action on its own form page; the service's refusal is shown on the form, like a validation error (400)."""

    form_id = ""  # the page's form element

    def refused(self, record, form, reason, status):
        return super().refused(record, form, reason, status=400)

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "form_id": self.form_id}


class DraftCampaignView(SurveyActionView):
    model = SurveyCampaign
    queryset = SurveyCampaign.objects.select_related("created_by")
    template_name = "complaints/survey_form.html"

    def refusal(self, record):
        if not self.request.user.has_perm("complaints.change_surveycampaign"):
            return _("只有客户服务或管理者代表可以修改满意度调查。")
        if record.status != CampaignStatus.DRAFT:
            return _("调查已开始，不能再修改问题、调查对象和日期。")
        return None


class SurveyEditView(DraftCampaignView):
    form_class = CampaignForm
    form_id = "campaign-form"
    success_message = gettext_lazy("已保存。")

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "editing": True, "initial": CampaignForm.initial_for(record)}

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs),
                "title": _("修改满意度调查：%(title)s") % {"title": record.title}}

    def perform(self, record, form):
        data = form.cleaned_data
        return surveys.update_campaign(record, by=self.request.user, title=data["title"], opens_on=data["opens_on"],
                                       closes_on=data["closes_on"], low_score=data["low_score"],
                                       questions=data["questions"])


class SurveyRecipientsView(DraftCampaignView):
    form_class = RecipientsForm
    form_id = "recipients-form"
    tab = "responses"

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record),
                "initial": {"customers": list(record.responses.values_list("customer_id", flat=True))}}

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs),
                "title": _("调查对象：%(title)s") % {"title": record.title}}

    def perform(self, record, form):
        return surveys.set_recipients(record, by=self.request.user, customers=form.cleaned_data["customers"])

    def get_success_message(self, record, result):
        added, removed = result
        return _("调查对象已更新：增加 %(added)d 个，移除 %(removed)d 个。") % {"added": added, "removed": removed}


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
    campaign = get_visible_or_404(request.user, SurveyCampaign, pk=pk)
    if not request.user.has_perm("complaints.analyse_survey"):
        raise Http404
    name = f"{campaign.title}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return xlsx_response(surveys.analysis_workbook(campaign), name)


# --- a response ------------------------------------------------------------------------------------------
RESPONSES = SurveyResponse.objects.select_related("campaign", "customer__owner", "entered_by")


@login_required
def survey_response(request, pk):
    response = get_visible_or_404(request.user, RESPONSES, pk=pk)
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


class SurveyResponseEnterView(SurveyActionView):
    model = SurveyResponse
    queryset = RESPONSES
    form_class = ResponseForm
    template_name = "complaints/survey_form.html"
    form_id = "response-form"

    def back_url(self, record):
        return reverse("complaints:survey_response", args=[record.pk])

    def refusal(self, record):
        campaign = record.campaign
        if campaign.status != CampaignStatus.OPEN:
            return _("调查“%(title)s”%(status)s，不能录入结果。") % {
                "title": campaign.title, "status": campaign.get_status_display()}
        if not self.request.user.has_perm("complaints.enter_survey_response", record):
            return _("只有客户负责人、客户服务或管理者代表可以录入此客户的调查结果。")
        return None

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "response": record,
                "questions": record.campaign.questions.order_by("order", "pk"),
                "initial": ResponseForm.initial_for(record)}

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "response": record, "campaign": record.campaign,
                "title": _("录入调查结果：%(customer)s") % {"customer": record.customer.name}}

    def perform(self, record, form):
        data = form.cleaned_data
        submitted_at = data["submitted_at"]
        if record.submitted_at and submitted_at == timezone.localtime(record.submitted_at).replace(
                second=0, microsecond=0):
            submitted_at = None  # the field shows minutes: unchanged, the recorded time stays
        return surveys.enter_response(record, by=self.request.user, scores=form.scores(),
                                      respondent=data["respondent"], comment=data["comment"],
                                      submitted_at=submitted_at, reason=data.get("reason", ""))

    def get_success_message(self, record, result):
        feedback = surveys.feedback_for(record)
        if feedback is not None:
            messages.warning(self.request, _("已保存。有项目得分不高于 %(low)d 分，已登记顾客反馈 %(number)s。") % {
                "low": record.campaign.low_score, "number": feedback.number})
            return ""
        return _("已保存。")


urlpatterns = [
    path("surveys/", CampaignListView.as_view(), name="surveys"),
    path("surveys/new/", SurveyCreateView.as_view(), name="survey_create"),
    path("surveys/<int:pk>/", CampaignDetailView.as_view(), name="survey_detail"),
    path("surveys/<int:pk>/edit/", SurveyEditView.as_view(), name="survey_edit"),
    path("surveys/<int:pk>/recipients/", SurveyRecipientsView.as_view(), name="survey_recipients"),
    path("surveys/<int:pk>/export.xlsx", survey_export, name="survey_export"),
    path("surveys/responses/<int:pk>/", survey_response, name="survey_response"),
    path("surveys/responses/<int:pk>/enter/", SurveyResponseEnterView.as_view(), name="survey_response_enter"),
]
