"""Fill an XLSX or XLSM workbook: every sheet with questions (or the one named), answers written as a drop-down
allows, flagged rows highlighted, and a summary sheet added. Macros of an XLSM are carried over unchanged."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from copy import copy
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..choices import choose
from ..errors import QuestionnaireError
from ..fill import (
    ANSWERED,
    HEADERS,
    OUTPUT_FIELDS,
    REVIEW,
    FillOptions,
    FillReport,
    RowResult,
    SheetFill,
    choose_tables,
    output_columns,
    save_atomically,
)
from ..spreadsheet import (
    Layout,
    Table,
    column_number,
    find_layout,
    is_empty,
    load_buyer_workbook,
    sheet_table,
)
from ..summary import flagged, histogram, status_counts, where
from .validation import Validations

REVIEW_FILL = PatternFill("solid", start_color="FFF2CC", end_color="FFF2CC")
UNMATCHED_FILL = PatternFill("solid", start_color="F8CBAD", end_color="F8CBAD")
HEADER_FILL = PatternFill("solid", start_color="D9E1F2", end_color="D9E1F2")
SUMMARY_SHEET = "Answer summary"
# Widths (in characters) of the columns the fill adds after the buyer's.
NEW_COLUMN_WIDTHS = {
    "answer": 12,
    "description": 60,
    "bank_id": 16,
    "confidence": 17,
    "evidence": 32,
    "status": 14,
}


def fill_workbook(filler, source: Path, output: Path, options: FillOptions) -> FillReport:
    """Answer every question sheet of `source` into a copy at `output`."""
    _check_sizes(filler, source)
    workbook = load_buyer_workbook(source)
    # A summary sheet from an earlier fill lists questions too; it is not the buyer's.
    tables = {
        ws.title: sheet_table(ws) for ws in workbook.worksheets if not ws.title.startswith(SUMMARY_SHEET)
    }
    if all(is_empty(t) for t in tables.values()):
        raise QuestionnaireError(f"{source}: the workbook is empty: no sheet has any value")
    warnings: list[str] = []
    tables = _with_calculated_questions(source, tables, options, warnings)
    report = FillReport(source, output, filler.threshold(options), [], warnings=warnings)
    for name, table, layout in choose_tables(source, tables, options):
        sheet = workbook[name]
        filler.check_size(source, name, len(layout.question_rows))
        columns = output_columns(table, layout, options, sheet.max_column)
        rows = filler.match_sheet(source, name, table, layout, report.threshold)
        part = SheetFill(name, layout, columns, rows)
        report.parts.append(part)
        _write_headers(sheet, layout, columns, report)
        validations = Validations(workbook, sheet)
        for result in rows:
            _write_row(filler, sheet, validations, part, result, report)
    add_summary_sheet(workbook, report)
    report.warnings += _unkept_parts(source)
    save_atomically(output, workbook.save)
    return report


def _check_sizes(filler, source: Path) -> None:
    """Refuse an oversized sheet from the row count the file declares, before reading every cell."""
    try:
        workbook = load_workbook(io.BytesIO(source.read_bytes()), read_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        return  # load_buyer_workbook reports the damage
    try:
        for sheet in workbook.worksheets:
            if sheet.max_row:
                filler.check_size(source, sheet.title, sheet.max_row)
    finally:
        workbook.close()


def _with_calculated_questions(
    source: Path, tables: dict[str, Table], options: FillOptions, warnings: list[str]
) -> dict[str, Table]:
    """Formula cells of a question column read as the value Excel last calculated, so a question built by a
    formula is answered; the formulas themselves stay in the answered copy. A formula without a stored value
    (a file last saved by a program that does not calculate) is reported row by row."""
    formulas: dict[str, list[tuple[int, int]]] = {}
    for name, table in tables.items():
        header_row = options.header_row
        layout = find_layout(
            table,
            header_row,
            column_number(options.question_column, table, header_row),
            column_number(options.id_column, table, header_row),
        )
        if layout:
            column = layout.question_column
            rows = range(layout.header_row + 1, len(table.rows) + 1)
            formulas[name] = [(r, column) for r in rows if _is_formula(table.value(r, column))]
    if not any(formulas.values()):
        return tables
    calculated = load_workbook(io.BytesIO(source.read_bytes()), data_only=True)
    result = dict(tables)
    for name, cells in formulas.items():
        rows = [list(line) for line in tables[name].rows]
        for r, c in cells:
            value = calculated[name].cell(r, c).value
            rows[r - 1][c - 1] = value
            if value is None:
                warnings.append(
                    f"{name}!{get_column_letter(c)}{r} holds a formula with no calculated value (the file was "
                    "not last saved by Excel), so it was not read as a question; answer that row by hand"
                )
        result[name] = Table(name, rows)
    return result


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _write_headers(sheet: Worksheet, layout: Layout, columns: dict[str, int], report: FillReport) -> None:
    header_cell = sheet.cell(layout.header_row, layout.question_column)
    used = sheet.max_column
    for key, column in columns.items():
        letter = get_column_letter(column)
        if column > used and not sheet.column_dimensions[letter].width:  # a column we add, not the buyer's
            sheet.column_dimensions[letter].width = NEW_COLUMN_WIDTHS[key]
        cell = sheet.cell(layout.header_row, column)
        if isinstance(cell, MergedCell):
            report.warnings.append(
                f"{sheet.title}!{cell.coordinate} is part of a merged header, so the "
                f"{HEADERS[key]!r} header was not written above column {get_column_letter(column)}"
            )
        elif cell.value in (None, ""):
            cell.value = HEADERS[key]
            cell._style = copy(header_cell._style)


def _write_row(filler, sheet, validations: Validations, part: SheetFill, result: RowResult, report) -> None:
    values = filler.values(result)
    if "answer" in values:
        values["answer"] = _allowed_answer(
            sheet, validations, part.columns["answer"], result, values["answer"]
        )
    values["status"] = result.status  # a drop-down without a safe choice may have sent the row to review
    for key, _, _ in OUTPUT_FIELDS:
        if key not in values or values[key] is None:
            continue
        cell = sheet.cell(result.row, part.columns[key])
        if isinstance(cell, MergedCell) or cell.value not in (None, ""):
            report.kept_cells += 1
            if _is_formula(cell.value):
                report.warnings.append(f"{sheet.title}!{cell.coordinate} holds a formula; kept as it is")
            continue
        if key != "answer" and validations.rule_for(cell.row, cell.column):
            report.warnings.append(
                f"{sheet.title}!{cell.coordinate} has a data validation rule; the {key.replace('_', ' ')} "
                "was not written there"
            )
            continue
        cell.value = values[key]
        if key == "confidence":
            cell.number_format = "0.0"
        if result.status != ANSWERED:
            cell.fill = REVIEW_FILL if result.status == REVIEW else UNMATCHED_FILL


def _allowed_answer(
    sheet, validations: Validations, column: int, result: RowResult, answer: str
) -> str | None:
    """The answer as the cell's validation allows it; None (and the row flagged) when nothing allowed is safe."""
    cell = sheet.cell(result.row, column)
    rule = validations.rule_for(cell.row, cell.column)
    if rule is None:
        return answer
    if rule.type != "list":
        result.flag(f"{cell.coordinate} accepts only {rule.type} values, so {answer!r} was not written")
        return None
    try:
        choices = validations.choices(rule)
    except ValueError:
        choices = None
    if choices is None:
        result.flag(f"the drop-down of {cell.coordinate} lists {rule.formula1}, which could not be read")
        return None
    choice = choose(answer, choices)
    if choice is None:
        result.flag(
            f"the drop-down of {cell.coordinate} has no choice that means {answer!r} "
            f"(choices: {', '.join(choices)})"
        )
    return choice


def add_summary_sheet(workbook: Workbook, report: FillReport) -> Worksheet:
    """A sheet after the buyer's: counts by status, the confidence histogram (with a chart), the flagged rows."""
    title = SUMMARY_SHEET
    number = 2
    while title in workbook.sheetnames:
        title, number = f"{SUMMARY_SHEET} {number}", number + 1
    sheet = workbook.create_sheet(title)
    bold = Font(bold=True)
    sheet["A1"] = "Answer summary"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = (
        f"{report.source.name}, filled from the answer bank on {dt.date.today().isoformat()}; "
        f"confidence needed to answer: {report.threshold:g}"
    )
    row = _table(
        sheet, 4, ["Status", "Rows"], [(status, count) for status, count, _ in status_counts(report)]
    )
    start = row + 1
    row = _table(sheet, start, ["Confidence", "Rows"], histogram(report.rows))
    chart = BarChart()
    chart.type, chart.title, chart.legend = "bar", "Rows by confidence", None
    chart.add_data(Reference(sheet, min_col=2, min_row=start, max_row=row - 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=start + 1, max_row=row - 1))
    chart.height, chart.width = 7.5, 12
    sheet.add_chart(chart, f"D{start}")
    rows = flagged(report)
    row = max(row, start + 16) + 1
    sheet.cell(
        row, 1, f"Flagged rows ({len(rows)}): answer or check each, then run ./dev questionnaire learn"
    )
    sheet.cell(row, 1).font = bold
    lines = [
        (
            where(report, r),
            r.question,
            r.status,
            r.match.answer_id if r.status == REVIEW else "",
            round(r.match.confidence, 1),
            r.owner,
            r.note,
        )
        for r in rows
    ]
    _table(
        sheet,
        row + 1,
        ["Where", "Question", "Status", "Suggested bank id", "Confidence", "Owner", "Note"],
        lines,
    )
    for offset, r in enumerate(rows, start=row + 2):
        sheet.cell(offset, 1).hyperlink = f"#'{r.sheet}'!A{r.row}"
    for column, width in zip("ABCDEFG", (16, 70, 14, 18, 12, 34, 50), strict=True):
        sheet.column_dimensions[column].width = width
    for line in sheet.iter_rows(min_row=row + 2):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    # Printed on landscape pages one sheet wide, so the flagged-rows table reads across.
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    return sheet


def _table(sheet: Worksheet, row: int, headers: list[str], lines: list[tuple]) -> int:
    """Write a header row and its lines from `row`; returns the first row after them."""
    for column, header in enumerate(headers, 1):
        cell = sheet.cell(row, column, header)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for offset, line in enumerate(lines, 1):
        for column, value in enumerate(line, 1):
            sheet.cell(row + offset, column, value)
    return row + len(lines) + 1


def _unkept_parts(source: Path) -> list[str]:
    """Parts of the package openpyxl does not carry over, so the SE knows before sending the copy."""
    with zipfile.ZipFile(source) as package:
        names = package.namelist()
    lost = sorted(
        {
            kind
            for prefix, kind in (
                ("xl/drawings/", "images or shapes"),
                ("xl/charts/", "charts"),
                ("xl/pivotTables/", "pivot tables"),
            )
            if any(n.startswith(prefix) for n in names)
        }
    )
    if not lost:
        return []
    return [
        f"the buyer's file contains {', '.join(lost)}, which the answered copy does not keep; paste the "
        "answer columns into the original file if they matter"
    ]
