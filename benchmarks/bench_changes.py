"""Change control benchmark (a script, not a test).

    .venv/bin/python benchmarks/bench_changes.py [--changes 10000] [--repeat 5]

Seeds the demo changes (one in every state), copies them to ``--changes`` change requests (bulk inserts, each
with its affected departments and product), then measures through the test client, as the MR: the change register
(open, all, filtered by kind and class, a number search) with its query count, the page of the held class III
change on each tab and its printed 《变更申请及评估表》. Prints the median of each. Uses a throwaway database
(QMS_TEST_DB, default ``bench_qms_changes``).
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
os.environ.setdefault("QMS_TEST_DB", "bench_qms_changes")

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
    parser.add_argument("--changes", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from django.conf import settings

        settings.ALLOWED_HOSTS = ["*"]
        from qms.demo import create_demo_people
        from changes.demo import seed
        from changes.models import ChangeRequest, ChangeStatus

        people = create_demo_people()
        seed(people, io.StringIO())
        templates = list(ChangeRequest.objects.order_by("pk"))
        held = ChangeRequest.objects.get(status=ChangeStatus.IMPLEMENTING)
        copies = []
        for i in range(args.changes - len(templates)):
            template = templates[i % len(templates)]
            fields = {f.attname: getattr(template, f.attname) for f in ChangeRequest._meta.concrete_fields
                      if f.attname not in ("id", "number")}
            copies.append(ChangeRequest(**fields, number=f"BG-B-{i:06d}"))
        created = ChangeRequest.objects.bulk_create(copies, batch_size=5000)
        Departments = ChangeRequest.affected_departments.through
        Cards = ChangeRequest.process_cards.through
        departments = {t.pk: list(t.affected_departments.values_list("pk", flat=True)) for t in templates}
        cards = {t.pk: list(t.process_cards.values_list("pk", flat=True)) for t in templates}
        Departments.objects.bulk_create([Departments(changerequest_id=c.pk, department_id=d)
                                         for i, c in enumerate(created)
                                         for d in departments[templates[i % len(templates)].pk]], batch_size=5000)
        Cards.objects.bulk_create([Cards(changerequest_id=c.pk, processcard_id=p) for i, c in enumerate(created)
                                   for p in cards[templates[i % len(templates)].pk]], batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        total = ChangeRequest.objects.count()

        def timed(label, user, url, params=None):
            client = Client()
            client.force_login(people[user])

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

        register = reverse("changes:list")
        timed(f"register, open ({total} changes)", "mr", register)
        timed("register, all", "mr", register, {"scope": "all"})
        timed("register, process class III", "mr", register, {"scope": "all", "kind": "process",
                                                                "process_class": "III"})
        timed("register, number search (no match)", "mr", register, {"scope": "all", "q": "BG-X-999"})
        timed("register, all, as production (sees its department's)", "production", register, {"scope": "all"})
        for tab in ("overview", "risks", "opinions", "implementation", "release"):
            timed(f"held change, tab {tab}", "mr", held.get_absolute_url(), {"tab": tab})
        timed("《变更申请及评估表》 PDF", "mr", reverse("changes:pdf", args=[held.pk]))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
