"""Scans of build output: leftover placeholders, and anything that would load from another host."""

from __future__ import annotations

import re
from pathlib import Path

from .problems import Problem

PLACEHOLDER = re.compile(r"\bTODO\b|\bTBD\b|\blorem\b|\{\{|\{%|\bxxx\b", re.IGNORECASE)


def find_placeholders(
    folder: Path, shown_root: str, suffixes=(".md", ".html", ".txt", ".csv")
) -> list[Problem]:
    """Leftover placeholders (TODO, TBD, lorem, xxx, unrendered Jinja) in text files under `folder`."""
    problems = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix in suffixes and p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".html":
            text = _strip_scripts(text)
        for number, line in enumerate(text.splitlines(), 1):
            match = PLACEHOLDER.search(line)
            if match:
                problems.append(
                    Problem(
                        f"{shown_root}/{path.relative_to(folder)}",
                        f"leftover placeholder {match.group(0)!r}",
                        line=number,
                        hint="write the real content, or move the fact into data/",
                    )
                )
    return problems


_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)


def _strip_scripts(html: str) -> str:
    return _SCRIPT.sub(lambda m: "\n" * m.group(0).count("\n"), html)


# Attributes and CSS constructs through which a page loads something.
_LOADS = re.compile(
    r"""<(script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?\b(src|href|data|srcset)\s*=\s*["']([^"']+)["']"""
    r"""|@import\s+(?:url\()?["']?([^"')\s;]+)|url\(\s*["']?([^"')\s]+)""",
    re.IGNORECASE,
)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


def external_loads(site: Path) -> list[Problem]:
    """Every script, stylesheet, font, image or frame a built site would fetch from another host.

    Plain links (<a href>) are navigation, not loads, and are allowed; <link rel=canonical|alternate> too.
    """
    problems = []
    for path in sorted(
        p for p in site.rglob("*") if p.suffix in (".html", ".css", ".js", ".svg") and p.is_file()
    ):
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in _LOADS.finditer(text):
            tag = (match.group(1) or "").lower()
            url = match.group(3) or match.group(4) or match.group(5) or ""
            if tag == "link" and re.search(r"rel=[\"']?(canonical|alternate)", match.group(0), re.IGNORECASE):
                continue
            if _EXTERNAL.match(url) and not url.startswith("data:"):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(
                    Problem(
                        str(path.relative_to(site)),
                        f"loads {url} from another host",
                        line=line,
                        hint="self-host the asset or remove it; the site must load nothing from another host",
                    )
                )
    return problems
