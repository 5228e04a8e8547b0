"""Production at 100,000 lots and 1,000,000 operation records (issue 18; a script, not a test).

    .venv/bin/python benchmarks/bench_production.py [--scale 1.0] [--runs 20] [--keep-db]

1. Its own throwaway database (QMS_TEST_DB, default ``bench_qms_production``): the demo organisation, one process
   card of 10 operations, 10,000 task orders, 100,000 lots (a tenth in process, the rest in stock), 1,000,000 lot
   operations (10 per lot), 100,000 material issues (the first operation of each lot; 2,000 heat numbers, each used
   by 50 lots), 50 customers with a registered contract each and 20,000 shipments of one line naming a lot in
   stock — all times ``--scale``, loaded with ``generate_series`` in SQL with the triggers off (no audit rows), then
   ANALYZE. The load times are printed.
2. In-process (Django test client, ``benchmarks.settings``: DEBUG off, 50 rows a page), as the quality manager:
   median server time of ``--runs`` requests and the query count of the lot list (路线跟踪卡, 在制, page 1 and page
   100), the trace page for a heat number (50 lots, their shipments and customers), for a lot number and for an
   unknown batch — each against its bare page (``benchmarks/bare.py``: the same rows or the same trace in a plain
   table, no base template). The trace's queries must not depend on how much it finds: the report says whether
   they are the same for the three batches.
It drops the database at the end (``--keep-db`` keeps it and reuses it on the next run).
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
os.environ.setdefault("QMS_TEST_DB", "bench_qms_production")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from qms.demo import create_demo_people  # noqa: E402

FULL = {"orders": 10_000, "lots": 100_000, "operations_per_lot": 10, "heats": 2_000, "customers": 50,
        "shipments": 20_000}


def _timed(label, fn):
    start = time.perf_counter()
    result = fn()
    print(f"  {label}: {time.perf_counter() - start:.1f} s")
    return result


def load(scale: float, people) -> dict:
    from customers.tests.factories import make_customer
    from customers.tests.fulfilment_factories import make_contract
    from production.models import ProcessCard, ProcessStep

    sizes = {key: max(10, int(value * scale)) if key != "operations_per_lot" else value
             for key, value in FULL.items()}
    sizes["lots"] = max(sizes["lots"], sizes["orders"])
    print(f"load {sizes}:")
    card = ProcessCard.objects.create(code="GY-BENCH", product="一次性使用输液器", specification="1.5m")
    for n in range(1, sizes["operations_per_lot"] + 1):
        ProcessStep.objects.create(card=card, sequence=n * 10, name=f"工序{n}", work_centre="一车间",
                                   first_piece=n == 1, final=n == sizes["operations_per_lot"])
    contracts = _timed("customers and contracts (ORM)", lambda: [
        make_contract(people["sales"], customer=make_customer(people["sales"], name=f"基准客户{n:03d}"),
                      lines=(("一次性使用输液器", "1.5m", 10_000_000),)) for n in range(sizes["customers"])])
    contract_ids = [c.pk for c in contracts]
    line_ids = [c.lines.get().pk for c in contracts]
    per_order = sizes["lots"] // sizes["orders"]
    params = {"orders": sizes["orders"], "lots": sizes["lots"], "ops": sizes["operations_per_lot"],
              "per_order": per_order, "heats": sizes["heats"], "shipments": sizes["shipments"],
              "card": card.pk, "by": people["pmc"].pk, "customers": sizes["customers"]}
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no audit triggers while loading
        _timed("task orders", lambda: cursor.execute("""
            INSERT INTO production_taskorder (number, status, status_changed_at, product, specification, quantity,
                due_date, note, created_at, created_by_id, process_card_id)
            SELECT 'SC-B-' || lpad(g::text, 6, '0'), 'in_production', now(), '一次性使用输液器', '1.5m', 1000,
                   current_date + 30, '', now() - (g || ' minutes')::interval, %(by)s, %(card)s
            FROM generate_series(1, %(orders)s) g""", params))
        _timed("lots", lambda: cursor.execute("""
            INSERT INTO production_lot (number, quantity, status, status_changed_at, created_at, task_order_id)
            SELECT t.number || '-' || lpad(n::text, 2, '0'), 100,
                   CASE WHEN (t.id + n) %% 10 = 0 THEN 'in_process' ELSE 'in_stock' END, now(),
                   t.created_at + (n || ' seconds')::interval, t.id
            FROM production_taskorder t CROSS JOIN generate_series(1, %(per_order)s) n""", params))
        _timed("operations", lambda: cursor.execute("""
            INSERT INTO production_lotoperation (sequence, name, work_centre, first_piece, patrol, final, self_check,
                mutual_check, dedicated_check, inspection_status, concession_by, concession_reason, lot_id)
            SELECT s * 10, '工序' || s, '一车间', s = 1, false, s = %(ops)s, 'pass', 'pass', 'pass',
                   CASE WHEN l.status = 'in_stock' OR s < 5 THEN 'conforming' ELSE 'pending' END, '', '', l.id
            FROM production_lot l CROSS JOIN generate_series(1, %(ops)s) s""", params))
        _timed("current operation of lots in process", lambda: cursor.execute("""
            UPDATE production_lot l SET current_id = o.id FROM production_lotoperation o
            WHERE l.status = 'in_process' AND o.lot_id = l.id AND o.sequence = 50"""))
        _timed("material issues", lambda: cursor.execute("""
            INSERT INTO production_materialissue (material, batch_number, quantity, unit, issued_at, issued_by_id,
                operation_id, supplier)
            SELECT '不锈钢管 304', 'H-' || lpad((o.lot_id %% %(heats)s)::text, 5, '0'), 12.5, 'kg', now(), %(by)s,
                   o.id, '宝钢特钢有限公司'
            FROM production_lotoperation o WHERE o.sequence = 10""", params))
        _timed("shipments and lines", lambda: (cursor.execute("""
            CREATE TEMP TABLE bench_contracts AS
            SELECT ordinality AS n, contract_id, line_id
            FROM unnest(%s::bigint[], %s::bigint[]) WITH ORDINALITY AS u(contract_id, line_id)""",
            [contract_ids, line_ids]), cursor.execute("""
            INSERT INTO customers_shipment (number, planned_on, carrier, waybill, delivery_address, is_export, note,
                status, status_changed_at, created_at, shipped_at, confirmation_channel, confirmation_contact,
                confirmation_note, updated_at, contract_id, created_by_id, customer_id)
            SELECT 'FH-B-' || lpad(g::text, 6, '0'), current_date, '', '', '', false, '', 'shipped', now(), now(),
                   now(), '', '', '', now(), c.id, %(by)s, c.customer_id
            FROM generate_series(1, %(shipments)s) g
            JOIN bench_contracts b ON b.n = g %% %(customers)s + 1 JOIN customers_contract c ON c.id = b.contract_id""",
            params), cursor.execute("""
            INSERT INTO customers_shipmentline (quantity, batch_number, contract_line_id, shipment_id)
            SELECT 10, l.number, b.line_id, s.id
            FROM customers_shipment s
            JOIN bench_contracts b ON b.contract_id = s.contract_id
            JOIN LATERAL (SELECT number FROM production_lot
                          WHERE status = 'in_stock' AND id = (s.id * 37) %% %(lots)s + 1) l ON true
            WHERE s.number LIKE 'FH-B-%%'""", params)))
        cursor.execute("SET session_replication_role = DEFAULT")
        _timed("ANALYZE", lambda: cursor.execute("ANALYZE"))
    return sizes


def measure(client, url: str, runs: int) -> tuple[float, int]:
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    client.get(url)
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if os.environ.get("BENCH_SHOW_QUERIES"):
        print(url, *[q[:160] for q in queries], sep="\n    ")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, len(queries)


def main(args) -> None:
    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keep_db)
    del database
    started = time.perf_counter()
    try:
        from production.models import Lot, LotOperation, MaterialIssue
        from customers.contracts.fulfilment_models import ShipmentLine

        people = create_demo_people()
        if not (args.keep_db and Lot.objects.exists()):
            load(args.scale, people)
        print(f"{Lot.objects.count():,} lots, {LotOperation.objects.count():,} operations, "
              f"{MaterialIssue.objects.count():,} material issues, {ShipmentLine.objects.count():,} shipment lines; "
              f"load and setup {time.perf_counter() - started:.0f} s")
        client = Client()
        client.force_login(people["quality"])
        heat = MaterialIssue.objects.order_by("pk").values_list("batch_number", flat=True).first()
        shipped_lot = ShipmentLine.objects.order_by("pk").values_list("batch_number", flat=True).first()
        lots_url, trace_url = reverse("production:lot_list"), reverse("production:trace")
        pages = [
            ("lot list 在制 p1", lots_url, "/bench/bare/lots/"),
            ("lot list 在制 p100", f"{lots_url}?page=100", "/bench/bare/lots/?page=100"),
            (f"trace heat {heat}", f"{trace_url}?{urlencode({'batch': heat})}",
             f"/bench/bare/trace/?{urlencode({'batch': heat})}"),
            (f"trace lot {shipped_lot}", f"{trace_url}?{urlencode({'batch': shipped_lot})}",
             f"/bench/bare/trace/?{urlencode({'batch': shipped_lot})}"),
            ("trace unknown batch", f"{trace_url}?batch=NO-SUCH", "/bench/bare/trace/?batch=NO-SUCH"),
        ]
        from production.services.trace import trace

        found = trace(heat)
        print(f"heat {heat}: {len(found.lots)} lots, {len(found.shipment_lines)} shipment lines, "
              f"{len(found.customers)} customers")
        print(f"\nin-process, quality manager, median of {args.runs}:")
        trace_queries = set()
        for name, portal, bare in pages:
            portal_ms, portal_q = measure(client, portal, args.runs)
            bare_ms, bare_q = measure(client, bare, args.runs)
            if name.startswith("trace"):
                trace_queries.add(portal_q)
            print(f"  {name:<34} portal {portal_ms:7.1f} ms {portal_q:3d} queries | bare {bare_ms:7.1f} ms "
                  f"{bare_q:3d} queries")
        print(f"  trace page queries for the three batches: {sorted(trace_queries)} — "
              f"{'constant' if len(trace_queries) == 1 else 'NOT constant'}")
    finally:
        connection.close()
        if not args.keep_db:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep-db", action="store_true")
    main(parser.parse_args())
