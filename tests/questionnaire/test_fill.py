"""Auto-fill of buyer questionnaires: right answers where confident, nothing else in the buyer's file changed."""

from __future__ import annotations

import csv

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from docskit.questionnaire.fill import ANSWERED, NO_MATCH, REVIEW, UNMATCHED, FillOptions
from docskit.questionnaire.formats.xlsx import SUMMARY_SHEET
from tests.questionnaire.buyer_questions import (
    FOURTH_HELD_OUT,
    FRESH_HELD_OUT,
    HELD_OUT,
    LABELLED,
    acceptable,
)
from tests.questionnaire.buyers import HEADER_ROW, buyer_csv, buyer_workbook
from tests.questionnaire.conftest import sha256


def _outcomes(filler, tmp_path, labelled, name):
    """Fill a buyer workbook of `labelled` questions; return [(label, bank id, answered?)] read back from the file."""
    source, output = tmp_path / f"{name}.xlsx", tmp_path / f"{name}-answered.xlsx"
    rows = buyer_workbook(source, [q for q, _ in labelled])
    report = filler.fill(source, output)
    sheet = load_workbook(output)["Security"]
    columns = report.columns
    outcomes = []
    for index, (_, label) in enumerate(labelled):
        bank_id = sheet.cell(rows[index], columns["bank_id"]).value
        highlighted = sheet.cell(rows[index], columns["bank_id"]).fill.fgColor.rgb not in (None, "00000000")
        outcomes.append((label, bank_id, not highlighted and bank_id != NO_MATCH))
    return outcomes, report


def _style(cell) -> tuple[str, ...]:
    """A cell's formatting, comparable across workbooks (openpyxl's style proxies do not compare by value)."""
    return (
        repr(cell.font),
        repr(cell.fill),
        repr(cell.border),
        repr(cell.alignment),
        repr(cell.protection),
        cell.number_format,
    )


def _metrics(outcomes):
    positives = [o for o in outcomes if o[0] is not None]
    answered = [o for o in outcomes if o[2]]
    right = [o for o in answered if o[1] in acceptable(o[0])]
    return {
        "coverage": len(right) / len(positives),  # questions answered with the right bank entry
        "precision": len(right) / len(answered) if answered else 1.0,  # answered rows that are right
        "confident_wrong": [o for o in answered if o[1] not in acceptable(o[0])],
    }


def test_labelled_buyer_questionnaire_is_answered_right_at_the_default_threshold(filler, tmp_path):
    """Coverage was 94.9% at the old threshold 38; threshold and description weight are now calibrated precision
    first on the corpora of tests/questionnaire/corpora, where 38 answered framework-worded questionnaires at
    60-84% precision."""
    assert len(LABELLED) >= 40 and any(label is None for _, label in LABELLED)
    outcomes, report = _outcomes(filler, tmp_path, LABELLED, "acme")
    metrics = _metrics(outcomes)
    print(
        f"\nlabelled set ({len(LABELLED)} questions): coverage {metrics['coverage']:.1%}, precision "
        f"{metrics['precision']:.1%}, threshold {report.threshold:g}"
    )
    assert metrics["coverage"] >= 0.86
    assert metrics["confident_wrong"] == []


def test_held_out_buyer_questionnaire_has_no_confident_wrong_answer(filler, tmp_path):
    """Never used for phrasings; its misses informed the synonym table (see FOURTH_HELD_OUT for unseen wording).
    It meets the no-confident-wrong bar; coverage is below the issue's 90% (87.5% when written; 70% since the
    threshold is calibrated precision first on tests/questionnaire/corpora)."""
    outcomes, _ = _outcomes(filler, tmp_path, HELD_OUT, "globex")
    metrics = _metrics(outcomes)
    print(
        f"\nheld-out set ({len(HELD_OUT)} questions): coverage {metrics['coverage']:.1%}, precision "
        f"{metrics['precision']:.1%}, confident wrong {len(metrics['confident_wrong'])}"
    )
    assert metrics["confident_wrong"] == []
    assert metrics["coverage"] >= 0.65


def test_fresh_buyer_questionnaire_has_no_confident_wrong_answer(filler, tmp_path):
    """Written after the matcher was tuned. Its two confident wrong answers when first run (80.6% coverage) led
    to general changes: the content-coverage gate, the same-domain margin and key-rotation vocabulary. It is no
    longer unseen (see FOURTH_HELD_OUT); it meets the no-confident-wrong bar but not 90% coverage (69% since the
    threshold is calibrated precision first on tests/questionnaire/corpora)."""
    assert len(FRESH_HELD_OUT) >= 30 and any(label is None for _, label in FRESH_HELD_OUT)
    outcomes, _ = _outcomes(filler, tmp_path, FRESH_HELD_OUT, "initech")
    metrics = _metrics(outcomes)
    print(
        f"\nfresh held-out set ({len(FRESH_HELD_OUT)} questions): coverage {metrics['coverage']:.1%}, precision "
        f"{metrics['precision']:.1%}, confident wrong {len(metrics['confident_wrong'])}"
    )
    assert metrics["confident_wrong"] == []
    assert metrics["coverage"] >= 0.69


def test_fourth_buyer_questionnaire_measures_wording_the_matcher_never_saw(filler, tmp_path):
    """Written before the matcher was run on it and never used to tune it. When first run: 63.9% coverage, 95.8%
    precision and one confident wrong answer, the same as the matcher before the content-coverage gate ("How many
    years has your company been trading?" to aa-02 on the one word "year"). The shared-word rule (MIN_SHARED_WORDS),
    a general fix, removed it with coverage unchanged; it still misses the issue's 90% coverage (63.9% with the
    threshold and description view calibrated on tests/questionnaire/corpora). This asserts what it meets, so a
    regression shows."""
    assert len(FOURTH_HELD_OUT) >= 30 and sum(label is None for _, label in FOURTH_HELD_OUT) >= 6
    outcomes, _ = _outcomes(filler, tmp_path, FOURTH_HELD_OUT, "hooli")
    metrics = _metrics(outcomes)
    print(
        f"\nfourth held-out set ({len(FOURTH_HELD_OUT)} questions): coverage {metrics['coverage']:.1%}, "
        f"precision {metrics['precision']:.1%}, confident wrong {len(metrics['confident_wrong'])}"
    )
    assert metrics["coverage"] >= 0.63
    assert metrics["confident_wrong"] == []


def test_questions_the_bank_does_not_answer_are_never_answered(filler, tmp_path):
    outcomes, _ = _outcomes(
        filler,
        tmp_path,
        [(q, None) for q, label in LABELLED + HELD_OUT + FRESH_HELD_OUT if label is None],
        "unanswerable",
    )
    assert [o for o in outcomes if o[2]] == []


def test_buyer_file_is_not_modified(filler, tmp_path):
    source = tmp_path / "buyer.xlsx"
    buyer_workbook(source, [q for q, _ in LABELLED[:10]])
    before = sha256(source)
    filler.fill(source, tmp_path / "answered.xlsx")
    assert sha256(source) == before


def test_everything_but_the_answer_cells_is_kept(filler, tmp_path):
    source, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    rows = buyer_workbook(source, [q for q, _ in LABELLED[:20]])
    report = filler.fill(source, output)
    original, answered = load_workbook(source), load_workbook(output)
    assert answered.sheetnames == [*original.sheetnames, SUMMARY_SHEET]
    written = {(r, c) for r in [HEADER_ROW, *rows.values()] for c in report.columns.values()}
    for sheet in original.worksheets:
        copy = answered[sheet.title]
        assert {str(r) for r in copy.merged_cells.ranges} == {str(r) for r in sheet.merged_cells.ranges}
        assert [(str(v.sqref), v.formula1) for v in copy.data_validations.dataValidation] == [
            (str(v.sqref), v.formula1) for v in sheet.data_validations.dataValidation
        ]
        assert len(copy.conditional_formatting) == len(sheet.conditional_formatting)
        added = {get_column_letter(c) for c in report.columns.values() if c > sheet.max_column}
        assert {k: d.width for k, d in copy.column_dimensions.items() if d.width and k not in added} == {
            k: d.width for k, d in sheet.column_dimensions.items() if d.width
        }
        for line in sheet.iter_rows():
            for cell in line:
                if sheet.title == "Security" and (cell.row, cell.column) in written:
                    continue
                other = copy.cell(cell.row, cell.column)
                assert other.value == cell.value, cell.coordinate
                assert _style(other) == _style(cell), cell.coordinate
    assert answered["Security"].cell(rows[19] + 2, 6).value.startswith("=SUM(")
    assert answered["Scoring"]["B1"].value.startswith("=COUNTIF(")


def test_a_cover_sheet_title_naming_the_questionnaire_is_not_taken_for_a_question_column(filler, tmp_path):
    source = tmp_path / "globex.xlsx"
    buyer_workbook(source, ["Do you encrypt customer data at rest?"], title="Globex vendor questionnaire")
    report = filler.fill(source, tmp_path / "answered.xlsx")
    assert report.sheet == "Security" and len(report.rows) == 1


def test_answers_go_into_the_buyers_empty_response_and_comment_columns(filler, tmp_path):
    source, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    rows = buyer_workbook(source, ["Is MFA enforced for all of your employees?"])
    report = filler.fill(source, output)
    sheet = load_workbook(output)["Security"]
    assert report.columns["answer"] == 4 and report.columns["description"] == 5  # Vendor Response, Comments
    assert sheet.cell(rows[0], 4).value == "Yes"
    assert "multi-factor" in sheet.cell(rows[0], 5).value
    assert [sheet.cell(HEADER_ROW, c).value for c in (7, 8)] == ["Matched Bank ID", "Match Confidence"]
    assert sheet.cell(rows[0], 7).value == "iam-13"


def test_rows_below_the_threshold_are_highlighted_and_confident_rows_are_not(filler, tmp_path):
    source, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    questions = ["Is full disk encryption enabled on company laptops?", "What is your favourite colour?"]
    rows = buyer_workbook(source, questions)
    report = filler.fill(source, output)
    sheet = load_workbook(output)["Security"]
    statuses = [r.status for r in report.rows]
    assert statuses[0] == ANSWERED and statuses[1] in (REVIEW, UNMATCHED)
    bank_id_column = report.columns["bank_id"]
    assert sheet.cell(rows[0], bank_id_column).fill.fgColor.rgb in (None, "00000000")
    assert sheet.cell(rows[1], bank_id_column).fill.fgColor.rgb.endswith(("FFF2CC", "F8CBAD"))
    assert _style(sheet.cell(rows[1], 3)) == _style(load_workbook(source)["Security"].cell(rows[1], 3))


def test_caiq_question_ids_match_exactly_before_any_text_similarity(filler, tmp_path):
    source, output = tmp_path / "caiq.xlsx", tmp_path / "answered.xlsx"
    buyer_workbook(
        source,
        ["Key custody: can the tenant hold it?", "Handled how, when staff depart?"],
        ids=["CEK-08.1", "HRS-06"],
    )
    report = filler.fill(source, output, FillOptions(id_column="A"))
    assert [(r.match.answer_id, r.match.confidence, r.match.method) for r in report.rows] == [
        ("cek-07", 100.0, "id"),
        ("hrs-05", 100.0, "id"),
    ]


def test_a_caiq_id_at_the_start_of_the_question_is_used(filler):
    match = filler.matcher.match_all(["IAM-14.1 Strong authentication for privileged users"])[0]
    assert (match.answer_id, match.method) == ("iam-13", "id")


def test_summary_reports_answered_review_and_unmatched_counts(filler, tmp_path):
    source = tmp_path / "buyer.xlsx"
    buyer_workbook(source, [q for q, _ in LABELLED])
    report = filler.fill(source, tmp_path / "answered.xlsx")
    summary = report.summary()
    counts = {status: report.count(status) for status in (ANSWERED, REVIEW, UNMATCHED)}
    assert sum(counts.values()) == len(LABELLED)
    for status, count in counts.items():
        assert f"{status}:" in summary and f" {count} " in summary.split(f"{status}:")[1][:12]
    assert "sheet 'Security'" in summary and "header row 4, questions in column C" in summary


def test_csv_questionnaire_is_answered_into_a_new_csv(filler, tmp_path):
    source, output = tmp_path / "buyer.csv", tmp_path / "answered.csv"
    buyer_csv(
        source,
        ["Do you encrypt customer data at rest?", "Do you support SAML single sign-on?"],
        delimiter=";",
    )
    before = sha256(source)
    report = filler.fill(source, output)
    with output.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle, delimiter=";"))
    assert sha256(source) == before
    assert table[0] == [
        "ID",
        "Question",
        "Answer",
        "Implementation Description",
        "Matched Bank ID",
        "Match Confidence",
        "Evidence",
        "Match Status",
    ]
    assert [row[:2] for row in table[1:]] == [
        ["S1", "Do you encrypt customer data at rest?"],
        ["S2", "Do you support SAML single sign-on?"],
    ]
    assert [row[4] for row in table[1:]] == ["cek-03", "iam-15"]
    assert [row[7] for row in table[1:]] == [ANSWERED, ANSWERED]
    assert all(row[6] for row in table[1:])  # the evidence documents are named
    assert report.count(ANSWERED) == 2


def test_prefilled_buyer_cells_are_kept(filler, tmp_path):
    source, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    rows = buyer_workbook(source, ["Is MFA enforced for all of your employees?"])
    workbook = load_workbook(source)
    workbook["Security"].cell(rows[0], 4, "See attached policy")
    workbook.save(source)
    report = filler.fill(source, output, FillOptions(answer_column="D"))
    assert load_workbook(output)["Security"].cell(rows[0], 4).value == "See attached policy"
    assert report.kept_cells == 1


def test_threshold_option_overrides_the_default(filler, tmp_path):
    source = tmp_path / "buyer.xlsx"
    buyer_workbook(source, [q for q, _ in LABELLED + HELD_OUT + FRESH_HELD_OUT])
    default = filler.fill(source, tmp_path / "default.xlsx")
    strict = filler.fill(source, tmp_path / "strict.xlsx", FillOptions(threshold=100.0))
    lenient = filler.fill(source, tmp_path / "lenient.xlsx", FillOptions(threshold=0.0))
    assert strict.count(ANSWERED) < default.count(ANSWERED) < lenient.count(ANSWERED)
    assert all(r.match.confidence == 100.0 for r in strict.rows if r.status == ANSWERED)
