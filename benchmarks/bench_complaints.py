"""Complaints benchmark: the complaint list and the dashboard at 1,000 and at 100,000 complaints (a script,
not a test).

    .venv/bin/python benchmarks/bench_complaints.py [--small 1000] [--large 100000] [--runs 5] [--no-audit]

It creates its own throwaway database (named by QMS_TEST_DB, default ``bench_complaints``) on the PostgreSQL
that the test settings find, loads the demo organisation and, with ``manage.py generate_complaints``,
``--small`` complaints (5,000 customers, clocks for every open complaint and half of the closed ones); it
measures the pages, adds complaints up to ``--large`` and measures them again; then drops the database.

For each page, as three users (the GM, who sees everything; 赵客服 of customer service; 杨生产, the
production manager, who sees the complaints handed over to production): the median server time over
``--runs`` requests (Django test Client, no network; the first request warms caches and is not timed), the
number of queries and the slowest query. The last table puts the two sizes side by side: the query count
must not change with the number of complaints.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.test_settings")
os.environ.setdefault("QMS_TEST_DB", "bench_complaints")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from complaints.models import Complaint  # noqa: E402
from qms.deadlines import Deadline  # noqa: E402
from qms.demo import create_demo_people  # noqa: E402
from qms.people import visible_to  # noqa: E402

USERS = [("gm", "GM 王总"), ("service", "客服 赵客服"), ("production", "生产部经理 杨生产")]
CUSTOMERS = 5_000


def pages() -> list[tuple[str, str]]:
    result = []
    try:
        result.append(("list (default: 处理中)", reverse("complaints:list")))
        result.append(("list ?scope=all", reverse("complaints:list") + "?scope=all"))
        result.append(("list ?scope=all&overdue=true", reverse("complaints:list") + "?scope=all&overdue=true"))
        result.append(("list ?scope=all&q=输液器", reverse("complaints:list") + "?scope=all&q=输液器"))
        result.append(("list ?scope=all&q=TS-2026-0042", reverse("complaints:list") + "?scope=all&q=TS-2026-0042"))
        result.append(("list ?scope=all&sort=-received_at&page=5",
                       reverse("complaints:list") + "?scope=all&sort=-received_at&page=5"))
    except NoReverseMatch:
        print("(no complaints:list page yet: measuring the dashboard only)")
    result.append(("dashboard (this month)", reverse("complaints:dashboard")))
    result.append(("dashboard (3 months)", reverse("complaints:dashboard") + "?period=3m"))
    result.append(("dashboard (12 months)", reverse("complaints:dashboard") + "?period=12m"))
    return result


def load(count: int, seed: int, no_audit: bool, force: bool) -> None:
    start = time.perf_counter()
    call_command("generate_complaints", complaints=count, customers=CUSTOMERS, seed=seed, no_audit=no_audit,
                 force=force, stdout=sys.stdout)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    print(f"  load of {count:,} complaints incl. ANALYZE: {time.perf_counter() - start:.1f} s")


def _statement(sql: str) -> str:
    """The query itself, without the audit context's ``SELECT set_config(…);`` prepended to it."""
    if sql.startswith("SELECT set_config(") and "; " in sql:
        return sql.split("; ", 1)[1]
    return sql


def measure(client: Client, url: str, runs: int) -> tuple[float, int, int, tuple[float, str]]:
    """(median seconds, queries, status, (seconds, SQL) of the slowest query) of GET ``url``."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries)
    slowest = max(((float(q["time"]), _statement(q["sql"])) for q in queries.captured_queries), default=(0.0, ""))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
    return statistics.median(times), count, response.status_code, slowest


def bench(people, runs: int, label: str) -> dict:
    total = Complaint.objects.count()
    clocks = Deadline.objects.filter(content_type__model="complaint").count()
    print(f"\n{label}: {total:,} complaints, {clocks:,} clock deadlines")
    results = {}
    for role, name in USERS:
        client = Client()
        client.force_login(people[role])
        seen = visible_to(people[role], Complaint.objects.all()).count()
        print(f"  as {name} (sees {seen:,}), median of {runs}:")
        for page, url in pages():
            median, queries, status, (slow, sql) = measure(client, url, runs)
            results[(role, page)] = (median, queries, status)
            print(f"    {page:<42} {median * 1000:8.1f} ms {queries:3d} queries HTTP {status}"
                  f"  slowest {slow * 1000:6.1f} ms: {' '.join(sql.split())[:80]}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-audit", action="store_true", help="load without audit events (faster load)")
    args = parser.parse_args()
    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        people = create_demo_people()
        load(args.small, 2026, args.no_audit, force=False)
        small = bench(people, args.runs, f"{args.small:,} complaints")
        load(args.large - args.small, 2027, args.no_audit, force=True)
        large = bench(people, args.runs, f"{args.large:,} complaints")
        print(f"\n{'page':<42} {'user':<12} {args.small:>9,} rows        {args.large:>9,} rows")
        for (role, page), (median, queries, _status) in small.items():
            big_median, big_queries, _big_status = large[(role, page)]
            flag = "" if big_queries == queries else "  <-- query count changed"
            print(f"{page:<42} {role:<12} {median * 1000:7.1f} ms {queries:3d} q   "
                  f"{big_median * 1000:7.1f} ms {big_queries:3d} q{flag}")
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
