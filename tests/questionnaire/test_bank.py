"""The answer bank: coverage of CCM v4, one home for every fact, and the review-date content check."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from ruamel.yaml import YAML

from docskit import checks, outputs
from docskit.datamodel import load_dataset
from docskit.problems import BuildFailed
from docskit.procurement.controls import statement_text
from docskit.questionnaire.bank import load_bank
from docskit.questionnaire.checks import check_bank, due_answers, overdue_answers
from docskit.questionnaire.describe import render_descriptions
from docskit.render import make_environment

CCM_DOMAINS = [
    "A&A",
    "AIS",
    "BCR",
    "CCC",
    "CEK",
    "DCS",
    "DSP",
    "GRC",
    "HRS",
    "IAM",
    "IPY",
    "IVS",
    "LOG",
    "SEF",
    "STA",
    "TVM",
    "UEM",
]
# Names of standards, laws and algorithms that contain digits; any other digit in prose is a typed fact.
NAMED_NUMBERS = re.compile(
    r"SHA-256|AES-256-GCM|X-Hub-Signature-256|ISO/IEC 27001(:2022)?|SOC 2|CAIQ v4|CCM v4|NIST SP 800-63B|OWASP Top 10|FIDO2|SAML 2\.0|"
    r"SCIM 2\.0|Decision \(EU\) 2021/914|Articles? \d+(\(\d+\))?(\([a-z]\))?( and \d+)?|Clause \d+|Sev-\d"
)


def test_bank_covers_every_ccm_v4_domain_with_enough_answers(bank):
    assert [d.id for d in bank.domains] == CCM_DOMAINS
    assert {a.domain for a in bank.answers} == set(CCM_DOMAINS)
    assert len(bank.answers) >= 150


def test_every_answer_has_the_fields_a_reviewer_needs(bank, dataset):
    documents = {d["id"] for d in dataset.customer["documents"]}
    for answer in bank.answers:
        assert answer.answer in ("Yes", "No", "N/A")
        assert answer.ssrm in ("CSP-owned", "CSC-owned", "Shared CSP and CSC")
        assert answer.ssrm == "CSP-owned" or answer.customer_responsibilities, answer.id
        assert set(answer.evidence) <= documents, answer.id
        assert answer.iso27001 and answer.soc2 and len(answer.phrasings) >= 2, answer.id
        assert answer.owner in bank.owner_roles


def test_caiq_ids_are_unique_and_inside_their_domain(bank):
    seen = [qid for a in bank.answers for qid in a.caiq]
    assert len(seen) == len(set(seen))
    for answer in bank.answers:
        assert all(qid.startswith(f"{answer.domain}-") for qid in answer.caiq), answer.id


def test_descriptions_render_from_data_and_type_no_numbers(repo_project, dataset, bank):
    rendered = render_descriptions(make_environment(repo_project, dataset, "customer"), bank, dataset)
    assert set(rendered) == {a.id for a in bank.answers}
    for answer in bank.answers:
        prose = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", answer.description, flags=re.DOTALL)
        assert not re.search(r"\d", NAMED_NUMBERS.sub(" ", prose)), f"{answer.id} types a number: {prose}"
        assert "{{" not in rendered[answer.id] and "{%" not in rendered[answer.id]


def test_answers_quote_the_security_overview_word_for_word(repo_project, dataset, bank):
    rendered = render_descriptions(make_environment(repo_project, dataset, "customer"), bank, dataset)
    controls = {c["id"]: c for c in dataset.customer["controls"]}
    quoting = {a.id: re.findall(r"control\('(\w+)'\)", a.description) for a in bank.answers}
    assert sum(map(len, quoting.values())) >= 20
    for answer_id, control_ids in quoting.items():
        for control_id in control_ids:
            assert statement_text(controls[control_id]) in rendered[answer_id]


def _edit(path, change):
    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def test_a_changed_fact_changes_every_answer_that_quotes_it(project_copy):
    _edit(project_copy.data / "plans.yaml", lambda d: d["plans"][0].__setitem__("retention_days", 45))
    dataset = load_dataset(project_copy)
    bank = load_bank(dataset)
    rendered = render_descriptions(make_environment(project_copy, dataset, "customer"), bank, dataset)
    assert "45 days on the Team plan" in rendered["dsp-14"]


def test_check_bank_passes_on_the_repository(repo_project, dataset):
    assert check_bank(repo_project, dataset, today=dt.date(2026, 11, 25)) == []


def test_check_bank_flags_answers_past_their_review_date(repo_project, dataset, bank):
    later = max(a.last_reviewed for a in bank.answers) + dt.timedelta(days=bank.review_interval_days + 1)
    problems = check_bank(repo_project, dataset, today=later)
    assert len(problems) == len(bank.answers)
    first = problems[0]
    assert (
        first.file.startswith("data/questionnaire/ccm_")
        and first.line
        and "past its review date" in first.message
    )
    assert "last_reviewed" in first.path and "Chief Information Security Officer" in "".join(
        p.hint for p in problems
    )


def test_due_and_overdue_answers_are_split_by_the_warning_window(bank):
    reviewed = max(a.last_reviewed for a in bank.answers)
    soon = reviewed + dt.timedelta(days=bank.review_interval_days - bank.review_warn_days + 1)
    assert due_answers(bank, soon) and not overdue_answers(bank, soon)
    assert not due_answers(bank, reviewed) and not overdue_answers(bank, reviewed)


def test_check_bank_flags_a_ccm_domain_without_answers(project_copy):
    (project_copy.data / "questionnaire" / "ccm_ipy.yaml").unlink()
    dataset = load_dataset(project_copy)
    messages = [p.message for p in check_bank(project_copy, dataset, today=dt.date(2026, 11, 25))]
    assert messages == ["CCM domain IPY (Interoperability & Portability) has no answers"]


def test_check_bank_reports_a_caiq_id_answered_twice(project_copy):
    _edit(
        project_copy.data / "questionnaire" / "ccm_iam.yaml",
        lambda d: d["answers"][1]["mappings"]["caiq"].append("IAM-01.1"),
    )
    dataset = load_dataset(project_copy)
    problems = check_bank(project_copy, dataset, today=dt.date(2026, 11, 25))
    assert len(problems) == 1 and "CAIQ id 'IAM-01.1' is already answered by 'iam-01'" in problems[0].message
    assert problems[0].file == "data/questionnaire/ccm_iam.yaml" and problems[0].line


def test_a_description_that_does_not_render_is_located(project_copy):
    _edit(
        project_copy.data / "questionnaire" / "ccm_cek.yaml",
        lambda d: d["answers"][2].__setitem__(
            "description", "Keys rotate every {{ key_rotation_days }} days, always."
        ),
    )
    dataset = load_dataset(project_copy)
    problems = check_bank(project_copy, dataset, today=dt.date(2026, 11, 25))
    assert len(problems) == 1
    assert problems[0].file == "data/questionnaire/ccm_cek.yaml" and "cek-03" in problems[0].message
    assert "key_rotation_days" in problems[0].message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["answers"][0].__setitem__("evidence", ["security-whitepaper"]), "unknown documents id"),
        (lambda d: d["answers"][0].__setitem__("owner", "cto"), "unknown roles id"),
        (lambda d: d["answers"][0].__setitem__("ssrm", "Shared CSP and CSC"), "customer_responsibilities"),
        (lambda d: d["answers"][0]["mappings"].__setitem__("iso27001", ["A.9.2.1"]), "does not match"),
    ],
)
def test_schema_rejects_bad_answers_with_file_and_line(project_copy, change, message):
    _edit(project_copy.data / "questionnaire" / "ccm_aa.yaml", change)
    with pytest.raises(BuildFailed) as failed:
        load_dataset(project_copy)
    problem = failed.value.problems[0]
    assert problem.file == "data/questionnaire/ccm_aa.yaml" and problem.line and message in problem.message


def test_bank_check_and_export_are_registered():
    assert "docskit.questionnaire.checks:check_bank" in checks.CONTENT_CHECKS
    assert "docskit.questionnaire.export:build_exports" in outputs.BUILD_STEPS


# Questions whose safe answer is "No" (may staff do X? is data ever used for Y?): the bank answers each with "No"
# and the control that prevents it, so a matcher never has to borrow the "Yes" of the control's own answer.
SAFE_NO = {
    "iam-18": "without approval",
    "iam-19": "shared",
    "dsp-20": "train",
    "dsp-22": "testing",
    "dsp-23": "outside",
    "ivs-16": "exposed to the internet",
    "ccc-09": "without approval",
}


def test_questions_whose_safe_answer_is_no_are_answered_no_with_the_control(repo_project, dataset, bank):
    rendered = render_descriptions(make_environment(repo_project, dataset, "customer"), bank, dataset)
    answers = bank.by_id()
    for answer_id, asked in SAFE_NO.items():
        answer = answers[answer_id]
        assert answer.answer == "No" and asked in answer.question, answer_id
        assert len(rendered[answer_id].split()) >= 25, (
            f"{answer_id} must describe the control, not just say No"
        )


def test_the_hosting_provider_certification_answer_is_about_the_provider_not_us(repo_project, dataset, bank):
    rendered = render_descriptions(make_environment(repo_project, dataset, "customer"), bank, dataset)
    provider, ours = bank.by_id()["dcs-09"], bank.by_id()["aa-03"]
    assert provider.answer == "Yes" and ours.answer == "No"
    hosts = {r["primary"]["provider"] for r in dataset.customer["regions"]}
    assert all(f"{host}, which hosts every region" in rendered["dcs-09"] for host in hosts)
    assert "not about us" in rendered["dcs-09"] and "we do not hold" in rendered["dcs-09"]
