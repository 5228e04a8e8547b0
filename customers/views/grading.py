"""等级评定 page (PROCEDURES.md §1 客户等级 ABC): the suggested grades of the period, confirmed in bulk.

The table lists the customers the user may see with revenue in the period (best first) and those without
revenue whose grade would fall to C; a box is ticked where the suggested grade differs from the current one
and the user may confirm that customer's grade. Submitting applies the suggestion — computed again on the
server for the same period, never taken from the browser — to the ticked customers, with a required reason.
"""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from customers.services.grading import confirm_grades, default_period, suggest_grades
from qms.people import visible_to
from qms.refusals import Refused
from qms.widgets import DateInput


DATE_INPUT = DateInput()


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("开始日期"), widget=DATE_INPUT)
    end = forms.DateField(label=gettext_lazy("结束日期"), widget=DATE_INPUT)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", _("结束日期不能早于开始日期。"))
        return cleaned


def _period(data) -> tuple[PeriodForm, tuple]:
    start, end = default_period()
    if data.get("start") or data.get("end"):
        form = PeriodForm(data)
        if form.is_valid():
            return form, (form.cleaned_data["start"], form.cleaned_data["end"])
        return form, (start, end)
    return PeriodForm(initial={"start": start, "end": end}), (start, end)


@permission_required("customers.confirm_grade", raise_exception=True)
def grading_page(request):
    data = request.POST if request.method == "POST" else request.GET
    period_form, (start, end) = _period(data)
    grading = suggest_grades(start, end, visible_to(request.user, Customer.objects.all()))
    user = request.user
    rows = [{"row": row, "may_confirm": user.has_perm("customers.confirm_grade", row.customer)}
            for row in grading.rows]
    reason = ""
    if request.method == "POST" and not period_form.errors:
        checked = {int(pk) for pk in request.POST.getlist("customer") if pk.isdigit()}
        reason = request.POST.get("reason", "")
        changes = {item["row"].customer: item["row"].suggested for item in rows if item["row"].customer.pk in checked}
        try:
            changed = confirm_grades(changes, by=user, reason=reason)
        except Refused as refusal:
            messages.error(request, str(refusal))
            for item in rows:
                item["checked"] = item["row"].customer.pk in checked
        else:
            messages.success(request, _("已确认 %(count)d 个客户的等级。") % {"count": changed})
            query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
            return HttpResponseRedirect(f"{reverse('customers:grading')}?{query}")
    else:
        for item in rows:
            item["checked"] = item["may_confirm"] and item["row"].differs
    return render(request, "customers/grading.html", {
        "title": _("等级评定"), "grading": grading, "rows": rows, "period_form": period_form,
        "start": start, "end": end, "reason": reason,
    })


urlpatterns = [
    path("grading/", grading_page, name="grading"),
]
