"""The audit trail (PROCEDURES.md §8 records control): who changed what, when, from which value, and why.

Changes are captured by PostgreSQL triggers (django-pghistory), so that nothing escapes the trail: a form, a
service, ``QuerySet.update()``, an import and the admin are all recorded alike. A model is put under control
with ``@audit.track()``; each insert, update and delete of a row stores a snapshot of the row in the model's
event table together with the context of the change (user id, their name at that time, the reason, the URL).
The event tables are append-only: the database itself refuses UPDATE, DELETE and TRUNCATE on them, and the
portal's own database role (``manage.py grant_portal_role``) may only read and insert their rows.

    @audit.track(exclude=("password", "last_login"))
    class User(AbstractUser): ...

    with transaction.atomic(), audit.context(user=by, reason=reason):
        ...  # every change made here carries ``by`` and ``reason``

``history_for(obj)`` gives the rows of a record's history tab; ``trail(...)`` the auditor's search across all
controlled records and ``describe(events)`` their display rows, with a constant number of queries.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable

import pghistory
import pgtrigger
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pghistory import runtime
from pghistory.middleware import HistoryMiddleware as _PgHistoryMiddleware

ACTIONS = {"insert": _("新建"), "update": _("修改"), "delete": _("删除")}

_tracked: list[type] = []


class RefuseTruncate(pgtrigger.Trigger):
    """``BEFORE TRUNCATE … FOR EACH STATEMENT``: refuse to empty an append-only table.

    The append-only triggers (``pgtrigger.Protect`` on UPDATE and DELETE) are row triggers, and TRUNCATE fires no
    row trigger: without this one a single statement empties the trail. Every append-only table declares it in its
    ``Meta.triggers`` (the event tables of ``@audit.track`` get it here), so that ``makemigrations`` installs it
    for a new table like the other triggers. The only way through is pgtrigger's explicit
    ``pgtrigger.ignore("app.Model:refuse_truncate")``, which the test run uses for the flush between
    transactional tests (conftest.py); the portal's role has no TRUNCATE privilege at all.
    """

    name = "refuse_truncate"
    when = pgtrigger.Before
    operation = pgtrigger.Truncate
    level = pgtrigger.Statement
    func = ("RAISE EXCEPTION 'qms: % is an append-only audit table: TRUNCATE is refused', TG_TABLE_NAME "
            "USING ERRCODE = 'insufficient_privilege';")


def append_only_models() -> list[type]:
    """Every model whose table is append-only (refuses TRUNCATE): the event tables, transitions, signatures …"""
    return [model for model in apps.get_models()
            if any(isinstance(trigger, RefuseTruncate) for trigger in getattr(model._meta, "triggers", ()))]


def track(*, exclude: Iterable[str] = (), internal: Iterable[str] = ()):
    """Class decorator: audit every insert, update and delete of the model's rows (``exclude``: fields not
    recorded, whose changes alone leave no entry, e.g. a password hash; ``internal``: fields recorded but not
    shown to readers of the history, because they are derived by the code from fields that are shown, e.g. a
    name's comparison key or pinyin)."""

    def decorate(model):
        model.audit_internal_fields = frozenset(internal)
        pghistory.track(
            pghistory.InsertEvent(),
            pghistory.UpdateEvent(),
            pghistory.DeleteEvent(),
            exclude=list(exclude),
            obj_field=pghistory.ObjForeignKey(related_name="+"),
            # The context is copied into each event row, so the append-only protection covers it too.
            context_field=pghistory.ContextJSONField(),
            # pgtrigger.Protect on UPDATE and DELETE of the event table: nobody rewrites the trail.
            append_only=True,
            model_name=f"{model.__name__}Event",
            meta={"indexes": [models.Index(fields=["pgh_obj", "pgh_id"]), models.Index(fields=["pgh_created_at"])],
                  "triggers": [RefuseTruncate()]},
        )(model)
        _tracked.append(model)
        return model

    return decorate


def tracked_models() -> list[type]:
    return list(_tracked)


def is_tracked(model: type) -> bool:
    return model._meta.concrete_model in _tracked


def event_model(model: type) -> type:
    """The event model that ``@audit.track`` generated for ``model``."""
    return model._meta.concrete_model.pgh_event_models["insert"]


# --- the context of a change: who and why ---------------------------------------------------------
def _user_context(user) -> dict:
    if user is None:
        return {}
    return {"user": user.pk, "user_name": getattr(user, "display_name", None) or str(user)}


@contextlib.contextmanager
def context(user=None, reason: str = ""):
    """Attach the acting ``user`` and the ``reason`` to every change made inside the block.

    Inside a request (the middleware's context) or another block, the block gets a context of its own that
    inherits the outer one's user and URL: its reason then stays with its own changes, and is neither
    attached to the request's other changes nor replaced by a later block's reason.
    """
    metadata = _user_context(user)
    if reason:
        metadata["reason"] = str(reason)
    outer = getattr(runtime._tracker, "value", None)
    if outer is None:
        with pghistory.context(**metadata):
            yield
        return
    runtime._tracker.value = runtime.Context(id=uuid.uuid4(), metadata={**outer.metadata, **metadata})
    try:
        yield
    finally:
        runtime._tracker.value = outer


class HistoryMiddleware(_PgHistoryMiddleware):
    """pghistory's middleware (user id, URL of every request), also keeping the user's name as it was then."""

    def get_context(self, request):
        metadata = super().get_context(request)
        if metadata.get("user") is not None:
            metadata.update(_user_context(request.user))
        return metadata


def note(obj, *, user=None, reason: str, **tags) -> None:
    """Put on ``obj``'s history an entry that changes none of its own fields, with the acting user and the reason:
    for a change the triggers cannot see on the record itself (rows of an untracked child table, e.g. the scores
    of a survey response). The entry is a snapshot of the record as it is now, like any other event. ``tags``
    (JSON values) are kept in the entry's context, so that an app can find its own notes again
    (``pgh_context__has_key``), e.g. the stock freezes of an adverse event."""
    model = type(obj)._meta.concrete_model
    event_cls = event_model(model)
    data = {field.attname: getattr(obj, field.attname) for field in event_cls._meta.concrete_fields
            if not field.name.startswith("pgh_")}
    outer = getattr(runtime._tracker, "value", None)
    metadata = {**(outer.metadata if outer else {}), **tags, **_user_context(user), "reason": str(reason)}
    event_cls._default_manager.create(pgh_label="update", pgh_obj_id=obj.pk, pgh_created_at=timezone.now(),
                                      pgh_context=metadata, pgh_context_id=outer.id if outer else None, **data)


# --- reading the trail ----------------------------------------------------------------------------
def _events():
    from pghistory.models import Events

    return Events.objects.across(*[event_model(model) for model in _tracked])


def trail(*, user=None, model: type | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None,
          field: str = "", text: str = ""):
    """The auditor's search: events of every controlled record, newest first (a lazy queryset).

    ``field`` matches a field's name or label and keeps the changes of that field; ``text`` matches the
    recorded values, the reason and the user's name; dates are local calendar days, both included.
    """
    from pghistory.models import Events

    events = Events.objects.across(event_model(model)) if model is not None else _events()
    if user is not None:
        events = events.filter(pgh_context__user=user.pk)
    if date_from:
        events = events.filter(pgh_created_at__gte=_start_of(date_from))
    if date_to:
        events = events.filter(pgh_created_at__lt=_start_of(date_to + dt.timedelta(days=1)))
    if field:
        matching = Q(pk__in=[])
        for tracked, columns in matching_columns(field, [model] if model else _tracked).items():
            matching |= Q(pgh_obj_model=tracked._meta.label, pgh_diff__has_any_keys=sorted(columns))
        events = events.filter(matching)
    if text:
        events = events.filter(Q(pgh_data__icontains=text) | Q(pgh_context__reason__icontains=text)
                               | Q(pgh_context__user_name__icontains=text))
    return events.order_by("-pgh_created_at", "-pgh_id")


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def matching_columns(text: str, candidates: Iterable[type]) -> dict[type, set[str]]:
    """{model: columns} of the recorded fields whose name or label contains ``text``."""
    text = text.strip().lower()
    result = {}
    for model in candidates:
        columns = {column for column, field in _recorded_fields(model).items()
                   if text in field.name.lower() or text in str(field.verbose_name).lower()}
        if columns:
            result[model] = columns
    return result


def _recorded_fields(model: type) -> dict[str, models.Field]:
    """{column: field} of what an event of ``model`` shows: not the key, not ``auto_now`` timestamps, not the
    fields the model declares internal."""
    recorded = {f.column for f in event_model(model)._meta.concrete_fields}
    internal = getattr(model, "audit_internal_fields", frozenset())
    return {
        field.column: field for field in model._meta.concrete_fields
        if field.column in recorded and not field.primary_key and not getattr(field, "auto_now", False)
        and field.name not in internal
    }


def describe(events: Iterable, fields: dict[type, set[str]] | None = None) -> list[dict]:
    """Display rows of events (pghistory ``Events``), with a constant number of queries: one per model
    referenced by a foreign key or tracked, whatever the number of events.

    Each row: time, user, user_id, model (verbose name), record (label), record_url, action, reason, url,
    changes (a list of {field, old, new}). ``fields``: {model: columns} to restrict the changes shown.
    """
    plans = []
    wanted: dict[tuple[type, str], set] = defaultdict(set)  # (related model, target field) -> values
    records: dict[type, set] = defaultdict(set)
    unnamed_users: set = set()
    for event in events:
        model = apps.get_model(event.pgh_obj_model)
        recorded = _recorded_fields(model)
        context = event.pgh_context or {}
        if event.pgh_label == "update" and event.pgh_diff is not None:
            pairs = [(column, old, new) for column, (old, new) in event.pgh_diff.items()]
        else:  # insert, delete, or the first update of a row created before it was tracked
            data = {column: value for column, value in (event.pgh_data or {}).items() if value not in (None, "")}
            if event.pgh_label == "delete":
                pairs = [(column, value, None) for column, value in data.items()]
            else:
                pairs = [(column, None, value) for column, value in data.items()]
        order = list(recorded)
        changes = []
        for column, old, new in sorted(pairs, key=lambda p: order.index(p[0]) if p[0] in recorded else 0):
            field = recorded.get(column)
            if field is None or (fields is not None and column not in fields.get(model, ())):
                continue
            changes.append((field, old, new))
            if field.is_relation:
                wanted[(field.related_model, field.target_field.name)].update(v for v in (old, new) if v is not None)
        if event.pgh_obj_id is not None:
            records[model].add(model._meta.pk.to_python(event.pgh_obj_id))
        if context.get("user") is not None and not context.get("user_name"):
            unnamed_users.add(context["user"])
        plans.append((event, model, context, changes))

    related = {(related_model, target): related_model._default_manager.in_bulk(values, field_name=target)
               for (related_model, target), values in wanted.items()}
    live = {model: model._default_manager.in_bulk(pks) for model, pks in records.items()}
    user_names = {}
    if unnamed_users:
        from django.contrib.auth import get_user_model

        user_names = {pk: str(u) for pk, u in get_user_model()._default_manager.in_bulk(unnamed_users).items()}

    rows = []
    for event, model, context, changes in plans:
        shown = [{"field": str(field.verbose_name), "name": field.name,
                  "old": display_value(field, old, related), "new": display_value(field, new, related)}
                 for field, old, new in changes]
        obj_pk = model._meta.pk.to_python(event.pgh_obj_id) if event.pgh_obj_id is not None else None
        obj = live[model].get(obj_pk) if obj_pk is not None else None
        user_id = context.get("user")
        rows.append({
            "id": event.pgh_slug,
            "time": event.pgh_created_at,
            "user_id": user_id,
            "user": context.get("user_name") or user_names.get(user_id) or (f"#{user_id}" if user_id else ""),
            "model": str(model._meta.verbose_name),
            "record": str(obj) if obj is not None else f"#{obj_pk}",
            "record_url": obj.get_absolute_url() if obj is not None and hasattr(obj, "get_absolute_url") else "",
            "action": _action(event, model, changes, related),
            "reason": context.get("reason", ""),
            "url": context.get("url", ""),
            "changes": shown,
        })
    return rows


# model -> its workflow's status field (``qms.workflow.register`` declares it): a change of it reads as a state change
_status_fields: dict[type, str] = {}


def register_status_field(model: type, name: str) -> None:
    _status_fields[model] = name


def _action(event, model, changes, related) -> str:
    """新建 / 修改 / 删除, or the state change ("待批准 → 实施中") when the record's workflow status moved."""
    if event.pgh_label == "update":
        status_field = _status_fields.get(model)
        for field, old, new in changes:
            if field.name == status_field and old is not None:
                return f"{display_value(field, old, related)} → {display_value(field, new, related)}"
    return str(ACTIONS.get(event.pgh_label, event.pgh_label))


def display_value(field: models.Field, raw, related: dict | None = None) -> str:
    """A recorded value as a reader sees it: choice labels, the related record's name, local times."""
    if raw is None or raw == "":
        return ""
    if field.is_relation:
        obj = (related or {}).get((field.related_model, field.target_field.name), {}).get(
            field.target_field.to_python(raw))
        return str(obj) if obj is not None else f"#{raw}"
    try:
        value = field.to_python(raw)
    except ValidationError:
        return str(raw)
    if field.flatchoices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, dt.datetime):
        return date_format(timezone.localtime(value) if timezone.is_aware(value) else value, "Y-m-d H:i")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def flatten(rows: list[dict]) -> list[dict]:
    """One row per changed field (time, user, action, field, old, new, reason …); ``first`` marks the first
    row of each event. An event without a shown change keeps one row with an empty field."""
    result = []
    for row in rows:
        base = {key: value for key, value in row.items() if key != "changes"}
        for index, change in enumerate(row["changes"] or [{"field": "", "name": "", "old": "", "new": ""}]):
            result.append({**base, **change, "first": index == 0, "span": max(len(row["changes"]), 1)})
    return result


def history_for(obj) -> list[dict]:
    """The history of one record, newest first: one row per changed field with time, user (display name),
    action (新建/修改/删除 or the state change), field (label), old, new (choice labels shown) and reason."""
    model = type(obj)._meta.concrete_model
    if not is_tracked(model):
        return []
    from pghistory.models import Events

    events = Events.objects.across(event_model(model)).tracks(obj).order_by("-pgh_id")
    return flatten(describe(events))


def render_history(request, obj) -> str:
    """The history tab of a record's detail page."""
    return render_to_string("qms/includes/history.html", {"history": history_for(obj), "object": obj}, request)
