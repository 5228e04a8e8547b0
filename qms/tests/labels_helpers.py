"""Reading printed labels back in tests: every page of a PDF rendered to an image (poppler's pdftoppm), the QR
codes on it decoded with zxing-cpp — what a phone would read."""
import subprocess
import tempfile
from pathlib import Path

import zxingcpp
from PIL import Image


def pdf_page_count(data: bytes) -> int:
    import io

    from pypdf import PdfReader
    return len(PdfReader(io.BytesIO(data)).pages)


def qr_codes_in_pdf(data: bytes, dpi: int = 200) -> list[list[str]]:
    """The texts of the QR codes on each page, page by page."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-", f"{folder}/page"], input=data, check=True,
                       capture_output=True)
        pages = []
        for image_path in sorted(Path(folder).glob("page*.png")):
            with Image.open(image_path) as image:
                found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            pages.append(sorted(code.text for code in found))
        return pages
