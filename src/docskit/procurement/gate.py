"""The release gate (placeholders, empty sections, internal-only content, overdue reviews) and the review-date
content check of `./dev check`."""

from __future__ import annotations

import datetime as dt
import re

from ..datamodel import DataSet
from ..paths import Project
from ..problems import Problem
from ..scans import PLACEHOLDER
from .catalog import add_months, current_version
from .htmldoc import PrintDocument

MIN_INTERNAL_PHRASE = 12  # internal phrases shorter than this (enum values, single words) prove nothing
_CONTACT = re.compile(r"@|://|^#[\w-]{3,}$|^\+?[\d ()-]{9,}$")


def _is_evidence(text: str) -> bool:
    """An internal value whose presence in a PDF means a leak: a phrase, or a contact (email, URL, channel, phone)."""
    text = text.strip()
    return bool(_CONTACT.search(text)) or (len(text) >= MIN_INTERNAL_PHRASE and " " in text)


def _strings(value) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, (int, float, bool)) or value is None:
        return set()
    items = value.values() if hasattr(value, "values") else value
    found: set[str] = set()
    for item in items:
        found |= _strings(item)
    return found


def internal_only_strings(dataset: DataSet) -> set[str]:
    """Text values that exist only in internal records (never in the customer context), plus the handbook URL."""
    internal = {s for s in _strings(dataset.internal) - _strings(dataset.customer) if _is_evidence(s)}
    return internal | {dataset.internal["company"]["sites"]["handbook"]}


def empty_sections(document: PrintDocument) -> list[str]:
    """Headings of sections with no text and no subsections."""
    empty = []
    sections = document.sections
    for index, section in enumerate(sections):
        following = sections[index + 1] if index + 1 < len(sections) else None
        has_children = following is not None and following["level"] > section["level"]
        if not section["text"] and not has_children:
            empty.append(section["heading"])
    return empty


def release_gate(dataset: DataSet, documents: list[PrintDocument], today: dt.date) -> list[Problem]:
    """Every reason the rendered documents may not be released."""
    problems = []
    secrets = internal_only_strings(dataset)
    for document in documents:
        doc, shown = document.doc, document.doc.source
        for section in document.sections:
            for text in (section["heading"], section["text"]):
                match = PLACEHOLDER.search(text)
                if match:
                    problems.append(
                        Problem(
                            shown,
                            f"placeholder {match.group(0)!r} in section {section['heading']!r}",
                            hint="write the real content or move the fact into data/",
                        )
                    )
        for heading in empty_sections(document):
            problems.append(
                Problem(
                    shown, f"section {heading!r} is empty", hint="write the section or remove its heading"
                )
            )
        for secret in sorted(secrets):
            if secret in document.html:
                problems.append(
                    Problem(
                        shown,
                        f"internal-only content in a customer PDF: {secret[:60]!r}",
                        hint="remove it from the template; internal facts stay in the handbook",
                    )
                )
        if doc.review_due < today:
            problems.append(
                Problem(
                    "data/documents.yaml",
                    f"{doc.id} {doc.version} was due for review on {doc.review_due.isoformat()}",
                    hint="review it, then add a version entry "
                    "with a new effective date (or confirm it and bump the effective date)",
                )
            )
    return problems


def check_review_dates(project: Project, dataset: DataSet, today: dt.date | None = None) -> list[Problem]:
    """Content check: no customer document is past its review date."""
    today = today or dt.date.today()
    source = dataset.sources.get("data/documents.yaml")
    problems = []
    for index, record in enumerate(dataset.internal["documents"]):
        current = current_version(record)
        due = add_months(dt.date.fromisoformat(current["effective_date"]), record["review_interval_months"])
        if due < today and record["classification"] != "internal":
            line = source.line_of(["documents", index, "versions"]) if source else None
            problems.append(
                Problem(
                    "data/documents.yaml",
                    f"{record['id']} {current['version']} was due for review on {due.isoformat()}",
                    line=line,
                    path=f"documents[{index}].versions",
                    hint="review the document and add a version entry with a new effective date",
                )
            )
    return problems
