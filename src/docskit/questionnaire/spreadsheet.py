"""Reading a buyer's questionnaire file safely: what kind of file it is, and where its questions are.

Nothing here writes: the input is read into memory once, and every problem is a QuestionnaireError that says
what is wrong with the file and what to do about it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from .errors import QuestionnaireError

CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")  # OLE compound file: encrypted OOXML, legacy .xls/.doc
ZIP_SUFFIXES = {".xlsx": "Excel", ".xlsm": "Excel", ".docx": "Word"}  # suffix: the program to repair it
LEGACY_SUFFIXES = {".xls": (".xlsx", "Excel"), ".doc": (".docx", "Word")}  # suffix: (save as, in)
HEADER_SCAN_ROWS = 30
QUESTION_HEADERS = re.compile(
    r"^(question|questions|question text|control question|assessment question|"
    r"requirement|security requirement|query|item|criteria|question/requirement)$"
)
QUESTION_HEADER_WORDS = re.compile(r"\b(questions?|requirements?|quer(y|ies))\b")
ID_HEADERS = re.compile(
    r"^(question id|questionid|id|ref|ref\.|reference|ref #|#|no\.|number|item #|control id|"
    r"q#|q id|question #|question number|caiq id)$"
)
CAIQ_LIKE = re.compile(r"^\s*(A&A|[A-Z]{3})-\d{2}(\.\d+)?\s*$")


@dataclass
class Table:
    """A grid of cell values read from one sheet or CSV file (row and column numbers are 1-based)."""

    name: str
    rows: list[list]

    def value(self, row: int, column: int):
        line = self.rows[row - 1] if 0 < row <= len(self.rows) else []
        return line[column - 1] if 0 < column <= len(line) else None


@dataclass
class Layout:
    """Where the questions are: the header row, the question column and (if any) the question-id column."""

    header_row: int
    question_column: int
    id_column: int | None
    question_rows: list[int]

    def describe(self) -> str:
        text = f"header row {self.header_row}, questions in column {get_column_letter(self.question_column)}"
        if self.id_column:
            text += f", question ids in column {get_column_letter(self.id_column)}"
        return text


def file_kind(path: Path) -> str:
    """'workbook', 'csv' or 'docx'; raises QuestionnaireError for anything else, or for an encrypted file."""
    if not path.exists():
        raise QuestionnaireError(f"{path}: no such file")
    if not path.is_file():
        raise QuestionnaireError(f"{path}: is a folder, not a questionnaire file")
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if head == CFB_SIGNATURE:
        if suffix in LEGACY_SUFFIXES:
            new_suffix, program = LEGACY_SUFFIXES[suffix]
            raise QuestionnaireError(
                f"{path}: legacy {suffix} files are not supported; open it in {program} or LibreOffice and "
                f"save it as {new_suffix}, then run the fill again"
            )
        raise QuestionnaireError(
            f"{path}: the file is password-protected (encrypted), so it cannot be read; ask the buyer for an "
            "unprotected copy, or open it with the password and save a copy without one "
            "(File > Info > Protect > Encrypt with Password, clear the password)"
        )
    if suffix == ".docm":
        raise QuestionnaireError(
            f"{path}: macro-enabled Word documents are not filled; save a copy as .docx (File > Save As > "
            "Word Document) and fill that: the answers need no macros"
        )
    if suffix in ZIP_SUFFIXES:
        if not zipfile.is_zipfile(path):
            raise QuestionnaireError(
                f"{path}: is not a valid {suffix} file (the file is damaged or is another format renamed); "
                f"open it in {ZIP_SUFFIXES[suffix]} and save it as {suffix}"
            )
        return "docx" if suffix == ".docx" else "workbook"
    if suffix == ".csv":
        return "csv"
    raise QuestionnaireError(
        f"{path}: not a questionnaire file this tool reads (expected .xlsx, .xlsm, .csv or .docx, got "
        f"{suffix or 'no extension'})"
    )


def load_buyer_workbook(path: Path) -> Workbook:
    """The workbook with formulas kept as formulas (never data_only), read from an in-memory copy."""
    data = io.BytesIO(path.read_bytes())
    try:
        return load_workbook(data, data_only=False, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise QuestionnaireError(
            f"{path}: cannot be read as a workbook ({exc}); open it in Excel and save it as .xlsx"
        ) from None


def sheet_table(sheet: Worksheet) -> Table:
    """A sheet's values (formulas as their text) as a Table."""
    return Table(sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])


def read_csv(path: Path) -> tuple[Table, csv.Dialect, str]:
    """A CSV file as a Table, with the dialect and encoding to write it back the same way."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes any byte except a few control points
        raise QuestionnaireError(f"{path}: cannot decode the file as UTF-8 or Windows-1252 text")
    if "\x00" in text:
        raise QuestionnaireError(f"{path}: is a binary file, not CSV text")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), dialect)]
    return Table(path.name, [[c if c != "" else None for c in r] for r in rows]), dialect, encoding


def is_empty(table: Table) -> bool:
    """True when no cell holds a value."""
    return not any(_text(v) for row in table.rows for v in row)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def looks_like_question(value) -> bool:
    """A cell a buyer would answer: text of a few words (section headings and formulas are not questions)."""
    text = _text(value)
    if not text or text.startswith("=") or CAIQ_LIKE.match(text):
        return False
    return text.endswith("?") or len(text.split()) >= 5


def column_number(spec: str | int | None, table: Table, header_row: int | None) -> int | None:
    """A column given as a letter ('C'), a 1-based number, or header text; None when not given."""
    if spec in (None, ""):
        return None
    if isinstance(spec, int) or str(spec).isdigit():
        return int(spec)
    text = str(spec).strip()
    if re.fullmatch(r"[A-Za-z]{1,3}", text):
        return column_index_from_string(text.upper())
    if header_row:
        for index, value in enumerate(table.rows[header_row - 1] if header_row <= len(table.rows) else [], 1):
            if _text(value).lower() == text.lower():
                return index
    raise QuestionnaireError(
        f"column {spec!r} not found: give a column letter such as C, or the exact header text "
        f"of row {header_row}"
    )


def find_layout(
    table: Table,
    header_row: int | None = None,
    question_column: int | None = None,
    id_column: int | None = None,
) -> Layout | None:
    """Locate header row and question column (unless given); None when the sheet has no question column."""
    if header_row is None or question_column is None:
        found = _find_header(table, header_row, question_column)
        if found is None:
            return None
        header_row, question_column = found
    rows = [
        r
        for r in range(header_row + 1, len(table.rows) + 1)
        if looks_like_question(table.value(r, question_column))
    ]
    if id_column is None:
        id_column = _find_id_column(table, header_row, question_column, rows)
    return Layout(header_row, question_column, id_column, rows)


def _find_header(table: Table, header_row: int | None, question_column: int | None):
    candidates = []
    scan = [header_row] if header_row else range(1, min(HEADER_SCAN_ROWS, len(table.rows)) + 1)
    for row in scan:
        columns = [question_column] if question_column else range(1, len(table.rows[row - 1]) + 1)
        for column in columns:
            label = _text(table.value(row, column)).lower().rstrip(":")
            exact = bool(QUESTION_HEADERS.match(label))
            if exact or (
                QUESTION_HEADER_WORDS.search(label)
                and len(label.split()) <= 4
                and not ID_HEADERS.match(label)
                and "id" not in label.split()
            ):
                below = sum(
                    looks_like_question(table.value(r, column)) for r in range(row + 1, len(table.rows) + 1)
                )
                candidates.append((below > 0, exact, below, -row, row, column))
    if not candidates:
        return None
    best = max(candidates)
    return best[4], best[5]


def _find_id_column(table: Table, header_row: int, question_column: int, rows: list[int]) -> int | None:
    width = max((len(r) for r in table.rows), default=0)
    for column in range(1, width + 1):
        if column == question_column:
            continue
        label = _text(table.value(header_row, column)).lower()
        ids = sum(bool(CAIQ_LIKE.match(_text(table.value(r, column)))) for r in rows)
        if ID_HEADERS.match(label) or (rows and ids >= max(1, len(rows) // 2)):
            return column
    return None
