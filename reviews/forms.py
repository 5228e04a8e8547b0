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
