"""HTML to PDF with WeasyPrint: the one place the repository turns rendered HTML into PDF.

Output is reproducible: metadata dates come from the HTML (<meta name="dcterms.created|modified">), the file
identifier is derived from the caller's key, and nothing depends on the clock, the path or random numbers.
PDFs are tagged (PDF/UA-1) so screen readers and procurement portals can read their structure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

PDF_VARIANT = "pdf/ua-1"
# Bump when the way we call WeasyPrint changes, so content-hash caches of rendered PDFs are invalidated.
RENDER_REVISION = "1"


@dataclass(frozen=True)
class RenderedPdf:
    """A rendered PDF: its bytes and its page count."""

    data: bytes
    pages: int


def weasyprint_version() -> str:
    """The installed WeasyPrint version (part of every render cache key)."""
    import weasyprint

    return weasyprint.__version__


def render_pdf(
    html: str, base_url: Path | str | None = None, identifier: str = "", stylesheets: list[Path] | None = None
) -> RenderedPdf:
    """Render `html` to tagged PDF bytes; `identifier` (any text) seeds the PDF file identifier."""
    from weasyprint import CSS, HTML

    sheets = [CSS(filename=str(s)) for s in (stylesheets or [])]
    document = HTML(string=html, base_url=str(base_url) if base_url else None).render(
        stylesheets=sheets, pdf_variant=PDF_VARIANT
    )
    file_id = (
        hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:32].encode("ascii") if identifier else None
    )
    data = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=file_id)
    return RenderedPdf(data=data, pages=len(document.pages))


def html_to_pdf(
    html: str, out: Path, base_url: Path | str | None = None, stylesheets: list[Path] | None = None
) -> Path:
    """Write `html` as a PDF to `out`; relative URLs (images, CSS) resolve against `base_url`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render_pdf(html, base_url, identifier=out.name, stylesheets=stylesheets).data)
    return out
