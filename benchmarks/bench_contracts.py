"""Contracts at 50,000 contracts with 200,000 lines (issue 17; a script, not a test).

    .venv/bin/python benchmarks/bench_contracts.py [--scale 1.0] [--rounds 3] [--duration 10] [--connections 2]
                                                   [--counts-seconds 30] [--keep-db]

Needs ``wrk``. It runs like ``bench_lists.py`` (whose gunicorn and wrk helpers it uses): ``benchmarks.settings``
(LIST_PAGE_SIZE=50, DEBUG off, persistent connections, list counts kept ``--counts-seconds``), ``benchmarks.urls``
with the bare pages of ``benchmarks/bare.py``.

1. Its own throwaway database (QMS_TEST_DB, default ``bench_qms_contracts``): the demo organisation, 10,000
   customers (``generate_customers``, 20 extra salespeople, no contacts, follow-ups or business records) and 50,000
   contracts with 200,000 lines (``generate_contracts``), all times ``--scale``, without audit rows; ANALYZE. The
   load times are printed.
2. The contract list (URL name ``customers:contract_list``): in-process, each page's query count cold (the first
   request, which counts the list) and warm, and whether the bare page shows the same rows in the same order; then
   ONE interleaved wrk run (portal, bare, portal, bare … ``--rounds`` rounds of ``--duration`` seconds) of: the list
   page 1 and page 200 as the GM, page 1 as the sales manager, a broad search (``?q=框架合同``, a sixth of the
   titles) and a narrow one (a register number's fragment) as the GM, each against its bare page (the list view's
   queryset, the same search over title, number and customer name, 50 rows in a plain table). The queries of a
   page must be the same at page 1 and page 200 and for every user: the report shows them side by side.
   Without the contract list (a branch before it is merged) this part says so and is skipped.
3. In-process, always: the customer's 合同 tab (customer detail ``?tab=contracts``) of the customer with the most
   contracts and of one with a single contract, as the GM: median server time of 20 requests and the query count
   (the same for both); the analysis page (客户分析, 近 12 个月) as the GM: median and query count.
It stops gunicorn and drops the database at the end (``--keep-db`` keeps it and reuses it on the next run).
BENCH_SHOW_QUERIES=1 prints the queries of each in-process page.
"""
import argparse
import io
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
os.environ.setdefault("QMS_TEST_DB", "bench_qms_contracts")


def _early_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--counts-seconds", type=int, default=30,
                        help="LIST_COUNTS_SECONDS of the portal (production: 30; 0 counts on every request)")
    parser.add_argument("--keep-db", action="store_true",
                        help="keep the database at the end and reuse it (no load) when it is there")
    return parser.parse_args()


ARGS = _early_args() if __name__ == "__main__" else None
if ARGS is not None:
    os.environ["QMS_BENCH_LIST_COUNTS_SECONDS"] = str(ARGS.counts_seconds)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from benchmarks.bench_lists import Gunicorn, interleaved, report  # noqa: E402
from qms.demo import create_demo_people  # noqa: E402
from qms.people import visible_to  # noqa: E402

FULL = {"customers": 10_000, "contracts": 50_000, "lines": 200_000}
LINK = r'href=(?:"|&quot;)/customers/contracts/(\d+)/'


def _timed(label, fn):
    start = time.perf_counter()
    result = fn()
    print(f"  {label}: {time.perf_counter() - start:.1f} s")
    return result


def load(scale: float) -> dict:
    sizes = {key: max(100, int(value * scale)) for key, value in FULL.items()}
    sizes["lines"] = max(sizes["lines"], sizes["contracts"])
    print(f"load {sizes}:")
    _timed("customers", lambda: call_command(
        "generate_customers", customers=sizes["customers"], contacts=0, follow_ups=0, business_records=0,
        owners=20, no_audit=True, stdout=io.StringIO()))
    out = io.StringIO()
    _timed("contracts and lines", lambda: call_command(
        "generate_contracts", contracts=sizes["contracts"], lines=sizes["lines"], no_audit=True, stdout=out))
    print(f"    {out.getvalue().strip()}")
    with connection.cursor() as cursor:
        _timed("ANALYZE", lambda: cursor.execute("ANALYZE"))
    return sizes


def list_url() -> str | None:
    try:
        return reverse("customers:contract_list")
    except NoReverseMatch:
        return None


def pages(people, url: str) -> list[dict]:
    from customers.contracts.models import Contract

    def last_page(user):
        return max(1, min(200, -(-visible_to(user, Contract.objects.all()).count() // settings.LIST_PAGE_SIZE)))

    gm_last = last_page(people["gm"])
    fragment = (Contract.objects.exclude(number="").order_by("pk").values_list("number", flat=True).first()
                or "HT-")[:-2]  # e.g. HT-2025-G0000: a hundred numbers
    bare = "/bench/bare/contracts/"
    return [
        {"name": "contract list p1, GM", "user": "gm", "portal": url, "bare": bare},
        {"name": f"contract list p{gm_last}, GM", "user": "gm", "portal": f"{url}?page={gm_last}",
         "bare": f"{bare}?page={gm_last}"},
        {"name": "contract list p1, sales manager", "user": "sales", "portal": url, "bare": bare},
        # percent-encoded: wrk sends the URL as given
        {"name": "search 框架合同, GM", "user": "gm", "portal": f"{url}?{urlencode({'q': '框架合同'})}",
         "bare": f"{bare}?{urlencode({'q': '框架合同'})}"},
        {"name": f"search {fragment}, GM", "user": "gm", "portal": f"{url}?{urlencode({'q': fragment})}",
         "bare": f"{bare}?{urlencode({'q': fragment})}"},
    ]


def _ids(html: str) -> list[str]:
    import re

    return list(dict.fromkeys(re.findall(LINK, html)))


def check_pages(clients, page_list) -> None:
    for page in page_list:
        client = clients[page["user"]]
        counts = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(page["portal"])
            assert response.status_code == 200, (page["portal"], response.status_code)
            counts.append(len(queries))
        portal_html = response.content.decode()
        client.get(page["bare"])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page["bare"])
        assert response.status_code == 200, (page["bare"], response.status_code)
        page["queries"] = tuple(counts)
        page["bare_queries"] = len(queries)
        portal_ids, bare_ids = _ids(portal_html), _ids(response.content.decode())
        same = portal_ids == bare_ids and len(portal_ids) > 0
        print(f"  {page['name']:<42} portal {counts[0]}/{counts[1]} queries (cold/warm), bare {len(queries)}, "
              f"{len(portal_ids)} rows, same rows in the same order: {'yes' if same else 'NO'}")
        if not same:
            print(f"    portal {portal_ids[:8]}…\n    bare   {bare_ids[:8]}…")
    warm = {page["queries"][1] for page in page_list}
    print(f"  queries of the list pages (warm): {sorted(warm)} — {'constant' if len(warm) == 1 else 'NOT constant'}")


def _median_ms(client, url: str, runs: int = 20) -> tuple[float, int]:
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    client.get(url)
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if os.environ.get("BENCH_SHOW_QUERIES"):
        print(url, len(response.content), *[q[:150] for q in queries], sep="\n    ")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, len(queries)


def in_process(client) -> None:
    from customers.contracts.models import Contract
    from customers.models import Customer

    per_customer = Contract.objects.values("customer").annotate(n=Count("id")).order_by("-n", "customer")
    biggest = per_customer.first()
    smallest = per_customer.order_by("n", "customer").first()
    print("\nin-process (Django test client, median of 20):")
    for label, row in (("most contracts", biggest), ("fewest contracts", smallest)):
        customer = Customer.objects.get(pk=row["customer"])
        ms, queries = _median_ms(client, customer.get_absolute_url() + "?tab=contracts")
        print(f"  合同 tab of the customer with the {label} ({row['n']}), GM: {ms:.1f} ms, {queries} queries")
    ms, queries = _median_ms(client, reverse("customers:analysis") + "?period=12m")
    print(f"  analysis page (近 12 个月), GM: {ms:.1f} ms, {queries} queries")


def main(args) -> None:
    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keep_db)
    started = time.perf_counter()
    try:
        from customers.contracts.models import Contract, ContractLine

        people = create_demo_people()
        if not (args.keep_db and Contract.objects.exists()):
            load(args.scale)
        print(f"{Contract.objects.count():,} contracts, "
              f"{ContractLine.objects.count():,} lines, load and setup "
              f"{time.perf_counter() - started:.0f} s")
        clients, cookies = {}, {}
        for role in ("gm", "sales"):
            clients[role] = Client()
            clients[role].force_login(people[role])
            cookies[role] = clients[role].cookies[settings.SESSION_COOKIE_NAME].value
        url = list_url()
        if url is None:
            print("\nthe contract list (customers:contract_list) is not on this branch: list and search skipped")
        elif shutil.which("wrk") is None:
            print("\nwrk is missing (apt-get install wrk): list and search skipped")
        else:
            page_list = pages(people, url)
            print("\nin-process checks:")
            check_pages(clients, page_list)
            with Gunicorn(database) as server:
                interleaved(server, cookies, page_list, args.rounds, args.duration, args.connections)
            report(page_list, args.duration, args.rounds, args.connections)
        in_process(clients["gm"])
    finally:
        connection.close()
        if not args.keep_db:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main(ARGS)
