"""The shared test kit (issue 15): the URL walk, a query counter and the workbook builder.

URL walk
    Each app's ``tests/test_urls.py`` declares, for every URL name of its namespace, how to reach it:

        WALK = UrlWalk("customers",
            pages=("list", "create"),                 # no record argument: anonymous GET → login
            actions=("claim",),                       # no record argument, POST only: anonymous POST → login
            records=[
                RecordUrls(make=lambda people: make_customer(people["sales"]),
                           insider="sales", outsider="sales2",
                           pages=("detail", "edit"),   # anonymous → login, outsider GET → 404, insider GET → 200
                           actions=("release",)),      # anonymous → login, outsider POST → 404 (GET 404 or
            ])                                         #   405), insider GET → 200, a redirect or 405 (nothing posted)

        @pytest.mark.parametrize("case", WALK.cases())
        def test_url(case, people, client):
            case.check(people, client)

        def test_every_url_is_declared():
            WALK.assert_complete()

    ``actions`` are the URLs of an action: POST only, or the action's own form page, which may send the insider
    back to the record with a message when the record's state does not allow the action now.
    ``make(people)`` builds the record through the app's test factories; ``kwargs(record)`` gives the URL's
    arguments (by default ``{"pk": record.pk}``; keys a pattern does not take are left out, so one declaration may
    serve ``detail`` and ``contact_edit``). ``insider`` / ``outsider`` are role codes of the ``people`` fixture or
    ``callable(people, record) -> user``. A URL answering something else than the rule while an app is being
    fixed is marked in ``xfail={"name": reason}`` (its outsider case, strict: it fails once the app is fixed).
    ``assert_complete`` fails for a URL name of the namespace that no declaration covers, and for a declared
    name that no longer exists.

Queries
    ``with count_queries() as few: …`` (``len(few)``, ``few.captured_queries``);
    ``with assert_queries_at_most(len(few)): …`` and ``assert_num_queries(n)`` fail listing every query.

Workbooks
    ``workbook(rows, headers=…, sheet=…)`` → the bytes of an .xlsx; with ``name=`` a ``SimpleUploadedFile``;
    ``post_import(client, key, content)`` uploads it to the core import page.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

FORBIDDEN_BEFORE_VISIBILITY = "issue 15: 403 before visibility"


# --- queries ----------------------------------------------------------------------------------------------
@contextmanager
def count_queries(using: str = "default"):
    """Capture the queries run inside the block: ``len(captured)``, ``captured.captured_queries``."""
    with CaptureQueriesContext(connections[using]) as captured:
        yield captured


def query_list(captured) -> str:
    return "\n".join(f"{number}. {query['sql']}" for number, query in enumerate(captured.captured_queries, 1))


@contextmanager
def assert_queries_at_most(limit: int, using: str = "default"):
    """Fail when the block runs more than ``limit`` queries; the message lists them."""
    with count_queries(using) as captured:
        yield captured
    if len(captured) > limit:
        pytest.fail(f"{len(captured)} queries, at most {limit} expected:\n{query_list(captured)}", pytrace=False)


@contextmanager
def assert_num_queries(expected: int, using: str = "default"):
    """Fail when the block does not run exactly ``expected`` queries; the message lists them."""
    with count_queries(using) as captured:
        yield captured
    if len(captured) != expected:
        pytest.fail(f"{len(captured)} queries, {expected} expected:\n{query_list(captured)}", pytrace=False)


# --- workbooks --------------------------------------------------------------------------------------------
def workbook(rows: Iterable[Sequence] = (), headers: Sequence | None = None, sheet: str | None = None, *,
             name: str | None = None, edit: Callable | None = None):
    """An .xlsx with ``headers`` (if any) on its first row and ``rows`` below (``[]`` is a blank row).
    ``edit(worksheet)`` may touch cells before saving. Returns the bytes, or with ``name`` an uploaded file."""
    book = openpyxl.Workbook()
    worksheet = book.active
    if sheet:
        worksheet.title = sheet
    if headers is not None:
        worksheet.append(list(headers))
    for values in rows:
        worksheet.append(list(values))
    if edit is not None:
        edit(worksheet)
    handle = io.BytesIO()
    book.save(handle)
    content = handle.getvalue()
    if name is None:
        return content
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def post_import(client, key: str, content: bytes, name: str = "导入.xlsx"):
    """Upload ``content`` to the import page of the import ``key`` (qms:import_start)."""
    return client.post(reverse("qms:import_start", args=[key]),
                       {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")})


# --- the URL walk -----------------------------------------------------------------------------------------
def by_pk(record) -> dict:
    return {"pk": record.pk}


@dataclass(frozen=True)
class RecordUrls:
    """The URLs that take one kind of record: how to make one, who may and who may not see it."""

    make: Callable[[dict], Any]
    insider: str | Callable = "gm"
    # None: everyone who may use the page sees every such record (the staff directory)
    outsider: str | Callable | None = "sales2"
    pages: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    kwargs: Callable[[Any], dict] = by_pk
    # what the outsider gets: 404 for a record (its existence is not revealed); 403 for a URL argument that
    # is no secret (an import's key)
    outsider_status: int = 404
    # what the insider's GET of a page answers: 200, or 302 for a page that only leads on (a notification's link)
    insider_status: int = 200
    xfail: Mapping[str, str] = field(default_factory=dict)

    def names(self) -> tuple[str, ...]:
        return (*self.pages, *self.actions)


@dataclass(frozen=True)
class UrlCase:
    namespace: str | None
    name: str
    who: str                  # "anonymous", "outsider" or "insider"
    post: bool                # a POST-only action
    declaration: RecordUrls | None = None

    @property
    def view_name(self) -> str:
        return f"{self.namespace}:{self.name}" if self.namespace else self.name

    def __str__(self):
        return f"{self.view_name}-{self.who}"

    def check(self, people: dict, client) -> None:
        declaration = self.declaration
        record = declaration.make(people) if declaration else None
        url = self.url(record)
        if self.who == "anonymous":
            client.logout()
            response = client.post(url) if self.post else client.get(url)
            login = resolve_url(settings.LOGIN_URL)
            assert response.status_code == 302 and response["Location"].startswith(login), self.explain(
                response, url, f"a redirect to {login}")
            return
        user = self.user(getattr(declaration, self.who), people, record)
        client.force_login(user)
        if self.who == "outsider":
            expected = declaration.outsider_status
            if self.post:
                response = client.post(url)
                assert response.status_code == expected, self.explain(response, url, expected, "POST", user)
                response = client.get(url)
                assert response.status_code in (expected, 405), self.explain(
                    response, url, f"{expected} or 405", "GET", user)
            else:
                response = client.get(url)
                assert response.status_code == expected, self.explain(response, url, expected, "GET", user)
            return
        response = client.get(url)
        if self.post:
            assert response.status_code in (200, 302, 405), self.explain(
                response, url, "200, a redirect or 405", "GET", user)
        else:
            expected = declaration.insider_status
            assert response.status_code == expected, self.explain(response, url, expected, "GET", user)

    def url(self, record) -> str:
        wanted = parameters(self.namespace).get(self.name, ())
        kwargs = self.declaration.kwargs(record) if self.declaration else {}
        return reverse(self.view_name, kwargs={key: value for key, value in kwargs.items() if key in wanted})

    @staticmethod
    def user(who, people, record):
        return who(people, record) if callable(who) else people[who]

    def explain(self, response, url, expected, method=None, user=None) -> str:
        method = method or ("POST" if self.post else "GET")
        as_whom = f"as {self.who} {getattr(user, 'username', '')}".rstrip()
        where = f" → {response['Location']}" if response.has_header("Location") else ""
        return f"{method} {url} {as_whom}: {response.status_code}{where}, expected {expected}"


@dataclass
class UrlWalk:
    """Every URL name of ``namespace`` (None: the root URLconf's own names) and how the walk reaches it."""

    namespace: str | None
    pages: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    records: Sequence[RecordUrls] = ()
    # names the walk leaves out, with why (a public page such as the login form)
    exempt: Mapping[str, str] = field(default_factory=dict)

    def declared(self) -> list[str]:
        names = [*self.pages, *self.actions, *self.exempt]
        for declaration in self.records:
            names += declaration.names()
        return names

    def cases(self) -> list:
        params = []
        for name in self.pages:
            params.append(self._param(UrlCase(self.namespace, name, "anonymous", post=False)))
        for name in self.actions:
            params.append(self._param(UrlCase(self.namespace, name, "anonymous", post=True)))
        for declaration in self.records:
            for name in declaration.names():
                post = name in declaration.actions
                for who in ("anonymous", "outsider", "insider"):
                    if who == "outsider" and declaration.outsider is None:
                        continue
                    case = UrlCase(self.namespace, name, who, post=post, declaration=declaration)
                    marks = ()
                    if who == "outsider" and name in declaration.xfail:
                        marks = pytest.mark.xfail(strict=True, reason=declaration.xfail[name])
                    params.append(self._param(case, marks))
        return params

    @staticmethod
    def _param(case, marks=()):
        return pytest.param(case, id=str(case), marks=marks)

    def assert_complete(self) -> None:
        existing = set(parameters(self.namespace))
        declared = self.declared()
        twice = sorted({name for name in declared if declared.count(name) > 1})
        undeclared = sorted(existing - set(declared))
        gone = sorted(set(declared) - existing)
        problems = []
        if undeclared:
            problems.append(f"URL names of {self.namespace!r} that the walk does not declare: {', '.join(undeclared)}")
        if gone:
            problems.append(f"declared names that {self.namespace!r} no longer has: {', '.join(gone)}")
        if twice:
            problems.append(f"names declared twice: {', '.join(twice)}")
        assert not problems, "\n".join(problems)


def parameters(namespace: str | None) -> dict[str, tuple[str, ...]]:
    """{URL name: the names of its arguments} for every named pattern of ``namespace`` (None: the root URLconf's
    own patterns, not those of an included namespace)."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(patterns, current, arguments):
        for pattern in patterns:
            names = (*arguments, *_arguments_of(pattern.pattern))
            if isinstance(pattern, URLResolver):
                if namespace is None and pattern.namespace:
                    continue
                walk(pattern.url_patterns, pattern.namespace or current, names)
            elif isinstance(pattern, URLPattern) and pattern.name and current == namespace:
                found[pattern.name] = names

    walk(get_resolver().url_patterns, None, ())
    return found


def _arguments_of(pattern) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters is not None:
        return tuple(converters)
    return tuple(pattern.regex.groupindex)
