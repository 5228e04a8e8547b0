"""Settings of bench_lists.py: the test settings with the production list page and server behaviour.

The benchmark runs gunicorn on its throwaway database (QMS_BENCH_DATABASE, set by the script) with these settings;
``benchmarks.urls`` adds the bare pages the portal's lists are measured against.
"""
import os
import re

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
LIST_CHOICES_SECONDS = 600
UNREAD_COUNT_SECONDS = 60
# The shared cache as in production, Redis (the test settings keep a per-process memory cache): database 13 of the
# test Redis, its keys prefixed per run (QMS_BENCH_CACHE_PREFIX, set by the script for its gunicorn workers too) so
# that nothing a previous run kept is read back.
CACHES = {"default": {  # noqa: F405
    "BACKEND": "qms.cache.PortalRedisCache", "LOCATION": re.sub(r"/\d*$", "", REDIS_URL) + "/13",  # noqa: F405
    "KEY_PREFIX": os.environ.setdefault("QMS_BENCH_CACHE_PREFIX", f"bench-{os.getpid()}"),
    "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
if os.environ.get("QMS_BENCH_DATABASE"):  # the gunicorn workers: the database the script created
    DATABASES["default"]["NAME"] = os.environ["QMS_BENCH_DATABASE"]  # noqa: F405
