"""The input pack page: every registered procedure's figures and charts for a period (PROCEDURES.md §5 Inputs)."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.urls import path
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from qms import review_inputs
from qms.widgets import DateInput


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The twelve months up to the end of last month."""
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(year=end.year - 1) + dt.timedelta(days=1), end


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("评审期间自"), widget=DateInput())
    end = forms.DateField(label=gettext_lazy("至"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("结束日期不能早于开始日期。"))
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 3 * 366:
            raise forms.ValidationError(_("评审期间最长三年。"))
        return data


def drawn(sections) -> list[dict]:
    """The sections with each chart drawn as inline SVG, for the pages and the PDFs."""
    return [{"section": section, "charts": [mark_safe(review_inputs.render_svg(chart)) for chart in section.charts]}
            for section in sections]


class PackView(PermissionRequiredMixin, TemplateView):
    template_name = "reviews/pack.html"
    permission_required = "reviews.view_pack"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        start, end = default_period(timezone.localdate())
        form = PeriodForm(self.request.GET or None, initial={"start": start, "end": end})
        if self.request.GET and form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        elif self.request.GET:
            context.update(form=form, title=_("评审输入数据包"), sections=[])
            return context
        context.update(form=form, title=_("评审输入数据包"), start=start, end=end,
                       sections=drawn(review_inputs.collect(start, end)))
        return context


urlpatterns = [path("pack/", PackView.as_view(), name="pack")]
