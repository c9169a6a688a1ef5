"""Workbooks as buyers send them: drop-down lists in their own words, several question sheets, merged group headers,
macro-enabled files; and the summary sheet every answered workbook gets."""

from __future__ import annotations

import zipfile

import pytest
from openpyxl import load_workbook

from docskit.questionnaire.choices import NA, NO, OTHER, PARTIAL, YES, choose, meaning
from docskit.questionnaire.fill import ANSWERED, REVIEW, UNMATCHED, FillOptions
from docskit.questionnaire.formats.xlsx import SUMMARY_SHEET
from tests.questionnaire.buyer_files import (
    MIXED,
    VBA_PROJECT,
    YES_QUESTIONS,
    dropdown_workbook,
    macro_workbook,
    merged_header_workbook,
    two_sheet_workbook,
)
from tests.questionnaire.conftest import sha256

BUYER_CHOICES = ["Yes - Fully", "Partially", "No", "Not Applicable"]
# What each bank answer must become in a list of BUYER_CHOICES.
IN_BUYER_WORDS = {YES: "Yes - Fully", NO: "No", NA: "Not Applicable"}


@pytest.mark.parametrize(
    ("choice", "means"),
    [
        ("Yes", YES),
        ("Yes - Fully", YES),
        ("Fully implemented", YES),
        ("Compliant", YES),
        ("Y", YES),
        ("No", NO),
        ("Non-Compliant", NO),
        ("Not implemented", NO),
        ("N/A", NA),
        ("Not Applicable", NA),
        ("Partially", PARTIAL),
        ("Yes - Partially", PARTIAL),
        ("Yes, with exceptions", OTHER),
        ("No - planned within 6 months", OTHER),
        ("Yes (see comments)", OTHER),
        ("Unknown", OTHER),
    ],
)
def test_each_drop_down_choice_is_read_for_what_it_claims(choice, means):
    assert meaning(choice) == means


def test_an_answer_maps_only_to_a_choice_that_claims_no_more_and_no_less():
    assert choose(YES, BUYER_CHOICES) == "Yes - Fully"
    assert choose(NA, BUYER_CHOICES) == "Not Applicable"
    assert choose(YES, ["Yes", "Yes - Fully"]) == "Yes"  # the exact word wins over a synonym
    assert choose(YES, ["Yes - Partially", "No - Planned", "No"]) is None
    assert choose(NO, ["Compliant", "Partially compliant"]) is None
    assert choose(NA, ["Yes", "No"]) is None


def _expected(filler, row) -> str:
    answer = getattr(row.match, "answer", None) or filler.answers[row.match.answer_id].answer
    return IN_BUYER_WORDS[answer]


@pytest.mark.parametrize("source", ["inline", "range", "name"])
def test_answers_are_written_in_the_words_the_buyers_drop_down_allows(filler, tmp_path, source):
    path, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    first = dropdown_workbook(path, MIXED, BUYER_CHOICES, source)
    report = filler.fill(path, output)
    sheet = load_workbook(output)["Assessment"]
    answered = [r for r in report.rows if r.status == ANSWERED]
    assert {_expected(filler, r) for r in answered} >= {"Yes - Fully", "No"}  # the test exercises both
    for row in answered:
        assert sheet.cell(row.row, 3).value == _expected(filler, row), row.question
    allowed = set(BUYER_CHOICES)
    written = [sheet.cell(r, 3).value for r in range(first, first + len(MIXED))]
    assert all(value is None or value in allowed for value in written)
    assert report.columns["answer"] == 3 and report.columns["description"] == 4


def test_a_drop_down_without_a_safe_choice_flags_the_row_and_writes_no_answer(filler, tmp_path):
    path, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    dropdown_workbook(path, YES_QUESTIONS, ["Yes - Partially", "No - Planned", "No"])
    report = filler.fill(path, output)
    sheet = load_workbook(output)["Assessment"]
    assert [r.status for r in report.rows] == [REVIEW, REVIEW]
    assert all("has no choice that means 'Yes'" in r.note for r in report.rows)
    assert [sheet.cell(r.row, 3).value for r in report.rows] == [None, None]
    assert all(sheet.cell(r.row, 4).value for r in report.rows)  # the explanation is still there to review
    assert "has no choice that means 'Yes'" in report.summary()


def test_every_sheet_with_questions_is_answered_in_one_run(filler, tmp_path):
    path, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    two_sheet_workbook(path)
    report = filler.fill(path, output)
    assert [part.name for part in report.parts] == ["Security", "Privacy"]
    assert len(report.rows) == 4
    workbook = load_workbook(output)
    assert workbook.sheetnames == ["Cover", "Security", "Privacy", SUMMARY_SHEET]
    assert workbook["Privacy"].cell(2, 3).value in ("Yes", "No", "N/A")
    assert (
        "3 questions from sheet 'Security'" in report.summary()
        and "1 question from sheet 'Privacy'" in report.summary()
    )


def test_the_sheet_option_answers_one_sheet_only(filler, tmp_path):
    path = tmp_path / "buyer.xlsx"
    two_sheet_workbook(path)
    report = filler.fill(path, tmp_path / "privacy.xlsx", FillOptions(sheet="Privacy"))
    assert [part.name for part in report.parts] == ["Privacy"]
    assert load_workbook(tmp_path / "privacy.xlsx")["Security"].cell(2, 3).value is None


def test_merged_group_headers_lead_answers_into_their_sub_columns(filler, tmp_path):
    path, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    merged_header_workbook(path)
    report = filler.fill(path, output)
    assert report.layout.header_row == 2 and report.layout.question_column == 2
    assert report.columns["answer"] == 3 and report.columns["description"] == 4
    sheet = load_workbook(output)["Questionnaire"]
    assert sheet.cell(4, 3).value == "Yes" and "multi-factor" in sheet.cell(4, 4).value
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:E1", "A2:A3", "B2:B3", "C2:D2", "E2:E3"}
    assert sheet.cell(2, 6).value == "Matched Bank ID"


def test_a_macro_enabled_workbook_keeps_its_macros(filler, tmp_path):
    path, output = tmp_path / "buyer.xlsm", tmp_path / "answered.xlsm"
    macro_workbook(path, YES_QUESTIONS)
    before = sha256(path)
    report = filler.fill(path, output)
    assert report.count(ANSWERED) == 2 and sha256(path) == before
    with zipfile.ZipFile(output) as package:
        assert package.read("xl/vbaProject.bin") == VBA_PROJECT
        assert b"macroEnabled" in package.read("[Content_Types].xml")
    assert load_workbook(output)["Security"].cell(2, 3).value == "Yes"


def test_each_answered_row_names_its_bank_id_confidence_evidence_and_status(filler, tmp_path):
    path, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    dropdown_workbook(path, MIXED, BUYER_CHOICES)
    report = filler.fill(path, output)
    sheet = load_workbook(output)["Assessment"]
    headers = [c.value for c in sheet[1]]
    assert headers[4:] == ["Matched Bank ID", "Match Confidence", "Evidence", "Match Status"]
    for row in report.rows:
        bank_id, confidence, evidence, status = (sheet.cell(row.row, c).value for c in range(5, 9))
        assert status == row.status and confidence == pytest.approx(row.match.confidence)
        if row.status == UNMATCHED:
            assert bank_id == "no match" and evidence is None
        else:
            assert bank_id == row.match.answer_id and evidence  # a document title, e.g. "Security Overview"


def test_the_summary_sheet_counts_rows_shows_the_histogram_and_lists_flagged_rows_with_owners(
    filler, tmp_path
):
    path, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    dropdown_workbook(path, MIXED, BUYER_CHOICES)
    report = filler.fill(path, output)
    summary = load_workbook(output)[SUMMARY_SHEET]
    cells = [[c.value for c in line] for line in summary.iter_rows()]
    counts = {line[0]: line[1] for line in cells if line[0] in (ANSWERED, REVIEW, UNMATCHED)}
    assert counts == {s: report.count(s) for s in (ANSWERED, REVIEW, UNMATCHED)}
    start = next(i for i, line in enumerate(cells) if line[0] == "Confidence")
    histogram = cells[start + 1 : start + 11]
    assert [line[0] for line in histogram][:2] == ["0-9", "10-19"] and histogram[-1][0] == "90-100"
    assert sum(line[1] for line in histogram) == len(MIXED)
    flagged = [r for r in report.rows if r.status != ANSWERED]
    assert flagged  # the unanswerable questions
    listed = {line[1]: line for line in cells if line[1] in {r.question for r in flagged}}
    roles = set(filler.bank.owner_roles.values())
    assert set(listed) == {r.question for r in flagged}
    assert all(line[5] in roles for line in listed.values())
    assert summary._charts  # the histogram is drawn as well


def test_a_question_built_by_a_formula_is_read_from_its_calculated_value_or_reported(filler, tmp_path):
    path, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    dropdown_workbook(path, YES_QUESTIONS, BUYER_CHOICES)
    workbook = load_workbook(path)
    workbook["Assessment"]["B4"] = '="Do you encrypt "&"backups of customer data?"'
    workbook.save(path)
    report = filler.fill(path, output)
    assert len(report.rows) == 2  # the formula row has no calculated value: not taken for a question
    assert any("Assessment!B4 holds a formula with no calculated value" in w for w in report.warnings)
    assert load_workbook(output)["Assessment"]["B4"].value.startswith("=")


def test_an_answer_cell_holding_a_formula_is_kept_with_a_warning(filler, tmp_path):
    path, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    dropdown_workbook(path, YES_QUESTIONS, BUYER_CHOICES)
    workbook = load_workbook(path)
    workbook["Assessment"]["C2"] = '=IF(A2="","","Yes - Fully")'
    workbook.save(path)
    report = filler.fill(path, output, FillOptions(answer_column="Response"))
    assert load_workbook(output)["Assessment"]["C2"].value.startswith("=IF(")
    assert "Assessment!C2 holds a formula; kept as it is" in report.warnings
    assert report.kept_cells == 1
