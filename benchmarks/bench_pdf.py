"""PDF benchmark (a script, not a test).

    .venv/bin/python benchmarks/bench_pdf.py [--repeat 10]

Renders a one-page CAPA form (a CAPA approved by the MR, with its signature) through ``qms.pdf.render_pdf``
— template, signatures, allow-listed fetcher, WeasyPrint — and, for comparison, bare WeasyPrint on the same
HTML with its default fetcher; prints the median of each and their ratio. Uses a throwaway database
(QMS_TEST_DB, default ``bench_qms_pdf``).
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.test_settings")
os.environ.setdefault("QMS_TEST_DB", "bench_qms_pdf")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from weasyprint import HTML  # noqa: E402

from qms import company  # noqa: E402
from qms.capa.views import CapaPdfView  # noqa: E402
from qms.demo import create_demo_company, create_demo_people  # noqa: E402
from qms.pdf import render_pdf  # noqa: E402
from qms.signatures import signatures_for  # noqa: E402


def median_seconds(fn, repeat: int) -> float:
    fn()  # warm-up: fonts, templates
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from qms.tests.capa_helpers import approved_capa

        create_demo_company()  # the header prints the company's name, as in the portal
        capa = approved_capa(create_demo_people())
        form = CapaPdfView.print_form
        context = {"actions": list(capa.actions.all()), "verifications": []}

        def portal():
            return render_pdf(form, context, record=capa, number=capa.number)

        html = render_to_string(form.template, {"form": form, "number": capa.number, "record": capa,
                                                "company": company.load(), "signatures": signatures_for(capa),
                                                **context})
        static_base = Path(settings.BASE_DIR, "static").as_uri() + "/"
        bare_html = html.replace('href="/static/', f'href="{static_base}')

        def bare():
            return HTML(string=bare_html).write_pdf()

        pages = len(HTML(string=bare_html).render().pages)
        ours, theirs = median_seconds(portal, args.repeat), median_seconds(bare, args.repeat)
        print(f"one-page form ({pages} page): portal render_pdf {ours * 1000:.0f} ms, bare WeasyPrint "
              f"{theirs * 1000:.0f} ms, ratio {ours / theirs:.2f} (median of {args.repeat})")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
