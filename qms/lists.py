"""What every list page offers its users besides filters and sorting (issue 16): ticking records for a bulk action
declared on the list, choosing the columns (remembered per user and list, the export follows them) and saved filter
scenes (场景) with a default one.

A list declares its bulk actions:

    class CustomerListView(RecordListView):
        bulk_actions = [
            BulkAction("release", _("放入客户池"), "customers.release_customer",
                       perform=lambda customer, user, data: pool.release(customer, user, data["reason"]),
                       form_class=ReasonForm),
        ]

Each ticked record is looked up through the list's own visible queryset (an id the user cannot see is reported as
not found and left alone) and goes through the same service as the single action, in a transaction of its own: its
permission, its audit rows, its refusals (``qms.Refused``), reported per record. 导出所选 is built in.
"""
from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import django_tables2 as tables
from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.http import QueryDict
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from qms import cache as qms_cache

# what a list's query carries that is not a filter: a scene never stores these
NOT_FILTERS = frozenset({"page", "export", "per_page", "scene", "columns", "columns_set", "bulk", "ids"})
EXPORT_KEY = "export_selected"


# --- the user's choices, per list ----------------------------------------------------------------------------
class ListPreference(models.Model):
    """The columns a user hid on a list (the list's key: its URL name)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="list_preferences",
                             verbose_name=_("用户"))
    list_key = models.CharField(_("列表"), max_length=100)
    hidden_columns = models.JSONField(_("隐藏的列"), default=list, blank=True)

    class Meta:
        app_label = "qms"
        verbose_name = _("列表设置")
        verbose_name_plural = _("列表设置")
        constraints = [models.UniqueConstraint(fields=["user", "list_key"], name="list_preference_once")]

    def __str__(self):
        return f"{self.user} · {self.list_key}"


class ListScene(models.Model):
    """A saved filter (场景) of a user on a list; the default one applies when the list is opened without a query."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="list_scenes",
                             verbose_name=_("用户"))
    list_key = models.CharField(_("列表"), max_length=100)
    name = models.CharField(_("场景名称"), max_length=50)
    query = models.TextField(_("筛选条件"), blank=True)
    is_default = models.BooleanField(_("默认场景"), default=False)

    class Meta:
        app_label = "qms"
        verbose_name = _("筛选场景")
        verbose_name_plural = _("筛选场景")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "list_key", "name"], name="list_scene_name_once"),
            models.UniqueConstraint(fields=["user", "list_key"], condition=models.Q(is_default=True),
                                    name="list_scene_one_default"),
        ]

    def __str__(self):
        return self.name


def filter_query(query: QueryDict) -> str:
    """The filter part of a list's query (scope, filters, sort), as a scene keeps it."""
    return urlencode([(name, value) for name, values in query.lists() if name not in NOT_FILTERS
                      for value in values if value != ""])


# A list's page reads the user's hidden columns and scenes on every request: they are kept in the shared cache until
# one of them changes (every change below, and a save or deletion in the admin, forgets them) or
# settings.LIST_CHOICES_SECONDS pass (0: read on every request).
def _choices_key(user_id, list_key: str) -> str:
    return f"list-choices:{user_id}:{list_key}"


def user_choices(user, list_key: str) -> tuple[list[str], list[ListScene]]:
    """``(hidden columns, scenes)`` of ``user`` on the list ``list_key``."""
    def read():
        hidden = next(iter(ListPreference.objects.filter(user=user, list_key=list_key)
                           .values_list("hidden_columns", flat=True)), None) or []
        return list(hidden), list(ListScene.objects.filter(user=user, list_key=list_key))

    return qms_cache.kept(_choices_key(user.pk, list_key), settings.LIST_CHOICES_SECONDS, read)


def forget_choices(user_id, list_key: str) -> None:
    qms_cache.forget(_choices_key(user_id, list_key))


def _forget_changed_choices(sender, instance, **kwargs) -> None:
    forget_choices(instance.user_id, instance.list_key)


for _model in (ListPreference, ListScene):
    post_save.connect(_forget_changed_choices, sender=_model, dispatch_uid=f"forget-choices-save:{_model.__name__}")
    post_delete.connect(_forget_changed_choices, sender=_model,
                        dispatch_uid=f"forget-choices-delete:{_model.__name__}")


def save_scene(user, list_key: str, name: str, query: str, *, default: bool = False) -> ListScene:
    """Save (or overwrite) the scene ``name``; ``default``: it becomes the one applied on opening the list."""
    with transaction.atomic():
        if default:
            ListScene.objects.filter(user=user, list_key=list_key, is_default=True).exclude(name=name).update(
                is_default=False)
        scene, _created = ListScene.objects.update_or_create(
            user=user, list_key=list_key, name=name, defaults={"query": query, "is_default": default})
    return scene


def set_default_scene(user, list_key: str, pk: int | None) -> None:
    """Make the scene ``pk`` the default (None: no default)."""
    with transaction.atomic():
        ListScene.objects.filter(user=user, list_key=list_key, is_default=True).exclude(pk=pk).update(
            is_default=False)
        if pk is not None:
            ListScene.objects.filter(user=user, list_key=list_key, pk=pk).update(is_default=True)
    forget_choices(user.pk, list_key)  # update() sends no signal


def delete_scene(user, list_key: str, pk: int) -> int:
    return ListScene.objects.filter(user=user, list_key=list_key, pk=pk).delete()[0]


def save_hidden_columns(user, list_key: str, hidden: list[str]) -> None:
    ListPreference.objects.update_or_create(user=user, list_key=list_key, defaults={"hidden_columns": sorted(hidden)})


# --- bulk actions -----------------------------------------------------------------------------------------------
@dataclass
class BulkAction:
    """One action on the ticked records of a list.

    ``permission``: who is offered the action (checked without a record; a POST without it is a 403); None: whoever
    sees the list. ``perform(record, user, form_data)`` calls the single action's service, which checks the record
    (its refusal is ``qms.Refused``). ``form_class``: what the action asks once for all the records (its
    ``__init__`` may take ``user=``); ``confirm``: the question asked before acting (on a page of its own without
    JavaScript). ``refusal(record, user)``: why the single action's page would not be offered on the record now.
    """

    key: str
    label: str
    permission: str | None = None
    perform: Callable | None = None
    form_class: type | None = None
    confirm: str = ""
    refusal: Callable | None = None
    style: str = "outline-secondary"
    export: bool = False  # the built-in 导出所选: the selected records in the list's export

    def allowed(self, user) -> bool:
        return self.permission is None or user.has_perm(self.permission)

    def needs_page(self) -> bool:
        return self.form_class is not None or bool(self.confirm)


def export_selected() -> BulkAction:
    return BulkAction(EXPORT_KEY, _("导出所选"), export=True, style="outline-secondary")


@dataclass
class BulkOutcome:
    """What happened to one ticked id: done, refused (with the reason) or not found."""

    pk: int
    record: object | None = None
    done: bool = False
    reason: str = ""
    result: object = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return str(self.record) if self.record is not None else f"#{self.pk}"


def selected_ids(values) -> list[int]:
    """The ticked ids, in their order, once each (anything that is not an id is ignored)."""
    seen: dict[int, None] = {}
    for value in values:
        value = str(value).strip()
        if value.isdigit():
            seen.setdefault(int(value), None)
    return list(seen)


class BulkSelectColumn(tables.Column):
    """The ticking column: each box belongs to the list's bulk form (``form="bulk-form"``), so the table needs no
    form around it; the header's box ticks every row of the page (static/js/list_tools.js)."""

    cell_label = ""  # no "data-label" on a phone's card: the box speaks for itself

    def __init__(self, **kwargs):
        # not "pk": django-tables2 would take a list ordered by "-pk" for one ordered by this (unorderable) column
        # and drop that ordering
        kwargs.setdefault("accessor", "bulk_select")
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("exclude_from_export", True)
        kwargs.setdefault("empty_values", ())
        kwargs.setdefault("attrs", {"td": {"class": "bulk-select-cell"}, "th": {"class": "bulk-select-cell"}})
        super().__init__(**kwargs)

    @property
    def header(self):
        return format_html('<input type="checkbox" class="form-check-input bulk-select-all" aria-label="{}">',
                           _("全选本页"))

    def render(self, record):
        pk = record["pk"] if isinstance(record, dict) else record.pk
        if not hasattr(self, "_box"):  # the label translated once per page (the column is made for each request)
            self._box = ('<input type="checkbox" class="form-check-input bulk-select" name="ids" value="{}" '
                         f'form="bulk-form" aria-label="{escape(_("选择"))}">')
        return mark_safe(self._box.format(html.escape(str(pk))))  # noqa: S308  (escaped here)
