"""Release gate and content checks: placeholders, empty sections, internal content, review dates, RACI."""

from __future__ import annotations

import datetime as dt

import pytest

from docskit.datamodel import load_dataset
from docskit.problems import BuildFailed
from docskit.procurement.build import render_documents
from docskit.procurement.catalog import pack_documents
from docskit.procurement.controls import check_control_statements, check_raci
from docskit.procurement.gate import check_review_dates, release_gate


def _effective(dataset) -> dt.date:
    return dt.date.fromisoformat(dataset.customer["pack"]["effective_date"])


def test_current_sources_pass_the_release_gate(pack_project, pack_dataset):
    printed, _ = render_documents(pack_project, pack_dataset)
    assert release_gate(pack_dataset, printed, _effective(pack_dataset)) == []


def test_gate_reports_placeholders_and_empty_sections(project_copy):
    source = project_copy.root / "security" / "pentest-plan.html.j2"
    text = source.read_text(encoding="utf-8")
    text = text.replace(
        '<h2 id="cadence">Cadence</h2>', '<h2 id="later">Later</h2>\n<h2 id="cadence">Cadence</h2>'
    )
    text = text.replace(
        '<h2 id="purpose">Purpose</h2>', '<h2 id="purpose">Purpose</h2>\n<p>TODO: confirm.</p>'
    )
    source.write_text(text, encoding="utf-8")
    dataset = load_dataset(project_copy)
    printed, _ = render_documents(project_copy, dataset)
    messages = [p.message for p in release_gate(dataset, printed, _effective(dataset))]
    assert any("placeholder 'TODO'" in m for m in messages)
    assert any(m.endswith("Later' is empty") for m in messages)


def test_gate_reports_documents_past_their_review_date(pack_project, pack_dataset):
    printed, _ = render_documents(pack_project, pack_dataset)
    later = _effective(pack_dataset) + dt.timedelta(days=800)
    messages = [p.message for p in release_gate(pack_dataset, printed, later)]
    assert any("dpa 1.0 was due for review" in m for m in messages)
    assert check_review_dates(pack_project, pack_dataset, today=later)
    assert check_review_dates(pack_project, pack_dataset, today=_effective(pack_dataset)) == []


def test_gate_reports_internal_content_pasted_into_a_template(project_copy):
    source = project_copy.root / "security" / "pentest-plan.html.j2"
    source.write_text(
        source.read_text(encoding="utf-8").replace(
            '<h2 id="purpose">Purpose</h2>',
            '<h2 id="purpose">Purpose</h2>\n<p>Call #sec-incident-bridge.</p>',
        ),
        encoding="utf-8",
    )
    dataset = load_dataset(project_copy)
    printed, _ = render_documents(project_copy, dataset)
    messages = [p.message for p in release_gate(dataset, printed, _effective(dataset))]
    assert any("internal-only content" in m and "#sec-incident-bridge" in m for m in messages)


def test_templates_cannot_read_internal_records(project_copy):
    source = project_copy.root / "security" / "pentest-plan.html.j2"
    source.write_text(
        source.read_text(encoding="utf-8").replace(
            "{% block content %}", "{% block content %}<p>{{ incident_escalation.bridge_channel }}</p>"
        ),
        encoding="utf-8",
    )
    with pytest.raises(BuildFailed, match="incident_escalation"):
        render_documents(project_copy, load_dataset(project_copy))


def test_internal_and_not_yet_written_documents_stay_out_of_the_pack(project_copy):
    data = project_copy.root / "data" / "documents.yaml"
    data.write_text(
        data.read_text(encoding="utf-8")
        + """  - id: escalation-matrix
    title: Escalation matrix
    subject: Who we call when a Sev-1 security incident is declared.
    source: security/escalation-matrix.html.j2
    owner: ciso
    classification: internal
    audience: internal
    review_interval_months: 6
    versions:
      - {version: "1.0", effective_date: 2026-11-25, changes: First version.}
""",
        encoding="utf-8",
    )
    dataset = load_dataset(project_copy)
    included, skipped = pack_documents(project_copy, dataset)
    ids = [d.id for d in included]
    assert "escalation-matrix" not in ids
    partial = project_copy.root / "security" / "_questionnaire_answers.html.j2"
    if not partial.exists():
        assert "questionnaire-answers" in dict(skipped)
        partial.write_text("<h2>Answers</h2><p>We answer every question from data.</p>\n", encoding="utf-8")
        included, _ = pack_documents(project_copy, load_dataset(project_copy))
    assert "questionnaire-answers" in [d.id for d in included]


def test_internal_document_without_internal_audience_is_rejected_by_the_schema(project_copy):
    data = project_copy.root / "data" / "documents.yaml"
    text = data.read_text(encoding="utf-8").replace(
        "classification: customer-confidential", "classification: internal", 1
    )
    data.write_text(text, encoding="utf-8")
    with pytest.raises(BuildFailed, match="audience"):
        load_dataset(project_copy)


def test_content_checks_pass_on_current_data_and_catch_bad_control_and_raci_data(project_copy, pack_dataset):
    assert check_control_statements(project_copy, pack_dataset) == []
    assert check_raci(project_copy, pack_dataset) == []
    controls = project_copy.root / "data" / "security_controls.yaml"
    controls.write_text(
        controls.read_text(encoding="utf-8").replace("{min_tls_version}", "{min_tls}"), encoding="utf-8"
    )
    raci = project_copy.root / "data" / "key_responsibilities.yaml"
    raci.write_text(
        raci.read_text(encoding="utf-8").replace(
            "{tenant: A/R, relaywright: C, provider: I}", "{tenant: A/R, relaywright: A, provider: I}", 1
        ),
        encoding="utf-8",
    )
    dataset = load_dataset(project_copy)
    statement_problems = [p.message for p in check_control_statements(project_copy, dataset)]
    assert any("{min_tls}" in m for m in statement_problems)
    assert any("'min_tls_version' is never used" in m for m in statement_problems)
    assert [p.message for p in check_raci(project_copy, dataset)] == [
        "activity 'key_creation' has 2 Accountable parties"
    ]
