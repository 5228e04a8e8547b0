"""Printed labels (qms.labels): the QR code decodes to the record's absolute portal URL, the page is the label's
size, a sheet puts many on A4, and scanning while signed out lands on the record after login."""
import pytest
from django.test import override_settings
from pypdf import PdfReader

from qms.company import CompanyProfile
from qms.labels import LABEL_60X40, LABEL_100X70, absolute_url, render_labels
from qms.tests.labels_helpers import pdf_page_count, qr_codes_in_pdf
from qms.tests.test_pdf import pdf_text

MM = 72 / 25.4


def _label(n):
    return {"url": f"/production/lots/{n}/", "title": "检验状态标识", "fields": [("批号", f"L-{n:03d}")],
            "status": "合格"}


@override_settings(PORTAL_BASE_URL="https://qms.example.cn/")
def test_absolute_url_joins_the_portal_base_url_once():
    assert absolute_url("/production/lots/7/") == "https://qms.example.cn/production/lots/7/"
    assert absolute_url("https://elsewhere.example/x") == "https://elsewhere.example/x"


@pytest.mark.django_db
@override_settings(PORTAL_BASE_URL="https://qms.example.cn")
def test_a_label_is_label_sized_names_the_company_and_its_qr_opens_the_record():
    CompanyProfile.objects.filter(pk=1).update(name="苏州精工医疗器械有限公司")
    pdf = render_labels("print/labels/record.html", [_label(7)], size=LABEL_100X70)
    box = PdfReader(__import__("io").BytesIO(pdf)).pages[0].mediabox
    assert round(float(box.width) / MM) == 100 and round(float(box.height) / MM) == 70
    text = pdf_text(pdf)
    assert "苏州精工医疗器械有限公司" in text and "L-007" in text and "合格" in text
    assert qr_codes_in_pdf(pdf) == [["https://qms.example.cn/production/lots/7/"]]


@pytest.mark.django_db
@override_settings(PORTAL_BASE_URL="https://qms.example.cn")
def test_a_sheet_puts_many_labels_on_a4_and_every_qr_reads():
    per_sheet = LABEL_60X40.per_sheet  # 3 × 7 on A4
    labels = [_label(n) for n in range(1, per_sheet + 3)]
    pdf = render_labels("print/labels/record.html", labels, size=LABEL_60X40, sheet=True)
    assert pdf_page_count(pdf) == 2
    box = PdfReader(__import__("io").BytesIO(pdf)).pages[0].mediabox
    assert round(float(box.width) / MM) == 210 and round(float(box.height) / MM) == 297
    pages = qr_codes_in_pdf(pdf)
    assert len(pages[0]) == per_sheet and len(pages[1]) == 2
    assert sorted(pages[0] + pages[1]) == sorted(f"https://qms.example.cn/production/lots/{n}/"
                                                 for n in range(1, per_sheet + 3))
