"""PDFs from Django templates with WeasyPrint: A4, the Noto CJK fonts of Debian's fonts-noto-cjk (named by
font-family in templates/archive/pdf/base.html, found by fontconfig), the subject and year in the header, page
numbers in the footer. One font configuration per bundle: the fonts are looked up once, not once per file."""

from __future__ import annotations

import base64
from pathlib import Path

from django.template.loader import render_to_string
from PIL import ImageFile
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import default_url_fetcher

# WeasyPrint (its images module, loaded by the import above) turns on Pillow's process-wide leniency for truncated
# images, which would let the upload checks (portal/uploads.py) accept a truncated photo in every process that ever
# imported this module. The bundle only embeds uploads that passed those checks: Pillow's default goes back.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class PdfWriter:
    """Renders the bundle's PDFs to files; ``header`` is printed at the top of every page."""

    def __init__(self, header: str) -> None:
        self.header = header
        self.fonts = FontConfiguration()

    def write(self, target: Path, template: str, context: dict) -> None:
        html = render_to_string(template, {**context, "header": self.header})
        # No base URL: a PDF never fetches anything; photos come inline (``data_uri``).
        HTML(string=html, base_url=None, url_fetcher=_refuse).write_pdf(target, font_config=self.fonts)


def _refuse(url: str, *args, **kwargs):
    """Only inline images (data: URIs) are rendered; any other address in a template is an error, never a fetch."""
    if url.startswith("data:"):
        return default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"the archive's PDFs fetch nothing: {url}")


def data_uri(field_file, content_type: str = "image/jpeg") -> str | None:
    """A stored file (read through Django's storage, local or S3) as a data: URI; None when it is missing."""
    if not field_file:
        return None
    try:
        with field_file.open("rb") as handle:
            content = handle.read()
    except (FileNotFoundError, OSError):
        return None
    return f"data:{content_type};base64,{base64.b64encode(content).decode('ascii')}"
