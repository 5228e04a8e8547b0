"""Printed labels with a QR code (PROCEDURES.md §6 status labels, isolation tags): one label a page at the
label printer's size, or a sheet of many on A4 for an office printer.

The QR code holds the record's absolute portal URL (``settings.PORTAL_BASE_URL`` + the record's path), so a
phone that scans it opens the record; a user not signed in is sent to the login page with ``?next=`` and lands
on the record after signing in. segno draws the code as inline SVG (vector, sharp at any printer resolution);
the page goes through ``qms.pdf``'s WeasyPrint plumbing and its file allow-list.

A record type declares its label body once (a template that receives ``label`` and ``company``) and renders:

    pdf = render_labels("print/labels/lot_status.html", [lot_label(lot)], size=LABEL_100X70, request=request)
    sheet = render_labels("print/labels/lot_status.html", [lot_label(l) for l in lots], size=LABEL_100X70,
                          sheet=True, request=request)

where each label is a dict with at least ``url`` (a path or absolute URL); ``qr`` is added to it.
"""
from __future__ import annotations

from dataclasses import dataclass

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from qms.pdf import render_html_to_pdf


@dataclass(frozen=True)
class LabelSize:
    """A label's size in millimetres; ``columns`` × ``rows`` of them fit on an A4 sheet (200 × 287 mm inside the
    sheet's 5 mm margin): 2 × 4 of 100 × 70 mm, 3 × 7 of 60 × 40 mm."""

    width_mm: int
    height_mm: int

    @property
    def columns(self) -> int:
        return max(1, 200 // self.width_mm)

    @property
    def rows(self) -> int:
        return max(1, 287 // self.height_mm)

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows


LABEL_60X40 = LabelSize(60, 40)
LABEL_100X70 = LabelSize(100, 70)


def absolute_url(path_or_url: str) -> str:
    """The URL a phone can open: ``PORTAL_BASE_URL`` (the portal's public address, README "settings") joined
    with a root-relative path; an absolute URL is returned unchanged."""
    if "://" in path_or_url:
        return path_or_url
    return settings.PORTAL_BASE_URL.rstrip("/") + "/" + path_or_url.lstrip("/")


def qr_svg(data: str) -> SafeString:
    """``data`` as a QR code in inline SVG without a fixed size (the label's CSS sizes it); error correction
    level M survives a scuffed label. The quiet zone (4 modules) is kept: scanners need it."""
    return mark_safe(segno.make(data, error="m", micro=False).svg_inline(omitsize=True, border=4))


def render_labels(body_template: str, labels: list[dict], *, size: LabelSize = LABEL_100X70, sheet: bool = False,
                  request=None) -> bytes:
    """A PDF of ``labels``: one a page at ``size`` (for a label printer), or with ``sheet`` a grid of them on A4
    pages, cut lines drawn. Each label dict gets ``url`` made absolute and ``qr`` (its SVG)."""
    from qms import company

    prepared = []
    for label in labels:
        url = absolute_url(label["url"])
        prepared.append({**label, "url": url, "qr": qr_svg(url)})
    context = {
        "company": company.current(request),
        "labels": prepared,
        "body_template": body_template,
        "size": size,
        "sheet": sheet,
    }
    return render_html_to_pdf(render_to_string("print/labels/page.html", context, request=request))
