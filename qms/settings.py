"""QMS Portal settings, read from environment variables with safe defaults.

Every variable is documented in README.md (section "Production"). DATABASE_URL is required: ``bin/run``,
``bin/test`` and ``manage.py`` with DEBUG on set it to an embedded PostgreSQL they start; the settings start
nothing.
"""
import os
import re
from pathlib import Path

import pghistory
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from qms import embedded

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# the fallback starts with "django-insecure-", so that `check --deploy` flags it (security.W009) wherever it is left
SECRET_KEY = env("SECRET_KEY") or "django-insecure-" + "qms-portal-local-secret-key-change-me-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rules.apps.AutodiscoverRulesConfig",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_tables2",
    "pgtrigger",
    "pghistory",
    "django_celery_beat",
    "qms.apps.LoginProtectionConfig",  # django-axes
    "csp",
    "qms.apps.QmsConfig",
    "customers",
    "complaints",
    "renovation",
    "reviews",
    "changes",
    "production",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qms.middleware.PortalLanguageMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "qms.audit.HistoryMiddleware",  # pghistory's, keeping the user's name too
    "axes.middleware.AxesMiddleware",
    "qms.submissions.SubmissionTokenMiddleware",  # last: it runs the view of a tokened POST itself, once
]

# The audit trail (qms.audit): an event row copies its record's columns. A copied foreign key is a value, not a link
# (pghistory makes it without a constraint), and no event is looked up by one: events are found by their record
# (the index on pgh_obj, pgh_id) and by time. Without this, each event table had an index per foreign key of its
# record (a customer's event, fourteen), which every audited insert, update and delete had to maintain too.
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)

ROOT_URLCONF = "qms.urls"
WSGI_APPLICATION = "qms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qms.context_processors.portal",
            ],
            # {% submission_token %} beside {% csrf_token %} in every create form, without a {% load %}
            "builtins": ["qms.templatetags.qms_tags"],
        },
    },
]

# --- Database: PostgreSQL is the one engine everywhere --------------------------------------------
# The settings never start a server: bin/run, bin/test and manage.py (with DEBUG on) start the embedded
# PostgreSQL and pass its URL; a host that forgets DATABASE_URL refuses to start instead of running on a local
# database of its own.
if not env("DATABASE_URL"):
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. In production set it to the portal's PostgreSQL "
        "(postgres://user:password@host:port/name, see README.md, Production); in development start the portal "
        "with bin/run, or run manage.py with DEBUG=true, which start an embedded PostgreSQL and set it.")
import dj_database_url  # noqa: E402

DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"))}
# Persistent connections: a bare page's throughput tripled with them.
DATABASES["default"]["CONN_MAX_AGE"] = int(env("CONN_MAX_AGE", "600"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "qms.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "qms.auth_backends.PortalPermissionBackend",
    "qms.auth_backends.PortalModelBackend",  # Django's ModelBackend, the user read with his department
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: 5 failures lock the username from that address for 30 minutes.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True

# --- Language and time ------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
CSRF_FAILURE_VIEW = "qms.views.portal.csrf_failure"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Uploaded files live outside the static root and are only served through permission-checked views.
MEDIA_ROOT = Path(env("MEDIA_ROOT", BASE_DIR / "data" / "media"))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
ATTACHMENT_MAX_BYTES = int(env("ATTACHMENT_MAX_MB", "20")) * 1024 * 1024
# Static files are served by WhiteNoise under gunicorn (intranet, no CDN); in development from the finders.
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Redis, Celery --------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", f"redis://127.0.0.1:{embedded.EMBEDDED_REDIS_PORT}/0")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A broker that is down must not hold up a page: give up publishing quickly (the beat tick catches up).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "socket_connect_timeout": 1, "socket_timeout": 2}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

# Sessions and cache stay in PostgreSQL / process memory so that pages load with Redis stopped.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# One cache for every worker: Redis (its own database, CACHE_URL, by default database 1 of REDIS_URL's server), so that
# what one worker caches and drops is seen by the others; a Redis that does not answer is a miss (qms.cache).
CACHE_URL = env("CACHE_URL", re.sub(r"/\d*$", "", REDIS_URL) + "/1")
CACHES = {"default": {"BACKEND": "qms.cache.PortalRedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "qms",
                      "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
# How long a list's counts (its total and the figures by grade, status, …) are kept per user and filter; a save
# or deletion of a record of the list's model drops them at once. 0: count on every request.
LIST_COUNTS_SECONDS = int(env("QMS_LIST_COUNTS_SECONDS", "30"))
# how long a list's rendered filter panel is kept (qms.filters.cached_html; dropped at once when its choices change)
FILTER_PANEL_SECONDS = int(env("QMS_FILTER_PANEL_SECONDS", "600"))
# how long a user's hidden columns and scenes of a list (qms.lists.user_choices) and his unread-notification count
# (qms.notifications.unread_count) are kept; both are dropped at once when they change. 0: read on every request.
LIST_CHOICES_SECONDS = int(env("QMS_LIST_CHOICES_SECONDS", "600"))
UNREAD_COUNT_SECONDS = int(env("QMS_UNREAD_COUNT_SECONDS", "60"))

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if env("EMAIL_HOST") else "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(BASE_DIR / "data" / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "qms-portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PORTAL_BASE_URL = env("PORTAL_BASE_URL", "http://127.0.0.1:8000")

# --- Forms, tables --------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "includes/table.html"
LIST_PAGE_SIZE = int(env("LIST_PAGE_SIZE", "25"))

# --- Countersign (qms.countersign): working days each department has to give its opinion --------
QMS_COUNTERSIGN_WORKING_DAYS = int(env("QMS_COUNTERSIGN_WORKING_DAYS", "1"))

# --- Production: a stop longer than this many days asks for a setup verification before restarting (seed 003 §5.2.7 c)
QMS_SETUP_RESTART_DAYS = int(env("QMS_SETUP_RESTART_DAYS", "30"))

# --- Change control (changes/): the risk matrix, severity × likelihood on 1–5 each ----------------
# a score up to LOW_MAX is 低, up to ACCEPTABLE_MAX 中 (acceptable with its control), above it 高 (not acceptable)
CHANGES_RISK_LOW_MAX = int(env("CHANGES_RISK_LOW_MAX", "4"))
CHANGES_RISK_ACCEPTABLE_MAX = int(env("CHANGES_RISK_ACCEPTABLE_MAX", "8"))
# The yearly management review: its month and day (the plan is drafted from the month before)
QMS_REVIEW_MONTH = int(env("QMS_REVIEW_MONTH", "12"))
QMS_REVIEW_DAY = int(env("QMS_REVIEW_DAY", "15"))

# --- Security -------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and env_bool("QMS_HTTPS", True) and env("SECRET_KEY"):
    # Production (a real SECRET_KEY given): HTTPS only.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", True) else None
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        # Inline style attributes are allowed for the admin's widgets; scripts stay strictly same-origin.
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "font-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

# --- Procedure settings (defaults; administrators may override through the environment) ------------
QMS_SITE_NAME = env("QMS_SITE_NAME", "QMS Portal")  # the portal's navigation only; documents print the company profile
# The company profile's logo and seal images (qms/company.py): upload limit.
QMS_COMPANY_IMAGE_MAX_BYTES = int(env("QMS_COMPANY_IMAGE_MAX_KB", "1024")) * 1024
QMS_SURVEY_MONTH = int(env("QMS_SURVEY_MONTH", "10"))  # the yearly satisfaction survey's month (§2: October)
# Working-day calendar (qms/workdays.py): office hours of a working day and the lunch break ("" = none).
QMS_OFFICE_HOURS_START = env("QMS_OFFICE_HOURS_START", "08:30")
QMS_OFFICE_HOURS_END = env("QMS_OFFICE_HOURS_END", "17:30")
QMS_LUNCH_BREAK = tuple(part.strip() for part in env("QMS_LUNCH_BREAK", "12:00-13:00").split("-") if part.strip())
# Excel import: files above this many data rows are validated and imported by a Celery worker; the upload
# limit; the zip-bomb limits checked before openpyxl opens a file (sum of uncompressed sizes, entries).
QMS_IMPORT_ASYNC_ROWS = int(env("QMS_IMPORT_ASYNC_ROWS", "2000"))
QMS_IMPORT_MAX_BYTES = int(env("QMS_IMPORT_MAX_MB", "10")) * 1024 * 1024
QMS_IMPORT_MAX_UNCOMPRESSED_BYTES = int(env("QMS_IMPORT_MAX_UNCOMPRESSED_MB", "200")) * 1024 * 1024
QMS_IMPORT_MAX_ZIP_ENTRIES = int(env("QMS_IMPORT_MAX_ZIP_ENTRIES", "500"))
# A running batch nobody has worked on for this long (its task was lost, its worker died) is sent again by the
# beat tick (every 5 minutes); a worker reports about fifty times per file, so a live one is never this silent.
QMS_IMPORT_STALE_MINUTES = int(env("QMS_IMPORT_STALE_MINUTES", "5"))
