"""Auto-fill a buyer's questionnaire from the answer bank, leaving everything else in the file as it was.

The buyer's file is read into memory and never written; the answered copy is saved to the output path through a
temporary file in the same folder. Only the answer, description, bank id and confidence cells are written (in
new columns after the last used one, or in the buyer's own empty answer and comment columns), and only they are
highlighted when the match needs review.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import zipfile
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.cell.cell import MergedCell
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from ..datamodel import DataSet
from ..paths import Project
from ..render import make_environment
from .bank import Bank, load_bank
from .describe import render_descriptions
from .errors import QuestionnaireError
from .matcher import Match, Matcher
from .spreadsheet import (
    Layout,
    Table,
    column_number,
    file_kind,
    find_layout,
    is_empty,
    load_buyer_workbook,
    read_csv,
    sheet_table,
)

ANSWERED, REVIEW, UNMATCHED = "answered", "needs review", "unmatched"
NO_MATCH = "no match"
REVIEW_FILL = PatternFill("solid", start_color="FFF2CC", end_color="FFF2CC")
UNMATCHED_FILL = PatternFill("solid", start_color="F8CBAD", end_color="F8CBAD")

# Output fields: (key, header of a new column, headers of a buyer's own column we may write into when empty).
OUTPUT_FIELDS: tuple[tuple[str, str, re.Pattern], ...] = (
    (
        "answer",
        "Answer",
        re.compile(
            r"^(answer|response|vendor (answer|response)|yes ?/ ?no( ?/ ?n/?a)?|"
            r"csp caiq answer|answer \(yes ?/ ?no( ?/ ?n/?a)?\))$"
        ),
    ),
    (
        "description",
        "Implementation Description",
        re.compile(
            r"^(comments?|explanation|notes|details|vendor comments?|additional (information|comments)|"
            r"(csp )?implementation description.*)$"
        ),
    ),
    ("bank_id", "Matched Bank ID", re.compile(r"^matched bank id$")),
    ("confidence", "Match Confidence", re.compile(r"^match confidence$")),
)


@dataclass
class FillOptions:
    """Choices the SE can make on the command line; everything left as None is found automatically."""

    sheet: str | None = None
    header_row: int | None = None
    question_column: str | None = None
    id_column: str | None = None
    answer_column: str | None = None
    description_column: str | None = None
    bank_id_column: str | None = None
    confidence_column: str | None = None
    threshold: float | None = None


@dataclass
class RowResult:
    """What auto-fill did with one question row."""

    row: int
    question: str
    match: Match
    status: str


@dataclass
class FillReport:
    """Coverage of one fill: counts by status, where the questions were, what was written."""

    source: Path
    output: Path
    sheet: str
    layout: Layout
    threshold: float
    rows: list[RowResult]
    columns: dict[str, int]
    kept_cells: int = 0
    warnings: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    def summary(self) -> str:
        """The coverage summary printed after a fill."""
        total = len(self.rows)
        lines = [
            f"Filled {total} question{'s' if total != 1 else ''} from sheet {self.sheet!r} "
            f"({self.layout.describe()}).",
            f"  answered:     {self.count(ANSWERED):4d}  ({_percent(self.count(ANSWERED), total)}, "
            f"confidence >= {self.threshold:g})",
            f"  needs review: {self.count(REVIEW):4d}  ({_percent(self.count(REVIEW), total)}, "
            "suggestion written, highlighted)",
            f"  unmatched:    {self.count(UNMATCHED):4d}  ({_percent(self.count(UNMATCHED), total)}, "
            "no suggestion, highlighted)",
        ]
        written = ", ".join(
            f"{key.replace('_', ' ')} in {get_column_letter(col)}" for key, col in self.columns.items()
        )
        lines.append(f"Wrote {written} to {self.output}")
        if self.kept_cells:
            lines.append(f"Kept {self.kept_cells} cell(s) the buyer had already filled.")
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _percent(part: int, total: int) -> str:
    return f"{100 * part / total:.1f}%" if total else "0.0%"


class Filler:
    """The bank, its matcher and rendered descriptions, prepared once for any number of fills."""

    def __init__(self, project: Project, dataset: DataSet, bank: Bank | None = None):
        self.bank = bank or load_bank(dataset)
        self.matcher = Matcher(self.bank)
        env = make_environment(project, dataset, "customer")
        self.descriptions = render_descriptions(env, self.bank, dataset)
        self.answers = self.bank.by_id()

    def fill(self, source: Path | str, output: Path | str, options: FillOptions | None = None) -> FillReport:
        """Answer the questions of `source` into a copy at `output`; `source` is never modified."""
        options = options or FillOptions()
        source, output = Path(source), Path(output)
        kind = file_kind(source)
        _check_output(source, output, kind)
        if kind == "csv":
            return self._fill_csv(source, output, options)
        return self._fill_workbook(source, output, options)

    # -- workbooks -------------------------------------------------------------------------------------------
    def _fill_workbook(self, source: Path, output: Path, options: FillOptions) -> FillReport:
        workbook = load_buyer_workbook(source)
        tables = {ws.title: sheet_table(ws) for ws in workbook.worksheets}
        if all(is_empty(t) for t in tables.values()):
            raise QuestionnaireError(f"{source}: the workbook is empty: no sheet has any value")
        name, table, layout = _choose_sheet(source, tables, options)
        sheet = workbook[name]
        _check_merged_header(source, sheet, layout)
        columns = self._output_columns(table, layout, options, sheet.max_column)
        report = self._match(source, output, name, table, layout, columns, options)
        header_cell = sheet.cell(layout.header_row, layout.question_column)
        for key, header, _ in OUTPUT_FIELDS:
            cell = sheet.cell(layout.header_row, columns[key])
            if cell.value in (None, ""):
                cell.value = header
                cell._style = copy(header_cell._style)
        for result in report.rows:
            for key, value in self._values(result).items():
                cell = sheet.cell(result.row, columns[key])
                if isinstance(cell, MergedCell) or cell.value not in (None, ""):
                    report.kept_cells += 1
                    continue
                cell.value = value
                if key == "confidence":
                    cell.number_format = "0.0"
                if result.status != ANSWERED:
                    cell.fill = REVIEW_FILL if result.status == REVIEW else UNMATCHED_FILL
        report.warnings += _unkept_parts(source)
        _save_atomically(output, workbook.save)
        return report

    # -- CSV -------------------------------------------------------------------------------------------------
    def _fill_csv(self, source: Path, output: Path, options: FillOptions) -> FillReport:
        table, dialect, encoding = read_csv(source)
        if is_empty(table):
            raise QuestionnaireError(f"{source}: the CSV file is empty")
        name, table, layout = _choose_sheet(source, {table.name: table}, options)
        width = max(len(r) for r in table.rows)
        columns = self._output_columns(table, layout, options, width)
        report = self._match(source, output, name, table, layout, columns, options)
        grid = [[("" if v is None else v) for v in row] for row in table.rows]
        width = max(width, *columns.values())
        for row in grid:
            row.extend([""] * (width - len(row)))
        for key, header, _ in OUTPUT_FIELDS:
            if not grid[layout.header_row - 1][columns[key] - 1]:
                grid[layout.header_row - 1][columns[key] - 1] = header
        for result in report.rows:
            for key, value in self._values(result).items():
                line = grid[result.row - 1]
                if line[columns[key] - 1] not in ("", None):
                    report.kept_cells += 1
                    continue
                line[columns[key] - 1] = value if key != "confidence" else f"{value:.1f}"
            if result.status != ANSWERED:
                line = grid[result.row - 1]
                if not line[columns["bank_id"] - 1] or line[columns["bank_id"] - 1] == NO_MATCH:
                    continue
                line[columns["bank_id"] - 1] += f" ({result.status})"
        report.warnings.append(
            "CSV cannot carry highlighting: rows below the threshold are marked "
            "'(needs review)' in the bank id column"
        )

        def write(path):
            with open(path, "w", encoding=encoding, newline="") as handle:
                csv.writer(handle, dialect).writerows(grid)

        _save_atomically(output, write)
        return report

    # -- shared ----------------------------------------------------------------------------------------------
    def _output_columns(
        self, table: Table, layout: Layout, options: FillOptions, used_width: int
    ) -> dict[str, int]:
        chosen = {
            "answer": options.answer_column,
            "description": options.description_column,
            "bank_id": options.bank_id_column,
            "confidence": options.confidence_column,
        }
        header = table.rows[layout.header_row - 1]
        columns: dict[str, int] = {}
        next_free = max(used_width, len(header)) + 1
        for key, _, pattern in OUTPUT_FIELDS:
            column = column_number(chosen[key], table, layout.header_row)
            if column is None:
                column = next(
                    (
                        i
                        for i, v in enumerate(header, 1)
                        if v is not None
                        and pattern.match(str(v).strip().lower())
                        and i not in columns.values()
                        and all(table.value(r, i) in (None, "") for r in layout.question_rows)
                    ),
                    None,
                )
            if column is None:
                column, next_free = next_free, next_free + 1
            if column in (layout.question_column, layout.id_column):
                raise QuestionnaireError(
                    f"the {key.replace('_', ' ')} column {get_column_letter(column)} is the "
                    "question or question-id column; choose another column"
                )
            columns[key] = column
        return columns

    def _match(self, source, output, name, table: Table, layout: Layout, columns, options) -> FillReport:
        if not layout.question_rows:
            raise QuestionnaireError(
                f"{source}: sheet {name!r} has a question header in row {layout.header_row} "
                "but no questions below it"
            )
        threshold = options.threshold if options.threshold is not None else self.bank.threshold
        questions = [str(table.value(r, layout.question_column)).strip() for r in layout.question_rows]
        ids = [table.value(r, layout.id_column) if layout.id_column else None for r in layout.question_rows]
        matches = self.matcher.match_all(questions, [str(i) if i is not None else None for i in ids])
        rows = [
            RowResult(r, q, m, _status(m, threshold, self.bank.suggestion_floor))
            for r, q, m in zip(layout.question_rows, questions, matches, strict=True)
        ]
        return FillReport(source, output, name, layout, threshold, rows, columns)

    def _values(self, result: RowResult) -> dict[str, object]:
        if result.status == UNMATCHED:
            return {"bank_id": NO_MATCH, "confidence": result.match.confidence}
        answer = self.answers[result.match.answer_id]
        return {
            "answer": answer.answer,
            "description": self.descriptions[answer.id],
            "bank_id": answer.id,
            "confidence": result.match.confidence,
        }


def _status(match: Match, threshold: float, floor: float) -> str:
    if match.answer_id is None or match.confidence < floor:
        return UNMATCHED
    return ANSWERED if match.confidence >= threshold and match.agreed else REVIEW


def _check_output(source: Path, output: Path, kind: str) -> None:
    if output.resolve() == source.resolve():
        raise QuestionnaireError(
            f"{output}: the output must be a new file; the buyer's file is never overwritten"
        )
    wanted = (".csv",) if kind == "csv" else (source.suffix.lower(),)
    if output.suffix.lower() not in wanted:
        raise QuestionnaireError(
            f"{output}: write a {source.suffix.lower()} file for a {source.suffix.lower()} "
            f"input (got {output.suffix or 'no extension'})"
        )


def _choose_sheet(source: Path, tables: dict[str, Table], options: FillOptions) -> tuple[str, Table, Layout]:
    if options.sheet is not None:
        if options.sheet not in tables:
            raise QuestionnaireError(
                f"{source}: no sheet named {options.sheet!r}; sheets: {', '.join(tables)}"
            )
        names = [options.sheet]
    else:
        names = list(tables)
    found, headers_only = [], []
    for name in names:
        table = tables[name]
        header_row = options.header_row
        question_column = column_number(options.question_column, table, header_row)
        id_column = column_number(options.id_column, table, header_row)
        layout = find_layout(table, header_row, question_column, id_column)
        if layout and (layout.question_rows or options.sheet):
            found.append((name, table, layout))
        elif layout:
            headers_only.append((name, layout))
    if not found and headers_only:
        name, layout = headers_only[0]
        raise QuestionnaireError(
            f"{source}: sheet {name!r} has a question header in row {layout.header_row} but "
            "no questions below it; check that the file is the filled-in questionnaire"
        )
    if not found:
        where = f"sheet {options.sheet!r}" if options.sheet else "any sheet"
        raise QuestionnaireError(
            f"{source}: no question column found in {where}: no header cell reads "
            "'Question' (or 'Requirement', 'Query') above question text; pass "
            "--question-column (letter or header text) and --header-row"
        )
    if len(found) > 1:
        spread = ", ".join(
            f"{name!r} ({_plural(len(layout.question_rows), 'question')})" for name, _, layout in found
        )
        raise QuestionnaireError(
            f"{source}: questions are spread over several sheets: {spread}; fill one sheet "
            "at a time with --sheet NAME (each run writes its own output file)"
        )
    return found[0]


def _check_merged_header(source: Path, sheet, layout: Layout) -> None:
    merged = [str(r) for r in sheet.merged_cells.ranges if r.min_row <= layout.header_row <= r.max_row]
    if merged:
        raise QuestionnaireError(
            f"{source}: the header row {layout.header_row} of sheet {sheet.title!r} has "
            f"merged cells ({', '.join(merged)}); unmerge them in a copy of the file, or "
            "pass --header-row and --question-column for a row without merged cells"
        )


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


def _save_atomically(output: Path, save) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{output.stem}-", suffix=output.suffix, dir=output.parent)
    os.close(handle)
    try:
        save(temporary)
        os.replace(temporary, output)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
