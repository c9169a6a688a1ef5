"""Every fact the PDFs quote — regions, retention, encryption, sub-processors, response targets, limits — equals
the data and what the customer site says."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest

from docskit.tables import minutes_text, number

from .conftest import flat, pdf_pages

_TAGS = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]+>", re.DOTALL)


@pytest.fixture(scope="module")
def site_text(built_project) -> str:
    pages = sorted((built_project.build / "site" / "customer").rglob("*.html"))
    return flat(" ".join(html.unescape(_TAGS.sub(" ", p.read_text(encoding="utf-8"))) for p in pages))


@pytest.fixture(scope="module")
def pdf_text(built_pack):
    return {
        d["id"]: flat(" ".join(pdf_pages(built_pack.folder / d["file"])))
        for d in built_pack.manifest["documents"]
    }


def _everywhere(fact: str, site_text: str, pdf_text: dict, *doc_ids: str) -> None:
    assert fact in site_text, f"customer site does not say {fact!r}"
    for doc_id in doc_ids:
        assert fact in pdf_text[doc_id], f"{doc_id}.pdf does not say {fact!r}"


def test_regions(pack_dataset, site_text, pdf_text):
    for region in pack_dataset.customer["regions"]:
        for side in ("primary", "disaster_recovery"):
            _everywhere(
                region[side]["code"], site_text, pdf_text, "data-residency", "dpa", "security-overview"
            )
            _everywhere(region[side]["location"], site_text, pdf_text, "data-residency", "security-overview")


def test_retention(pack_dataset, site_text, pdf_text):
    for plan in pack_dataset.customer["plans"]:
        _everywhere(
            f"{number(plan['retention_days'])} days", site_text, pdf_text, "data-processing-summary", "dpa"
        )


def test_encryption(pack_dataset, site_text, pdf_text):
    controls = {c["id"]: c for c in pack_dataset.customer["controls"]}
    _everywhere(
        pack_dataset.customer["envelope"]["data_key_algorithm"],
        site_text,
        pdf_text,
        "security-overview",
        "byok-responsibility",
    )
    _everywhere(
        f"TLS {controls['enc_in_transit']['parameters']['min_tls_version']}",
        site_text,
        pdf_text,
        "security-overview",
        "dpa",
    )
    for provider in pack_dataset.customer["key_providers"]:
        _everywhere(provider["name"], site_text, pdf_text, "byok-responsibility", "security-overview")


def test_subprocessors(pack_dataset, site_text, pdf_text):
    for sub in pack_dataset.customer["subprocessors"]:
        _everywhere(sub["name"], site_text, pdf_text, "subprocessors", "dpa", "data-processing-summary")
        _everywhere(sub["transfer_mechanism"], site_text, pdf_text, "subprocessors", "dpa")


def test_response_targets_row_by_row(pack_dataset, built_pack, site_text):
    plans = pack_dataset.customer["plans"]
    layout = "\n".join(pdf_pages(built_pack.folder / "security-overview.pdf", layout=True))
    for severity in pack_dataset.customer["severities"]:
        cells = [
            f"{severity['name']} ({severity['label']})",
            *[minutes_text(severity["targets"][p["id"]]["first_response_minutes"]) for p in plans],
        ]
        assert re.search(r"\s{2,}".join(map(re.escape, cells)), layout), f"security-overview row {cells}"
        assert " ".join(cells) in site_text, f"customer site row {cells}"


def test_limits(pack_dataset, site_text, pdf_text):
    for dimension in pack_dataset.customer["capacity_unit"]["dimensions"]:
        _everywhere(
            f"{number(dimension['per_cu'])} {dimension['unit']}", site_text, pdf_text, "security-overview"
        )


def test_security_review_page_lists_the_pack_and_links_the_feed(built_project, built_pack):
    page = (built_project.build / "site" / "customer" / "security-review" / "index.html").read_text(
        encoding="utf-8"
    )
    text = flat(html.unescape(_TAGS.sub(" ", page)))
    for doc in built_pack.manifest["documents"]:
        assert f"{doc['title']} {doc['version']}" in text
    assert 'href="../feed.xml"' in page


def test_atom_feed_announces_every_document_version_and_subprocessor_change(
    built_project, pack_dataset, built_pack
):
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.parse(built_project.build / "site" / "customer" / "feed.xml").getroot()
    entries = feed.findall("a:entry", ns)
    ids = [e.find("a:id", ns).text for e in entries]
    assert len(ids) == len(set(ids))
    in_pack = {d["id"] for d in built_pack.manifest["documents"]}
    expected = {
        f"documents/{d['id']}/{v['version']}"
        for d in pack_dataset.customer["documents"]
        if d["id"] in in_pack
        for v in d["versions"]
    }
    expected |= {f"subprocessors/{c['id']}" for c in pack_dataset.customer["subprocessor_changes"]}
    pack = pack_dataset.customer["pack"]
    if pack["status"] == "released":
        expected.add(f"pack/{pack['version']}")
    assert {i.split(":", 2)[2] for i in ids} == expected
    dates = [e.find("a:updated", ns).text for e in entries]
    assert dates == sorted(dates, reverse=True) and feed.find("a:updated", ns).text == dates[0]


def test_atom_feed_entry_of_the_released_pack_links_to_its_github_release(built_project, pack_dataset):
    ns = {"a": "http://www.w3.org/2005/Atom"}
    pack, releases = pack_dataset.customer["pack"], pack_dataset.customer["releases"]
    feed = ET.parse(built_project.build / "site" / "customer" / "feed.xml").getroot()
    entry = next(
        e for e in feed.findall("a:entry", ns) if e.find("a:id", ns).text.endswith(f":pack/{pack['version']}")
    )
    tag = f"{releases['pack_tag_prefix']}{pack['version']}"
    assert entry.find("a:link", ns).get("href") == (
        f"{releases['server']}/{releases['repository']}/releases/tag/{tag}"
    )
    assert entry.find("a:title", ns).text == f"{pack['title']} {pack['version']}"
