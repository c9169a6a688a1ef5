"""Internal content (handbook pages, internal data records) never reaches anything built for customers."""

from __future__ import annotations

from pathlib import Path

import pytest

from docskit.datamodel import load_dataset
from docskit.sitebuild import build_sites

PAGE_CANARY = "CANARY-HANDBOOK-7f3a91"
RECORD_CANARY = "CANARY-INTERNAL-RECORD-c42e08"
FILE_CANARY = "CANARY-INTERNAL-FILE-9d11b5"
REPORT_CANARY = "CANARY-READINESS-REPORT-51e0aa"


def files_containing(folder: Path, needle: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


@pytest.fixture
def project_with_canaries(project_copy):
    root = project_copy.root
    (root / "playbooks/canary.md").write_text(
        f"---\ntitle: Canary\ndescription: Internal canary page\n---\n\n# Canary\n\n{PAGE_CANARY}\n",
        encoding="utf-8",
    )
    config = root / "handbook.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("nav:\n", "nav:\n  - Canary: canary.md\n"),
        encoding="utf-8",
    )
    # An internal record inside a customer-facing file, and a whole internal file.
    company = root / "data/company.yaml"
    company.write_text(
        company.read_text(encoding="utf-8").replace(
            "  contacts:\n",
            f"  contacts:\n    - id: oncall\n      label: {RECORD_CANARY}\n      email: oncall@relaywright.example\n"
            "      audience: internal\n",
        ),
        encoding="utf-8",
    )
    (root / "data/canary_notes.yaml").write_text(
        f"# Internal canary file.\naudience: internal\ncanary_notes:\n  text: {FILE_CANARY}\n"
        f"canary_list:\n  - {FILE_CANARY}-in-a-list\n",
        encoding="utf-8",
    )
    (root / "schemas/canary_notes.schema.json").write_text('{"type": "object"}', encoding="utf-8")
    # A customer page that lists every contact: the internal one must not be among them.
    index = root / "docs/index.md"
    index.write_text(
        index.read_text(encoding="utf-8")
        + "\n## Contacts\n\n{% for c in company.contacts %}- {{ c.label }}\n{% endfor %}\n",
        encoding="utf-8",
    )
    # A readiness report in the build folder (what `./dev rehearse` leaves), and a customer page asking for it.
    from tests.rehearsal.reports import write_sample_report

    write_sample_report(project_copy, REPORT_CANARY)
    index.write_text(index.read_text(encoding="utf-8") + "\n{{ latest_rehearsal() }}\n", encoding="utf-8")
    handbook = root / "playbooks/index.md"
    handbook.write_text(
        handbook.read_text(encoding="utf-8")
        + "\n{% for c in company.contacts %}- {{ c.label }}\n{% endfor %}\n{{ canary_notes.text }}\n",
        encoding="utf-8",
    )
    return project_copy


def test_canaries_reach_the_handbook(project_with_canaries):
    build_sites(project_with_canaries)
    handbook = project_with_canaries.build / "site/handbook"
    for canary in (PAGE_CANARY, RECORD_CANARY, FILE_CANARY):
        assert files_containing(handbook, canary), canary
    assert handbook / "onboarding/readiness/index.html" in files_containing(handbook, REPORT_CANARY)


def test_canaries_appear_in_no_file_of_the_customer_build(project_with_canaries):
    build_sites(project_with_canaries)
    for folder in ("site/customer", "rendered/customer"):
        for canary in (PAGE_CANARY, RECORD_CANARY, FILE_CANARY, REPORT_CANARY):
            assert files_containing(project_with_canaries.build / folder, canary) == [], (folder, canary)


def test_customer_template_cannot_read_an_internal_file(project_with_canaries):
    dataset = load_dataset(project_with_canaries)
    assert "canary_notes" in dataset.internal and "canary_list" in dataset.internal
    assert "canary_notes" not in dataset.customer
    assert "canary_list" not in dataset.customer
    labels = [c["label"] for c in dataset.customer["company"]["contacts"]]
    assert RECORD_CANARY not in labels


def test_handbook_pages_are_marked_internal_and_unindexable_and_customer_pages_are_not(built_project):
    robots = '<meta name="robots" content="noindex, nofollow">'
    handbook = built_project.build / "site/handbook/index.html"
    customer = built_project.build / "site/customer/index.html"
    assert robots in handbook.read_text(encoding="utf-8")
    assert "Internal handbook: do not share" in handbook.read_text(encoding="utf-8")
    assert robots not in customer.read_text(encoding="utf-8")
    assert "Internal handbook" not in customer.read_text(encoding="utf-8")


def test_customer_pages_have_no_announcement_bar(built_project):
    html = (built_project.build / "site/customer/index.html").read_text(encoding="utf-8")
    assert 'class="md-banner"' not in html
