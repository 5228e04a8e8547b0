"""Fixtures shared by every app's tests: demo organisation, users by role, logged-in clients."""
import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make beside it are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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
