"""The built pack: PDFs open with metadata and tags, TOC page numbers are right, builds are reproducible and
released versions immutable."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zipfile

import pytest
from pypdf import PdfReader

from docskit.datamodel import load_dataset
from docskit.problems import BuildFailed
from docskit.procurement.build import build_pack
from docskit.procurement.catalog import pack_documents

from .conftest import flat, pdf_pages

_TOC_LINE = re.compile(r"^\s*(.*?\S)\s*\.{4,}\s*(\d+)\s*$")


def test_pack_contains_every_customer_document_and_manifest_matches_files(
    built_pack, pack_project, pack_dataset
):
    documents, _ = pack_documents(pack_project, pack_dataset)
    manifest = built_pack.manifest
    assert [d["id"] for d in manifest["documents"]] == [d.id for d in documents]
    for entry, doc in zip(manifest["documents"], documents, strict=True):
        data = (built_pack.folder / entry["file"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["version"] == doc.version and entry["effective_date"] == doc.effective_date
        assert entry["pages"] == len(PdfReader(built_pack.folder / entry["file"]).pages)
    assert manifest["pack"]["version"] == pack_dataset.customer["pack"]["version"]
    assert manifest["source_commit"]
    assert all(d.classification in ("public", "customer-confidential") for d in documents)


def test_every_pdf_has_metadata_from_data_and_is_tagged(built_pack, pack_dataset):
    company = pack_dataset.customer["company"]
    for entry in built_pack.manifest["documents"]:
        path = built_pack.folder / entry["file"]
        reader = PdfReader(path)
        meta = reader.metadata
        record = next(d for d in pack_dataset.customer["documents"] if d["id"] == entry["id"])
        assert meta.title == record["title"]
        assert meta.author == company["legal_name"]
        assert meta.subject == record["subject"]
        assert meta["/CreationDate"].startswith(
            "D:" + record["versions"][0]["effective_date"].replace("-", "")
        )
        assert meta["/ModDate"].startswith("D:" + entry["effective_date"].replace("-", ""))
        assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"])
        assert "/StructTreeRoot" in reader.trailer["/Root"]
        raw = path.read_bytes()
        assert b"file://" not in raw and str(built_pack.folder).encode() not in raw


def test_running_header_and_footer_carry_id_version_classification_and_page_x_of_y(built_pack):
    for entry in built_pack.manifest["documents"]:
        pages = pdf_pages(built_pack.folder / entry["file"])
        total = len(pages)
        label = "Public" if entry["classification"] == "public" else "Customer confidential"
        for number, text in enumerate(pages, 1):
            assert f"Page {number} of {total}" in text
            if number > 1:
                assert f"{entry['id']} · version {entry['version']}" in text and label in text


def test_toc_page_numbers_match_the_pages_where_headings_fall(built_pack):
    for entry in built_pack.manifest["documents"]:
        pages = pdf_pages(built_pack.folder / entry["file"], layout=True)
        toc_page = next(i for i, text in enumerate(pages) if "Contents" in text)
        entries, pending = [], ""
        for line in pages[toc_page].splitlines():
            match = _TOC_LINE.match(pending + " " + line if pending else line)
            if match:
                entries.append((flat(match.group(1)), int(match.group(2))))
                pending = ""
            elif line.strip() and "Contents" not in line and "·" not in line and "Page " not in line:
                pending = (pending + " " + line.strip()).strip()
        assert len(entries) >= 3, entry["id"]
        for heading, page in entries:
            assert page > toc_page + 1, (entry["id"], heading)
            assert heading in flat(pages[page - 1]), f"{entry['id']}: {heading!r} not on page {page}"
            earlier = " ".join(flat(p) for p in pages[toc_page + 1 : page - 1])
            assert not earlier.endswith(heading)


def test_zip_holds_every_pdf_and_the_manifest_with_fixed_timestamps(built_pack, pack_dataset):
    effective = dt.date.fromisoformat(pack_dataset.customer["pack"]["effective_date"])
    with zipfile.ZipFile(built_pack.folder / built_pack.manifest["zip"]) as archive:
        names = sorted(archive.namelist())
        assert names == sorted([d["file"] for d in built_pack.manifest["documents"]] + ["manifest.json"])
        for info in archive.infolist():
            assert info.date_time == (effective.year, effective.month, effective.day, 0, 0, 0)
        assert json.loads(archive.read("manifest.json")) == built_pack.manifest


def test_two_clean_builds_from_the_same_sources_are_byte_identical(
    built_pack, pack_project, pack_dataset, tmp_path
):
    from docskit.paths import Project

    other = Project.at(pack_project.root, tmp_path / "second-build")
    day = dt.date.fromisoformat(pack_dataset.customer["pack"]["effective_date"])
    second = build_pack(other, pack_dataset, today=day, log=lambda *_: None)
    assert not (other.build / "procurement" / ".cache").samefile(
        pack_project.build / "procurement" / ".cache"
    )
    for entry in built_pack.manifest["documents"] + [{"file": built_pack.manifest["zip"]}]:
        assert (second.folder / entry["file"]).read_bytes() == (
            built_pack.folder / entry["file"]
        ).read_bytes()


def test_pack_pdfs_equal_a_plain_weasyprint_render_of_the_same_html(built_pack, pack_project, pack_dataset):
    """The render workers collect garbage less often than Python's default; that must not change a byte."""
    import gc

    from docskit.pdfrender import render_pdf
    from docskit.procurement.build import render_documents, render_jobs
    from docskit.procurement.rendering import RENDER_GC_THRESHOLD

    assert gc.get_threshold() != RENDER_GC_THRESHOLD
    largest = max(built_pack.manifest["documents"], key=lambda entry: entry["pages"])
    printed, _ = render_documents(pack_project, pack_dataset)
    job = next(
        j for j in render_jobs(built_pack.manifest["pack"]["version"], printed) if j.name == largest["id"]
    )
    plain = render_pdf(job.html, identifier=job.identifier)
    assert plain.data == (built_pack.folder / largest["file"]).read_bytes()
    assert plain.pages == largest["pages"]


def test_rebuilding_a_released_version_unchanged_keeps_it(built_pack, pack_project, pack_dataset):
    before = (built_pack.folder / "manifest.json").read_bytes()
    day = dt.date.fromisoformat(pack_dataset.customer["pack"]["effective_date"])
    again = build_pack(pack_project, pack_dataset, today=day, log=lambda *_: None)
    assert again.unchanged and again.folder == built_pack.folder
    assert (built_pack.folder / "manifest.json").read_bytes() == before


def test_a_changed_released_version_is_refused_and_left_as_it_was(copy_with_pack, built_pack):
    data = copy_with_pack.root / "data" / "subprocessors.yaml"
    data.write_text(
        data.read_text(encoding="utf-8").replace("Sends approval requests", "Sends approval prompts"),
        encoding="utf-8",
    )
    folder = copy_with_pack.build / "procurement" / built_pack.manifest["pack"]["version"]
    before = {p.name: p.read_bytes() for p in folder.glob("*.pdf")}
    dataset = load_dataset(copy_with_pack)
    day = dt.date.fromisoformat(dataset.customer["pack"]["effective_date"])
    with pytest.raises(BuildFailed, match="released and immutable") as failed:
        build_pack(copy_with_pack, dataset, today=day, log=lambda *_: None)
    assert "subprocessors" in str(failed.value) and "dpa" in str(failed.value)
    assert {p.name: p.read_bytes() for p in folder.glob("*.pdf")} == before


def test_internal_only_content_never_reaches_a_pdf(built_pack, pack_dataset):
    from docskit.procurement.gate import internal_only_strings

    canaries = internal_only_strings(pack_dataset)
    escalation = pack_dataset.internal["incident_escalation"]
    assert escalation["bridge_channel"] in canaries and escalation["on_call_phone"] in canaries
    for entry in built_pack.manifest["documents"]:
        text = flat("\n".join(pdf_pages(built_pack.folder / entry["file"])))
        leaked = [c for c in canaries if flat(c) in text]
        assert not leaked, f"{entry['id']} contains internal content: {leaked}"
