"""The generic list and detail pages that every procedure's records plug into.

A list page is a selector (what the user may see), a FilterSet, a table and optional scopes
(全部 / 我的 / …) and counts; a detail page is the object found through the same visibility rule,
with tabs. Apps subclass these with a few attributes instead of writing their own views.
"""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models.signals import post_delete, post_save
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView
from django_filters.views import FilterView
import django_tables2 as tables
from django_tables2 import RequestConfig, SingleTableMixin

from qms import audit, list_counts, lists
from qms import cache as qms_cache
from qms.excel.export import export_records, stream_table
from qms.filters import FilterPanel
from qms.people import refusal_for, visible_to
from qms.refusals import Refused
from qms.registry import tabs_for
from qms.signatures import signatures_for
from qms.workflow import status_history


class KnownCountPaginator(Paginator):
    """A paginator told the number of rows (from the list's grouped counts) instead of counting them again."""

    def __init__(self, object_list, per_page, *args, count: int, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self._known_count = count

    @cached_property
    def count(self):
        return self._known_count


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
    # [qms.lists.BulkAction(...)]: what the ticked records of the list may go through; 导出所选 is added
    bulk_actions: list = []
    export_selected = True
    choose_columns = True  # 列: the columns a user hides are remembered (qms.lists.ListPreference)
    saved_scenes = True  # 场景: saved filters with a default one (qms.lists.ListScene)
    list_key: str | None = None  # what preferences and scenes are kept under; default: the view's class
    exporting = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        model = cls.__dict__.get("model")
        if model is not None:  # the list's cached counts are dropped when one of its records changes
            post_save.connect(list_counts.bump_on_signal, sender=model,
                              dispatch_uid=f"list-counts-save:{model._meta.label}")
            post_delete.connect(list_counts.bump_on_signal, sender=model,
                                dispatch_uid=f"list-counts-delete:{model._meta.label}")

    def get(self, request, *args, **kwargs):
        if self.choose_columns and "columns_set" in request.GET:
            return self.save_columns()
        if not request.GET and not self.export:
            scene = next((scene for scene in self.preferences()[1] if scene.is_default), None)
            if scene is not None and scene.query:  # 默认场景: the list opened without a query shows it
                request.GET = QueryDict(scene.query)
        if not (self.export or (self.exportable and request.GET.get("export") == "xlsx")):
            return super().get(request, *args, **kwargs)
        self.filterset = self.get_filterset(self.get_filterset_class())
        valid = not self.filterset.is_bound or self.filterset.is_valid() or not self.get_strict()
        self.object_list = self.filterset.qs if valid else self.filterset.queryset.none()
        return self.export_response()

    def export_response(self):
        """Stream the filtered, sorted list with the same columns as the table (iterator, write-only)."""
        self.exporting = True
        table = self.get_table_class()(self.object_list, **self.get_table_kwargs())
        self.hide_chosen_columns(table)  # the export follows the user's column choice
        RequestConfig(self.request, paginate=False).configure(table)  # the page's sort order, every row
        title = force_str(self.title or self.model._meta.verbose_name_plural)
        return stream_table(table, export_records(table.data.data),
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

    # --- counts: one grouped query per count_by field gives the figures and the total, kept briefly ----------
    def list_counts(self, queryset) -> tuple[int, list]:
        """``(total, counts)`` of the filtered list: the total is the sum of the first grouping (no COUNT of its
        own), and both are kept ``LIST_COUNTS_SECONDS`` per user, filter and language, and dropped as soon as a
        record of the list's model is saved or deleted — so paging through a list counts it once."""
        if hasattr(self, "_list_counts"):
            return self._list_counts

        def count() -> tuple[int, list]:
            groups = self.counts(queryset)
            return (sum(value["n"] for value in groups[0]["values"]) if groups else queryset.count()), groups

        key = self.counts_cache_key()
        self._list_counts = (qms_cache.kept_while(list_counts.counter_key(self.model), key,
                                                  settings.LIST_COUNTS_SECONDS, count) if key else count())
        return self._list_counts

    def counts_cache_key(self) -> str | None:
        if not settings.LIST_COUNTS_SECONDS:
            return None
        query = sorted((name, value) for name, values in self.request.GET.lists() for value in values
                       if name not in ("page", "sort", "export", "per_page"))
        digest = hashlib.sha1(repr((query, self.current_scope())).encode()).hexdigest()
        return (f"list-counts:{type(self).__module__}.{type(self).__qualname__}:{self.request.user.pk}:"
                f"{get_language()}:{digest}")

    def get_table_pagination(self, table):
        paginate = super().get_table_pagination(table)
        if paginate is False:
            return paginate
        total, _groups = self.list_counts(self.object_list)
        return {**(paginate or {}), "paginator_class": KnownCountPaginator, "count": total}

    def counts(self, queryset):
        """The figures above the table: per ``count_by`` field, each value's label and count — all of them from ONE
        grouped query over the fields together (a few dozen rows), summed here; a relation is grouped by its id and
        labelled from its (small) table, so the list's rows are never joined for it."""
        if not self.count_by:
            return []
        fields = [self.model._meta.get_field(name) for name in self.count_by]
        columns = [field.attname for field in fields]
        # A list annotated with aggregates (a survey's respondents) joins its children: count each record once.
        distinct = any(getattr(a, "contains_aggregate", False) for a in queryset.query.annotations.values())
        combined = list(queryset.order_by().values_list(*columns).annotate(n=Count("pk", distinct=distinct)))
        result = []
        for index, field in enumerate(fields):
            totals: dict = {}
            for row in combined:
                totals[row[index]] = totals.get(row[index], 0) + row[-1]
            labels, order = _value_labels(field, totals)
            keys = sorted(totals, key=lambda value: (value is None, order.get(value, 0), str(labels.get(value, value))))
            # plain text, not lazy translations: the figures are kept in the cache (per language), and every lazy
            # string read back from it builds its proxy class again (15 per page, a millisecond)
            result.append({"label": str(field.verbose_name), "field": field.name, "values": [
                {"value": str(labels.get(value, value)) if value not in (None, "") else str(_("未填")),
                 "n": totals[value]} for value in keys]})
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
            "counts": self.list_counts(filtered)[1],
            "create_url_name": self.create_url_name
            if self.create_url_name and (not self.create_permission or self.request.user.has_perm(self.create_permission))
            else None,
            "export_url_name": self.export_url_name,
            "export_query": export_query.urlencode(),
            "export_url": self.export_url(export_query),
            "import_url": self.import_url(),
            "filter_panel": FilterPanel(context["filter"]) if context.get("filter") is not None else None,
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

    # --- what each user keeps of the list: hidden columns and scenes (qms.lists) ---------------------------------
    def get_list_key(self) -> str:
        return self.list_key or f"{type(self).__module__}.{type(self).__qualname__}"

    def preferences(self) -> tuple[list[str], list]:
        """``(hidden columns, scenes)`` of the user on this list (``qms.lists.user_choices``: kept in the cache)."""
        if not hasattr(self, "_preferences"):
            hidden, scenes = lists.user_choices(self.request.user, self.get_list_key())
            self._preferences = (list(hidden) if self.choose_columns else [], list(scenes) if self.saved_scenes else [])
        return self._preferences

    def hide_chosen_columns(self, table) -> None:
        if not self.choose_columns:
            return
        for name in self.preferences()[0]:
            if name in table.columns and name != "bulk_select":
                table.columns.hide(name)

    def choosable_columns(self, table) -> list[dict]:
        hidden = set(self.preferences()[0])
        return [{"name": column.name, "label": str(column.header) if column.header else column.name,
                 "shown": column.name not in hidden}
                for column in table.columns.all() if column.name != "bulk_select"
                and (column.visible or column.name in hidden)]

    def save_columns(self):
        """The column chooser's GET form: the ticked columns are shown, the others hidden, for this user and list."""
        table = self.get_table_class()([], **self.get_table_kwargs())
        names = [column.name for column in table.columns.all() if column.name != "bulk_select"
                 and (column.visible or column.name in self.preferences()[0])]
        shown = set(self.request.GET.getlist("columns"))
        if not shown & set(names):
            messages.error(self.request, gettext("请至少保留一列。"))
        else:
            lists.save_hidden_columns(self.request.user, self.get_list_key(), [n for n in names if n not in shown])
        query = QueryDict(mutable=True)
        for name, values in self.request.GET.lists():
            if name not in ("columns", "columns_set"):
                query.setlist(name, values)
        return HttpResponseRedirect(f"{self.request.path}?{query.urlencode()}" if query else self.request.path)

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        if not self.exporting and self.offered_bulk_actions():
            meta = self.get_table_class()._meta
            sequence = tuple(meta.sequence) if meta.sequence else (
                (*meta.fields, "...") if meta.fields else ("...",))
            kwargs["extra_columns"] = [*kwargs.get("extra_columns", ()), ("bulk_select", lists.BulkSelectColumn())]
            kwargs["sequence"] = ("bulk_select", *[name for name in sequence if name != "bulk_select"])
        return kwargs

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        self.hide_chosen_columns(table)
        table.list_tools = self.list_tools(table)
        return table

    def list_tools(self, table) -> dict:
        """What the table's toolbar shows (templates/qms/includes/list_tools.html)."""
        query = self.request.GET.copy()
        current = lists.filter_query(query)
        scenes = self.preferences()[1]
        keep = [(name, value) for name, values in query.lists() if name not in ("columns", "columns_set", "page")
                for value in values]
        return {
            "bulk_actions": self.offered_bulk_actions(),
            "action_url": f"{self.request.path}?{query.urlencode()}" if query else self.request.path,
            "columns": self.choosable_columns(table) if self.choose_columns else [],
            "keep": keep,
            "saved_scenes": self.saved_scenes,
            "scenes": scenes,
            "scene_query": current,
            "current_scene": next((scene for scene in scenes if scene.query == current), None),
        }

    def post(self, request, *args, **kwargs):
        if "scene_action" in request.POST and self.saved_scenes:
            return self.scene_post()
        return self.bulk_post()

    def list_url(self, query: str | None = None) -> str:
        query = self.request.GET.urlencode() if query is None else query
        return f"{self.request.path}?{query}" if query else self.request.path

    # --- 场景 -------------------------------------------------------------------------------------------------------
    def scene_post(self):
        request, user, key = self.request, self.request.user, self.get_list_key()
        action = request.POST.get("scene_action")
        pk = request.POST.get("scene", "")
        pk = int(pk) if pk.isdigit() else None
        if action == "save":
            name = request.POST.get("name", "").strip()
            query = request.POST.get("query", "")
            if not name or len(name) > 50:
                messages.error(request, gettext("请填写场景名称（不超过 50 个字）。"))
                return HttpResponseRedirect(self.list_url(query))
            lists.save_scene(user, key, name, query, default=bool(request.POST.get("default")))
            messages.success(request, gettext("已保存场景“%(name)s”。") % {"name": name})
            return HttpResponseRedirect(self.list_url(query))
        scene = next((s for s in lists.ListScene.objects.filter(user=user, list_key=key, pk=pk)), None)
        if scene is None and action != "no_default":
            raise Http404
        if action == "default":
            lists.set_default_scene(user, key, scene.pk)
            messages.success(request, gettext("已把“%(name)s”设为默认场景。") % {"name": scene.name})
        elif action == "no_default":
            lists.set_default_scene(user, key, None)
            messages.success(request, gettext("已取消默认场景。"))
        elif action == "delete":
            lists.delete_scene(user, key, scene.pk)
            messages.success(request, gettext("已删除场景“%(name)s”。") % {"name": scene.name})
        else:
            raise Http404
        return HttpResponseRedirect(self.list_url())

    # --- bulk actions ------------------------------------------------------------------------------------------------
    def all_bulk_actions(self) -> list:
        actions = list(self.bulk_actions)
        if self.export_selected and self.exportable and not any(a.key == lists.EXPORT_KEY for a in actions) \
                and (actions or not self.ticks_for_itself()):
            actions.append(lists.export_selected())
        return actions

    def ticks_for_itself(self) -> bool:
        """A table with a checkbox column of its own (the pool's 领取) keeps it: no second one for 导出所选 alone."""
        return any(isinstance(column, tables.CheckBoxColumn)
                   for column in self.get_table_class().base_columns.values())

    def offered_bulk_actions(self) -> list:
        """The declared actions this user holds (checked once per page, without a record)."""
        if not hasattr(self, "_offered_bulk_actions"):
            self._offered_bulk_actions = [a for a in self.all_bulk_actions() if a.allowed(self.request.user)]
        return self._offered_bulk_actions

    def bulk_queryset(self):
        """The records a bulk action may touch: those the user may see (the list's visibility, not its filters)."""
        return VisibleObjectMixin.get_queryset(self)

    def bulk_form(self, action, data=None):
        import inspect

        kwargs = {"data": data, "prefix": "bulk_form"}
        if "user" in inspect.signature(action.form_class.__init__).parameters:
            kwargs["user"] = self.request.user
        return action.form_class(**kwargs)

    def bulk_post(self):
        request = self.request
        key = request.POST.get("bulk", "")
        action = next((a for a in self.all_bulk_actions() if a.key == key), None)
        if action is None:
            raise Http404
        if not action.allowed(request.user):
            raise PermissionDenied(refusal_for(action.permission))
        ids = lists.selected_ids(request.POST.getlist("ids"))
        if not ids:
            messages.error(request, gettext("请先勾选要操作的记录。"))
            return HttpResponseRedirect(self.list_url())
        if action.export:
            self.object_list = self.bulk_queryset().filter(pk__in=ids)
            return self.export_response()
        confirmed = bool(request.POST.get("bulk_confirmed"))
        form = self.bulk_form(action, request.POST if confirmed else None) if action.form_class else None
        if action.needs_page() and (not confirmed or (form is not None and not form.is_valid())):
            return self.render_bulk_page(action, ids, form, status=400 if confirmed else 200)
        outcomes = self.perform_bulk(action, ids, form.cleaned_data if form is not None else {})
        return render(request, "qms/bulk_result.html", {
            "title": gettext("批量操作结果：%(action)s") % {"action": action.label}, "action": action,
            "outcomes": outcomes, "list_title": self.title or self.model._meta.verbose_name_plural,
            "back_url": self.list_url(),
            "done": sum(1 for o in outcomes if o.done),
            "refused": sum(1 for o in outcomes if not o.done and o.record is not None),
            "missing": sum(1 for o in outcomes if o.record is None),
        })

    def render_bulk_page(self, action, ids, form, status=200):
        records = list(self.bulk_queryset().filter(pk__in=ids)[:500])
        return render(self.request, "qms/bulk_form.html", {
            "title": action.label, "action": action, "form": form, "ids": ids, "records": records,
            "missing": len(ids) - len(records), "action_url": self.list_url(), "back_url": self.list_url(),
        }, status=status)

    def perform_bulk(self, action, ids, data) -> list:
        """Each ticked id in turn, each in a transaction of its own: one refused does not undo the others."""
        user = self.request.user
        found = {record.pk: record for record in self.bulk_queryset().filter(pk__in=ids)}
        outcomes = []
        for pk in ids:
            record = found.get(pk)
            outcome = lists.BulkOutcome(pk=pk, record=record)
            outcomes.append(outcome)
            if record is None:
                outcome.reason = gettext("未找到该记录，或您无权查看。")
                continue
            why_not = action.refusal(record, user) if action.refusal else None
            if why_not:
                outcome.reason = str(why_not)
                continue
            try:
                with transaction.atomic():
                    outcome.result = action.perform(record, user, data)
            except Refused as refusal:
                outcome.reason = str(refusal)
            except PermissionDenied as denied:
                outcome.reason = str(denied) or (refusal_for(action.permission) if action.permission else "")
            else:
                outcome.done = True
        if any(outcome.done for outcome in outcomes):
            list_counts.bump(self.model)
        return outcomes


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


def _value_labels(field, values) -> tuple[dict, dict]:
    """Labels and sort positions of a grouped field's values: its choices, or the related rows' names (and their
    ``order`` where the related table keeps one)."""
    if field.choices:
        choices = list(dict(field.flatchoices))
        return dict(field.flatchoices), {value: position for position, value in enumerate(choices)}
    if field.is_relation:
        related = field.related_model._default_manager.in_bulk([value for value in values if value is not None])
        return ({pk: str(obj) for pk, obj in related.items()},
                {pk: getattr(obj, "order", 0) or 0 for pk, obj in related.items()})
    return {}, {}


def render_signatures_tab(request, record) -> str:
    return render_to_string("qms/includes/signatures_and_transitions.html", {
        "signature_rows": signatures_for(record), "transitions": status_history(record)}, request=request)
