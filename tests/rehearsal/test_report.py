"""The readiness report names every item's result per scenario, and what failed and where to look."""

from __future__ import annotations

import subprocess

from docskit.paths import REPO_ROOT, Project
from docskit.pdfrender import html_to_pdf
from docskit.rehearsal.report import build_report, render_report_html
from tests.rehearsal.reports import FAILED_CHECK, WHERE, sample_outcome


def test_a_failing_check_makes_the_report_not_ready_and_names_it_with_where_to_look(tmp_path):
    project = Project(REPO_ROOT, tmp_path / "build")
    dataset, rehearsals, outcome = sample_outcome(project, "Initech GmbH")
    report = build_report(project, dataset, rehearsals, outcome)
    assert report["passed"] is False
    results = {i["id"]: i["results"]["eu-business-byok"] for i in report["items"]}
    assert results == {
        "checklist": "pass",
        "limits": "fail",
        "support": "not run",
        "pack": "not run",
        "docs": "not run",
    }
    assert report["failures"] == [
        {
            "scenario": "eu-business-byok",
            "item": "limits",
            "name": FAILED_CHECK,
            "passed": False,
            "evidence": "used 20,001 of 20,000 after the call over the cap",
            "where": WHERE,
        }
    ]
    html = render_report_html(project, dataset, report)
    assert "Not ready:" in html and FAILED_CHECK in html and f"Look at: {WHERE}" in html


def test_the_pdf_reads_as_a_signed_off_document(tmp_path):
    project = Project(REPO_ROOT, tmp_path / "build")
    dataset, rehearsals, outcome = sample_outcome(project, "Initech GmbH")
    html = render_report_html(project, dataset, build_report(project, dataset, rehearsals, outcome))
    pdf = html_to_pdf(html, tmp_path / "report.pdf")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "Paying-tenant readiness report",
        "NOT READY",
        "What failed and where to look",
        WHERE,
        "Sign-off",
        "SE lead (name)",
        "Usage limits enforced and visible",
        "Page 1 of",
    ):
        assert expected in text, expected
