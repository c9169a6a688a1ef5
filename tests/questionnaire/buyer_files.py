"""More buyer files built for the tests, shaped like the ones buyers send: workbooks with drop-down lists of their
own wording (inline, on a hidden list sheet, behind a defined name), several question sheets, merged group headers,
a macro-enabled workbook, and Word questionnaires whose questions sit in tables."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Pt, RGBColor
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

# Questions whose bank answers (at the time of writing) are Yes, No and N/A, and two the bank cannot answer.
YES_QUESTIONS = ["Is MFA enforced for all of your employees?", "Do you encrypt customer data at rest?"]
NO_QUESTIONS = ["Are admin ports such as SSH or RDP exposed to the internet?"]
NA_QUESTIONS = ["Does the vendor carry cyber liability insurance?"]
UNANSWERABLE = ["What is your favourite colour?", "Do you sponsor local sports teams?"]
MIXED = YES_QUESTIONS + NO_QUESTIONS + NA_QUESTIONS + UNANSWERABLE
VBA_PROJECT = bytes.fromhex("D0CF11E0A1B11AE1") + b'Attribute VB_Name = "ThisWorkbook"' * 20


def dropdown_workbook(path: Path, questions: list[str], choices: list[str], source: str = "inline") -> int:
    """A workbook whose Response column allows only `choices`, given inline, as a range on a hidden 'Lists' sheet
    or through a defined name; returns the first question row (questions follow one per row)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Assessment"
    sheet.append(["Ref", "Question", "Response", "Comments"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, question in enumerate(questions, 1):
        sheet.append([f"A.{index}", question, None, None])
    last = len(questions) + 1
    if source == "inline":
        formula = '"' + ",".join(choices) + '"'
    else:
        lists = workbook.create_sheet("Lists")
        lists.sheet_state = "hidden"
        for row, choice in enumerate(choices, 1):
            lists.cell(row, 1, choice)
        formula = f"Lists!$A$1:$A${len(choices)}"
        if source == "name":
            workbook.defined_names["ResponseChoices"] = DefinedName("ResponseChoices", attr_text=formula)
            formula = "ResponseChoices"
    validation = DataValidation(type="list", formula1=formula, allow_blank=True)
    validation.add(f"C2:C{last}")
    sheet.add_data_validation(validation)
    workbook.save(path)
    return 2


def two_sheet_workbook(path: Path) -> None:
    """Questions on two sheets ('Security', 'Privacy') besides a cover sheet."""
    workbook = Workbook()
    workbook.active.title = "Cover"
    workbook.active["A1"] = "Complete both assessment sheets."
    for name, questions in (("Security", YES_QUESTIONS + UNANSWERABLE[:1]), ("Privacy", NO_QUESTIONS)):
        sheet = workbook.create_sheet(name)
        sheet.append(["#", "Question", "Answer"])
        for index, question in enumerate(questions, 1):
            sheet.append([index, question, None])
    workbook.save(path)


def merged_header_workbook(path: Path) -> None:
    """A two-row header: 'Question' merged down two rows, 'Vendor response' merged across its two sub-headers
    'Answer' and 'Comments', and a merged title row above."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Questionnaire"
    sheet["A1"] = "Supplier security questionnaire"
    sheet.merge_cells("A1:E1")
    for coordinate, text in (("A2", "Ref"), ("B2", "Question"), ("C2", "Vendor response"), ("E2", "Owner")):
        sheet[coordinate] = text
        sheet[coordinate].font = Font(bold=True)
        sheet[coordinate].alignment = Alignment(horizontal="center")
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:B3")
    sheet.merge_cells("C2:D2")
    sheet.merge_cells("E2:E3")
    sheet["C3"], sheet["D3"] = "Answer", "Comments"
    for row, question in enumerate(YES_QUESTIONS + UNANSWERABLE[:1], start=4):
        sheet.cell(row, 1, f"S{row - 3}")
        sheet.cell(row, 2, question)
    workbook.save(path)


def macro_workbook(path: Path, questions: list[str]) -> None:
    """An .xlsm workbook carrying a VBA project part, as Excel writes one."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Security"
    sheet.append(["#", "Question", "Answer"])
    for index, question in enumerate(questions, 1):
        sheet.append([index, question, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as plain, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as macro:
        for item in plain.infolist():
            data = plain.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                ).replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                )
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdVBA" Type="http://schemas.microsoft.com/office/2006/relationships/'
                    b'vbaProject" Target="vbaProject.bin"/></Relationships>',
                )
            macro.writestr(item, data)
        macro.writestr("xl/vbaProject.bin", VBA_PROJECT)


def large_workbook(path: Path, rows: int) -> None:
    """A one-sheet workbook ('Export') of `rows` question rows below a header. The sheet XML is written directly,
    as a database export would, which is much faster than openpyxl for this many rows."""
    workbook = Workbook()
    workbook.active.title = "Export"
    workbook.active.append(["ID", "Question", "Answer"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    def cell(column: str, row: int, text: str) -> str:
        return f'<c r="{column}{row}" t="inlineStr"><is><t>{text}</t></is></c>'

    lines = [f'<row r="1">{cell("A", 1, "ID")}{cell("B", 1, "Question")}{cell("C", 1, "Answer")}</row>']
    for row in range(2, rows + 2):
        question = f"Do you encrypt customer data at rest in region {row}?"
        lines.append(f'<row r="{row}">{cell("A", row, str(row))}{cell("B", row, question)}</row>')
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:C{rows + 1}"/><sheetData>{"".join(lines)}</sheetData></worksheet>'
    )
    with zipfile.ZipFile(buffer) as plain, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as large:
        for item in plain.infolist():
            data = (
                sheet.encode() if item.filename == "xl/worksheets/sheet1.xml" else plain.read(item.filename)
            )
            large.writestr(item, data)


def header_fill(colour: str = "1F3864"):
    return parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{colour}"/>')


def word_questionnaire(
    path: Path,
    questions: list[str],
    headers: tuple[str, ...] = ("Ref", "Question", "Response", "Comments"),
    dropdown: list[str] | None = None,
) -> None:
    """A Word questionnaire: a title, an instruction paragraph, then one table with a shaded header row, the
    question column in 10 pt Arial and (with `dropdown`) a drop-down content control in every Response cell."""
    document = docx.Document()
    document.add_heading("Vendor security questionnaire", level=1)
    document.add_paragraph("Answer every question in the Response column and return this document.")
    table = document.add_table(rows=1, cols=len(headers))
    table.style = document.styles["Table Grid"]
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        run = cell.paragraphs[0].add_run(header)
        run.bold, run.font.color.rgb = True, RGBColor(0xFF, 0xFF, 0xFF)
        cell._tc.get_or_add_tcPr().append(header_fill())
    for index, question in enumerate(questions, 1):
        cells = table.add_row().cells
        cells[0].text = f"Q{index}"
        run = cells[1].paragraphs[0].add_run(question)
        run.font.name, run.font.size = "Arial", Pt(10)
        # The answer cell's empty paragraph carries the buyer's chosen answer font in its paragraph mark.
        mark = parse_xml(
            f'<w:pPr {nsdecls("w")}><w:rPr><w:rFonts w:ascii="Georgia" w:hAnsi="Georgia"/>'
            '<w:sz w:val="22"/></w:rPr></w:pPr>'
        )
        cells[2].paragraphs[0]._p.insert(0, mark)
        if dropdown:
            cells[2]._tc.remove(cells[2].paragraphs[0]._p)
            cells[2]._tc.append(_dropdown_control(dropdown))
    document.add_paragraph("Signed on behalf of the vendor: ____________________")
    document.save(path)


def _dropdown_control(choices: list[str]):
    items = "".join(f'<w:listItem w:displayText="{c}" w:value="{c}"/>' for c in choices)
    return parse_xml(
        f"<w:sdt {nsdecls('w')}><w:sdtPr><w:showingPlcHdr/><w:dropDownList>"
        f'<w:listItem w:displayText="Choose an item." w:value=""/>{items}</w:dropDownList></w:sdtPr>'
        '<w:sdtContent><w:p><w:r><w:rPr><w:rStyle w:val="PlaceholderText"/></w:rPr><w:t>Choose an item.</w:t>'
        "</w:r></w:p></w:sdtContent></w:sdt>"
    )
