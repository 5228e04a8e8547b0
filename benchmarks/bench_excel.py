"""Excel import and export benchmark (a script, not a test).

    DJANGO_SETTINGS_MODULE=qms.test_settings .venv/bin/python benchmarks/bench_excel.py [--rows 10000] [--export-rows 100000]

It creates its own throwaway database (named by QMS_TEST_DB, default ``bench_qms_excel``) on the PostgreSQL
that the test settings find, and drops it at the end. It prints:

- import: a 10,000-row 通讯录 workbook — the raw openpyxl read of the file, then upload checks + validation of
  every row by the form + the preview page; their ratio; then the all-or-nothing commit and the revert;
- export: the staff list page's ``?export=xlsx`` streaming 100,000 rows — rows/s, the peak of Python memory
  (tracemalloc, measured in a second run because tracing slows Python down) and the process's peak RSS.
"""
import argparse
import io
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.test_settings")
os.environ.setdefault("QMS_TEST_DB", "bench_qms_excel")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from qms.demo import create_demo_people  # noqa: E402
from qms.excel import imports  # noqa: E402
from qms.people import Department, User  # noqa: E402


def staff_workbook(rows: int) -> bytes:
    departments = list(Department.objects.values_list("name", flat=True))
    roles = list(Group.objects.values_list("name", flat=True))
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("通讯录")
    sheet.append(["账号", "姓名", "部门", "岗位", "邮箱", "手机"])
    for i in range(rows):
        sheet.append([f"bench{i:06d}", f"员工{i}", departments[i % len(departments)],
                      f"{roles[i % len(roles)]}、{roles[(i + 5) % len(roles)]}", f"bench{i}@example.com",
                      f"138{i:08d}"])
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()


def raw_read(content: bytes) -> float:
    start = time.perf_counter()
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    count = sum(1 for _row in workbook.active.iter_rows(min_row=2, values_only=True))
    workbook.close()
    assert count > 0
    return time.perf_counter() - start


def bench_import(rows: int, hr) -> None:
    content = staff_workbook(rows)
    definition = imports.get_definition("staff")
    settings.QMS_IMPORT_ASYNC_ROWS = rows + 1  # measure the work itself, here, not a worker's queue
    raw = min(raw_read(content) for _ in range(3))

    client = Client()
    client.force_login(hr)
    start = time.perf_counter()
    batch = imports.start_import(definition, SimpleUploadedFile("bench.xlsx", content), hr)
    page = client.get(batch.get_absolute_url())
    validate = time.perf_counter() - start
    assert batch.status == "preview" and batch.valid_rows == rows and page.status_code == 200, batch.errors[:3]

    start = time.perf_counter()
    imports.request_commit(batch, hr, good_rows_only=False)
    commit = time.perf_counter() - start
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.created_count == rows

    start = time.perf_counter()
    imports.revert_batch(batch, hr)
    revert = time.perf_counter() - start

    print(f"import of {rows:,} staff rows ({len(content) / 1024:.0f} KiB .xlsx)")
    print(f"  raw openpyxl read (read-only, values):   {raw:7.2f} s  ({rows / raw:,.0f} rows/s)")
    print(f"  upload checks + validation + preview:    {validate:7.2f} s  ({rows / validate:,.0f} rows/s)")
    print(f"  ratio validation+preview / raw read:     {validate / raw:7.1f} x")
    print(f"  commit (all-or-nothing, one transaction): {commit:6.2f} s  ({rows / commit:,.0f} rows/s)")
    print(f"  revert (fingerprint check + delete):     {revert:7.2f} s")


def bench_export(rows: int, quality) -> None:
    department = Department.objects.get(code="sales")
    existing = User.objects.count()
    batch_size = 5000
    for offset in range(0, rows - existing, batch_size):
        User.objects.bulk_create(
            User(username=f"export{offset + i:07d}", full_name=f"导出{offset + i}", department=department,
                 email=f"e{offset + i}@example.com", phone="13800138000", password="!")
            for i in range(min(batch_size, rows - existing - offset))
        )
    total = User.objects.filter(is_active=True).count()
    client = Client()
    client.force_login(quality)
    url = reverse("qms:staff_list") + "?export=xlsx"

    def run() -> tuple[float, int]:
        start = time.perf_counter()
        response = client.get(url)
        size = sum(len(chunk) for chunk in response.streaming_content)
        return time.perf_counter() - start, size

    elapsed, size = run()
    tracemalloc.start()
    run()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"export of {total:,} rows (staff list ?export=xlsx, {size / 1024 / 1024:.1f} MiB .xlsx)")
    print(f"  time: {elapsed:.2f} s  ({total / elapsed:,.0f} rows/s)")
    print(f"  peak Python memory (tracemalloc): {peak / 1024 / 1024:.1f} MiB;  process peak RSS: {rss:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--export-rows", type=int, default=100_000)
    args = parser.parse_args()
    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with tempfile.TemporaryDirectory() as media:
            settings.MEDIA_ROOT = media  # the uploaded workbook is stored with its batch
            people = create_demo_people()
            bench_import(args.rows, people["hr"])
            bench_export(args.export_rows, people["quality"])
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
