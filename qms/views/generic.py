"""The generic list and detail pages that every procedure's records plug into.

A list page is a selector (what the user may see), a FilterSet, a table and optional scopes
(全部 / 我的 / …) and counts; a detail page is the object found through the same visibility rule,
with tabs. Apps subclass these with a few attributes instead of writing their own views.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from qms import audit
from qms.excel.export import stream_table
from qms.people import visible_to
from qms.registry import tabs_for
from qms.signatures import signatures_for
from qms.workflow import status_history


class VisibleObjectMixin:
    """Look objects up only among those the user may see: anything else is a 404, whatever its id."""

    def base_queryset(self):
        return self.model._default_manager.all()

    def get_queryset(self):
        return visible_to(self.request.user, self.base_queryset())


class RecordListView(PermissionRequiredMixin, VisibleObjectMixin, SingleTableMixin, FilterView):
    """A list page: filters, sortable columns, pagination, scopes, counts per field, export."""

    template_name = "qms/record_list.html"
    # the table paginates (one COUNT); the ListView's own pagination stays off or it would count the rows again
    paginate_by = None
    table_pagination = {"per_page": settings.LIST_PAGE_SIZE}
    title = ""
    create_url_name: str | None = None
    create_permission: str | None = None
    # {"mine": (_("我的"), lambda qs, user: qs.filter(owner=user))}; the first is the default
    scopes: dict = {}
    # fields whose per-value counts are shown above the table (one grouped query each)
    count_by: tuple[str, ...] = ()
    export_url_name: str | None = None
    export = False  # as_view(export=True): the same filtered list as a streamed .xlsx
    export_exclude: tuple[str, ...] = ()  # table columns left out of the export (e.g. action buttons)
    # §8 every list exports to .xlsx: besides as_view(export=True), ``?export=xlsx`` on any list page
    exportable = True
    # the key of an Excel import (qms.excel.imports) whose "导入" button the page shows to those allowed
    import_key: str | None = None
    raise_exception = True

    def get(self, request, *args, **kwargs):
        if not (self.export or (self.exportable and request.GET.get("export") == "xlsx")):
            return super().get(request, *args, **kwargs)
        self.filterset = self.get_filterset(self.get_filterset_class())
        valid = not self.filterset.is_bound or self.filterset.is_valid() or not self.get_strict()
        self.object_list = self.filterset.qs if valid else self.filterset.queryset.none()
        return self.export_response()

    def export_response(self):
        """Stream the filtered, sorted list with the same columns as the table (iterator, write-only)."""
        table = self.get_table_class()(self.object_list, **self.get_table_kwargs())
        RequestConfig(self.request, paginate=False).configure(table)  # the page's sort order, every row
        title = force_str(self.title or self.model._meta.verbose_name_plural)
        return stream_table(table, table.data.data.iterator(chunk_size=2000),
                            f"{title}-{timezone.localtime():%Y%m%d-%H%M}.xlsx", exclude=self.export_exclude,
                            sheet_title=title)

    def import_url(self) -> str | None:
        if not self.import_key:
            return None
        from qms.excel.imports import get_definition

        if not get_definition(self.import_key).allowed(self.request.user):
            return None
        return reverse("qms:import_start", args=[self.import_key])

    def get_queryset(self):
        queryset = super().get_queryset()
        scope = self.current_scope()
        if scope:
            queryset = self.scopes[scope][1](queryset, self.request.user)
        return queryset

    def current_scope(self) -> str | None:
        if not self.scopes:
            return None
        requested = self.request.GET.get("scope")
        return requested if requested in self.scopes else next(iter(self.scopes))

    def counts(self, queryset):
        result = []
        # A list annotated with aggregates (a survey's respondents) joins its children: count each record once.
        distinct = any(getattr(a, "contains_aggregate", False) for a in queryset.query.annotations.values())
        for field_name in self.count_by:
            field = self.model._meta.get_field(field_name)
            rows = (queryset.order_by().values(field_name).annotate(n=Count("pk", distinct=distinct))
                    .order_by(field_name))
            choices = dict(field.flatchoices) if field.choices else {}
            result.append({
                "label": field.verbose_name,
                "values": [{"value": choices.get(r[field_name], r[field_name] or _("未填")), "n": r["n"]} for r in rows],
            })
        return result

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filtered = self.object_list
        query = self.request.GET.copy()
        query.pop("page", None)
        scope_links = []
        for key, (label, _fn) in self.scopes.items():
            q = query.copy()
            q["scope"] = key
            scope_links.append({"key": key, "label": label, "query": q.urlencode(), "active": key == self.current_scope()})
        export_query = query.copy()
        context.update({
            "title": self.title or self.model._meta.verbose_name_plural,
            "scope_links": scope_links,
            "counts": self.counts(filtered),
            "create_url_name": self.create_url_name
            if self.create_url_name and (not self.create_permission or self.request.user.has_perm(self.create_permission))
            else None,
            "export_url_name": self.export_url_name,
            "export_query": export_query.urlencode(),
            "export_url": self.export_url(export_query),
            "import_url": self.import_url(),
        })
        return context

    def export_url(self, query) -> str | None:
        if self.export_url_name:
            return f"{reverse(self.export_url_name)}?{query.urlencode()}"
        if not self.exportable:
            return None
        query = query.copy()
        query["export"] = "xlsx"
        return f"{self.request.path}?{query.urlencode()}"

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["request"] = self.request
        return kwargs


class RecordDetailView(PermissionRequiredMixin, VisibleObjectMixin, DetailView):
    """A detail page with tabs: the app's own (``tabs``), those other apps register, then history."""

    template_name = "qms/record_detail.html"
    raise_exception = True
    # [("overview", _("概览"), "app/part.html"), …]; the first is the default tab
    tabs: list[tuple[str, str, str]] = []
    attachments = False  # True: an 附件 tab (qms.attachments) for upload, download and voiding
    signatures = False  # True: a 签名与流转 tab, the record's electronic signatures and its status history

    def has_permission(self):
        return super().has_permission()

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not self.request.user.has_perm(self.get_view_permission(), obj):
            raise Http404
        return obj

    def get_view_permission(self) -> str:
        return f"{self.model._meta.app_label}.view_{self.model._meta.model_name}"

    def all_tabs(self) -> list[dict]:
        tabs = [{"slug": slug, "label": label, "template": template} for slug, label, template in self.tabs]
        if self.signatures:
            tabs.append({"slug": "signatures", "label": _("签名与流转"), "render": render_signatures_tab})
        for tab in tabs_for(self.model):
            tabs.append({"slug": tab.slug, "label": tab.label, "render": tab.render})
        if self.attachments:
            from qms.attachments import render_attachments_tab

            tabs.append({"slug": "attachments", "label": _("附件"), "render": render_attachments_tab})
        if audit.is_tracked(self.model):
            tabs.append({"slug": "history", "label": _("历史记录"), "render": audit.render_history})
        return tabs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tabs = self.all_tabs()
        if not tabs:
            raise ImproperlyConfigured(f"{type(self).__name__} declares no tabs")
        requested = self.request.GET.get("tab")
        current = next((t for t in tabs if t["slug"] == requested), tabs[0])
        if "render" in current:
            current = {**current, "html": current["render"](self.request, self.object)}
        context.update({"tabs": tabs, "current_tab": current, "title": str(self.object)})
        return context


def render_signatures_tab(request, record) -> str:
    return render_to_string("qms/includes/signatures_and_transitions.html", {
        "signature_rows": signatures_for(record), "transitions": status_history(record)}, request=request)
