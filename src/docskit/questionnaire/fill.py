"""Auto-fill a buyer's questionnaire from the answer bank, leaving everything else in the file as it was.

The buyer's file is read into memory and never written; the answered copy is saved to the output path through a
temporary file in the same folder. This module holds what every format shares: finding the question tables,
matching the questions, the values written per row and the report. The format modules (`formats/xlsx.py`,
`formats/csv.py`, `formats/docx.py`) read and write the files.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import get_column_letter

from ..datamodel import DataSet
from ..paths import Project
from ..render import make_environment
from .bank import Bank, load_bank, settings_of
from .describe import render_descriptions
from .errors import QuestionnaireError
from .matcher import Match, Matcher
from .owners import OwnerRouter
from .spreadsheet import Layout, Table, column_number, file_kind, find_layout

ANSWERED, REVIEW, UNMATCHED = "answered", "needs review", "unmatched"
CONFIRMED = (
    "confirmed"  # what the SE types into the status cell to confirm a flagged suggestion (see learn.py)
)
NO_MATCH = "no match"

# Output fields: (key, header of a new column, headers of a buyer's own column we may write into when empty).
OUTPUT_FIELDS: tuple[tuple[str, str, re.Pattern], ...] = (
    (
        "answer",
        "Answer",
        re.compile(
            r"^(answer|response|vendor (answer|response)|supplier (answer|response)|yes ?/ ?no( ?/ ?n/?a)?|"
            r"csp caiq answer|answer \(yes ?/ ?no( ?/ ?n/?a)?\)|response \(yes ?/ ?no( ?/ ?n/?a)?\))$"
        ),
    ),
    (
        "description",
        "Implementation Description",
        re.compile(
            r"^(comments?|explanation|notes|details|vendor comments?|supplier comments?|additional "
            r"(information|comments)|(csp )?implementation description.*|response details|justification)$"
        ),
    ),
    ("bank_id", "Matched Bank ID", re.compile(r"^matched bank id$")),
    ("confidence", "Match Confidence", re.compile(r"^match confidence$")),
    ("evidence", "Evidence", re.compile(r"^(evidence|supporting evidence|evidence documents?)$")),
    ("status", "Match Status", re.compile(r"^match status$")),
)
HEADERS = {key: header for key, header, _ in OUTPUT_FIELDS}


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
    sheet: str = ""
    owner: str = ""  # the role that answers this row when it is flagged
    note: str = ""  # why a row was flagged beyond its score (a drop-down with no safe choice)

    def flag(self, note: str) -> None:
        """Send a row that would have been answered to review, saying why."""
        if self.status == ANSWERED:
            self.status = REVIEW
        self.note = note


@dataclass
class SheetFill:
    """One sheet (or CSV file, or Word table) of a fill: where its questions are, what was written where."""

    name: str
    layout: Layout
    columns: dict[str, int]
    rows: list[RowResult]


@dataclass
class FillReport:
    """Coverage of one fill: counts by status, where the questions were, what was written."""

    source: Path
    output: Path
    threshold: float
    parts: list[SheetFill]
    kept_cells: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[RowResult]:
        """Every question row, sheet after sheet."""
        return [row for part in self.parts for row in part.rows]

    @property
    def sheet(self) -> str:
        """The first (often only) sheet filled."""
        return self.parts[0].name

    @property
    def layout(self) -> Layout:
        return self.parts[0].layout

    @property
    def columns(self) -> dict[str, int]:
        return self.parts[0].columns

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    def summary(self) -> str:
        """The report printed after a fill: coverage, confidence histogram, flagged rows with their owners."""
        from .summary import report_lines

        return "\n".join(report_lines(self))


def plural(count: int, noun: str) -> str:
    """'1 question', '2 questions'."""
    return f"{count} {noun}{'s' if count != 1 else ''}"


def percent(part: int, total: int) -> str:
    """'50.0%' (0.0% of nothing)."""
    return f"{100 * part / total:.1f}%" if total else "0.0%"


class Filler:
    """The bank, its matcher and rendered descriptions, prepared once for any number of fills."""

    def __init__(self, project: Project, dataset: DataSet, bank: Bank | None = None):
        self.bank = bank or load_bank(dataset)
        self.matcher = Matcher(self.bank)
        env = make_environment(project, dataset, "customer")
        self.descriptions = render_descriptions(env, self.bank, dataset)
        self.answers = self.bank.by_id()
        context = dataset.context("customer")
        self.max_rows = int(settings_of(context)["limits"]["max_rows"])
        titles = {d["id"]: d["title"] for d in context["documents"]}
        self.evidence = {a.id: "; ".join(titles.get(e, e) for e in a.evidence) for a in self.bank.answers}
        self.owners = OwnerRouter(self.bank)

    def fill(self, source: Path | str, output: Path | str, options: FillOptions | None = None) -> FillReport:
        """Answer the questions of `source` into a copy at `output`; `source` is never modified."""
        options = options or FillOptions()
        source, output = Path(source), Path(output)
        kind = file_kind(source)
        check_output(source, output)
        if kind == "csv":
            from .formats.csv import fill_csv as fill_kind
        elif kind == "docx":
            from .formats.docx import fill_docx as fill_kind
        else:
            from .formats.xlsx import fill_workbook as fill_kind
        return fill_kind(self, source, output, options)

    def check_size(self, source: Path, name: str, rows: int) -> None:
        """Refuse a sheet longer than the limit in data/questionnaire/questionnaire_settings.yaml."""
        if rows > self.max_rows:
            raise QuestionnaireError(
                f"{source}: {name!r} has {rows:,} rows, more than the {self.max_rows:,} a fill reads "
                f"(limits.max_rows in data/questionnaire/questionnaire_settings.yaml); check that it is the "
                "questionnaire, or split it into files of fewer rows"
            )

    def match_sheet(
        self, source: Path, name: str, table: Table, layout: Layout, threshold: float
    ) -> list[RowResult]:
        """Match every question row of one table."""
        if not layout.question_rows:
            raise QuestionnaireError(
                f"{source}: {name!r} has a question header in row {layout.header_row} "
                "but no questions below it"
            )
        questions = [str(table.value(r, layout.question_column)).strip() for r in layout.question_rows]
        ids = [table.value(r, layout.id_column) if layout.id_column else None for r in layout.question_rows]
        matches = self.matcher.match_all(questions, [str(i) if i is not None else None for i in ids])
        return [
            RowResult(
                r,
                q,
                m,
                _status(m, threshold, self.bank.suggestion_floor),
                name,
                self.owner_of(m),
                getattr(m, "reason", ""),
            )
            for r, q, m in zip(layout.question_rows, questions, matches, strict=True)
        ]

    def owner_of(self, match: Match) -> str:
        """The name of the role that answers a question when a person must (see owners.py)."""
        owner = self.owners.owner(match)
        return self.bank.owner_roles.get(owner, owner)

    def threshold(self, options: FillOptions) -> float:
        """The confidence needed to count as answered: the option, else the bank's setting."""
        return options.threshold if options.threshold is not None else self.bank.threshold

    def values(self, result: RowResult) -> dict[str, object]:
        """The cells written for one row, by output field."""
        if result.status == UNMATCHED:
            return {"bank_id": NO_MATCH, "confidence": result.match.confidence, "status": UNMATCHED}
        answer = self.answers[result.match.answer_id]
        return {
            # The matcher may answer differently from the bank entry it matched (a question asked the other way).
            "answer": getattr(result.match, "answer", None) or answer.answer,
            "description": self.descriptions[answer.id],
            "bank_id": answer.id,
            "confidence": result.match.confidence,
            "evidence": self.evidence[answer.id],
            "status": result.status,
        }


def _status(match: Match, threshold: float, floor: float) -> str:
    if match.answer_id is None or match.confidence < floor:
        return UNMATCHED
    return ANSWERED if match.confidence >= threshold and match.agreed else REVIEW


def check_output(source: Path, output: Path) -> None:
    """The output is a new file of the input's kind."""
    if output.resolve() == source.resolve():
        raise QuestionnaireError(
            f"{output}: the output must be a new file; the buyer's file is never overwritten"
        )
    if output.suffix.lower() != source.suffix.lower():
        raise QuestionnaireError(
            f"{output}: write a {source.suffix.lower()} file for a {source.suffix.lower()} "
            f"input (got {output.suffix or 'no extension'})"
        )


def choose_tables(
    source: Path, tables: dict[str, Table], options: FillOptions, kind: str = "sheet"
) -> list[tuple[str, Table, Layout]]:
    """Every table with questions (or the one `options.sheet` names), each with its layout."""
    if options.sheet is not None:
        if options.sheet not in tables:
            raise QuestionnaireError(
                f"{source}: no {kind} named {options.sheet!r}; {kind}s: {', '.join(tables)}"
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
            f"{source}: {kind} {name!r} has a question header in row {layout.header_row} but "
            "no questions below it; check that the file is the filled-in questionnaire"
        )
    if not found:
        where = f"{kind} {options.sheet!r}" if options.sheet else f"any {kind}"
        raise QuestionnaireError(
            f"{source}: no question column found in {where}: no header cell reads "
            "'Question' (or 'Requirement', 'Query') above question text; pass "
            "--question-column (letter or header text) and --header-row"
        )
    return found


def header_labels(table: Table, layout: Layout) -> dict[int, str]:
    """Each column's header text, lower-case; a blank header cell (a merged group title above sub-headers)
    takes the sub-header of the row below when that row is not a question."""
    width = max((len(r) for r in table.rows), default=0)
    below = layout.header_row + 1
    sub_header = below not in layout.question_rows and below <= len(table.rows)
    labels = {}
    for column in range(1, width + 1):
        text = table.value(layout.header_row, column)
        if (text is None or not str(text).strip()) and sub_header:
            text = table.value(below, column)
        labels[column] = "" if text is None else str(text).strip().lower()
    return labels


def output_columns(
    table: Table, layout: Layout, options: FillOptions, used_width: int, new_columns: bool = True
) -> dict[str, int]:
    """Where each output field goes: the column the SE chose, the buyer's own empty column, or (with
    `new_columns`) a new one; without it, a field with no column of its own is left out."""
    labels = header_labels(table, layout)
    columns: dict[str, int] = {}
    next_free = max(used_width, len(labels)) + 1
    for key, _, pattern in OUTPUT_FIELDS:
        column = column_number(getattr(options, f"{key}_column", None), table, layout.header_row)
        if column is None:
            column = next(
                (
                    i
                    for i, label in labels.items()
                    if pattern.match(label)
                    and i not in columns.values()
                    and i not in (layout.question_column, layout.id_column)
                    and all(table.value(r, i) in (None, "") for r in layout.question_rows)
                ),
                None,
            )
        if column is None and not new_columns:
            continue
        if column is None:
            column, next_free = next_free, next_free + 1
        if column in (layout.question_column, layout.id_column):
            raise QuestionnaireError(
                f"the {key.replace('_', ' ')} column {get_column_letter(column)} is the "
                "question or question-id column; choose another column"
            )
        columns[key] = column
    return columns


def save_atomically(output: Path, save) -> None:
    """Write through a temporary file beside `output`, so a failed save leaves no half-written file."""
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{output.stem}-", suffix=output.suffix, dir=output.parent)
    os.close(handle)
    try:
        save(temporary)
        os.replace(temporary, output)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
