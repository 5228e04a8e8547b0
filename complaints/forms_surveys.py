"""Forms of the satisfaction survey pages (PROCEDURES.md §2 客户满意度调查): a campaign (create / edit a draft), its
recipients, and one customer's answers."""
from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.models import SurveyCampaign, SurveyResponse
from complaints.services import surveys
from customers.models import Customer, Grade
from qms import Refused
from qms.widgets import DateInput, DateTimeInput

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    return helper


def _date_field(label) -> forms.DateField:
    return forms.DateField(label=label, widget=DateInput(),
                           error_messages={"required": _("请填写日期。")})


class CampaignForm(forms.Form):
    """Create a campaign (with ``year`` and the recipients' grades) or edit a draft (``editing=True``)."""

    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("标题"), max_length=200, required=False, help_text=_("不填为“某年度客户满意度调查”"))
    opens_on = _date_field(_("开始日期"))
    closes_on = _date_field(_("截止日期"))
    low_score = forms.TypedChoiceField(
        label=_("低分阈值"), coerce=int, initial=3,
        choices=[(n, _("%(n)d 分及以下") % {"n": n}) for n in (1, 2, 3, 4)],
        help_text=_("某题得分不高于此值时，自动登记一条顾客反馈"))
    questions = forms.CharField(label=_("调查问题"), widget=forms.Textarea(attrs={"rows": 7}),
                                help_text=_("每行一个问题，按 1–5 分评分"),
                                error_messages={"required": _("请至少设置一个调查问题。")})
    grades = forms.MultipleChoiceField(
        label=_("调查对象"), choices=Grade.choices, widget=forms.CheckboxSelectMultiple, initial=list(surveys.DEFAULT_GRADES),
        help_text=_("所选等级中有负责人的客户（大客户默认为 A、B 类）；创建后可在“调查对象”中增减"),
        error_messages={"required": _("请选择调查对象的客户等级。")})

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            del self.fields["year"]
            del self.fields["grades"]
        self.helper = _helper()

    @classmethod
    def initial_for_new(cls, today: dt.date | None = None) -> dict:
        today = today or timezone.localdate()
        year = today.year
        opens_on, closes_on = surveys.default_dates(year, today)
        return {"year": year, "opens_on": opens_on, "closes_on": closes_on, "low_score": 3,
                "questions": "\n".join(surveys.DEFAULT_QUESTIONS), "grades": list(surveys.DEFAULT_GRADES)}

    @classmethod
    def initial_for(cls, campaign: SurveyCampaign) -> dict:
        return {"title": campaign.title, "opens_on": campaign.opens_on, "closes_on": campaign.closes_on,
                "low_score": campaign.low_score,
                "questions": "\n".join(q.text for q in campaign.questions.order_by("order", "pk"))}

    def clean_questions(self):
        try:
            return surveys.clean_questions(self.cleaned_data["questions"].splitlines())
        except Refused as refusal:
            raise forms.ValidationError(str(refusal)) from None

    def clean(self):
        cleaned = super().clean()
        opens_on, closes_on = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.add_error("closes_on", gettext("截止日期不能早于开始日期。"))
        return cleaned

    def recipients(self):
        return Customer.objects.filter(owner__isnull=False, grade__in=self.cleaned_data["grades"]).order_by(
            "grade", "name", "pk")


class CustomerChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        owner = obj.owner.display_name if obj.owner_id else gettext("客户池")
        return f"{obj.name}（{obj.get_grade_display()} · {owner}）"


class RecipientsForm(forms.Form):
    customers = CustomerChoices(
        label=_("调查对象"), queryset=Customer.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 18}),
        help_text=_("按住 Ctrl（Mac 为 ⌘）可多选；客户池中的客户由发起人收集"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customers"].queryset = Customer.objects.select_related("owner").order_by("grade", "name", "pk")
        self.helper = _helper()

    def clean_customers(self):
        customers = self.cleaned_data["customers"]
        if not customers:
            raise forms.ValidationError(gettext("请至少选择一个客户。"))
        return customers


class ResponseForm(forms.Form):
    """One customer's answers: a 1–5 choice per question, who filled it in, when it came back, the comment; a
    correction of entered results asks why."""

    respondent = forms.CharField(label=_("填写人"), max_length=50, required=False, help_text=_("客户方填写调查表的人"))
    submitted_at = forms.DateTimeField(
        label=_("回收时间"), required=False, input_formats=DATETIME_FORMATS, help_text=_("不填为现在"),
        widget=DateTimeInput())
    comment = forms.CharField(label=_("意见和建议"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    reason = forms.CharField(label=_("修改理由"), max_length=200, required=False)

    def __init__(self, *args, response: SurveyResponse, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.response = response
        self.questions = list(questions)
        choices = [(str(score), f"{score} {surveys.SCORE_LABELS[score]}") for score in reversed(surveys.SCORES)]
        for question in self.questions:
            self.fields[self.field_name(question)] = forms.TypedChoiceField(
                label=question.text, choices=choices, required=False, coerce=int, empty_value=None,
                widget=forms.RadioSelect(attrs={"class": "form-check-inline"}))
        order = [self.field_name(q) for q in self.questions] + ["respondent", "submitted_at", "comment"]
        if response.submitted_at is not None:
            order.append("reason")
            self.fields["reason"].help_text = gettext("修改已录入的结果须说明理由，原得分保留在历史记录中")
        else:
            del self.fields["reason"]
        self.order_fields(order)
        self.helper = _helper()

    @staticmethod
    def field_name(question) -> str:
        return f"q{question.pk}"

    @classmethod
    def initial_for(cls, response: SurveyResponse) -> dict:
        initial = {cls.field_name(a.question): str(a.score) for a in response.answers.select_related("question")}
        initial.update(respondent=response.respondent, comment=response.comment,
                       submitted_at=timezone.localtime(response.submitted_at) if response.submitted_at else None)
        return initial

    def clean_submitted_at(self):
        value = self.cleaned_data.get("submitted_at")
        if value and value > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(gettext("回收时间不能晚于现在。"))
        return value

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(self.field_name(q)) for q in self.questions):
            raise forms.ValidationError(gettext("请至少填写一项得分。"))
        return cleaned

    def scores(self) -> dict:
        return {q.pk: self.cleaned_data.get(self.field_name(q)) for q in self.questions}
