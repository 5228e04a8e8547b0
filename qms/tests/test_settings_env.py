"""Settings come from the environment; production settings pass Django's deployment check."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(env_extra)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "qms.settings",
    "SECRET_KEY": "x9!k2#production-secret-key-that-is-long-and-random-enough-3f8a7c",
    "ALLOWED_HOSTS": "qms.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DEBUG": "false",
}


def test_deployment_check_is_clean_with_production_variables():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_extra=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deployment_check_fails_with_development_defaults():
    env = dict(PRODUCTION_ENV)
    env.pop("SECRET_KEY")
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_extra=env)
    assert result.returncode != 0
    # the fallback key itself is named as insecure, not only the HTTPS settings it leaves off
    assert "security.W009" in result.stdout + result.stderr


def test_portal_defaults_are_chinese_and_shanghai():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


def test_database_is_postgresql_with_persistent_connections_in_production():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    result = run_manage("shell", "-c", "from django.conf import settings as s; print(s.DATABASES['default']['CONN_MAX_AGE'])",
                        env_extra=PRODUCTION_ENV)
    assert result.stdout.strip().splitlines()[-1] == "600", result.stderr


@pytest.mark.parametrize("value,expected", [("smtp.example.com", "django.core.mail.backends.smtp.EmailBackend"),
                                            ("", "django.core.mail.backends.console.EmailBackend")])
def test_email_backend_follows_email_host(value, expected):
    env = dict(PRODUCTION_ENV, EMAIL_HOST=value)
    result = run_manage("shell", "-c", "from django.conf import settings as s; print(s.EMAIL_BACKEND)", env_extra=env)
    assert result.stdout.strip().splitlines()[-1] == expected, result.stderr


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}}
    env.update(extra)
    return env


def test_without_database_url_the_portal_refuses_to_start_and_says_why():
    env = clean_env(**{k: v for k, v in PRODUCTION_ENV.items() if k != "DATABASE_URL"})
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr and "bin/run" in result.stderr


def test_the_settings_start_no_server_even_in_development(tmp_path):
    # a data folder of its own: had the settings started the embedded PostgreSQL, its files would be there
    env = clean_env(DEBUG="true", DJANGO_SETTINGS_MODULE="qms.settings", QMS_DATA_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "DATABASE_URL is not set" in result.stderr
    assert not (tmp_path / "pg").exists()
