"""Printed forms: Chinese text in a CJK font, the form header, signatures, page x / y, a fetch allow-list."""
import subprocess

import pytest
from django.urls import reverse
from pypdf import PdfReader

from qms.pdf import PortalFetcher, PrintForm, render_html_to_pdf, render_pdf
from qms.tests.capa_helpers import approved_capa, raised_capa


def pdf_text(data: bytes, *, layout: bool = True) -> str:
    """The text a reader sees, as pdftotext extracts it (poppler), with layout kept; ``layout=False``: in reading
    order, so that a table cell whose text wraps over lines comes out in one piece rather than interleaved with
    its neighbours."""
    args = ["pdftotext", "-layout", "-", "-"] if layout else ["pdftotext", "-", "-"]
    result = subprocess.run(args, input=data, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def pdf_fonts(data: bytes) -> set[str]:
    import io

    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in (page.get("/Resources", {}).get("/Font", {}) or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")))
    return fonts


def test_capa_pdf_has_header_chinese_content_signature_and_page_numbers(people, login):
    capa = approved_capa(people)
    response = login(people["quality"]).get(reverse("qms:capa_pdf", args=[capa.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"{capa.number}.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    # Header: form title, form code, revision, the record's number.
    assert "纠正和预防措施单" in text
    assert "QR-10-01" in text and "A/0" in text
    assert capa.number in text
    # Content in Chinese.
    assert "客户反馈批次 B2611 毛刺超标 3 件" in text
    assert "模具磨损未按期保养" in text and "修复模具" in text
    # The MR's approval signature: name, meaning, validity.
    assert "李代表" in text and "批准" in text and "有效" in text
    # Page x / y.
    assert "第1页/共1页" in text.replace(" ", "")
    assert any("WenQuanYi" in name for name in pdf_fonts(response.content))


def test_a_signature_voided_by_a_later_edit_prints_as_no_longer_valid(people):
    capa = approved_capa(people)
    type(capa).objects.filter(pk=capa.pk).update(plan="改为更换模具")
    capa.refresh_from_db()
    form = PrintForm(code="QR-10-01", title="纠正和预防措施单", template="print/capa.html")
    text = pdf_text(render_pdf(form, {"actions": [], "verifications": []}, record=capa, number=capa.number))
    assert "签名后记录已修改，签名已失效" in text


def test_long_forms_number_every_page(people):
    capa = raised_capa(people)
    capa.nonconformity = "\n".join(f"第 {i} 项 不合格描述" for i in range(200))
    form = PrintForm(code="QR-10-01", title="纠正和预防措施单", template="print/capa.html")
    text = pdf_text(render_pdf(form, {"actions": [], "verifications": []}, record=capa, number=capa.number))
    pages = text.count("纠正和预防措施单")
    assert pages >= 3
    compact = text.replace(" ", "")
    assert f"第{pages}页/共{pages}页" in compact and f"第1页/共{pages}页" in compact


def test_someone_who_may_not_see_the_capa_gets_404_not_its_pdf(people, login):
    capa = raised_capa(people)
    response = login(people["sales"]).get(reverse("qms:capa_pdf", args=[capa.pk]))
    assert response.status_code == 404


def test_weasyprint_fetches_only_the_portals_own_files(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
    fetcher = PortalFetcher()
    html = (
        '<link rel="stylesheet" href="/static/css/print.css">'
        '<img src="/media/logo.svg">'
        '<img src="http://example.com/tracker.png">'
        '<img src="file:///etc/passwd">'
        '<img src="/media/../../etc/passwd">'
        '<img src="/static/../qms/settings.py">'
        "<p>正文</p>"
    )
    pdf = render_html_to_pdf(html, fetcher)
    assert "正文" in pdf_text(pdf)
    # The stylesheet and the media file were served; everything else was refused.
    assert sorted(fetcher.refused) == sorted([
        "http://example.com/tracker.png", "file:///etc/passwd",
        "http://portal.print/etc/passwd", "http://portal.print/qms/settings.py",
    ])


@pytest.mark.parametrize("path", ["/static/css/print.css", "/static/favicon.svg"])
def test_the_allow_list_serves_static_files(path):
    response = PortalFetcher().fetch(f"http://portal.print{path}")
    try:
        assert response.read(10)
    finally:
        response.close()
