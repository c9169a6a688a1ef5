"""Render one procurement document from its Jinja source to print HTML: numbered headings, a table of contents
whose page numbers WeasyPrint fills in (target-counter), cross-references, and the sections as plain text.
"""

from __future__ import annotations

import html as htmllib
import re
import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser

import jinja2

from ..datamodel import DataSet
from ..paths import Project
from ..render import make_environment, render_template
from .catalog import CLASSIFICATION_LABELS, PackDocument, pack_info
from .controls import controls_in_domain, statement_text
from .diagram import architecture_svg_uri

BASE_TEMPLATE = "print/base.html.j2"
TOC_MARKER = "<!--TOC-->"
_HEADING = re.compile(r"<h([23])((?:\s[^>]*)?)>(.*?)</h\1>", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')
_CLASS = re.compile(r'\bclass="([^"]*)"')
_XREF = re.compile(r'<a class="xref" href="#([^"]+)"></a>')
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    number: str
    text: str


@dataclass
class PrintDocument:
    """A document ready for WeasyPrint: its HTML, its headings and its sections' text."""

    doc: PackDocument
    html: str
    headings: list[Heading]
    sections: list[dict] = field(default_factory=list)


def css_string(value) -> str:
    """Text safe inside a double-quoted CSS string."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return re.sub(r"[\r\n]+", " ", text)


def dot_label(value) -> str:
    """Text safe inside a double-quoted Graphviz label."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def dot_wrap(value, width: int = 22, align: str = "n") -> str:
    """A Graphviz label in lines of at most `width` characters (long words stay whole); `align` is the DOT line
    end: "n" centres each line, "l" aligns it left."""
    lines = [dot_label(line) for line in textwrap.wrap(str(value), width) or [""]]
    end = "\\" + align
    return end.join(lines) + (end if align != "n" else "")


def print_environment(project: Project, dataset: DataSet) -> jinja2.Environment:
    """The customer-audience Jinja environment with the print helpers (never the internal context)."""
    env = make_environment(project, dataset, "customer", [project.root / "overrides"])
    env.filters.update(
        {
            "statement": statement_text,
            "css_string": css_string,
            "dot_label": dot_label,
            "dot_wrap": dot_wrap,
            "classification_label": CLASSIFICATION_LABELS.__getitem__,
        }
    )
    env.globals["controls_in_domain"] = controls_in_domain
    env.globals["pack"] = pack_info(dataset)
    env.globals["role_name"] = {r["id"]: r["name"] for r in dataset.customer["roles"]}.__getitem__
    return env


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", htmllib.unescape(_TAG.sub("", text)).lower()).strip("-")
    return slug or "section"


def number_headings(body: str) -> tuple[str, list[Heading]]:
    """Give every h2/h3 an id and a number (1, 1.1) unless it has class "unnumbered"; return the headings."""
    headings: list[Heading] = []
    counters = [0, 0]
    seen: set[str] = set()

    def replace(match: re.Match) -> str:
        level, attrs, inner = int(match.group(1)), match.group(2) or "", match.group(3)
        id_match = _ID.search(attrs)
        hid = id_match.group(1) if id_match else _slug(inner)
        while hid in seen:
            hid += "-x"
        seen.add(hid)
        classes = (_CLASS.search(attrs).group(1) if _CLASS.search(attrs) else "").split()
        number = ""
        if "unnumbered" not in classes:
            if level == 2:
                counters[0], counters[1] = counters[0] + 1, 0
                number = str(counters[0])
            else:
                counters[1] += 1
                number = f"{counters[0]}.{counters[1]}"
        text = " ".join(htmllib.unescape(_TAG.sub("", inner)).split())
        headings.append(Heading(level, hid, number, text))
        attrs = _ID.sub("", attrs).strip()
        label = f'<span class="num">{number}</span> ' if number else ""
        return f'<h{level} id="{hid}"{" " + attrs if attrs else ""}>{label}{inner}</h{level}>'

    return _HEADING.sub(replace, body), headings


def toc_html(headings: list[Heading]) -> str:
    """The table of contents: one link per heading; CSS adds the page number with target-counter()."""
    items = []
    for h in headings:
        number = f'<span class="num">{h.number}</span> ' if h.number else ""
        items.append(
            f'<li class="toc-l{h.level}"><a href="#{h.id}">{number}{htmllib.escape(h.text)}</a></li>'
        )
    return '<ol class="toc-list">' + "".join(items) + "</ol>"


def resolve_xrefs(body: str, headings: list[Heading], shown: str) -> str:
    """Fill <a class="xref" href="#id"></a> with "Section N" of the heading it points to."""
    numbers = {h.id: h.number for h in headings}

    def replace(match: re.Match) -> str:
        target = match.group(1)
        if target not in numbers:
            raise KeyError(
                f"{shown}: cross-reference to unknown section #{target}; valid: {', '.join(numbers)}"
            )
        return f'<a class="xref" href="#{target}">Section {numbers[target]}</a>'

    return _XREF.sub(replace, body)


class _SectionText(HTMLParser):
    """Collects the text of <main> split at h2/h3 headings."""

    SKIP = frozenset({"style", "script", "title"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections: list[dict] = []
        self._in_main = 0
        self._skip = 0
        self._heading: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self._in_main += 1
        elif tag in self.SKIP:
            self._skip += 1
        elif self._in_main and tag in ("h2", "h3"):
            self._heading = []
        elif self._in_main and tag in ("p", "li", "tr", "td", "th", "br", "dd", "dt"):
            self._text(" ")

    def handle_endtag(self, tag):
        if tag == "main":
            self._in_main -= 1
        elif tag in self.SKIP:
            self._skip -= 1
        elif tag in ("h2", "h3") and self._heading is not None:
            self.sections.append(
                {"heading": " ".join("".join(self._heading).split()), "level": int(tag[1]), "text": ""}
            )
            self._heading = None

    def handle_data(self, data):
        self._text(data)

    def _text(self, data):
        if not self._in_main or self._skip:
            return
        if self._heading is not None:
            self._heading.append(data)
        elif self.sections:
            self.sections[-1]["text"] += data


def section_texts(html: str) -> list[dict]:
    """[{heading, level, text}] for every h2/h3 section of <main>, text with whitespace collapsed."""
    parser = _SectionText()
    parser.feed(html)
    for section in parser.sections:
        section["text"] = " ".join(section["text"].split())
    return parser.sections


def render_document(env: jinja2.Environment, doc: PackDocument, stamp: dict | None = None) -> PrintDocument:
    """Render one document to print HTML; `stamp` ({recipient, date}) adds the distribution stamp."""
    extra = {"doc": doc, "stamp": stamp, "architecture_svg_uri": lambda: architecture_svg_uri(env)}
    html = render_template(env, doc.source, doc.source, **extra)
    head, marker, rest = html.partition(TOC_MARKER)
    if not marker:
        raise KeyError(f"{doc.source}: the document must extend {BASE_TEMPLATE}, which places the contents")
    rest, headings = number_headings(rest)
    rest = resolve_xrefs(rest, headings, doc.source)
    html = head + toc_html(headings) + rest
    return PrintDocument(doc=doc, html=html, headings=headings, sections=section_texts(html))
