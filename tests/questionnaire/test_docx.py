"""Word questionnaires: questions in tables are answered in the buyer's answer cells, in the cells' own formatting,
drop-down content controls get a choice they list, and the answered copy ends with a summary."""

from __future__ import annotations

import docx
from docx.oxml.ns import qn

from docskit.questionnaire.fill import ANSWERED, REVIEW, UNMATCHED, FillOptions
from docskit.questionnaire.formats.docx import MARK, cell_text
from tests.questionnaire.buyer_files import MIXED, UNANSWERABLE, YES_QUESTIONS, word_questionnaire
from tests.questionnaire.conftest import sha256


def _table(path, index=0):
    return docx.Document(str(path)).tables[index]


def _shading(cell) -> str | None:
    shading = cell._tc.tcPr.find(qn("w:shd")) if cell._tc.tcPr is not None else None
    return shading.get(qn("w:fill")) if shading is not None else None


def test_word_questions_are_answered_in_the_response_and_comment_cells(filler, tmp_path):
    source, output = tmp_path / "buyer.docx", tmp_path / "answered.docx"
    word_questionnaire(source, MIXED)
    before = sha256(source)
    report = filler.fill(source, output)
    assert sha256(source) == before
    assert report.sheet == "Table 1" and report.columns == {"answer": 3, "description": 4}
    table = _table(output)
    for result in report.rows:
        cells = table.rows[result.row - 1].cells
        assert cells[1].text == result.question  # the question cell is untouched
        mark = MARK.search(cells[3].text)
        assert mark and mark["status"] == result.status
        if result.status == UNMATCHED:
            assert cell_text(cells[2]) == "" and mark["bank_id"] == "no match"
            continue
        expected = getattr(result.match, "answer", None) or filler.answers[result.match.answer_id].answer
        assert cell_text(cells[2]) == expected
        assert cell_text(cells[3]) == filler.descriptions[result.match.answer_id]
        assert mark["bank_id"] == result.match.answer_id and "Evidence:" in cells[3].text


def test_new_text_takes_the_answer_cells_own_font_and_flagged_rows_are_shaded(filler, tmp_path):
    source, output = tmp_path / "buyer.docx", tmp_path / "answered.docx"
    word_questionnaire(source, YES_QUESTIONS + UNANSWERABLE)
    report = filler.fill(source, output)
    table = _table(output)
    for result in report.rows:
        answer_cell = table.rows[result.row - 1].cells[2]
        if result.status == ANSWERED:
            run = answer_cell.paragraphs[0].runs[0]
            assert run.font.name == "Georgia" and run.font.size.pt == 11
            assert _shading(answer_cell) is None
        else:
            assert _shading(answer_cell) in ("FFF2CC", "F8CBAD")
    header = table.rows[0].cells
    assert [c.text for c in header] == ["Ref", "Question", "Response", "Comments"]
    assert _shading(header[0]) == "1F3864"  # the buyer's header shading is kept


def test_the_rest_of_the_word_document_is_kept_and_a_summary_is_appended(filler, tmp_path):
    source, output = tmp_path / "buyer.docx", tmp_path / "answered.docx"
    word_questionnaire(source, MIXED)
    report = filler.fill(source, output)
    original, answered = docx.Document(str(source)), docx.Document(str(output))
    texts = [p.text for p in answered.paragraphs]
    assert texts[: len(original.paragraphs)] == [p.text for p in original.paragraphs]
    assert "Answer summary" in texts
    summary_tables = answered.tables[1:]
    counts = {row.cells[0].text: int(row.cells[1].text) for row in summary_tables[0].rows[1:]}
    assert counts == {s: report.count(s) for s in (ANSWERED, REVIEW, UNMATCHED)}
    histogram = [int(row.cells[1].text) for row in summary_tables[1].rows[1:]]
    assert len(histogram) == 10 and sum(histogram) == len(MIXED)
    flagged = {row.cells[1].text: row.cells[4].text for row in summary_tables[2].rows[1:]}
    assert set(flagged) == {r.question for r in report.rows if r.status != ANSWERED}
    assert all(owner in filler.bank.owner_roles.values() for owner in flagged.values())


def test_a_word_drop_down_gets_the_choice_that_means_our_answer(filler, tmp_path):
    source, output = tmp_path / "buyer.docx", tmp_path / "answered.docx"
    word_questionnaire(source, YES_QUESTIONS, dropdown=["Yes - Fully", "Partially", "No", "Not Applicable"])
    report = filler.fill(source, output)
    assert [r.status for r in report.rows] == [ANSWERED, ANSWERED]
    table = _table(output)
    for result in report.rows:
        cell = table.rows[result.row - 1].cells[2]
        assert cell_text(cell) == "Yes - Fully"
        control = cell._tc.find(qn("w:sdt"))
        assert control is not None and control.find(qn("w:sdtPr")).find(qn("w:showingPlcHdr")) is None


def test_a_word_drop_down_without_a_safe_choice_is_left_alone_and_the_row_flagged(filler, tmp_path):
    source, output = tmp_path / "buyer.docx", tmp_path / "answered.docx"
    word_questionnaire(source, YES_QUESTIONS, dropdown=["Partially", "Planned"])
    report = filler.fill(source, output)
    assert [r.status for r in report.rows] == [REVIEW, REVIEW]
    cell = _table(output).rows[1].cells[2]
    control = cell._tc.find(qn("w:sdt"))
    assert cell_text(cell) == "" and control.find(qn("w:sdtPr")).find(qn("w:showingPlcHdr")) is not None


def test_a_word_table_with_only_an_answer_column_gets_answer_and_explanation_in_it(filler, tmp_path):
    source, output = tmp_path / "buyer.docx", tmp_path / "answered.docx"
    word_questionnaire(source, YES_QUESTIONS[:1], headers=("No.", "Question", "Supplier response"))
    report = filler.fill(source, output)
    cell = _table(output).rows[1].cells[2]
    lines = cell_text(cell).split("\n")
    assert lines[0] == "Yes" and lines[1] == filler.descriptions[report.rows[0].match.answer_id]
    assert MARK.search(cell.text)


def test_a_word_table_is_chosen_by_its_name(filler, tmp_path):
    source = tmp_path / "buyer.docx"
    word_questionnaire(source, YES_QUESTIONS)
    report = filler.fill(source, tmp_path / "answered.docx", FillOptions(sheet="Table 1"))
    assert report.sheet == "Table 1" and len(report.rows) == 2
