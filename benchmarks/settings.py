"""Settings of bench_lists.py: the test settings with the production list page and server behaviour.

The benchmark runs gunicorn on its throwaway database (QMS_BENCH_DATABASE, set by the script) with these settings;
``benchmarks.urls`` adds the bare pages the portal's lists are measured against.
"""
import os

os.environ.setdefault("QMS_TEST_DB", "bench_qms_lists")

from qms.test_settings import *  # noqa: E402,F401,F403

DEBUG = False
LIST_PAGE_SIZE = 50
ROOT_URLCONF = "benchmarks.urls"
ALLOWED_HOSTS = ["*"]
# As served in production (bin/serve): connections kept between requests, list counts kept 30 s per user and filter
# (qms.settings' default; the test settings turn both off). QMS_BENCH_LIST_COUNTS_SECONDS=0: count on every request.
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
LIST_COUNTS_SECONDS = int(os.environ.get("QMS_BENCH_LIST_COUNTS_SECONDS", "30"))
FILTER_PANEL_SECONDS = 600  # as in production
if os.environ.get("QMS_BENCH_DATABASE"):  # the gunicorn workers: the database the script created
    DATABASES["default"]["NAME"] = os.environ["QMS_BENCH_DATABASE"]  # noqa: F405
