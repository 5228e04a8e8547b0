"""List pages against a bare page at 100,000 rows, served by gunicorn (issue 16; a script, not a test).

    .venv/bin/python benchmarks/bench_lists.py [--scale 1.0] [--rounds 3] [--duration 10] [--connections 2]
                                               [--counts-seconds 30] [--profile]

Needs ``wrk`` (Debian package wrk: ``apt-get install wrk``). It runs with ``benchmarks.settings`` (the test
settings with ``LIST_PAGE_SIZE=50``, DEBUG off, persistent connections and the list counts kept
``--counts-seconds`` as in production; ``ROOT_URLCONF=benchmarks.urls``, which adds the bare pages of
``benchmarks/bare.py`` to the portal's).

1. It creates its own throwaway database (named by QMS_TEST_DB, default ``bench_qms_lists``) on the PostgreSQL the
   test settings find, loads the demo organisation, 100,000 customers with ``manage.py generate_customers`` (20
   extra salespeople; no contacts, follow-ups or business records: the list does not show them), 100,000
   complaints with ``manage.py generate_complaints`` (with their clock deadlines), and — there is no generator for
   them — 10,000 renovation applications and 10,000 CAPAs, bulk copies of demo records (``renovation.demo.seed``,
   ``qms.capa.services.raise_capa``) spread over two years, each open copy with a copy of its template's open
   deadline row; all of it times ``--scale`` (no audit rows), then ANALYZE.
2. It starts the portal under gunicorn (2 sync workers, as bin/serve) on a spare port, signs the GM (王总), the
   sales manager (张销售) and the production manager (杨生产) in (sessions in the database, so the cookies serve
   both the test client and wrk), and checks in-process that each bare page shows the same rows in the same
   order as its portal page.
3. With wrk (``--connections`` connections, one thread), in ONE interleaved run — portal, bare, portal, bare … for
   every page, ``--rounds`` rounds of ``--duration`` seconds each — it measures requests/s and the mean latency of:
   the customer list page 1 and page 200 as the GM and as the sales manager, the complaint list (default tab 处理中)
   as the GM, the renovation application list (default tab 进行中) and the CAPA list (default tab 未关闭) as the
   GM; each against its bare page. It prints the median of the rounds: page, portal req/s and ms, bare req/s and
   ms, ratio of requests/s, and the portal page's query count (counted in-process with the test client, cold: the
   first request, which counts the list; warm: the next, with the counts cached).
4. In-process: the export of every customer (``?export=xlsx&scope=all`` as the GM) in rows/s against a raw
   openpyxl write-only workbook of the same values (fetched with ``values_list``; the issue's reference) and a raw
   XlsxWriter constant-memory workbook of them (the portal's own writer), the three interleaved ``--export-rounds``
   times (median of each); and the home page (我的待办) of the production manager, median server time of 20
   requests and its query count.
5. ``--profile``: a cProfile of the slowest portal page (lowest ratio) over 20 in-process requests.
It stops gunicorn and drops the database at the end.
"""
import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
os.environ.setdefault("QMS_TEST_DB", "bench_qms_lists")


def _early_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--counts-seconds", type=int, default=30,
                        help="LIST_COUNTS_SECONDS of the portal (production: 30; 0 counts on every request)")
    parser.add_argument("--export-rounds", type=int, default=3, help="interleaved rounds of the export's three writers")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep-db", action="store_true",
                        help="keep the database at the end and reuse it (no load) when it is there: for debugging")
    return parser.parse_args()


ARGS = _early_args() if __name__ == "__main__" else None
if ARGS is not None:
    os.environ["QMS_BENCH_LIST_COUNTS_SECONDS"] = str(ARGS.counts_seconds)

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
import xlsxwriter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from qms import embedded  # noqa: E402
from qms.demo import create_demo_people  # noqa: E402
from qms.people import visible_to  # noqa: E402

FULL = {"customers": 100_000, "complaints": 100_000, "applications": 10_000, "capas": 10_000}
# a record's link in a row: href="/complaints/12/" (or, as text, &lt;a href=&quot;/complaints/12/&quot;)
LINK = {kind: r'href=(?:"|&quot;)/' + path + r'/(\d+)/' for kind, path in
        {"customers": "customers", "complaints": "complaints", "renovation": "renovation", "capa": "qms/capa"}.items()}


# --- load ------------------------------------------------------------------------------------------------------
def _timed(label, fn):
    start = time.perf_counter()
    result = fn()
    print(f"  {label}: {time.perf_counter() - start:.1f} s")
    return result


def _copy_open_deadlines(template, copies) -> int:
    """Each copy gets a copy of the template's open deadline rows (what the list's due column reads)."""
    from qms.deadlines import Deadline, deadlines_for

    rows = list(deadlines_for(template).filter(state=Deadline.State.OPEN))
    new = []
    for row in rows:
        fields = {f.attname: getattr(row, f.attname) for f in Deadline._meta.concrete_fields if f.attname != "id"}
        for copy in copies:
            shift = _start_of(copy) - _start_of(template)  # the copy's deadline as far from its start
            new.append(Deadline(**{**fields, "object_id": copy.pk, "due_at": fields["due_at"] + shift,
                                   "opened_at": fields["opened_at"] + shift}))
    Deadline.objects.bulk_create(new, batch_size=5000)
    return len(new)


def _start_of(record):
    return record.submitted_at if hasattr(record, "submitted_at") else record.raised_at


def load_renovation(people, n: int) -> None:
    import datetime as dt

    from renovation.demo import seed
    from renovation.models import CLOSED_STATES, Application, Building, Project, Unit

    seed(people, io.StringIO())
    templates = list(Application.objects.order_by("pk"))
    building = Building.objects.create(project=Project.objects.create(name="海景苑"), name="A座")
    units = Unit.objects.bulk_create([Unit(building=building, number=f"{i:05d}", owner_name="业主")
                                      for i in range(n)], batch_size=5000)
    now = timezone.now()
    by_template = {t.pk: [] for t in templates}
    copies = []
    for i, unit in enumerate(units):
        template = templates[i % len(templates)]
        fields = {f.attname: getattr(template, f.attname) for f in Application._meta.concrete_fields
                  if f.attname not in ("id", "number", "unit_id")}
        fields["submitted_at"] = now - dt.timedelta(minutes=i * 105)  # two years for 10,000
        copy = Application(**fields, unit=unit, number=f"ZX-B-{i:06d}")
        copies.append(copy)
        by_template[template.pk].append(copy)
    Application.objects.bulk_create(copies, batch_size=5000)
    deadlines = sum(_copy_open_deadlines(t, [c for c in by_template[t.pk] if c.status not in CLOSED_STATES])
                    for t in templates)
    print(f"  {n:,} applications copied from {len(templates)} demo ones, {deadlines:,} open deadlines")


def load_capas(people, n: int) -> None:
    import datetime as dt

    from qms.capa import services
    from qms.capa.models import Capa, CapaSource

    templates = [services.raise_capa(source=source, title=title, nonconformity=title, responsible=people[who],
                                     raised_by=people["quality"])
                 for source, title, who in [(CapaSource.COMPLAINT, "注塑件毛刺超标", "production"),
                                            (CapaSource.AUDIT, "来料检验记录不完整", "purchasing"),
                                            (CapaSource.COMPLAINT, "交付延误导致客户投诉", "pmc"),
                                            (CapaSource.NONCONFORMING, "包装标签错贴", "production"),
                                            (CapaSource.OTHER, "培训记录缺失", "hr")]]
    now = timezone.now()
    by_template = {t.pk: [] for t in templates}
    copies = []
    for i in range(n):
        template = templates[i % len(templates)]
        fields = {f.attname: getattr(template, f.attname) for f in Capa._meta.concrete_fields
                  if f.attname not in ("id", "number")}
        fields["raised_at"] = now - dt.timedelta(minutes=i * 105)
        copy = Capa(**fields, number=f"CAPA-B-{i:06d}")
        copies.append(copy)
        by_template[template.pk].append(copy)
    Capa.objects.bulk_create(copies, batch_size=5000)
    deadlines = sum(_copy_open_deadlines(t, by_template[t.pk]) for t in templates)
    print(f"  {n:,} CAPAs copied from {len(templates)} raised ones, {deadlines:,} open deadlines")


def load(people, scale: float) -> dict:
    sizes = {key: max(200, int(value * scale)) for key, value in FULL.items()}
    print(f"load {sizes}:")
    _timed("customers", lambda: call_command(
        "generate_customers", customers=sizes["customers"], contacts=0, follow_ups=0, business_records=0,
        owners=20, no_audit=True, stdout=io.StringIO()))
    _timed("complaints", lambda: call_command(
        "generate_complaints", complaints=sizes["complaints"], customers=1, no_audit=True, stdout=io.StringIO()))
    _timed("renovation applications", lambda: load_renovation(people, sizes["applications"]))
    _timed("CAPAs", lambda: load_capas(people, sizes["capas"]))
    with connection.cursor() as cursor:
        _timed("ANALYZE", lambda: cursor.execute("ANALYZE"))  # what autovacuum does after a bulk load
    return sizes


# --- the pages -------------------------------------------------------------------------------------------------
def pages(people) -> list[dict]:
    from customers.models import Customer

    def last_page(user, model):
        return max(1, min(200, -(-visible_to(user, model.objects.all()).count() // settings.LIST_PAGE_SIZE)))

    gm_p200 = last_page(people["gm"], Customer)
    sales_p200 = last_page(people["sales"], Customer)
    customers, bare = reverse("customers:list"), "/bench/bare/customers/"
    return [
        {"name": "customer list p1, GM", "user": "gm", "portal": customers, "bare": bare, "kind": "customers"},
        {"name": f"customer list p{gm_p200}, GM", "user": "gm", "portal": f"{customers}?page={gm_p200}",
         "bare": f"{bare}?page={gm_p200}", "kind": "customers"},
        {"name": "customer list p1, sales manager", "user": "sales", "portal": customers, "bare": bare,
         "kind": "customers"},
        {"name": f"customer list p{sales_p200}, sales manager", "user": "sales",
         "portal": f"{customers}?page={sales_p200}", "bare": f"{bare}?page={sales_p200}", "kind": "customers"},
        {"name": "complaint list (处理中), GM", "user": "gm", "portal": reverse("complaints:list"),
         "bare": "/bench/bare/complaints/", "kind": "complaints"},
        {"name": "renovation applications (进行中), GM", "user": "gm", "portal": reverse("renovation:list"),
         "bare": "/bench/bare/renovation/", "kind": "renovation"},
        {"name": "CAPA list (未关闭), GM", "user": "gm", "portal": reverse("qms:capa_list"),
         "bare": "/bench/bare/capa/", "kind": "capa"},
    ]


def _ids(kind: str, html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(LINK[kind], html)))


def check_pages(clients, page_list) -> None:
    """Query counts of each portal page (cold and warm) and of its bare page; the bare page shows the same rows."""
    for page in page_list:
        client = clients[page["user"]]
        counts = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(page["portal"])
            assert response.status_code == 200, (page["portal"], response.status_code)
            counts.append(len(queries))
        portal_html = response.content.decode()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page["bare"])
        bare_html = response.content.decode()
        client.get(page["bare"])  # the worker's roles and policy are kept: count a later request
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page["bare"])
        assert response.status_code == 200, (page["bare"], response.status_code)
        page["queries"] = tuple(counts)
        page["bare_queries"] = len(queries)
        portal_ids, bare_ids = _ids(page["kind"], portal_html), _ids(page["kind"], bare_html)
        same = portal_ids == bare_ids and len(portal_ids) > 0
        if "&lt;a href=" in portal_html:
            print(f"  !! {page['portal']}: the portal page shows its links as escaped text (&lt;a href=…)")
        print(f"  {page['name']:<42} portal {counts[0]}/{counts[1]} queries (cold/warm), bare {len(queries)}, "
              f"{len(portal_ids)} rows, same rows in the same order: {'yes' if same else 'NO'}")
        if not same:
            print(f"    portal {portal_ids[:8]}…\n    bare   {bare_ids[:8]}…")


# --- gunicorn and wrk ------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, database: str, workers: int = 2):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings", "QMS_BENCH_DATABASE": database}
        self.workers = workers
        self.log = tempfile.NamedTemporaryFile(prefix="bench-lists-gunicorn-", suffix=".log", delete=False)

    def __enter__(self):
        self.process = subprocess.Popen(
            [str(BASE_DIR / ".venv" / "bin" / "gunicorn"), "qms.wsgi", "--worker-class", "sync",
             "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}", "--timeout", "120",
             "--graceful-timeout", "10", "--chdir", str(BASE_DIR)],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, cwd=BASE_DIR)
        deadline = time.monotonic() + 60
        while not embedded.port_answers("127.0.0.1", self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(Path(self.log.name).read_text())
            time.sleep(0.1)
        print(f"gunicorn: {self.workers} sync workers on {self.base} (log {self.log.name})")
        return self

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        self.log.close()


def wrk(url: str, cookie: str, duration: int, connections: int) -> tuple[float, float, str]:
    """(requests/s, mean latency in ms, warning) of ``duration`` seconds of wrk on ``url``."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s",
                          "-H", f"Cookie: sessionid={cookie}", url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", out).groups()
    latency = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    warning = ""
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        warning = f"{m.group(1)} non-2xx responses"
    if m := re.search(r"Socket errors:.*", out):
        warning += " " + m.group(0)
    return rate, latency, warning


def interleaved(server: Gunicorn, cookies, page_list, rounds: int, duration: int, connections: int) -> None:
    for page in page_list:  # warm both workers (imports, caches) before anything is timed
        for side in ("portal", "bare"):
            wrk(server.base + page[side], cookies[page["user"]], 2, connections)
    for page in page_list:
        page["runs"] = {"portal": [], "bare": []}
    for number in range(1, rounds + 1):
        print(f"round {number}/{rounds}:")
        for page in page_list:
            for side in ("portal", "bare"):
                rate, latency, warning = wrk(server.base + page[side], cookies[page["user"]], duration, connections)
                page["runs"][side].append((rate, latency))
                print(f"  {page['name']:<42} {side:<6} {rate:8.1f} req/s {latency:8.1f} ms  {warning}")


def report(page_list, duration: int, rounds: int, connections: int) -> None:
    print(f"\nmedian of {rounds} interleaved rounds of {duration} s (wrk, {connections} connections, gunicorn 2 sync "
          f"workers, LIST_PAGE_SIZE={settings.LIST_PAGE_SIZE}, list counts kept {settings.LIST_COUNTS_SECONDS} s):")
    print(f"| page | portal req/s | portal ms | bare req/s | bare ms | ratio | portal queries (cold/warm) |"
          f" bare queries |")
    print("|---|---|---|---|---|---|---|---|")
    for page in page_list:
        p_rate = statistics.median(r for r, _l in page["runs"]["portal"])
        p_ms = statistics.median(lat for _r, lat in page["runs"]["portal"])
        b_rate = statistics.median(r for r, _l in page["runs"]["bare"])
        b_ms = statistics.median(lat for _r, lat in page["runs"]["bare"])
        page["ratio"] = p_rate / b_rate if b_rate else 0.0
        cold, warm = page["queries"]
        print(f"| {page['name']} | {p_rate:.1f} | {p_ms:.1f} | {b_rate:.1f} | {b_ms:.1f} | {page['ratio']:.2f}× "
              f"| {cold}/{warm} | {page['bare_queries']} |")


# --- export and home page (in-process) -------------------------------------------------------------------------
def export(client: Client, gm, rounds: int) -> None:
    """The portal's export of every customer against the two raw writers of the same values, interleaved (portal,
    openpyxl, XlsxWriter, portal, …) ``rounds`` times: the median of each."""
    from customers.models import Customer

    total = visible_to(gm, Customer.objects.all()).count()

    def portal():
        response = client.get(reverse("customers:list") + "?export=xlsx&scope=all")
        size = sum(len(chunk) for chunk in response.streaming_content)
        assert response.status_code == 200
        return size

    def naive(value):
        return timezone.localtime(value).replace(tzinfo=None) if value is not None else None

    headers = ["客户名称", "客户行业", "评分", "省", "市", "地址", "负责人", "创建人", "创建时间", "客户等级", "客户状态"]
    rows = (visible_to(gm, Customer.objects.all()).order_by("-created_at", "-id")
            .values_list("name", "industry__label", "rating", "province__name", "city__name", "address",
                         "owner__full_name", "created_by__full_name", "created_at", "grade", "status__label"))

    def raw_openpyxl():
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("客户列表")
        sheet.append(headers)
        for row in rows.iterator(chunk_size=2000):
            row = list(row)
            row[8] = naive(row[8])
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.tell()

    def raw_xlsxwriter():
        handle = tempfile.TemporaryFile()
        book = xlsxwriter.Workbook(handle, {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False})
        sheet = book.add_worksheet("客户列表")
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet.write_row(0, 0, headers)
        for number, row in enumerate(rows.iterator(chunk_size=2000), start=1):
            sheet.write_row(number, 0, row[:8])
            if row[8] is not None:
                sheet.write_datetime(number, 8, naive(row[8]), when)
            sheet.write_row(number, 9, row[9:])
        book.close()
        return handle.tell()

    times: dict[str, list[float]] = {"portal": [], "openpyxl": [], "xlsxwriter": []}
    sizes = {}
    for _ in range(rounds):
        for name, write in (("portal", portal), ("openpyxl", raw_openpyxl), ("xlsxwriter", raw_xlsxwriter)):
            start = time.perf_counter()
            sizes[name] = write()
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"\nexport of {total:,} customers as the GM, median of {rounds} interleaved rounds: portal "
          f"{median['portal']:.1f} s ({total / median['portal']:,.0f} rows/s, {sizes['portal'] / 1e6:.1f} MB); "
          f"raw openpyxl write_only of the same values {median['openpyxl']:.1f} s "
          f"({total / median['openpyxl']:,.0f} rows/s, {sizes['openpyxl'] / 1e6:.1f} MB): "
          f"ratio {median['openpyxl'] / median['portal']:.2f}×; raw XlsxWriter constant_memory "
          f"{median['xlsxwriter']:.1f} s ({total / median['xlsxwriter']:,.0f} rows/s, "
          f"{sizes['xlsxwriter'] / 1e6:.1f} MB): ratio {median['xlsxwriter'] / median['portal']:.2f}×")
    print("  each round (portal / openpyxl / XlsxWriter, s): " + "; ".join(
        " / ".join(f"{times[name][i]:.1f}" for name in times) for i in range(rounds)))


def home(client: Client) -> None:
    url = reverse("home")
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    connection.close()  # a fresh connection, as a worker's first request after the wrk runs
    response = client.get(url)
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200
    times = []
    for _ in range(20):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
    print(f"home page (我的待办) of the production manager 杨生产: {statistics.median(times) * 1000:.1f} ms "
          f"(median of 20, in-process), {len(queries)} queries")


def profile(client: Client, page: dict) -> None:
    client.get(page["portal"])
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        client.get(page["portal"])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(45)
    print(f"\ncProfile of 20 requests of {page['name']} ({page['portal']}), in-process:")
    print(out.getvalue())


def main(args) -> None:  # noqa: C901
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keep_db)
    started = time.perf_counter()
    try:
        from customers.models import Customer

        reuse = args.keep_db and Customer.all_objects.exists()
        people = create_demo_people()
        if not reuse:
            load(people, args.scale)
        clients, cookies = {}, {}
        for role in ("gm", "sales", "production"):
            clients[role] = Client()
            clients[role].force_login(people[role])
            cookies[role] = clients[role].cookies[settings.SESSION_COOKIE_NAME].value
        page_list = pages(people)
        print("\nin-process checks:")
        check_pages(clients, page_list)
        with Gunicorn(database) as server:
            interleaved(server, cookies, page_list, args.rounds, args.duration, args.connections)
        report(page_list, args.duration, args.rounds, args.connections)
        home(clients["production"])  # before the export: its streamed response ends the connection
        export(clients["gm"], people["gm"], args.export_rounds)
        if args.profile:
            profile(clients[min(page_list, key=lambda p: p["ratio"])["user"]], min(page_list, key=lambda p: p["ratio"]))
    finally:
        connection.close()
        if not args.keep_db:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main(ARGS)
