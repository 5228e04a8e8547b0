"""Fixtures shared by every app's tests: demo organisation, users by role, logged-in clients, and the
``--clock-shift-days`` option that runs the suite with the clock moved ahead (``bin/test`` runs the suite a
second time a year ahead, so a test that only passes in the year it was written fails today, not next January).
"""
import datetime as dt
import os

import pytest
import time_machine

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make beside it are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_addoption(parser):
    parser.addoption(
        "--clock-shift-days", type=int, default=int(os.environ.get("QMS_TEST_CLOCK_SHIFT_DAYS") or 0),
        help="run every test with the clock moved this many days ahead of today (the clock keeps ticking; "
             "tests that freeze their own time are unaffected)")


def pytest_report_header(config):
    days = config.getoption("--clock-shift-days")
    if days:
        moved = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)
        return f"clock moved {days} days ahead: tests run as on {moved:%Y-%m-%d %H:%M} UTC"
    return None


@pytest.fixture(scope="session", autouse=True)
def shifted_clock(request):
    """With ``--clock-shift-days N`` the whole session runs N days ahead (time_machine, ticking)."""
    days = request.config.getoption("--clock-shift-days")
    if not days:
        yield None
        return
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days), tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def portal_language():
    """Each test starts in the portal's language: a request as an English user activates English for the thread,
    and nothing would switch it back for the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def people(db):
    """The demo organisation: {role code: user}, e.g. people["gm"], people["sales"], people["sales2"]."""
    from qms.demo import create_demo_people

    return create_demo_people()


@pytest.fixture
def login(client):
    """``login(user)`` returns the test client signed in as ``user``."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


from qms.tests.browser import browser_page  # noqa: E402,F401  (fixture for @pytest.mark.browser tests)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end the sessions that live-server and worker threads left open
    (else PostgreSQL refuses the DROP and the next run finds a stale database)."""
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture(scope="session", autouse=True)
def _flush_empties_the_append_only_tables():
    """The flush after each transactional test (live-server and worker tests) is one ``TRUNCATE`` of every table,
    which the append-only tables refuse (``audit.RefuseTruncate``). The test run alone lets that statement through,
    by naming those triggers in pgtrigger's ``ignore`` for the flush and nothing else: every other TRUNCATE in the
    tests, like any in production, is refused."""
    import pgtrigger
    from django.db.backends.postgresql.operations import DatabaseOperations

    from qms import audit

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        uris = [f"{model._meta.label}:{audit.RefuseTruncate.name}" for model in audit.append_only_models()]
        assert uris, "pgtrigger.ignore() without a name would switch off every trigger"
        with pgtrigger.ignore(*uris, databases=[self.connection.alias]):
            original(self, sql_list)

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original
