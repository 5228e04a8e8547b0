"""Key-accounts benchmark at 100,000 customers (a script, not a test).

    DJANGO_SETTINGS_MODULE=qms.test_settings .venv/bin/python benchmarks/bench_customers.py [--scale 1.0] [--runs 5]

It creates its own throwaway database (named by QMS_TEST_DB, default ``bench_qms_customers``) on the PostgreSQL
that the test settings find, loads the demo organisation and, with ``manage.py generate_customers``,
100,000 customers, 300,000 contacts, 1,000,000 follow-ups and 200,000 business records (times ``--scale``)
owned by 20 extra salespeople and the demo ones, then drops the database at the end. It prints:

- the load: rows/s of each table (the command's own report) and the total time;
- pages, as the sales manager (张销售: the sales department's customers and the pool) and as the GM (all):
  the median server time over ``--runs`` requests (Django test Client, so no network) and the number of
  queries of the customer list in each scope tab (全部 / 我的客户 / 今日创建 / 本周新建 / 本月新建 / 最近更新,
  the ``?scope=`` keys of the list view), a quick search (``?q=bjxx``), the detail page of the customer with
  the most follow-ups, the analysis page and the printed archive;
- the import of a 10,000-row customer workbook with its contacts (``bench_import.py``): the raw openpyxl read,
  upload + validation + preview, the commit, end-to-end rows/s and the ratio to the raw read, the revert;
- the export of every customer (``?export=xlsx&scope=all`` as the GM): rows/s, the peak of Python memory
  (tracemalloc, measured in a second run because tracing slows Python down) and the process's peak RSS.
"""
import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.test_settings")
os.environ.setdefault("QMS_TEST_DB", "bench_qms_customers")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import resolve, reverse  # noqa: E402

from customers.models import Customer  # noqa: E402
from qms.demo import create_demo_people  # noqa: E402
from qms.people import visible_to  # noqa: E402

FULL = {"customers": 100_000, "contacts": 300_000, "follow_ups": 1_000_000, "business_records": 200_000}
DEFAULT_SCOPES = ["all", "mine", "today", "week", "month", "recent"]


def load(scale: float, owners: int, no_audit: bool) -> None:
    sizes = {key: max(1, int(value * scale)) for key, value in FULL.items()}
    print(f"load: generate_customers {sizes} --owners {owners}{' --no-audit' if no_audit else ''}")
    start = time.perf_counter()
    call_command("generate_customers", owners=owners, no_audit=no_audit, stdout=sys.stdout, **sizes)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    print(f"  total load incl. ANALYZE: {time.perf_counter() - start:.1f} s\n")


def scope_keys() -> list[str]:
    try:
        view_class = resolve(reverse("customers:list")).func.view_class
        keys = list(getattr(view_class, "scopes", {}) or {})
    except Exception:  # noqa: BLE001 - the list page may not exist yet
        keys = []
    if not keys:
        print(f"(the list view declares no scopes: using {DEFAULT_SCOPES})")
    return keys or DEFAULT_SCOPES


def measure(client: Client, url: str, runs: int) -> tuple[float, int, int, tuple[float, str]]:
    """(median seconds, queries, status, (seconds, SQL) of the slowest query) of GET ``url``; the first request
    warms caches and is not timed."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    count = len(queries)  # now: the next request empties the log the capture reads from
    slowest = max(((float(q["time"]), q["sql"]) for q in queries.captured_queries), default=(0.0, ""))
    status = response.status_code
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        times.append(time.perf_counter() - start)
    return statistics.median(times), count, status, slowest


def bench_pages(people, runs: int) -> None:
    scopes = scope_keys()
    busiest = (visible_to(people["sales"], Customer.objects.all()).annotate(n=Count("follow_ups"))
               .order_by("-n").values_list("pk", "n").first())
    pages = [(f"list ?scope={key}", f"{reverse('customers:list')}?scope={key}") for key in scopes]
    pages.append(("list ?q=bjxx (search)", f"{reverse('customers:list')}?q=bjxx"))
    if busiest:
        pages.append((f"detail (customer with {busiest[1]} follow-ups)", reverse("customers:detail", args=[busiest[0]])))
        pages.append(("archive PDF (same customer)", reverse("customers:archive_pdf", args=[busiest[0]])))
    pages.append(("analysis (this month)", reverse("customers:analysis")))
    pages.append(("analysis (12 months)", reverse("customers:analysis") + "?period=12m"))
    for role, label in (("sales", "sales manager 张销售"), ("gm", "GM 王总")):
        client = Client()
        client.force_login(people[role])
        print(f"pages as {label} (median of {runs}):")
        for name, url in pages:
            median, queries, status, (slow, sql) = measure(client, url, runs if "PDF" not in name else max(1, runs // 2))
            print(f"  {name:<42} {median * 1000:8.1f} ms  {queries:3d} queries  HTTP {status}"
                  f"  slowest query {slow * 1000:6.1f} ms: {' '.join(sql.split())[:90]}")
        print()


# --- import -------------------------------------------------------------------------------------------------
def bench_import(people, rows: int) -> None:
    """The customer import of ``bench_import.py`` (raw read, upload -> validation -> preview -> commit, revert),
    as the GM, into the customers loaded here."""
    from bench_import import bench_customer_import

    bench_customer_import(people["gm"], rows)
    print()


# --- export -------------------------------------------------------------------------------------------------
def bench_export(gm) -> None:
    client = Client()
    client.force_login(gm)
    url = reverse("customers:list") + "?export=xlsx&scope=all"
    total = visible_to(gm, Customer.objects.all()).count()

    def run() -> tuple[float, int, int]:
        start = time.perf_counter()
        response = client.get(url)
        size = sum(len(chunk) for chunk in response.streaming_content) if response.streaming else len(response.content)
        return time.perf_counter() - start, size, response.status_code

    elapsed, size, status = run()
    tracemalloc.start()
    run()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"export of {total:,} customers (list ?export=xlsx&scope=all as the GM, HTTP {status}, "
          f"{size / 1024 / 1024:.1f} MiB .xlsx)")
    print(f"  time: {elapsed:.2f} s  ({total / elapsed:,.0f} rows/s)")
    print(f"  peak Python memory (tracemalloc): {peak / 1024 / 1024:.1f} MiB;  process peak RSS: {rss:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 100,000 customers, 1,000,000 follow-ups")
    parser.add_argument("--owners", type=int, default=20, help="extra salespeople created by the load")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--no-audit", action="store_true", help="load without audit events (faster load)")
    args = parser.parse_args()
    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with tempfile.TemporaryDirectory() as media:
            settings.MEDIA_ROOT = media  # the uploaded workbook is stored with its batch
            people = create_demo_people()
            load(args.scale, args.owners, args.no_audit)
            bench_pages(people, args.runs)
            bench_import(people, args.import_rows)
            bench_export(people["gm"])
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
