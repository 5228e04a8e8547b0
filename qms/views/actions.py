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
from django.urls import reverse
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


class RecordFormView(View):
    """A page that creates a record, or edits one, declared: the permission, what the page starts from, the form
    (and its formsets), the service, the refusal shown on the form, the success message, the record's page.

        class OpportunityCreateView(RecordFormView):
            form_class = OpportunityForm
            permission = "customers.add_opportunity"
            template_name = "customers/contracts/opportunity_form.html"
            title = _("新建商机")
            success_message = _("已创建商机“%(record)s”。")

            def save(self, record, form, formsets):
                return service.create_opportunity(by=self.request.user, **form.cleaned_data)

    With ``model`` (or ``queryset``) the page is about the record of the URL's ``pk``: visible to the user or 404,
    ``permission`` checked on it (403 naming the roles), ``refusal(record)`` sending the user back to it with the
    reason (e.g. only a draft may be edited). ``prepare(record)`` reads what the page starts from (its query
    string: the customer it was opened from…); a ``Refused`` there sends the user back too. An invalid form or
    formset, or the service's ``Refused``, shows the page again with what was typed kept (400) and nothing saved;
    without a form the refusal is the page's ``error``.
    """

    model: type | None = None
    queryset = None
    pk_url_kwarg = "pk"
    form_class = None
    formset_classes: dict = {}  # prefix -> formset class
    permission: str | None = None
    template_name: str | None = None
    title = ""
    intro = ""  # a line under the heading: what the form is for, who acts next
    success_message = ""  # may use %(record)s: the record the service returns
    cancel_url = None  # where 返回 leads without a record (a URL name or a URL)

    # --- what a subclass declares or overrides ---------------------------------------------------------
    def save(self, record, form, formsets):
        """Call the service; return the record saved. Raise ``qms.Refused`` to save nothing."""
        raise ImproperlyConfigured(f"{type(self).__name__} must define save(record, form, formsets)")

    def prepare(self, record) -> None:
        """Read what the page starts from (kept on ``self``) before the form is built."""

    def refusal(self, record) -> str | None:
        return None

    def get_queryset(self):
        if self.queryset is not None:
            return self.queryset.all()
        return self.model._default_manager.all()

    def get_record(self):
        if self.model is None and self.queryset is None:
            return None
        return get_visible_or_404(self.request.user, self.get_queryset(), pk=self.kwargs[self.pk_url_kwarg])

    def get_form_kwargs(self, record) -> dict:
        return {}

    def get_formset_kwargs(self, record, prefix) -> dict:
        return {}

    def back_url(self, record) -> str:
        if record is not None:
            return record.get_absolute_url()
        url = str(self.cancel_url or "")
        return reverse(url) if url and "/" not in url else url

    def get_title(self, record) -> str:
        return str(self.title) % {"record": record} if "%(record)" in str(self.title) else str(self.title)

    def get_success_message(self, result) -> str:
        return str(self.success_message) % {"record": result} if self.success_message else ""

    def get_success_url(self, record, result) -> str:
        return result.get_absolute_url()

    def get_context_data(self, record, form, formsets, **kwargs) -> dict:
        return {"object": record, "record": record, "form": form, **formsets, "formsets": formsets,
                "title": self.get_title(record), "intro": self.intro, "back_url": self.back_url(record), **kwargs}

    # --- the skeleton, once ----------------------------------------------------------------------------
    def dispatch(self, request, *args, **kwargs):
        if request.method not in ("GET", "POST", "HEAD"):
            return HttpResponseNotAllowed(["GET", "POST"])
        self.record = record = self.get_record()
        if self.permission:
            require(request.user, self.permission, record)
        try:
            why_not = self.refusal(record)
            if not why_not:
                self.prepare(record)
        except Refused as refusal:
            why_not = str(refusal)
        if why_not:
            messages.error(request, str(why_not))
            return HttpResponseRedirect(self.back_url(record))
        return super().dispatch(request, *args, **kwargs)

    def _build(self, record):
        bound = {"data": self.request.POST, "files": self.request.FILES} if self.request.method == "POST" else {}
        form = self.form_class(**bound, **self.get_form_kwargs(record)) if self.form_class else None
        formsets = {prefix: formset_class(**bound, prefix=prefix, **self.get_formset_kwargs(record, prefix))
                    for prefix, formset_class in self.formset_classes.items()}
        return form, formsets

    def get(self, request, *args, **kwargs):
        form, formsets = self._build(self.record)
        return render(request, self.template_name, self.get_context_data(self.record, form, formsets))

    def post(self, request, *args, **kwargs):
        record = self.record
        form, formsets = self._build(record)
        error = None
        form_valid = form is None or form.is_valid()
        formsets_valid = all([formset.is_valid() for formset in formsets.values()])  # each, for its errors
        if form_valid and formsets_valid:
            try:
                result = self.save(record, form, formsets)
            except Refused as refusal:
                error = str(refusal)
                if form is not None:
                    form.add_error(None, error)
            else:
                message = self.get_success_message(result)
                if message:
                    messages.success(request, message)
                return HttpResponseRedirect(self.get_success_url(record, result))
        context = self.get_context_data(record, form, formsets, error=error)
        return render(request, self.template_name, context, status=400)
