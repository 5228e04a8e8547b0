"""Filters shared by every list page, and the filter panel's rendering."""
import hashlib
from typing import Callable

import django_filters
from django import forms
from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from qms import cache as qms_cache


class AnyYesNoSelect(BooleanWidget):
    """A yes/no filter whose empty choice reads 全部 (Django's own says "未知", as if the answer were unknown)."""

    def __init__(self, attrs=None):
        forms.Select.__init__(self, attrs, (("", _("全部")), ("true", _("是")), ("false", _("否"))))


class YesNoFilter(django_filters.BooleanFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", AnyYesNoSelect())
        super().__init__(*args, **kwargs)


# --- the filter panel's HTML, rendered once and kept --------------------------------------------------------
# A list's filter panel is the same for everyone who opens the list with the same query: a dozen drop-downs whose
# choices (options, regions, people, departments) change rarely. Rendering it took a third of the customer list's
# time (the choices' queries and crispy-forms' templates for every field), so its HTML is kept in the shared cache
# per filter set, variant, language, day and query, and dropped as soon as a record of a model that gives the
# choices or their labels is saved or deleted. A filter set whose choices depend on the request (a callable
# ``queryset``) is rendered every time.
_GENERATION_KEY = "filter-html-generation"
_watched: set = set()


def _bump(sender, **kwargs) -> None:
    qms_cache.bump(_GENERATION_KEY)


def _choice_models(filterset_class) -> set | None:
    """The models whose rows are a filter set's choices or their labels; None when a choice depends on the request."""
    found = set()
    for declared in filterset_class.base_filters.values():
        queryset = getattr(declared, "queryset", None)
        if queryset is None and "queryset" not in declared.extra:
            continue
        queryset = queryset if queryset is not None else declared.extra["queryset"]
        if callable(queryset):
            return None
        found.add(queryset.model)
        related = queryset.query.select_related
        if isinstance(related, dict):
            for name in related:
                field = queryset.model._meta.get_field(name)
                if field.related_model is not None:
                    found.add(field.related_model)
    return found


def _watch(models) -> None:
    for model in models - _watched:
        post_save.connect(_bump, sender=model, dispatch_uid=f"filter-html-save:{model._meta.label}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"filter-html-delete:{model._meta.label}")
        _watched.add(model)


def cached_html(filterset, variant: str, render: Callable) -> str:
    """``render(form)`` of the filter set's form, kept in the shared cache (see above)."""
    models = _choice_models(type(filterset))
    if models is None or not settings.FILTER_PANEL_SECONDS:
        return render(filterset.form)
    _watch(models)
    names = filterset.base_filters.keys()
    data = filterset.data if filterset.is_bound else {}
    query = sorted((name, value) for name in names for value in (data.getlist(name) if hasattr(data, "getlist")
                                                                  else [data.get(name)]) if value not in (None, ""))
    digest = hashlib.sha1(repr(query).encode()).hexdigest()
    key = (f"filter-html:{type(filterset).__module__}.{type(filterset).__qualname__}:{variant}:{get_language()}:"
           f"{timezone.localdate().isoformat()}:{digest}")
    html = qms_cache.kept_while(_GENERATION_KEY, key, settings.FILTER_PANEL_SECONDS,
                                lambda: str(render(filterset.form)))
    return mark_safe(html)  # noqa: S308  (rendered by the form's own widgets and crispy-forms' templates)


class FilterPanel:
    """What a list template shows of its filters, rendered on first use and kept (``cached_html``):
    ``{{ filter_panel.form }}`` the whole form through crispy-forms, ``{{ filter_panel.grid }}`` its fields but the
    quick search ``q`` in a grid of columns."""

    def __init__(self, filterset):
        self.filterset = filterset

    def form(self):
        from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form

        return cached_html(self.filterset, "form", as_crispy_form)

    def grid(self):
        return cached_html(self.filterset, "grid", lambda form: render_to_string(
            "qms/includes/filter_grid.html", {"fields": [form[name] for name in form.fields if name != "q"],
                                              "row_class": "row g-2"}))

    def grid_all(self):
        return cached_html(self.filterset, "grid-all", lambda form: render_to_string(
            "qms/includes/filter_grid.html", {"fields": list(form), "row_class": "row g-2 align-items-end"}))
