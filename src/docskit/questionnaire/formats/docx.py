"""Fill a Word (.docx) questionnaire whose questions sit in tables.

Each table with a question column is a "sheet" named "Table N" (in document order, nested tables included). The
answer goes into the row's empty answer cell (a "Response" or "Answer" column), or into a Word drop-down
content control there as one of its choices; the description into an empty "Comments" cell when the table has
one, else below the answer. A small grey line under them names the bank id, the confidence, the status and the
evidence documents: `learn` reads it back. New text takes the formatting of the cell it is written into; flagged
rows are shaded. A summary (counts, histogram, flagged rows with owners) is appended after a page break.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from copy import deepcopy
from pathlib import Path

import docx
from docx.document import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.table import Table as WordTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from ..choices import choose
from ..errors import QuestionnaireError
from ..fill import (
    ANSWERED,
    REVIEW,
    FillOptions,
    FillReport,
    RowResult,
    SheetFill,
    choose_tables,
    output_columns,
    save_atomically,
)
from ..spreadsheet import Table, is_empty
from ..summary import flagged, histogram, status_counts, where

SHADING = {REVIEW: "FFF2CC", "unmatched": "F8CBAD"}
MARK_COLOUR = RGBColor(0x59, 0x59, 0x59)
BAR_WIDTH = 24  # characters of the longest histogram bar in the summary table
MARK = re.compile(
    r"Bank id:\s*(?P<bank_id>[^·]*?)\s*·\s*Confidence:\s*(?P<confidence>[\d.]+)\s*·\s*"
    r"Status:\s*(?P<status>[^·]*?)\s*(·|$)"
)
# Run properties that belong to a paragraph mark only, never to a run.
_MARK_ONLY = {qn("w:ins"), qn("w:del"), qn("w:moveFrom"), qn("w:moveTo"), qn("w:rPrChange")}


def load_document(path: Path) -> Document:
    """The Word document, read from an in-memory copy; a damaged file is a QuestionnaireError."""
    try:
        return docx.Document(io.BytesIO(path.read_bytes()))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise QuestionnaireError(
            f"{path}: cannot be read as a Word document ({exc}); open it in Word and save it as .docx"
        ) from None


def word_tables(document: Document) -> list[tuple[str, WordTable, list[list[_Cell | None]]]]:
    """(name, table, cell grid) for every table, nested ones after their parent. In the grid a merged cell
    appears once, at its top-left position, like a merged range in a workbook."""
    found: list[WordTable] = []

    def walk(tables):
        for table in tables:
            found.append(table)
            for row in table.rows:
                for cell in _unique(row.cells):
                    walk(cell.tables)

    walk(document.tables)
    return [(f"Table {n}", table, _grid(table)) for n, table in enumerate(found, 1)]


def _unique(cells):
    seen = []
    for cell in cells:
        if not any(cell._tc is s._tc for s in seen):
            seen.append(cell)
    return seen


def _grid(table: WordTable) -> list[list[_Cell | None]]:
    grid, above = [], []
    for row in table.rows:
        raw = [None] * row.grid_cols_before + list(row.cells)
        line: list[_Cell | None] = []
        for column, cell in enumerate(raw):
            left = raw[column - 1] if column else None
            up = above[column] if column < len(above) else None
            repeated = cell is None or any(o is not None and o._tc is cell._tc for o in (left, up))
            line.append(None if repeated else cell)
        grid.append(line)
        above = raw
    return grid


def cell_text(cell: _Cell | None, without_mark: bool = True) -> str:
    """A cell's text, a content control's chosen item included and its placeholder ("Choose an item.") not;
    without the fill's grey mark line by default."""
    if cell is None:
        return ""
    lines = [
        "".join(t.text or "" for t in p.iter(qn("w:t")) if not _placeholder(t))
        for p in cell._tc.iter(qn("w:p"))
    ]
    if without_mark:
        lines = [line for line in lines if not MARK.search(line)]
    return "\n".join(line for line in lines if line.strip()).strip()


def _placeholder(element) -> bool:
    """True inside a content control that still shows its placeholder text."""
    for ancestor in element.iterancestors(qn("w:sdt")):
        properties = ancestor.find(qn("w:sdtPr"))
        if properties is not None and properties.find(qn("w:showingPlcHdr")) is not None:
            return True
    return False


def values_table(name: str, grid: list[list[_Cell | None]]) -> Table:
    """The grid's texts as a Table, for the same layout finder as a workbook's."""
    return Table(name, [[cell_text(c) or None for c in line] for line in grid])


def fill_docx(filler, source: Path, output: Path, options: FillOptions) -> FillReport:
    """Answer every question table of a Word document into a copy at `output`."""
    document = load_document(source)
    found = word_tables(document)
    tables = {name: values_table(name, grid) for name, _, grid in found}
    if not tables or all(is_empty(t) for t in tables.values()):
        raise QuestionnaireError(
            f"{source}: the document has no table with text; questions must sit in tables"
        )
    grids = {name: grid for name, _, grid in found}
    report = FillReport(source, output, filler.threshold(options), [])
    for name, table, layout in choose_tables(source, tables, options, kind="table"):
        filler.check_size(source, name, len(layout.question_rows))
        columns = output_columns(table, layout, options, 0, new_columns=False)
        if "answer" not in columns and "description" not in columns:
            raise QuestionnaireError(
                f"{source}: {name} has questions but no empty answer column (a header such as 'Response', "
                "'Answer' or 'Comments'); pass --answer-column with the column's letter (A is the first)"
            )
        rows = filler.match_sheet(source, name, table, layout, report.threshold)
        report.parts.append(SheetFill(name, layout, columns, rows))
        for result in rows:
            _write_row(filler, grids[name], columns, result, report)
    _append_summary(document, report)
    save_atomically(output, document.save)
    return report


def _write_row(filler, grid, columns: dict[str, int], result: RowResult, report: FillReport) -> None:
    values = filler.values(result)
    line = grid[result.row - 1]

    def cell(key):
        column = columns.get(key)
        return line[column - 1] if column and column <= len(line) else None

    answer_cell, description_cell = cell("answer"), cell("description")
    present = [c for c in (answer_cell, description_cell) if c is not None]
    if not present or any(cell_text(c, without_mark=False) for c in present):
        report.kept_cells += 1
        return
    text_cell = description_cell or answer_cell  # the explanation and the mark line go here
    if "answer" in values:
        dropdown = _dropdown(answer_cell) if answer_cell is not None else None
        if dropdown is not None:
            choice = _choose_in_dropdown(dropdown, values["answer"], result)
            if choice is not None:
                _set_dropdown(dropdown, choice)
        else:
            _write_text(answer_cell or text_cell, values["answer"])
    values["status"] = result.status
    if "description" in values:
        _write_text(text_cell, values["description"])
    mark = (
        f"Bank id: {values['bank_id']} · Confidence: {values['confidence']:.1f} · Status: {values['status']}"
    )
    if values.get("evidence"):
        mark += f" · Evidence: {values['evidence']}"
    run = _write_text(text_cell, mark, own_paragraph=True)  # the cell's first line stays the SE's to type in
    run.font.size, run.font.color.rgb = Pt(7), MARK_COLOUR
    if result.status != ANSWERED:
        for shaded in (answer_cell, description_cell):
            if shaded is not None:
                _shade(shaded, SHADING[result.status])


def _write_text(cell: _Cell, text: str, own_paragraph: bool = False):
    """Write `text` into the cell's empty first paragraph (unless `own_paragraph`), else a new paragraph formatted
    like the first one; the run takes the paragraph mark's character formatting, as if typed there in Word."""
    paragraphs = cell.paragraphs
    first = paragraphs[0] if paragraphs else cell.add_paragraph()
    if not own_paragraph and not "".join(p.text for p in paragraphs).strip() and not first.runs:
        paragraph = first
    else:
        paragraph = cell.add_paragraph()
        if first._p.pPr is not None:
            if paragraph._p.pPr is not None:
                paragraph._p.remove(paragraph._p.pPr)
            paragraph._p.insert(0, deepcopy(first._p.pPr))
    run = paragraph.add_run(text)
    mark = first._p.pPr.find(qn("w:rPr")) if first._p.pPr is not None else None
    if mark is not None:
        properties = deepcopy(mark)
        for child in list(properties):
            if child.tag in _MARK_ONLY:
                properties.remove(child)
        existing = run._r.find(qn("w:rPr"))
        if existing is not None:
            run._r.remove(existing)
        run._r.insert(0, properties)
    return run


def _shade(cell: _Cell, colour: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    for old in properties.findall(qn("w:shd")):
        properties.remove(old)
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    properties.append(shading)


# -- Word drop-down content controls ------------------------------------------------------------------------------
def _dropdown(cell: _Cell):
    """The drop-down (or combo box) content control in a cell, if any."""
    for sdt in cell._tc.iter(qn("w:sdt")):
        properties = sdt.find(qn("w:sdtPr"))
        if properties is not None and (
            properties.find(qn("w:dropDownList")) is not None or properties.find(qn("w:comboBox")) is not None
        ):
            return sdt
    return None


def _list_items(sdt) -> list[tuple[str, str]]:
    properties = sdt.find(qn("w:sdtPr"))
    control = properties.find(qn("w:dropDownList"))
    if control is None:
        control = properties.find(qn("w:comboBox"))
    items = []
    for item in control.findall(qn("w:listItem")):
        value = item.get(qn("w:value")) or ""
        items.append((item.get(qn("w:displayText")) or value, value))
    return [(text, value) for text, value in items if text.strip()]


def _choose_in_dropdown(sdt, answer: str, result: RowResult) -> str | None:
    texts = [text for text, _ in _list_items(sdt)]
    choice = choose(answer, texts)
    if choice is None:
        result.flag(f"the drop-down has no choice that means {answer!r} (choices: {', '.join(texts)})")
    return choice


def _set_dropdown(sdt, choice: str) -> None:
    """Show `choice` in the control, keeping the formatting of its first run."""
    properties = sdt.find(qn("w:sdtPr"))
    placeholder = properties.find(qn("w:showingPlcHdr"))
    if placeholder is not None:
        properties.remove(placeholder)
    content = sdt.find(qn("w:sdtContent"))
    texts = list(content.iter(qn("w:t")))
    if texts:
        texts[0].text = choice
        for extra in texts[1:]:
            extra.text = ""
        run = texts[0].getparent()
        style = run.find(qn("w:rPr"))
        if style is not None:  # the placeholder's grey "Choose an item." style is not the answer's
            for child in style.findall(qn("w:rStyle")):
                style.remove(child)
        return
    paragraph = content.find(qn("w:p"))
    holder = paragraph if paragraph is not None else content
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = choice
    run.append(text)
    holder.append(run)


# -- summary appended to the answered copy ------------------------------------------------------------------------
def _append_summary(document: Document, report: FillReport) -> None:
    document.add_page_break()
    _heading(document, "Answer summary")
    document.add_paragraph(
        f"{report.source.name}: {len(report.rows)} questions, filled from the answer bank; confidence needed to "
        f"answer: {report.threshold:g}. Flagged rows are shaded; each answer names its bank id, confidence and "
        "evidence in grey below it."
    )
    _table(document, ["Status", "Rows"], [(s, str(c)) for s, c, _ in status_counts(report)])
    _heading(document, "Confidence of the best match", level=2)
    bars = histogram(report.rows)
    peak = max(count for _, count in bars) or 1
    _table(
        document,
        ["Confidence", "Rows", ""],
        [(label, str(count), "\u2588" * round(BAR_WIDTH * count / peak)) for label, count in bars],
    )
    rows = flagged(report)
    _heading(document, f"Flagged rows ({len(rows)})", level=2)
    if rows:
        _table(
            document,
            ["Where", "Question", "Status", "Suggested bank id", "Owner"],
            [
                (
                    where(report, r),
                    r.question,
                    r.status,
                    r.match.answer_id if r.status == REVIEW else "",
                    r.owner,
                )
                for r in rows
            ],
        )


def _heading(document: Document, text: str, level: int = 1) -> Paragraph:
    try:
        return document.add_heading(text, level=level)
    except KeyError:  # the buyer's template has no heading styles
        paragraph = document.add_paragraph()
        paragraph.add_run(text).bold = True
        return paragraph


def _table(document: Document, headers: list[str], lines: list[tuple[str, ...]]) -> WordTable:
    table = document.add_table(rows=1, cols=len(headers))
    with contextlib.suppress(KeyError):  # the buyer's template may lack Word's built-in "Table Grid"
        table.style = document.styles["Table Grid"]
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.paragraphs[0].add_run(header).bold = True
    for line in lines:
        for cell, value in zip(table.add_row().cells, line, strict=True):
            cell.text = value
    return table
