"""Exports of the answer bank in the CAIQ v4 column layout: XLSX for reviewers, CSV for tools.

One row per CAIQ v4 question id the bank answers, in CCM domain order, then one row per supplementary answer
(common questions outside CAIQ, such as SSO or BYOK), identified by its bank id. ``build_exports`` is the
`./dev build` step; it writes into a staging folder and swaps it in, so a failed export never damages the last
good one.
"""

from __future__ import annotations

import csv
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..datamodel import DataSet
from ..paths import Project
from ..render import make_environment
from .bank import Answer, Bank, load_bank
from .describe import render_descriptions

# (header, width in characters). The first six are the CAIQ v4 answer columns, in CAIQ's order.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("Question ID", 13),
    ("Question", 48),
    ("CSP CAIQ Answer", 10),
    ("SSRM Control Ownership", 18),
    ("CSP Implementation Description", 80),
    ("CSC Responsibilities", 45),
    ("CCM Domain", 26),
    ("Bank ID", 9),
    ("Evidence (pack documents)", 28),
    ("ISO/IEC 27001:2022 Annex A", 18),
    ("SOC 2 Criteria", 14),
    ("Owner", 24),
    ("Last Reviewed", 12),
)
HEADERS = tuple(header for header, _ in COLUMNS)
EXPORT_DIR = "questionnaire"
_HEADER_FILL = PatternFill("solid", start_color="1F4E79", end_color="1F4E79")


@dataclass(frozen=True)
class ExportRow:
    """One row of the export, as plain strings."""

    cells: tuple[str, ...]


def export_rows(bank: Bank, descriptions: dict[str, str]) -> list[ExportRow]:
    """The rows of the CAIQ-layout export: every mapped CAIQ id, then every supplementary answer."""
    domain_names = {d.id: d.name for d in bank.domains}
    rows = [_row(qid, answer, bank, descriptions, domain_names) for qid, answer in bank.caiq_rows()]
    rows += [_row(a.id, a, bank, descriptions, domain_names) for a in bank.answers if not a.caiq]
    return rows


def _row(question_id: str, answer: Answer, bank: Bank, descriptions, domain_names) -> ExportRow:
    return ExportRow(
        (
            question_id,
            answer.question,
            answer.answer,
            answer.ssrm,
            descriptions[answer.id],
            answer.customer_responsibilities,
            f"{answer.domain} {domain_names[answer.domain]}",
            answer.id,
            ", ".join(answer.evidence),
            ", ".join(answer.iso27001),
            ", ".join(answer.soc2),
            bank.owner_roles[answer.owner],
            answer.last_reviewed.isoformat(),
        )
    )


def write_xlsx(rows: list[ExportRow], path: Path, title: str) -> Path:
    """The reviewer's workbook: frozen header row, filters on, sized columns, wrapped text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "CAIQ v4 answers"
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(list(row.cells))
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    wrap = Alignment(wrap_text=True, vertical="top")
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = wrap
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    sheet.print_title_rows = "1:1"
    workbook.properties.title = title
    workbook.properties.creator = title.split(" security questionnaire")[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_csv(rows: list[ExportRow], path: Path) -> Path:
    """The same rows as UTF-8 CSV (with a byte order mark, so spreadsheet tools detect the encoding)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(row.cells for row in rows)
    return path


def build_exports(project: Project, dataset: DataSet) -> None:
    """Build step: <build>/questionnaire/caiq.xlsx and caiq.csv, swapped in only when both are written."""
    bank = load_bank(dataset)
    env = make_environment(project, dataset, "customer")
    rows = export_rows(bank, render_descriptions(env, bank, dataset))
    company = dataset.context("customer")["company"]
    title = f"{company['product_name']} security questionnaire answers (CAIQ v4)"
    target = project.build / EXPORT_DIR
    staging = project.build / f".{EXPORT_DIR}-{uuid.uuid4().hex[:8]}"
    try:
        write_xlsx(rows, staging / "caiq.xlsx", title)
        write_csv(rows, staging / "caiq.csv")
        old = project.build / f".{EXPORT_DIR}-old-{uuid.uuid4().hex[:8]}"
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
