"""Bad buyer files give a clear one-line message, and the input is never modified and no output is written."""

from __future__ import annotations

import re
import zipfile

import docx
import pytest
from openpyxl import Workbook

from docskit.questionnaire.errors import QuestionnaireError
from docskit.questionnaire.fill import FillOptions
from tests.questionnaire.buyer_files import large_workbook, word_questionnaire
from tests.questionnaire.buyers import buyer_workbook
from tests.questionnaire.conftest import sha256

QUESTIONS = ["Is MFA enforced for all of your employees?", "Do you encrypt customer data at rest?"]


def _text_file(path):
    path.write_text("Please answer our questions by Friday.\n", encoding="utf-8")


def _renamed_text(path):
    path.write_text("this is not a workbook", encoding="utf-8")


def _encrypted(path):
    # Encrypted OOXML is an OLE compound file: this is its signature, followed by the file's sectors.
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504))


def _legacy_xls(path):
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504))


def _empty_workbook(path):
    Workbook().save(path)


def _empty_csv(path):
    path.write_text("", encoding="utf-8")


def _no_question_column(path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Control", "Owner", "Status"])
    sheet.append(["Access reviews happen every quarter for production systems", "IT", "Open"])
    workbook.save(path)


def _merged_header(path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Ref", "Question", None, "Response"])
    sheet.merge_cells("B1:C1")
    for index, question in enumerate(QUESTIONS, start=1):
        sheet.append([index, question, None, None])
    workbook.save(path)


def _two_question_sheets(path):
    workbook = Workbook()
    for name in ("Security", "Privacy"):
        sheet = workbook.active if name == "Security" else workbook.create_sheet(name)
        sheet.title = name
        sheet.append(["#", "Question", "Answer"])
        for index, question in enumerate(QUESTIONS, start=1):
            sheet.append([index, question, None])
    workbook.save(path)


def _header_without_questions(path):
    workbook = Workbook()
    workbook.active.append(["#", "Question", "Answer"])
    workbook.active.append([1, "Yes", None])
    workbook.save(path)


def _truncated_workbook(path):
    buyer_workbook(path, QUESTIONS)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a download cut off half way


def _zip_of_something_else(path):
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("readme.txt", "not a workbook")


def _encrypted_word(path):
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504))


def _macro_word(path):
    word_questionnaire(path, QUESTIONS)


def _word_without_tables(path):
    document = docx.Document()
    document.add_paragraph("1. Is MFA enforced for all of your employees?")
    document.save(path)


def _word_without_answer_column(path):
    word_questionnaire(path, QUESTIONS, headers=("Ref", "Question", "Owner"))


def _word_renamed_text(path):
    path.write_text("Questions: see the attached spreadsheet.", encoding="utf-8")


def _oversized_workbook(path):
    large_workbook(path, 50_000)


def _oversized_csv(path):
    rows = "\n".join(f"{i},Do you encrypt customer data at rest in region {i}?," for i in range(50_000))
    path.write_text("ID,Question,Answer\n" + rows + "\n", encoding="utf-8")


BAD_INPUTS = [
    ("notes.txt", _text_file, "not a questionnaire file this tool reads"),
    ("renamed.xlsx", _renamed_text, "is not a valid .xlsx file"),
    ("protected.xlsx", _encrypted, "password-protected"),
    ("legacy.xls", _legacy_xls, "legacy .xls files are not supported"),
    ("empty.xlsx", _empty_workbook, "the workbook is empty"),
    ("empty.csv", _empty_csv, "the CSV file is empty"),
    ("inventory.xlsx", _no_question_column, "no question column found"),
    ("header-only.xlsx", _header_without_questions, "no questions below it"),
    ("cut-off.xlsx", _truncated_workbook, "is not a valid .xlsx file (the file is damaged"),
    ("other.xlsx", _zip_of_something_else, "cannot be read as a workbook"),
    ("protected.docx", _encrypted_word, "password-protected (encrypted)"),
    ("legacy.doc", _legacy_xls, "legacy .doc files are not supported; open it in Word or LibreOffice"),
    ("macros.docm", _macro_word, "macro-enabled Word documents are not filled; save a copy as .docx"),
    ("renamed.docx", _word_renamed_text, "is not a valid .docx file"),
    ("no-tables.docx", _word_without_tables, "the document has no table with text"),
    (
        "no-answer-column.docx",
        _word_without_answer_column,
        "Table 1 has questions but no empty answer column",
    ),
    ("export.xlsx", _oversized_workbook, "'Export' has 50,001 rows, more than the 5,000 a fill reads"),
    ("export.csv", _oversized_csv, "'export.csv' has 50,001 rows, more than the 5,000 a fill reads"),
]


@pytest.mark.parametrize(("name", "make", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gives_a_clear_message_and_is_left_untouched(filler, tmp_path, name, make, message):
    source = tmp_path / name
    make(source)
    before = sha256(source)
    output = tmp_path / f"answered{source.suffix}"
    with pytest.raises(QuestionnaireError, match=re.escape(message)) as raised:
        filler.fill(source, output)
    assert "\n" not in str(raised.value)  # one line
    assert sha256(source) == before
    assert not output.exists()
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind


def test_a_question_header_merged_across_two_columns_is_read_as_one(filler, tmp_path):
    source = tmp_path / "merged.xlsx"
    _merged_header(source)
    report = filler.fill(source, tmp_path / "answered.xlsx")
    assert report.layout.question_column == 2 and len(report.rows) == 2
    assert report.columns["answer"] == 4  # the buyer's Response column, right of the merged header


def test_questions_on_several_sheets_can_be_filled_one_sheet_at_a_time(filler, tmp_path):
    source = tmp_path / "two-sheets.xlsx"
    _two_question_sheets(source)
    report = filler.fill(source, tmp_path / "privacy.xlsx", FillOptions(sheet="Privacy"))
    assert report.sheet == "Privacy" and len(report.rows) == 2


def test_unknown_sheet_is_named_with_the_sheets_there_are(filler, tmp_path):
    source = tmp_path / "two-sheets.xlsx"
    _two_question_sheets(source)
    with pytest.raises(QuestionnaireError, match="no sheet named 'Legal'; sheets: Security, Privacy"):
        filler.fill(source, tmp_path / "out.xlsx", FillOptions(sheet="Legal"))


def test_explicit_header_row_and_question_column_find_an_unusual_layout(filler, tmp_path):
    source = tmp_path / "inventory.xlsx"
    _no_question_column(source)
    report = filler.fill(
        source, tmp_path / "answered.xlsx", FillOptions(header_row=1, question_column="Control")
    )
    assert report.layout.question_column == 1 and report.rows[0].match.answer_id == "iam-08"


def test_output_may_not_overwrite_the_buyers_file(filler, tmp_path):
    source = tmp_path / "buyer.xlsx"
    buyer_workbook(source, QUESTIONS)
    before = sha256(source)
    with pytest.raises(QuestionnaireError, match="the buyer's file is never overwritten"):
        filler.fill(source, source)
    assert sha256(source) == before


def test_output_kind_must_match_the_input(filler, tmp_path):
    source = tmp_path / "buyer.xlsx"
    buyer_workbook(source, QUESTIONS)
    with pytest.raises(QuestionnaireError, match=r"write a \.xlsx file for a \.xlsx input"):
        filler.fill(source, tmp_path / "answered.csv")


def test_missing_file_is_reported(filler, tmp_path):
    with pytest.raises(QuestionnaireError, match="no such file"):
        filler.fill(tmp_path / "absent.xlsx", tmp_path / "out.xlsx")


def test_a_large_file_within_the_limit_is_read_whole(filler, tmp_path):
    source = tmp_path / "export.xlsx"
    large_workbook(source, 300)
    report = filler.fill(source, tmp_path / "answered.xlsx")
    assert len(report.rows) == 300
