"""The suite's own clock: ``--clock-shift-days`` (bin/test's second pass) really moves the application's clock
and leaves the database's, so the pass a year ahead proves what it claims."""
import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_the_application_clock_runs_the_requested_days_ahead_of_the_database(request):
    days = request.config.getoption("--clock-shift-days")
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        database_now = cursor.fetchone()[0]
    ahead = timezone.now() - database_now
    assert abs(ahead - dt.timedelta(days=days)) < dt.timedelta(minutes=5)
