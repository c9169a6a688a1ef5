"""Lists that Markdown did not see: lines of a built page's paragraph that start like a list item.

Python-Markdown only starts a list after a blank line, and an item that follows an indented paragraph without
one is swallowed by that paragraph; either way the steps print as "… your instance URL. 4. Allow …". Each such
line is traced back through the rendered Markdown to the template line (or data file) that wrote it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from .paths import Project
from .problems import Problem

# "1. ", "2) ", "- ", "* ", "+ " at the start of a line, followed by text.
LIST_MARKER = re.compile(r"^\s*(\d+[.)]|[-*+])\s+(?=\S)")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>]+)>")
_MD_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_MIN_PINNED = 3  # literal characters beyond a bare marker such as "- "
_COMPARED = 40  # characters of item text compared; enough to tell items apart, short of most line wraps
_FIX = "leave a blank line before the list, and before an item that follows an indented paragraph"


@dataclass(frozen=True)
class LostItem:
    """A line inside a built <p> that starts like a list item."""

    page: str  # path of the built HTML page inside its site
    text: str  # the line as the reader sees it


class _Paragraphs(HTMLParser):
    """Collects the text of every <p> element (nested inline tags included)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.current: list[str] = []
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self.depth += 1
            self.current = []

    def handle_endtag(self, tag):
        if tag == "p" and self.depth:
            self.depth -= 1
            self.found.append("".join(self.current))

    def handle_data(self, data):
        if self.depth:
            self.current.append(data)


def lost_items(site: Path) -> list[LostItem]:
    """Every paragraph line of every HTML page under `site` that starts like a list item."""
    items = []
    for path in sorted(site.rglob("*.html")):
        parser = _Paragraphs()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        page = path.relative_to(site).as_posix()
        for paragraph in parser.found:
            items += [
                LostItem(page, line.strip()) for line in paragraph.splitlines() if LIST_MARKER.match(line)
            ]
    return items


def _plain(markdown_line: str) -> str:
    """Roughly the text a reader sees for one Markdown line: no emphasis, code ticks, link targets or tags."""
    text = _MD_LINK.sub(r"\1", markdown_line)
    text = _MD_AUTOLINK.sub(r"\1", text)
    text = _MD_HTML_TAG.sub("", text)
    text = re.sub(r"[*_`]", "", html.unescape(text))
    return " ".join(text.split())


def _key(line: str) -> tuple[str, str] | None:
    """(list marker, start of the item's visible text) of a line that starts like a list item."""
    match = LIST_MARKER.match(line)
    if not match:
        return None
    return match.group(1), _plain(line[match.end() :])[:_COMPARED]


def markdown_source(rendered_root: Path, page: str) -> Path | None:
    """The rendered Markdown file a built page came from (directory URLs: a/b/index.html <- a/b.md)."""
    stem = page.removesuffix(".html")
    candidates = [f"{stem}.md"]
    if stem.endswith("/index") or stem == "index":
        parent = stem.removesuffix("index").rstrip("/")
        candidates = [f"{parent}.md", f"{stem}.md"] if parent else ["index.md"]
    return next((rendered_root / c for c in candidates if (rendered_root / c).is_file()), None)


def find_rendered_line(markdown: Path, item: LostItem) -> int | None:
    """Line number in the rendered Markdown whose list marker and text match the lost item."""
    wanted = _key(item.text)
    for number, line in enumerate(markdown.read_text(encoding="utf-8").splitlines(), 1):
        if _key(line) == wanted:
            return number
    return None


def _template_pattern(line: str) -> tuple[re.Pattern, int]:
    """A regex matching what a template line can render to, and how many literal characters it pins."""
    literals = _JINJA.split(line.strip())
    return re.compile(".*?".join(re.escape(part) for part in literals) + r"\Z"), sum(map(len, literals))


def find_template_line(candidates: list[Path], rendered_line: str) -> tuple[Path, int] | None:
    """The template line (in the page's source or a partial it imports) that rendered `rendered_line`.

    Among the lines whose literal text and Jinja expressions can produce it, the one pinning the most literal
    text wins; the first candidate file (the page's own source) wins a tie. A line that is little more than
    one expression (`- {{ x }}`) does not count: the item's text then comes from data.
    """
    target = rendered_line.strip()
    best: tuple[int, Path, int] | None = None
    for path in candidates:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not (LIST_MARKER.match(line) or line.lstrip().startswith("{{")):
                continue
            pattern, pinned = _template_pattern(line)
            if pinned > _MIN_PINNED and pattern.match(target) and (best is None or pinned > best[0]):
                best = (pinned, path, number)
    return (best[1], best[2]) if best else None


def find_data_line(data_folder: Path, item: LostItem) -> tuple[Path, int] | None:
    """A data file line holding the lost item's text, for items that come from a data string."""
    text = (_key(item.text) or ("", ""))[1]
    needle = text[:25]
    if len(needle) < 10:
        return None
    for path in sorted(data_folder.rglob("*.y*ml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if needle in _plain(line):
                return path, number
    return None


def _site_templates(source: Path, own: Path | None) -> list[Path]:
    """The page's own template first, then every partial and macro file of the site's sources."""
    partials = sorted(
        p
        for p in source.rglob("*")
        if p.is_file()
        and p.suffix in (".md", ".j2")
        and any(part.startswith("_") for part in p.relative_to(source).parts)
    )
    return ([own] if own and own.is_file() else []) + partials


def check_lost_lists(project: Project, site_name: str, source_folder: str) -> list[Problem]:
    """Problems for every list item that printed as paragraph text in the built site `site_name`.

    Each names the built page and the line that wrote the item: the template line when one matches, else
    the data file line holding its text, else the line of the rendered Markdown.
    """
    site = project.build / "site" / site_name
    rendered = project.build / "rendered" / site_name
    source = project.root / source_folder
    problems = []
    for item in lost_items(site):
        markdown = markdown_source(rendered, item.page)
        number = find_rendered_line(markdown, item) if markdown else None
        found = None
        if markdown and number:
            own = source / markdown.relative_to(rendered)
            rendered_line = markdown.read_text(encoding="utf-8").splitlines()[number - 1]
            found = (
                find_template_line(_site_templates(source, own), rendered_line)
                or find_data_line(project.data, item)
                or (markdown, number)
            )
        where, line = (
            (project.rel(found[0]), found[1]) if found else (f"build/site/{site_name}/{item.page}", None)
        )
        problems.append(
            Problem(
                where,
                f"list item prints as paragraph text on {site_name} page {item.page}: {item.text[:70]!r}",
                line=line,
                hint=_FIX,
            )
        )
    return problems
