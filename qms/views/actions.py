"""One action on one record, declared: fetch the visible record, check who may, take the form, call the service,
show its refusal or its success, return to the record's tab.

    class ChecklistView(RecordActionView):
        model = Application
        form_class = ChecklistForm
        permission = "renovation.record_checklist"
        success_message = _("工程初审检查表已保存。")

        def perform(self, record, form):
            return checklist.record(record, self.request.user, **form.cleaned_data)

A record the user may not see answers 404 whatever its id; a visible record the user may not act on answers
403 naming the roles that may; a refusal of the service (``qms.Refused``) saves nothing and is shown with what
was typed kept.
"""
from __future__ import annotations

import inspect

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views import View

from qms.people import require, visible_to
from qms.refusals import Refused


def get_visible_or_404(user, model_or_queryset, **lookup):
    """The record matching ``lookup`` among those ``user`` may see (``qms.people.visible_to``); else 404."""
    queryset = model_or_queryset if hasattr(model_or_queryset, "model") and not isinstance(model_or_queryset, type) \
        else model_or_queryset._default_manager.all()
    return get_object_or_404(visible_to(user, queryset), **lookup)


class RecordActionView(View):
    model: type | None = None
    queryset = None  # a base queryset (select_related …); default: the model's manager
    form_class = None  # None: the action takes no input
    permission: str | None = None  # checked with the record; None: whoever may see the record
    template_name: str | None = None  # None: POST only, errors as messages; else the form's own page
    success_message = ""  # may use %(record)s
    tab = ""  # the record's tab to return to
    pk_url_kwarg = "pk"
    title = ""  # the form page's heading (with template_name)

    # --- what a subclass declares or overrides ---------------------------------------------------------
    def perform(self, record, form):
        raise ImproperlyConfigured(f"{type(self).__name__} must define perform(record, form)")

    def refusal(self, record) -> str | None:
        """Why the action cannot be taken on ``record`` now (checked before the form is shown or taken)."""
        return None

    def get_queryset(self):
        if self.queryset is not None:
            return self.queryset.all()
        if self.model is None:
            raise ImproperlyConfigured(f"{type(self).__name__} declares neither model nor queryset")
        return self.model._default_manager.all()

    def get_record(self):
        return get_visible_or_404(self.request.user, self.get_queryset(), pk=self.kwargs[self.pk_url_kwarg])

    def get_form_kwargs(self, record) -> dict:
        kwargs = {}
        if self.request.method == "POST":
            kwargs.update(data=self.request.POST, files=self.request.FILES)
        if "record" in inspect.signature(self.form_class.__init__).parameters:
            kwargs["record"] = record
        return kwargs

    def get_form(self, record):
        if self.form_class is None:
            return None
        return self.form_class(**self.get_form_kwargs(record))

    def get_success_message(self, record, result) -> str:
        return str(self.success_message) % {"record": record} if self.success_message else ""

    def get_success_url(self, record, result) -> str:
        return self.back_url(record)

    def back_url(self, record) -> str:
        url = record.get_absolute_url()
        return f"{url}?tab={self.tab}" if self.tab else url

    def get_context_data(self, record, form, **kwargs) -> dict:
        return {"record": record, "object": record, "form": form, "title": self.title or str(record),
                "back_url": self.back_url(record), **kwargs}

    # --- the skeleton, once ----------------------------------------------------------------------------
    def dispatch(self, request, *args, **kwargs):
        if request.method not in ("GET", "POST", "HEAD"):
            return HttpResponseNotAllowed(["GET", "POST"] if self.template_name else ["POST"])
        if request.method in ("GET", "HEAD") and not self.template_name:
            return HttpResponseNotAllowed(["POST"])
        self.record = self.get_record()
        if self.permission:
            require(request.user, self.permission, self.record)
        why_not = self.refusal(self.record)
        if why_not:
            messages.error(request, str(why_not))
            return HttpResponseRedirect(self.back_url(self.record))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_form(self.record, self.get_form(self.record))

    def render_form(self, record, form, status=200):
        return render(self.request, self.template_name, self.get_context_data(record, form), status=status)

    def post(self, request, *args, **kwargs):
        record = self.record
        form = self.get_form(record)
        if form is not None and not form.is_valid():
            return self.refused(record, form, None, status=400)
        try:
            result = self.perform(record, form)
        except Refused as refusal:
            return self.refused(record, form, str(refusal), status=409)
        message = self.get_success_message(record, result)
        if message:
            messages.success(request, message)
        return HttpResponseRedirect(self.get_success_url(record, result))

    def refused(self, record, form, reason: str | None, status: int):
        """An invalid form or a refusal: on the form's page with what was typed, or as messages."""
        if self.template_name:
            if form is None:
                messages.error(self.request, reason)
                return HttpResponseRedirect(self.back_url(record))
            if reason:
                form.add_error(None, reason)
            return self.render_form(record, form, status=status)
        if reason:
            messages.error(self.request, reason)
        if form is not None:
            for name, errors in form.errors.items():
                label = form.fields[name].label if name in form.fields else ""
                for error in errors:
                    messages.error(self.request, f"{label}：{error}" if label else error)
        return HttpResponseRedirect(self.back_url(record))
