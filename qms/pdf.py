"""Printing controlled forms as PDF (PROCEDURES.md §8): WeasyPrint, a CJK font, the form's header
(the company's name and logo, document number, form title, revision), the record's signatures and
"page x / y" on every page. The company is the one of ``qms.company``'s profile, never the software's name.

Every record type declares its form once and gets a PDF view:

    class CapaPdfView(RecordPdfView):
        model = Capa
        print_form = PrintForm(code="QR-10-01", title=_("纠正和预防措施单"), revision="A/0",
                               template="print/capa.html")

WeasyPrint may read only the project's own static and media files: anything else a template or a user's
text points at (http://…, file:///etc/…) is refused by the ``PortalFetcher`` allow-list.
"""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# The base URL the print templates' relative and root-relative links resolve against; it names no real
# host, so that nothing can leave the machine through it.
BASE_URL = "http://portal.print/"
_HOST = urlsplit(BASE_URL).netloc


@dataclass(frozen=True)
class PrintForm:
    """A controlled form's identity as printed in its header."""

    code: str  # the form's document number, e.g. QR-10-01
    title: str  # 纠正和预防措施单
    template: str  # print/capa.html, extending print/base.html
    revision: str = "A/0"


class RefusedResource(ValueError):
    pass


class PortalFetcher(URLFetcher):
    """Serve only files under STATIC_URL (through the staticfiles finders, else STATIC_ROOT) and MEDIA_URL
    (inside MEDIA_ROOT); ``refused`` lists what a render asked for and did not get."""

    def __init__(self):
        super().__init__(allowed_protocols={"http", "data"}, allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = self._local_path(url)
        if path is None:
            self.refused.append(url)
            raise RefusedResource(f"not a file of this portal: {url}")
        mime, _encoding = mimetypes.guess_type(path.name)
        return URLFetcherResponse(path.as_uri(), path.open("rb"), {"Content-Type": mime or "application/octet-stream"})

    @staticmethod
    def _local_path(url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.netloc != _HOST:
            return None
        path = unquote(parts.path)
        if ".." in path.split("/"):
            return None
        if path.startswith(settings.STATIC_URL):
            relative = path.removeprefix(settings.STATIC_URL)
            found = finders.find(relative)
            candidate = Path(found) if found else Path(settings.STATIC_ROOT) / relative
            root = None if found else Path(settings.STATIC_ROOT)
        elif settings.MEDIA_URL and path.startswith(settings.MEDIA_URL):
            root = Path(settings.MEDIA_ROOT)
            candidate = root / path.removeprefix(settings.MEDIA_URL)
        else:
            return None
        candidate = candidate.resolve()
        if root is not None and not candidate.is_relative_to(root.resolve()):
            return None
        return candidate if candidate.is_file() else None


def render_html_to_pdf(html: str, fetcher: PortalFetcher | None = None) -> bytes:
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher or PortalFetcher()).write_pdf()


def render_pdf(form: PrintForm, context: dict, *, record=None, number: str = "", request=None) -> bytes:
    """Render ``form.template`` with the header, signatures and footer context of ``print/base.html``.

    ``company`` (qms.company) names the company in the header and on letters: read once per request, so that
    a view that already used it costs no second query."""
    from qms import company
    from qms.signatures import signatures_for

    full_context = {
        "company": company.current(request),
        "form": form,
        "number": number,
        "record": record,
        "signatures": signatures_for(record) if record is not None and record.pk else [],
        "printed_at": timezone.localtime(),
        "printed_by": getattr(getattr(request, "user", None), "display_name", ""),
        **context,
    }
    return render_html_to_pdf(render_to_string(form.template, full_context, request=request))


def pdf_response(pdf: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
