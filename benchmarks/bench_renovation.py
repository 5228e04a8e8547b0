"""Renovation benchmark (a script, not a test).

    .venv/bin/python benchmarks/bench_renovation.py [--applications 10000] [--repeat 5]

Builds ``--applications`` applications on as many units (bulk inserts), then measures through the test client:
the application list page (first page, and filtered by state) with its query count, the two printed
forms of a permitted application — 《装修申请表》 and 《施工许可证》 — and the dossier 《装修档案》 of that
application once it has 30 daily inspections. Prints the median of each. Uses a throwaway
database (QMS_TEST_DB, default ``bench_qms_renovation``).
"""
import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.test_settings")
os.environ.setdefault("QMS_TEST_DB", "bench_qms_renovation")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402


def median_seconds(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from django.conf import settings

        settings.ALLOWED_HOSTS = ["*"]
        from qms.demo import create_demo_people
        from renovation.demo import seed
        from renovation.models import Application, ApplicationStatus, Building, Project, Unit

        people = create_demo_people()
        seed(people, io.StringIO())
        permitted = Application.objects.filter(status=ApplicationStatus.PERMITTED).first()
        template = Application.objects.filter(status=ApplicationStatus.ENGINEERING_REVIEW).first()
        building = Building.objects.create(project=Project.objects.create(name="海景苑"), name="A座")
        units = Unit.objects.bulk_create([Unit(building=building, number=f"{i:05d}", owner_name="业主")
                                          for i in range(args.applications)], batch_size=5000)
        fields = {f.attname: getattr(template, f.attname) for f in Application._meta.concrete_fields
                  if f.attname not in ("id", "number", "unit_id")}
        Application.objects.bulk_create([Application(**fields, unit=unit, number=f"ZX-B-{i:06d}")
                                         for i, unit in enumerate(units)], batch_size=5000)
        client = Client()
        client.force_login(people["propmanager"])

        def timed(label, url, params=None):
            def get():
                response = client.get(url, params or {})
                assert response.status_code == 200, response.status_code
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                return response

            queries = []

            def count(execute, sql, params, many, context):
                queries.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                get()
            print(f"{label}: {median_seconds(get, args.repeat) * 1000:.0f} ms, {len(queries)} queries")

        total = Application.objects.count()
        timed(f"application list, {total} applications", reverse("renovation:list"), {"scope": "all"})
        timed("application list filtered by state", reverse("renovation:list"),
              {"scope": "all", "status": "engineering_review"})
        timed("unit list", reverse("renovation:units"))
        timed("《装修申请表》 PDF", reverse("renovation:pdf", args=[permitted.pk]))
        timed("《施工许可证》 PDF", reverse("renovation:permit_pdf", args=[permitted.pk]))
        # the dossier of a renovation with 30 daily inspections (two of them with a violation and its measures)
        import datetime as dt

        from django.utils import timezone

        from django.core.files.uploadedfile import SimpleUploadedFile

        from qms.demo import DEMO_PASSWORD
        from renovation.demo import PHOTO_BYTES
        from renovation.models import ActionKind, SiteInspection, ViolationKind
        from renovation.services import site

        checks = {name: True for name in SiteInspection.CHECK_FIELDS}
        for day in range(30):
            inspection = site.record_inspection(
                permitted, people["propassistant"], checks=checks,
                findings=f"第 {day + 1} 天巡查：施工人员佩证上岗，现场整洁",
                violation_kind=ViolationKind.OUTSIDE_HOURS if day in (5, 17) else "",
                violation_description="午休时间电钻施工" if day in (5, 17) else "")
            SiteInspection.objects.filter(pk=inspection.pk).update(
                inspected_at=timezone.now() - dt.timedelta(days=30 - day))
        for violation in permitted.violations.all():
            site.take_action(violation, people["propassistant"], kind=ActionKind.NOTICE, note="按规定时间施工",
                             rectify_by=timezone.localdate() + dt.timedelta(days=3))
            site.take_action(violation, people["propmanager"], kind=ActionKind.STOP_UTILITIES, note="停水停电一天",
                             password=DEMO_PASSWORD)
            site.close_violation(violation, people["propassistant"], note="已整改", password=DEMO_PASSWORD,
                                 photo=SimpleUploadedFile("after.png", PHOTO_BYTES, content_type="image/png"))
        timed("装修档案 PDF (30 inspections, 2 violations)", reverse("renovation:dossier_pdf", args=[permitted.pk]))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
