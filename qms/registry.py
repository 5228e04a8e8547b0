"""What apps plug into the shared core, registered from each app's ``AppConfig.ready()``.

- work providers: each returns the signed-in user's open tasks for "我的待办" (my work);
- detail tabs: a tab an app adds to another app's record (e.g. complaints on a customer).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Callable

from django.utils import timezone


@dataclass
class WorkItem:
    """One open task of a user, as shown on "我的待办"."""

    title: str
    url: str
    category: str  # the procedure or record type, e.g. "纠正和预防措施"
    due: dt.datetime | None = None
    # e.g. "（暂定：2027 年节假日未确认）" when the due time was computed across an unconfirmed year
    due_note: str = ""
    detail: str = ""
    priority: bool = False  # e.g. a key-account complaint
    # a deadline's item: folded into the app's own item for the same record when there is one
    supporting: bool = False
    # someone else's overdue clock, escalated to this user (his people's work, not his own)
    escalated: bool = False

    @property
    def is_overdue(self) -> bool:
        return self.due is not None and self.due < timezone.now()

    def sort_key(self):
        far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
        return (not self.is_overdue, not self.priority, self.due or far, self.title)


@dataclass
class DetailTab:
    slug: str
    label: str
    model: type
    render: Callable  # (request, obj) -> str (HTML)
    order: int = 50


@dataclass
class MenuEntry:
    """A navigation entry of a procedure: ``children`` are (label, url name, permission) triples."""

    label: str
    icon: str
    children: list[tuple[str, str, str | None]]
    order: int = 50




@dataclass(frozen=True)
class ReviewFigure:
    """One figure of a procedure for the management review's input pack, e.g. ("投诉数量", 12, "其中大客户 3")."""

    label: str
    value: object
    note: str = ""


@dataclass(frozen=True)
class ReviewInput:
    """A procedure's part of the management review's input pack: ``figures(start, end)`` for the period under
    review (dates, both included) gives a ``qms.review_inputs.ReviewSection`` (figures and charts) or a list of
    ``ReviewFigure``."""

    key: str
    label: str
    figures: Callable
    order: int = 50


@dataclass
class _Registry:
    review_inputs: dict = field(default_factory=dict)
    work_providers: list[Callable] = field(default_factory=list)
    detail_tabs: list[DetailTab] = field(default_factory=list)
    menu: list[MenuEntry] = field(default_factory=list)
    demo_seeders: list[Callable] = field(default_factory=list)


registry = _Registry()


def register_work_provider(provider: Callable) -> Callable:
    """``provider(user) -> iterable[WorkItem]``; usable as a decorator."""
    if provider not in registry.work_providers:
        registry.work_providers.append(provider)
    return provider


# 我的待办 shows each provider's most urgent items, at most this many: a providers reads at most one more (its
# query's LIMIT), so that the page knows there are more and says so, and the home page stays a few milliseconds
# for someone responsible for thousands of open records (the lists show them all).
WORK_ITEMS_PER_PROVIDER = 30


def most_urgent(ways, order: tuple[str, ...]):
    """The ids of the ``WORK_ITEMS_PER_PROVIDER + 1`` first records (by ``order``) of each queryset in ``ways`` (the
    ways a record can be the user's: responsible, escalated to, …), as a UNION for ``pk__in=``: each way is read from
    its own index in that order, where an OR of them makes PostgreSQL read and sort every open record of the user;
    and the records are read in the same query as their ids."""
    limit = WORK_ITEMS_PER_PROVIDER + 1
    first, *others = [way.order_by(*order).values_list("pk", flat=True)[:limit] for way in ways]
    return first.union(*others) if others else first


def work_of(provider, user) -> tuple[list[WorkItem], bool]:
    """``(items, more)``: the provider's first ``WORK_ITEMS_PER_PROVIDER`` items and whether it had more."""
    items = list(provider(user))
    return items[:WORK_ITEMS_PER_PROVIDER], len(items) > WORK_ITEMS_PER_PROVIDER


def my_work(user, *, more: list | None = None) -> list[WorkItem]:
    """Every open task of ``user`` from every app: overdue first, then priority, then by due time. A deadline's
    item (``supporting``) that leads to the same record as an app's own item is folded into it: one line, with the
    earlier due time and the deadline's title in its detail. ``more`` collects the categories of the providers
    that had more items than shown."""
    items: list[WorkItem] = []
    for provider in registry.work_providers:
        shown, had_more = work_of(provider, user)
        items.extend(shown)
        if had_more and more is not None and shown:
            more.append(shown[0].category)
    own: dict[str, WorkItem] = {}
    for item in items:
        if not item.supporting and item.url not in ("", "/"):
            own.setdefault(item.url, item)
    merged: list[WorkItem] = []
    for item in items:
        target = own.get(item.url) if item.supporting else None
        if target is None:
            merged.append(item)
            continue
        if item.due is not None and (target.due is None or item.due < target.due):
            target.due, target.due_note = item.due, item.due_note
        elif item.due is not None and item.due == target.due and item.due_note:
            target.due_note = item.due_note
        label = f"{item.title}{item.due_note}"
        if label not in target.detail:
            target.detail = "；".join(part for part in (target.detail, label) if part)
    return sorted(merged, key=WorkItem.sort_key)


def _one_line_per_record(items: list[WorkItem]) -> list[WorkItem]:
    """Items that lead to the same record become one line: the earliest due time, the other titles in the
    detail."""
    lines: dict[str, WorkItem] = {}
    result: list[WorkItem] = []
    for item in items:
        line = lines.get(item.url) if item.url not in ("", "/") else None
        if line is None:
            line = replace(item)
            result.append(line)
            if item.url not in ("", "/"):
                lines[item.url] = line
            continue
        if item.due is not None and (line.due is None or item.due < line.due):
            line.due, line.due_note = item.due, item.due_note
        line.priority = line.priority or item.priority
        if str(item.title) != str(line.title) and str(item.title) not in line.detail:
            line.detail = "；".join(part for part in (line.detail, str(item.title)) if part)
    return sorted(result, key=WorkItem.sort_key)


def my_work_sections(user) -> tuple[list[WorkItem], list[WorkItem], list[str]]:
    """我的待办 as the page shows it: the user's own work first, then the escalated clocks of his people in a
    section of their own — each one line per record (a record with both stays in his own work); and the
    categories of which only the most urgent ``WORK_ITEMS_PER_PROVIDER`` are shown."""
    more: list[str] = []
    items = my_work(user, more=more)
    own = _one_line_per_record([item for item in items if not item.escalated])
    own_urls = {item.url for item in own}
    escalations = _one_line_per_record([item for item in items if item.escalated and item.url not in own_urls])
    return own, escalations, list(dict.fromkeys(str(category) for category in more))


def register_detail_tab(tab: DetailTab) -> None:
    registry.detail_tabs.append(tab)


def tabs_for(model: type) -> list[DetailTab]:
    return sorted((t for t in registry.detail_tabs if issubclass(model, t.model)), key=lambda t: t.order)


def register_menu(entry: MenuEntry) -> None:
    """Add a navigation entry; an entry with the label of an existing one adds its links to that one (so the
    parts of an app each register their own pages under one heading)."""
    for existing in registry.menu:
        if str(existing.label) == str(entry.label):
            existing.children.extend(child for child in entry.children if child not in existing.children)
            return
    registry.menu.append(MenuEntry(label=entry.label, icon=entry.icon, children=list(entry.children),
                                   order=entry.order))


_menu_urls: dict[tuple, str] = {}


def menu_for(user) -> list[dict]:
    """The navigation a user sees: only entries whose permission they hold (each permission asked once; each link's
    URL reversed once per URL name and script prefix: the menu is drawn on every page)."""
    from django.urls import get_script_prefix, get_urlconf, reverse

    from qms.auth_backends import has_perm

    place = (get_urlconf(), get_script_prefix())
    allowed: dict[str, bool] = {}
    result = []
    for entry in sorted(registry.menu, key=lambda e: e.order):
        links = []
        for label, url_name, perm in entry.children:
            if perm is not None:
                if perm not in allowed:
                    allowed[perm] = has_perm(user, perm)
                if not allowed[perm]:
                    continue
            url = _menu_urls.get((*place, url_name))
            if url is None:
                url = _menu_urls[(*place, url_name)] = reverse(url_name)
            links.append({"label": label, "url": url})
        if links:
            result.append({"label": entry.label, "icon": entry.icon, "links": links})
    return result


def register_demo_seeder(seeder: Callable) -> Callable:
    """``seeder(users: dict[str, User], stdout)`` adds an app's sample records to the demo data."""
    if seeder not in registry.demo_seeders:
        registry.demo_seeders.append(seeder)
    return seeder


def register_review_input(key: str, label, figures: Callable, order: int = 50) -> ReviewInput:
    """Plug a procedure's figures into the management review's input pack (from its ``AppConfig.ready()``)."""
    entry = ReviewInput(key, label, figures, order)
    registry.review_inputs[key] = entry
    return entry


def review_inputs(start, end) -> list[tuple[ReviewInput, list[ReviewFigure]]]:
    """Every registered procedure's figures for the period ``start``–``end``, in their declared order (the
    figures only; ``qms.review_inputs.collect`` gives the charts too: a provider returns a ``ReviewSection`` or
    a list of figures)."""
    return [(entry, list(getattr(given, "figures", given)))
            for entry in sorted(registry.review_inputs.values(), key=lambda e: (e.order, e.key))
            for given in [entry.figures(start, end)]]


# --- goods handed over to nonconforming-product control ------------------------------------------------------
# A procedure that hands goods over to nonconforming-product control (a customer's return coming back) calls
# ``hand_over_nonconforming``; the procedure that runs that control (production's isolation area) receives it with
# ``register_nonconforming_intake`` — neither imports the other.
_nonconforming_intakes: list[Callable] = []


def register_nonconforming_intake(receiver: Callable) -> Callable:
    """``receiver(record, by, *, product, specification, batch, quantity, reason, reference, location) -> str``:
    take the goods in (inside the caller's transaction) and return the number of the record that now holds them."""
    if receiver not in _nonconforming_intakes:
        _nonconforming_intakes.append(receiver)
    return receiver


def hand_over_nonconforming(record, by, **details) -> list[str]:
    """Hand ``record``'s goods over to every registered intake; the numbers of the records that took them in."""
    return [number for receiver in _nonconforming_intakes if (number := receiver(record, by, **details))]
