"""The satisfaction survey results import (PROCEDURES.md §2 客户满意度调查): one row per customer, one column per
question of the campaign, on the shared Excel import (``qms.excel``: template, per-row error report, preview,
nothing saved until the user confirms, revert).

The columns depend on the campaign, so the import is a family keyed ``survey-<campaign id>`` (``family``,
registered with ``qms.excel.imports.register_import_family`` in ``ComplaintsConfig.ready``): 客户编号 (the
customer's number in the portal, filled in by the template), 客户名称, 填写人, 回收日期, then each question's text
with a 1–5 drop-down, then 意见和建议.

A row must name a customer the campaign surveys (by number, else by exact name; both given must agree), whose
results have not been entered yet (a correction is made on the response's page, with a reason), with at least
one score. Every row is saved through ``complaints.services.surveys.enter_response`` — the same rule as the
form, so low scores raise their feedback item and the collectors' deadlines follow.

Reverting a batch clears the results it entered (the responses return to 未回收), while the campaign is open and
no feedback item has been raised from them.
"""
from __future__ import annotations

import datetime as dt

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.models import CampaignStatus, SurveyAnswer, SurveyCampaign, SurveyResponse
from complaints.services import surveys
from qms import audit
from qms.excel.imports import Column, ImportDefinition, ImportRefused

KEY_PREFIX = "survey-"
PERMISSION = "complaints.import_survey_results"

SCORE_CHOICES = [(str(score), str(score)) for score in surveys.SCORES]
SCORE_HELP = _("1–5 分：5 非常满意，4 满意，3 一般，2 不满意，1 非常不满意；未答留空")


def import_key(campaign: SurveyCampaign) -> str:
    return f"{KEY_PREFIX}{campaign.pk}"


def _field_name(question) -> str:
    return f"q{question.pk}"


class SurveyResultRowForm(forms.ModelForm):
    """One row of the results file; the question fields are added per campaign (``form_class_for``)."""

    campaign: SurveyCampaign = None
    questions: list = []

    customer_code = forms.IntegerField(label=_("客户编号"), required=False, min_value=1)
    customer_name = forms.CharField(label=_("客户名称"), max_length=100,
                                    error_messages={"required": _("请填写客户名称。")})
    returned_on = forms.DateField(label=_("回收日期"), required=False)

    class Meta:
        model = SurveyResponse
        fields = ["respondent", "comment"]

    def clean(self):
        cleaned = super().clean()
        self.response = None
        if self.campaign.status != CampaignStatus.OPEN:
            raise forms.ValidationError(gettext("调查“%(title)s”%(status)s，不能导入结果。") % {
                "title": self.campaign.title, "status": self.campaign.get_status_display()})
        self.response = self._find_response(cleaned)
        scores = {q.pk: cleaned.get(_field_name(q)) for q in self.questions}
        if not any(self.has_error(_field_name(q)) for q in self.questions) and not any(scores.values()):
            raise forms.ValidationError(gettext("请至少填写一项得分。"))
        self.scores = {pk: int(value) for pk, value in scores.items() if value}
        return cleaned

    def _find_response(self, cleaned):
        responses = SurveyResponse.objects.filter(campaign=self.campaign).select_related("customer")
        code, name = cleaned.get("customer_code"), (cleaned.get("customer_name") or "").strip()
        if self.has_error("customer_code") or self.has_error("customer_name"):
            return None
        if code:
            response = responses.filter(customer_id=code).first()
            if response is None:
                self.add_error("customer_code", gettext("编号为 %(code)d 的客户不在本次调查的对象中。") % {"code": code})
                return None
            if name and name != response.customer.name:
                self.add_error("customer_name", gettext("客户编号 %(code)d 对应的是“%(name)s”，与所填客户名称不符。") % {
                    "code": code, "name": response.customer.name})
                return None
        else:
            found = list(responses.filter(customer__name=name)[:2])
            if not found:
                self.add_error("customer_name", gettext("客户“%(name)s”不在本次调查的对象中。") % {"name": name})
                return None
            if len(found) > 1:
                self.add_error("customer_name", gettext("有多个客户名为“%(name)s”，请填写客户编号。") % {"name": name})
                return None
            response = found[0]
        if response.submitted_at is not None:
            self.add_error("customer_name", gettext("该客户的结果已于 %(day)s 录入；如需修改，请在答卷页面填写理由后修改。") % {
                "day": response.submitted_at.date().isoformat()})
            return None
        return response


def form_class_for(campaign: SurveyCampaign) -> type[SurveyResultRowForm]:
    questions = list(campaign.questions.order_by("order", "pk"))
    attrs = {"campaign": campaign, "questions": questions, "__module__": __name__}
    for question in questions:
        attrs[_field_name(question)] = forms.TypedChoiceField(
            label=question.text, choices=[("", "")] + SCORE_CHOICES, required=False, coerce=int, empty_value=None,
            help_text=SCORE_HELP)
    return type("SurveyResultRowForm", (SurveyResultRowForm,), attrs)


def save_row(form: SurveyResultRowForm, batch, user) -> SurveyResponse:
    """Through the form's service; a refusal here (the campaign closed since the preview) fails the batch with
    its reason and nothing is saved."""
    returned_on = form.cleaned_data.get("returned_on")
    submitted_at = None
    if returned_on:
        submitted_at = min(timezone.now(), dt.datetime.combine(returned_on, dt.time(12, 0),
                                                               tzinfo=timezone.get_default_timezone()))
    return surveys.enter_response(form.response, by=user, scores=form.scores,
                                  respondent=form.cleaned_data.get("respondent", ""),
                                  comment=form.cleaned_data.get("comment", ""), submitted_at=submitted_at)


def clear_imported_results(queryset, batch, user) -> None:
    """Revert: the batch's responses return to 未回收 — refused once the campaign has ended or a feedback item
    has been raised from one of them."""
    responses = list(queryset.select_related("campaign", "customer").order_by("pk"))
    campaigns = {r.campaign for r in responses}
    if any(c.status != CampaignStatus.OPEN for c in campaigns):
        raise ImportRefused(gettext("调查已结束，不能撤销导入的结果。"))
    raised = [r.customer.name for r in responses if surveys.feedback_for(r) is not None]
    if raised:
        raise ImportRefused(gettext("以下客户的低分已登记为顾客反馈，不能撤销：%(names)s。") % {
            "names": "、".join(raised[:20])})
    reason = gettext("撤销导入 #%(batch)d") % {"batch": batch.pk}
    with transaction.atomic(), audit.context(user=user, reason=reason):
        ids = [r.pk for r in responses]
        SurveyAnswer.objects.filter(response_id__in=ids).delete()
        SurveyResponse.objects.filter(pk__in=ids).update(submitted_at=None, respondent="", comment="",
                                                         entered_by=None)
        for campaign in campaigns:
            surveys.sync_collect_deadlines(campaign)


def _template_rows(campaign: SurveyCampaign):
    def rows():
        pending = (SurveyResponse.objects.filter(campaign=campaign, submitted_at__isnull=True)
                   .select_related("customer").order_by("customer__grade", "customer__name", "pk"))
        return [[response.customer_id, response.customer.name] for response in pending]

    return rows


def definition_for(campaign: SurveyCampaign) -> ImportDefinition:
    form_class = form_class_for(campaign)
    columns = [
        Column("客户编号", "customer_code", help=_("模板已填好本次调查的客户；按编号匹配，不填则按名称匹配")),
        Column("客户名称", "customer_name"),
        Column("填写人", "respondent", help=_("客户方填写调查表的人")),
        Column("回收日期", "returned_on", help=_("不填为导入当天")),
    ]
    columns += [Column(q.text, _field_name(q)) for q in form_class.questions]
    columns.append(Column("意见和建议", "comment"))
    return ImportDefinition(
        key=import_key(campaign),
        title=gettext("%(year)s 年满意度调查结果") % {"year": campaign.year},
        columns=columns,
        form_class=form_class,
        permission=PERMISSION,
        save_row=save_row,
        unique=("客户名称",),
        revert_objects=clear_imported_results,
        list_url_name="complaints:surveys",
        template_rows=_template_rows(campaign),
    )


def family(rest: str) -> ImportDefinition | None:
    if not rest.isdigit():
        return None
    campaign = SurveyCampaign.objects.filter(pk=int(rest)).first()
    return definition_for(campaign) if campaign else None

