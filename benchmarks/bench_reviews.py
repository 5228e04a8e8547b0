"""Management review benchmark: the input pack (every registered procedure's figures and charts) for a year of
100,000 complaints and 100,000 customers (a script, not a test).

    .venv/bin/python benchmarks/bench_reviews.py [--complaints 100000] [--customers 100000] [--runs 3]

It creates its own throwaway database (named by QMS_TEST_DB, default ``bench_reviews``) on the PostgreSQL that the
test settings find, loads the demo organisation and, with ``manage.py generate_complaints``, the complaints
received over one year (with their clocks) and the customers; regrades 5 % of the customers (audited, for the ABC
shift); then builds the pack for that year ``--runs`` times and prints, per input, the median time, the number
of queries and the slowest query, and the whole pack's median (figures only, and with every chart drawn as SVG).
It drops the database at the end.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.test_settings")
os.environ.setdefault("QMS_TEST_DB", "bench_reviews")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from complaints.models import Complaint  # noqa: E402
from customers.models import Customer  # noqa: E402
from qms import review_inputs  # noqa: E402
from qms.demo import create_demo_people  # noqa: E402


def load(complaints: int, customers: int) -> None:
    start = time.perf_counter()
    call_command("generate_complaints", complaints=complaints, customers=customers, years=1.0, seed=2026,
                 stdout=sys.stdout)
    with connection.cursor() as cursor:
        # 5 % of the customers regraded (the audit trigger records each change)
        cursor.execute("UPDATE customers_customer SET grade = CASE grade WHEN 'A' THEN 'B' WHEN 'B' THEN 'A' "
                       "ELSE 'B' END WHERE mod(id, 20) = 0")
        cursor.execute("ANALYZE")
    print(f"  load incl. ANALYZE: {time.perf_counter() - start:.1f} s")


def timed(function, runs: int):
    times, queries, slowest = [], 0, (0.0, "")
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            function()
            times.append(time.perf_counter() - began)
        queries = len(captured.captured_queries)
        for query in captured.captured_queries:
            if float(query["time"]) > slowest[0]:
                slowest = (float(query["time"]), query["sql"][:90])
    return statistics.median(times), queries, slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_test_environment()
    settings.DEBUG = True  # the queries are captured
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        create_demo_people()
        load(args.complaints, args.customers)
        end = timezone.localdate()
        start = end.replace(year=end.year - 1)
        print(f"\n{Complaint.objects.count():,} complaints, {Customer.all_objects.count():,} customers; "
              f"pack for {start} – {end}, median of {args.runs}:")
        for entry in review_inputs.entries():
            median, queries, (slow, sql) = timed(lambda: review_inputs.collect(start, end, keys={entry.key}),
                                                 args.runs)
            print(f"  {entry.key:<18} {median * 1000:8.1f} ms {queries:3d} queries  slowest {slow * 1000:.0f} ms "
                  f"{sql}")
        median, queries, _slow = timed(lambda: review_inputs.collect(start, end), args.runs)
        print(f"  {'whole pack':<18} {median * 1000:8.1f} ms {queries:3d} queries")

        def drawn():
            for section in review_inputs.collect(start, end):
                for chart in section.charts:
                    review_inputs.render_svg(chart)

        median, queries, _slow = timed(drawn, args.runs)
        print(f"  {'with SVG charts':<18} {median * 1000:8.1f} ms {queries:3d} queries")
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
