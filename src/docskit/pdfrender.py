"""HTML to PDF with WeasyPrint: the one place the repository turns rendered HTML into PDF."""

from __future__ import annotations

from pathlib import Path


def html_to_pdf(
    html: str, out: Path, base_url: Path | str | None = None, stylesheets: list[Path] | None = None
) -> Path:
    """Write `html` as a PDF to `out`; relative URLs (images, CSS) resolve against `base_url`."""
    from weasyprint import CSS, HTML

    out.parent.mkdir(parents=True, exist_ok=True)
    sheets = [CSS(filename=str(s)) for s in (stylesheets or [])]
    HTML(string=html, base_url=str(base_url) if base_url else None).write_pdf(str(out), stylesheets=sheets)
    return out
