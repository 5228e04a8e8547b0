"""Customer import benchmark: a 10,000-row workbook (with contacts) into 100,000 customers (a script, not a test).

    DJANGO_SETTINGS_MODULE=qms.test_settings .venv/bin/python benchmarks/bench_import.py [--scale 1.0] [--rows 10000]

It creates its own throwaway database (named by QMS_TEST_DB, default ``bench_qms_import``) on the PostgreSQL that
the test settings find, loads the demo organisation and, with ``manage.py generate_customers``, 100,000 customers
with one contact each (times ``--scale``; no follow-ups), then imports a workbook of ``--rows`` new customers,
each with its primary contact, as the GM, end to end: upload (file checks, header, row count), validation of
every row and the preview page, then the all-or-nothing commit (``QMS_IMPORT_ASYNC_ROWS`` is raised so that the
work runs here rather than in a worker's queue), and finally the revert. A warm-up import of 50 rows, reverted,
comes first (``warm_up``), untimed. It prints the raw openpyxl read of the same file (read-only, values, the best
of three), each step's time, the end-to-end rows/s (upload to commit) and its ratio to the raw read. The goal of
issue 16: at least 1,000 rows/s end to end, within 4× of the raw read.

``--keep`` keeps the loaded database as a template (``<name>_loaded``) and later runs copy it instead of loading
again (``--reload`` to load afresh); the database of each run is dropped at the end.
"""
import argparse
import gc
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.test_settings")
os.environ.setdefault("QMS_TEST_DB", "bench_qms_import")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from customers.models import Contact, Customer  # noqa: E402
from qms.demo import create_demo_people  # noqa: E402

FULL_CUSTOMERS = 100_000
CHOICE_TARGETS = {"industry", "source", "nature", "revenue_band", "employees_band", "status", "grade", "rating"}


# --- the workbook -------------------------------------------------------------------------------------------
def _cell(column, field, index: int, name: str, rng: random.Random, options: dict):
    from qms.excel.imports import is_choice

    target = column.field
    if target == "name":
        return name
    if is_choice(field):
        choices = options[target]
        wanted = field.required or target in CHOICE_TARGETS
        return choices[index % len(choices)][0] if choices and wanted else None
    lowered = target.lower()
    if "mobile" in lowered:
        return f"138{index:08d}"
    if "email" in lowered:
        return f"import{index}@example.com"
    if "postcode" in lowered:
        return f"{100000 + index % 800000}"
    if "qq" in lowered:
        return str(10000 + index)
    if "phone" in lowered:
        return f"010-{6000000 + index}"
    if "address" in lowered:
        return f"人民路 {index % 999 + 1} 号"
    if "contact" in lowered and "name" in lowered:
        return rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("伟芳娜敏静丽强磊军洋")
    return "导入测试" if field.required else None


def customer_workbook(definition, rows: int) -> bytes:
    """``rows`` new customers (names no existing customer has), each with a primary contact."""
    from customers.management.commands.generate_customers import BRAND_CHARS, CITIES, LEGAL_FORMS, TRADES
    from customers.services.names import name_key
    from qms.excel.imports import choice_options, is_choice

    rng = random.Random(7)
    taken = set(Customer.all_objects.values_list("name_key", flat=True))
    options = {column.field: choice_options(definition.form_field(column)) for column in definition.columns
               if is_choice(definition.form_field(column))}
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(definition.sheet_title)
    sheet.append([column.header for column in definition.columns])
    for i in range(rows):
        while True:
            name = (rng.choice(CITIES) + rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
                    + rng.choice(TRADES) + rng.choice(LEGAL_FORMS))
            if name_key(name) not in taken:
                taken.add(name_key(name))
                break
        sheet.append([_cell(column, definition.form_field(column), i, name, rng, options)
                      for column in definition.columns])
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()


def raw_read(content: bytes) -> float:
    """The bare read, as a script that only reads the file would run it: the objects of Django and the apps are
    left out of the cycle collector's walks (``gc.freeze``), which such a script would not have; the collector's
    thresholds are Python's own."""
    gc.freeze()
    try:
        start = time.perf_counter()
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        count = sum(1 for _row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
        workbook.close()
        elapsed = time.perf_counter() - start
    finally:
        gc.unfreeze()
    assert count > 0
    return elapsed


# --- the import ---------------------------------------------------------------------------------------------
def warm_up(user, rows: int = 50) -> None:
    """Import ``rows`` customers and revert them, untimed: the portal's processes (a web worker, a Celery worker)
    have loaded their URLs, pinyin and telephone dictionaries and compiled their patterns before the import that
    is timed, as the raw read has its three runs."""
    from customers.imports import CUSTOMER_IMPORT
    from qms.excel import imports

    settings.QMS_IMPORT_ASYNC_ROWS = rows + 1
    content = customer_workbook(CUSTOMER_IMPORT, rows)
    batch = imports.start_import(CUSTOMER_IMPORT, SimpleUploadedFile("warm-up.xlsx", content), user)
    Client().get(batch.get_absolute_url())
    imports.request_commit(batch, user, good_rows_only=False)
    batch.refresh_from_db()
    assert batch.status == "imported", (batch.status, batch.message, batch.errors[:3])
    imports.revert_batch(batch, user)


def bench_customer_import(user, rows: int, revert: bool = True) -> dict:
    """Import ``rows`` new customers as ``user`` end to end and print each step; returns the figures."""
    from customers.imports import CUSTOMER_IMPORT
    from qms.excel import imports

    definition = CUSTOMER_IMPORT
    content = customer_workbook(definition, rows)
    raw = min(raw_read(content) for _ in range(3))
    settings.QMS_IMPORT_ASYNC_ROWS = rows + 1  # measure the work itself, here, not a worker's queue
    customers_before, contacts_before = Customer.all_objects.count(), Contact.objects.count()
    client = Client()
    client.force_login(user)

    start = time.perf_counter()
    batch = imports.start_import(definition, SimpleUploadedFile("customers.xlsx", content), user)
    page = client.get(batch.get_absolute_url())
    validate = time.perf_counter() - start
    batch.refresh_from_db()
    assert batch.status == "preview" and page.status_code == 200, (batch.status, batch.message, page.status_code)
    assert batch.valid_rows == rows, batch.errors[:3]

    start = time.perf_counter()
    imports.request_commit(batch, user, good_rows_only=False)
    commit = time.perf_counter() - start
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.created_count == rows, (batch.status, batch.message, batch.errors[:3])
    created = Customer.all_objects.count() - customers_before
    contacts = Contact.objects.count() - contacts_before
    assert created == rows, created

    total = validate + commit
    print(f"import of {rows:,} customer rows with their contacts into {customers_before:,} customers "
          f"(as {user}, {len(content) / 1024:.0f} KiB .xlsx)")
    print(f"  raw openpyxl read (read-only, values):     {raw:7.2f} s  ({rows / raw:,.0f} rows/s)")
    print(f"  upload checks + validation + preview:      {validate:7.2f} s  ({rows / validate:,.0f} rows/s)")
    print(f"  commit (all-or-nothing, one transaction):  {commit:7.2f} s  ({rows / commit:,.0f} rows/s; "
          f"{created:,} customers, {contacts:,} contacts)")
    print(f"  end to end (upload -> preview -> commit):  {total:7.2f} s  ({rows / total:,.0f} rows/s)")
    print(f"  ratio end to end / raw read:               {total / raw:7.1f} x")
    figures = {"raw": raw, "validate": validate, "commit": commit, "total": total}
    if revert:
        start = time.perf_counter()
        reverted = imports.revert_batch(batch, user)
        figures["revert"] = time.perf_counter() - start
        print(f"  revert (fingerprint check + recycle bin):  {figures['revert']:7.2f} s  ({reverted:,} customers)")
    return figures


# --- the database -------------------------------------------------------------------------------------------
def _admin(sql: str) -> None:
    """Run ``sql`` (CREATE/DROP DATABASE) from the maintenance database, outside any transaction."""
    with connection._nodb_cursor() as cursor:
        cursor.execute(sql)


def _exists(name: str) -> bool:
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def load(scale: float, owners: int, audit_load: bool) -> None:
    n = max(1, int(FULL_CUSTOMERS * scale))
    print(f"load: generate_customers --customers {n} --contacts {n} --owners {owners}"
          f"{'' if audit_load else ' --no-audit'}")
    start = time.perf_counter()
    call_command("generate_customers", customers=n, contacts=n, follow_ups=0, business_records=0, owners=owners,
                 no_audit=not audit_load, stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    print(f"  {n:,} customers loaded in {time.perf_counter() - start:.1f} s incl. ANALYZE\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 100,000 existing customers")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the imported workbook")
    parser.add_argument("--owners", type=int, default=20, help="extra salespeople created by the load")
    parser.add_argument("--audit-load", action="store_true", help="load with audit events (slower load)")
    parser.add_argument("--keep", action="store_true", help="keep the loaded database as a template for later runs")
    parser.add_argument("--reload", action="store_true", help="with --keep: load afresh")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the import to FILE")
    args = parser.parse_args()
    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation._get_test_db_name()
    template = f"{test_name}_loaded_{args.scale:g}"
    if args.keep and not args.reload and _exists(template):
        connection.close()
        _admin(f'DROP DATABASE IF EXISTS "{test_name}"')
        _admin(f'CREATE DATABASE "{test_name}" TEMPLATE "{template}"')
        settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = test_name
        print(f"load: copied from {template}\n")
        loaded = True
    else:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        loaded = False
    try:
        with tempfile.TemporaryDirectory() as media:
            settings.MEDIA_ROOT = media  # the uploaded workbook is stored with its batch
            people = create_demo_people()
            if not loaded:
                load(args.scale, args.owners, args.audit_load)
                if args.keep:
                    connection.close()
                    _admin(f'DROP DATABASE IF EXISTS "{template}"')
                    _admin(f'CREATE DATABASE "{template}" TEMPLATE "{test_name}"')
            warm_up(people["gm"])
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.runcall(bench_customer_import, people["gm"], args.rows, revert=False)
                profiler.dump_stats(args.profile)
                print(f"profile written to {args.profile}")
            else:
                bench_customer_import(people["gm"], args.rows)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
