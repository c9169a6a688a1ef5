"""`questionnaire learn`: rows the fill flagged and the SE answered become bank changes, shown as a diff, written
only when asked, and the next fill of the same questionnaire answers those rows."""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import re

import docx
import pytest
from openpyxl import load_workbook

from docskit.datamodel import load_dataset
from docskit.paths import REPO_ROOT
from docskit.questionnaire.errors import QuestionnaireError
from docskit.questionnaire.fill import ANSWERED, REVIEW, Filler, FillOptions
from docskit.questionnaire.formats.docx import MARK
from docskit.questionnaire.learn import apply, propose
from tests.invoking import run_invoke
from tests.questionnaire.buyer_files import YES_QUESTIONS, dropdown_workbook, word_questionnaire
from tests.questionnaire.buyers import buyer_csv, buyer_workbook
from tests.questionnaire.conftest import sha256

TODAY = dt.date(2026, 12, 3)
# The bank answers neither in these words: the first is security awareness training (hrs-09) said another way,
# the second is outside the bank altogether.
PRETEXT = "Are employees coached to spot pretext calls?"
SPONSOR = "Do you sponsor local sports teams?"
SPONSOR_ANSWER = (
    "We do not sponsor sports teams or other community organisations; our giving goes through an annual "
    "donation to a software-freedom foundation."
)
CHOICES = ["Yes", "No", "N/A"]


def _fill(filler, tmp_path, questions, options=None):
    source, answered = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    dropdown_workbook(source, questions, CHOICES)
    report = filler.fill(source, answered, options)
    return source, answered, report, {r.question: r for r in report.rows}


def _se_edits(path, report, edits: dict[int, dict[str, str]]):
    """The SE's work in the answered copy: cell values by row and output field."""
    workbook = load_workbook(path)
    sheet = workbook[report.sheet]
    for row, values in edits.items():
        for key, value in values.items():
            sheet.cell(row, report.columns[key], value)
    workbook.save(path)


def _only_insertions(before: str, after: str) -> bool:
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    return all(tag in ("equal", "insert") for tag, *_ in matcher.get_opcodes())


def test_learn_round_trip_answers_the_rows_the_se_answered_on_the_next_fill(project_copy, tmp_path):
    filler = Filler(project_copy, load_dataset(project_copy))
    source, answered, report, rows = _fill(filler, tmp_path, [*YES_QUESTIONS, PRETEXT, SPONSOR])
    assert rows[PRETEXT].status != ANSWERED and rows[SPONSOR].status != ANSWERED  # flagged by the first fill
    _se_edits(
        answered,
        report,
        {
            rows[PRETEXT].row: {"bank_id": "hrs-09", "status": "confirmed"},
            rows[SPONSOR].row: {"answer": "No", "description": SPONSOR_ANSWER},
        },
    )
    bank_files = sorted((project_copy.data / "questionnaire").glob("ccm_*.yaml"))
    before = {path: path.read_text(encoding="utf-8") for path in bank_files}

    learned = propose(filler, project_copy, answered, today=TODAY)
    assert [(p.kind, p.where) for p in learned.proposals] == [
        ("phrasing", f"Assessment!{rows[PRETEXT].row}"),
        ("new answer", f"Assessment!{rows[SPONSOR].row}"),
    ]
    assert {path: path.read_text(encoding="utf-8") for path in bank_files} == before  # nothing written yet
    new_id = learned.proposals[1].answer_id
    assert f"+      - {PRETEXT}\n" in learned.diff
    assert f"+  - id: {new_id}\n" in learned.diff and "+    last_reviewed: 2026-12-03\n" in learned.diff
    assert not [
        line for line in learned.diff.splitlines() if line.startswith("-") and not line.startswith("---")
    ]

    apply(learned)
    for path, text in before.items():
        assert _only_insertions(text, path.read_text(encoding="utf-8")), path.name  # comments and layout kept
    again = Filler(project_copy, load_dataset(project_copy)).fill(source, tmp_path / "again.xlsx")
    result = {r.question: r for r in again.rows}
    assert (result[PRETEXT].status, result[PRETEXT].match.answer_id) == (ANSWERED, "hrs-09")
    assert (result[SPONSOR].status, result[SPONSOR].match.answer_id) == (ANSWERED, new_id)
    assert load_workbook(tmp_path / "again.xlsx")["Assessment"].cell(rows[SPONSOR].row, 3).value == "No"


def test_a_new_answer_gets_the_nearest_answers_owner_and_domain_and_a_review_note(
    filler, repo_project, tmp_path
):
    _, answered, report, rows = _fill(filler, tmp_path, [SPONSOR])
    _se_edits(answered, report, {rows[SPONSOR].row: {"answer": "No", "description": SPONSOR_ANSWER}})
    learned = propose(filler, repo_project, answered, today=TODAY)
    (proposal,) = learned.proposals
    nearest = filler.answers[filler.matcher.match_all([SPONSOR])[0].answer_id]
    assert proposal.answer_id.split("-")[0] == nearest.id.split("-")[0]
    assert f"+    owner: {nearest.owner}\n" in learned.diff
    assert f"copied from {nearest.id}" in re.sub(r"\n\+\s+# ", " ", learned.diff)
    assert '+    answer: "No"\n' in learned.diff


def test_a_suggestion_left_as_the_fill_wrote_it_is_not_learned(filler, repo_project, tmp_path):
    _, answered, report, _ = _fill(filler, tmp_path, YES_QUESTIONS, FillOptions(threshold=101))
    assert {r.status for r in report.rows} == {REVIEW}
    learned = propose(filler, repo_project, answered, today=TODAY)
    assert learned.proposals == [] and learned.diff == ""
    assert all("the suggestion is as the fill wrote it" in line for line in learned.skipped)


def test_an_explanation_pasted_from_the_bank_makes_the_question_a_phrasing_of_that_answer(
    filler, repo_project, tmp_path
):
    _, answered, report, rows = _fill(filler, tmp_path, [PRETEXT])
    description = filler.descriptions["hrs-09"]
    _se_edits(answered, report, {rows[PRETEXT].row: {"answer": "Yes", "description": description}})
    learned = propose(filler, repo_project, answered, today=TODAY)
    assert [(p.kind, p.answer_id) for p in learned.proposals] == [("phrasing", "hrs-09")]


def test_a_confirmed_id_that_contradicts_the_row_is_skipped_with_the_reason(filler, repo_project, tmp_path):
    _, answered, report, rows = _fill(filler, tmp_path, [PRETEXT])
    _se_edits(
        answered, report, {rows[PRETEXT].row: {"answer": "No", "bank_id": "hrs-09", "status": "confirmed"}}
    )
    learned = propose(filler, repo_project, answered, today=TODAY)
    assert learned.proposals == []
    assert learned.skipped == [
        f"Assessment!{rows[PRETEXT].row}: the row answers 'No' but hrs-09 answers 'Yes'; make them agree"
    ]


def test_learn_reads_a_word_questionnaire_the_se_answered(filler, repo_project, tmp_path):
    source, answered = tmp_path / "buyer.docx", tmp_path / "answered.docx"
    word_questionnaire(source, [PRETEXT, SPONSOR])
    report = filler.fill(source, answered)
    assert all(r.status != ANSWERED for r in report.rows)
    document = docx.Document(str(answered))
    table = document.tables[0]
    pretext, sponsor = (table.rows[r.row - 1].cells for r in report.rows)
    for paragraph in pretext[3].paragraphs:  # the SE confirms hrs-09 in the mark line
        if MARK.search(paragraph.text):
            paragraph.runs[0].text = re.sub(
                r"Bank id: \S+.*Status: [a-z ]+",
                "Bank id: hrs-09 · Confidence: 0 · Status: confirmed",
                paragraph.text,
            )
    sponsor[2].paragraphs[0].add_run("No")
    sponsor[3].paragraphs[0].add_run(SPONSOR_ANSWER)
    document.save(str(answered))
    learned = propose(filler, repo_project, answered, today=TODAY)
    assert [(p.kind, p.where) for p in learned.proposals] == [
        ("phrasing", "Table 1 row 2"),
        ("new answer", "Table 1 row 3"),
    ]


def test_learn_reads_a_csv_questionnaire_the_se_answered(filler, repo_project, tmp_path):
    source, answered = tmp_path / "buyer.csv", tmp_path / "answered.csv"
    buyer_csv(source, [PRETEXT, SPONSOR], delimiter=";")
    report = filler.fill(source, answered)
    with answered.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle, delimiter=";"))
    columns = {key: column - 1 for key, column in report.columns.items()}
    table[1][columns["bank_id"]], table[1][columns["status"]] = "hrs-09", "confirmed"
    table[2][columns["answer"]], table[2][columns["description"]] = "No", SPONSOR_ANSWER
    with answered.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(table)
    learned = propose(filler, repo_project, answered, today=TODAY)
    assert [(p.kind, p.where) for p in learned.proposals] == [("phrasing", "row 2"), ("new answer", "row 3")]


def test_learn_refuses_a_file_the_fill_did_not_write(filler, repo_project, tmp_path):
    source = tmp_path / "buyer.xlsx"
    buyer_workbook(source, YES_QUESTIONS)
    with pytest.raises(QuestionnaireError, match="no 'Match Status' column: learn reads the answered copy"):
        propose(filler, repo_project, source)


def test_learn_command_prints_the_diff_and_writes_nothing_without_apply(filler, tmp_path):
    _, answered, report, rows = _fill(filler, tmp_path, [SPONSOR])
    _se_edits(answered, report, {rows[SPONSOR].row: {"answer": "No", "description": SPONSOR_ANSWER}})
    bank = sorted((REPO_ROOT / "data" / "questionnaire").glob("*.yaml"))
    before = {path: sha256(path) for path in [*bank, answered]}
    result = run_invoke("questionnaire", "learn", str(answered), build=tmp_path / "build")
    assert result.returncode == 0, result.stderr
    assert "+  - id: " in result.stdout and "proposed; nothing written" in result.stdout
    assert {path: sha256(path) for path in before} == before
