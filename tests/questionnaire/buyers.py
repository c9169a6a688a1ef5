"""Buyer-style questionnaire files built for the tests, shaped like real ones: a cover sheet, a merged title,
section rows, a drop-down on the response column, formulas, styles and a scoring sheet."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

HEADER_ROW = 4
FIRST_QUESTION_ROW = 5
SECTION_EVERY = 12


def buyer_workbook(
    path: Path,
    questions: list[str],
    title: str = "Acme Corp vendor security assessment",
    ids: list[str] | None = None,
) -> dict[int, int]:
    """Write a buyer's workbook; returns {question index: row number} for the question rows."""
    workbook = Workbook()
    cover = workbook.active
    cover.title = "Instructions"
    cover["A1"] = title
    cover["A1"].font = Font(bold=True, size=14)
    cover.merge_cells("A1:D1")
    cover["A3"] = "Answer every item on the Security sheet and return this workbook to procurement."
    cover["A5"] = "Completed by"
    cover["B5"] = "=Security!B2"

    sheet = workbook.create_sheet("Security")
    sheet["A1"] = title
    sheet["A1"].font = Font(bold=True, size=16, color="1F3864")
    sheet.merge_cells("A1:F1")
    sheet["A2"] = "Vendor name"
    headers = ["Ref", "Domain", "Question", "Vendor Response", "Comments", "Weight"]
    header_fill = PatternFill("solid", start_color="D9E1F2", end_color="D9E1F2")
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(HEADER_ROW, column, header)
        cell.font = Font(bold=True)
        cell.fill = header_fill
    sheet.column_dimensions["C"].width = 70
    rows: dict[int, int] = {}
    row = FIRST_QUESTION_ROW
    for index, question in enumerate(questions):
        if index % SECTION_EVERY == 0:
            sheet.cell(row, 1, f"Section {index // SECTION_EVERY + 1}")
            sheet.cell(row, 1).font = Font(bold=True, italic=True)
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
            row += 1
        sheet.cell(row, 1, ids[index] if ids else f"Q-{index + 1:03d}")
        sheet.cell(row, 2, "Security")
        sheet.cell(row, 3, question)
        sheet.cell(row, 6, 1 + index % 3)
        rows[index] = row
        row += 1
    last = row - 1
    sheet.cell(row + 1, 5, "Total weight")
    sheet.cell(row + 1, 6, f"=SUM(F{FIRST_QUESTION_ROW}:F{last})")
    validation = DataValidation(type="list", formula1='"Yes,No,N/A"', allow_blank=True)
    validation.add(f"D{FIRST_QUESTION_ROW}:D{last}")
    sheet.add_data_validation(validation)
    sheet.conditional_formatting.add(
        f"D{FIRST_QUESTION_ROW}:D{last}",
        CellIsRule(operator="equal", formula=['"No"'], fill=PatternFill("solid", start_color="F4B084")),
    )
    scoring = workbook.create_sheet("Scoring")
    scoring["A1"] = "Yes answers"
    scoring["B1"] = f'=COUNTIF(Security!D{FIRST_QUESTION_ROW}:D{last},"Yes")'
    workbook.save(path)
    return rows


def buyer_csv(path: Path, questions: list[str], delimiter: str = ",") -> None:
    """A plain CSV questionnaire with an empty Answer column."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(["ID", "Question", "Answer"])
        for index, question in enumerate(questions, start=1):
            writer.writerow([f"S{index}", question, ""])
