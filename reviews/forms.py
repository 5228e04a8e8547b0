from django import forms
from django.utils.translation import gettext_lazy as _

from reviews.models import Review, Trigger

PLAN_FIELDS = ["title", "meeting_at", "place", "period_start", "period_end", "purpose", "scope", "basis",
               "participants", "organisers", "content"]


class PlanForm(forms.ModelForm):
    """《管理评审实施计划》 (5.2.2)."""

    class Meta:
        model = Review
        fields = PLAN_FIELDS
        widgets = {
            "meeting_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "period_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{name: forms.Textarea(attrs={"rows": 2}) for name in ("purpose", "scope", "basis", "participants",
                                                                      "organisers", "content")},
        }
        help_texts = {"meeting_at": _("计划须在评审前 15 天下达，输入报告前 7 天提交，资料前 3 天分发（均为日历日）。"),
                      "period_start": _("输入数据包按此期间自动统计。")}

    def clean(self):
        data = super().clean()
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            self.add_error("period_end", _("评审期间的结束日期不能早于开始日期。"))
        return data


class ExtraReviewForm(PlanForm):
    """5.1.2: the GM calls an extra review for one of the seed's triggers."""

    class Meta(PlanForm.Meta):
        fields = ["trigger", "trigger_note", *PLAN_FIELDS]
        widgets = {**PlanForm.Meta.widgets, "trigger_note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trigger"].required = True
        self.fields["trigger"].choices = [("", "---------"), *Trigger.choices]


class InputTextForm(forms.Form):
    text = forms.CharField(label=_("输入报告"), widget=forms.Textarea(attrs={"rows": 12}),
                           error_messages={"required": _("请填写输入报告。")})


class MeetingForm(forms.Form):
    """《会议记录》: attendance, the notes on each input, the GM's conclusion."""

    present = forms.ModelMultipleChoiceField(label=_("出席人员"), queryset=None, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    apologies = forms.ModelMultipleChoiceField(label=_("请假人员"), queryset=None, required=False,
                                               widget=forms.CheckboxSelectMultiple)
    conclusion = forms.CharField(label=_("总经理评价结论"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, record=None, **kwargs):
        from qms.people import User

        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True).order_by("department__code", "username")
        self.fields["present"].queryset = people
        self.fields["apologies"].queryset = people
        self.reports = list(record.input_reports.all()) if record is not None else []
        for report in self.reports:
            self.fields[f"note_{report.item}"] = forms.CharField(
                label=_("讨论记录：%(item)s") % {"item": report.get_item_display()}, required=False,
                widget=forms.Textarea(attrs={"rows": 2}), initial=report.meeting_note)
        if record is not None and not self.is_bound:
            self.fields["present"].initial = [a.person_id for a in record.attendance.all() if a.present]
            self.fields["apologies"].initial = [a.person_id for a in record.attendance.all() if not a.present]
            self.fields["conclusion"].initial = record.conclusion

    def notes(self) -> dict:
        return {report.item: self.cleaned_data.get(f"note_{report.item}", "") for report in self.reports}


class ReportForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["result_system", "result_product", "result_resources", "result_market"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields}


class OutputForm(forms.Form):
    section = forms.ChoiceField(label=_("评审结果"))
    title = forms.CharField(label=_("改进要求"), max_length=200)
    description = forms.CharField(label=_("改进要求、纠正与验证方法"), widget=forms.Textarea(attrs={"rows": 3}))
    department = forms.ModelChoiceField(label=_("责任部门"), queryset=None)
    responsible = forms.ModelChoiceField(label=_("责任人"), queryset=None)

    def __init__(self, *args, record=None, **kwargs):
        from qms.people import Department, User
        from reviews.models import ResultSection

        super().__init__(*args, **kwargs)
        self.fields["section"].choices = ResultSection.choices
        self.fields["department"].queryset = Department.objects.filter(is_active=True).order_by("code")
        self.fields["responsible"].queryset = User.objects.filter(is_active=True).order_by("username")

    def clean(self):
        data = super().clean()
        if data.get("responsible") and data.get("department") and data["responsible"].department_id != data[
                "department"].pk and data["department"].manager_id != data["responsible"].pk:
            self.add_error("responsible", _("责任人须属于责任部门。"))
        return data
