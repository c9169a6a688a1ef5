"""What the public page shows, all from data and the released pack: company and regions, the security overview's
headings as a control summary, sub-processors, the pack's documents and the Atom feed of changes (the customer
site's own feed template, rendered with the same data)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from docskit.datamodel import DataSet
from docskit.paths import Project
from docskit.render import make_environment, render_template

from .pack import ReleasedPack

ATOM = "{http://www.w3.org/2005/Atom}"
FEED_TEMPLATE = "feed.xml.j2"
LOGO_TEMPLATE = "brand/logo.svg.j2"
_NUMBER = re.compile(r"^\d+(\.\d+)*\s+")


@dataclass(frozen=True)
class FeedEntry:
    title: str
    date: str
    summary: str


@dataclass(frozen=True)
class ControlArea:
    number: str
    heading: str
    commitments: int


@dataclass(frozen=True)
class PublicContent:
    """Everything the public page needs, computed once at start-up."""

    company: dict
    regions: list
    subprocessors: list
    controls: list[ControlArea]
    notice_days: int  # notice before a new sub-processor, as the DPA promises (data/dpa.yaml)
    feed_xml: bytes
    feed: list[FeedEntry]
    logo_svg: bytes


def control_summary(pack: ReleasedPack, dataset: DataSet) -> list[ControlArea]:
    """The released security overview's numbered headings that are control domains, with their commitment count."""
    domains = {d["name"]: d["id"] for d in dataset.customer["control_domains"]}
    controls = dataset.customer["controls"]
    areas = []
    for section in pack.sections("security-overview"):
        match = _NUMBER.match(section["heading"])
        title = _NUMBER.sub("", section["heading"])
        if section["level"] == 2 and match and title in domains:
            count = sum(1 for c in controls if c["domain"] == domains[title])
            areas.append(ControlArea(match.group(0).strip(), title, count))
    return areas


def feed_entries(feed_xml: bytes) -> list[FeedEntry]:
    """The entries of an Atom feed, newest first, as the feed lists them."""
    root = ET.fromstring(feed_xml)
    return [
        FeedEntry(
            e.findtext(f"{ATOM}title", ""),
            e.findtext(f"{ATOM}updated", "")[:10],
            e.findtext(f"{ATOM}summary", ""),
        )
        for e in root.findall(f"{ATOM}entry")
    ]


def public_content(project: Project, dataset: DataSet, pack: ReleasedPack) -> PublicContent:
    """Render the feed and the logo with the customer site's templates and collect the page's facts."""
    env = make_environment(project, dataset, "customer", [project.root / "docs"])
    feed_xml = render_template(env, FEED_TEMPLATE, f"docs/{FEED_TEMPLATE}").encode("utf-8")
    logo = render_template(env, LOGO_TEMPLATE, f"overrides/partials/{LOGO_TEMPLATE}").encode("utf-8")
    customer = dataset.customer
    return PublicContent(
        company=customer["company"],
        regions=list(customer["regions"]),
        subprocessors=list(customer["subprocessors"]),
        controls=control_summary(pack, dataset),
        notice_days=customer["scc"]["clause_9a"]["notice_days"],
        feed_xml=feed_xml,
        feed=feed_entries(feed_xml),
        logo_svg=logo,
    )
