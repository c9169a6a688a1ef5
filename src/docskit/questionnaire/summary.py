"""What a fill reports, in one shape for every format: counts by status, a confidence histogram and the flagged
rows with the role that must answer them. The printed report, the XLSX summary sheet and the table appended to a
Word questionnaire all read these functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openpyxl.utils import get_column_letter

from .fill import ANSWERED, REVIEW, UNMATCHED, percent, plural

if TYPE_CHECKING:
    from .fill import FillReport, RowResult

BUCKET = 10  # width of a histogram bar, in confidence points
BAR_WIDTH = 40  # characters of the longest printed bar


def histogram(rows: list[RowResult]) -> list[tuple[str, int]]:
    """(range label, row count) for every BUCKET-point range of confidence, 0-9 up to 90-100."""
    counts = [0] * (100 // BUCKET)
    for row in rows:
        counts[min(int(row.match.confidence // BUCKET), len(counts) - 1)] += 1
    labels = [f"{low}-{low + BUCKET - 1 if low + BUCKET < 100 else 100}" for low in range(0, 100, BUCKET)]
    return list(zip(labels, counts, strict=True))


def flagged(report: FillReport) -> list[RowResult]:
    """Rows a person must answer or check, in file order."""
    return [r for r in report.rows if r.status != ANSWERED]


def where(report: FillReport, row: RowResult) -> str:
    """'Security!7' for a sheet row, 'Table 2 row 5' for a Word table, 'row 7' for a CSV file."""
    if report.source.suffix.lower() == ".csv":
        return f"row {row.row}"
    if report.source.suffix.lower() == ".docx":
        return f"{row.sheet} row {row.row}"
    return f"{row.sheet}!{row.row}"


def status_counts(report: FillReport) -> list[tuple[str, int, str]]:
    """(status, count, what it means) for the three statuses."""
    marked = {".csv": "marked in Match Status", ".docx": "shaded"}.get(
        report.source.suffix.lower(), "highlighted"
    )
    return [
        (ANSWERED, report.count(ANSWERED), f"confidence >= {report.threshold:g}"),
        (REVIEW, report.count(REVIEW), f"suggestion written, {marked}"),
        (UNMATCHED, report.count(UNMATCHED), f"no suggestion, {marked}"),
    ]


def report_lines(report: FillReport) -> list[str]:
    """The printed report of a fill."""
    total = len(report.rows)
    parts = "; ".join(
        f"{plural(len(part.rows), 'question')} from {_kind(report)} {part.name!r} ({part.layout.describe()})"
        for part in report.parts
    )
    lines = [f"Filled {plural(total, 'question')}: {parts}." if len(report.parts) > 1 else f"Filled {parts}."]
    for status, count, meaning in status_counts(report):
        lines.append(f"  {status + ':':13s} {count:4d}  ({percent(count, total)}, {meaning})")
    lines.append("Confidence of the best match (rows):")
    peak = max((count for _, count in histogram(report.rows)), default=0) or 1
    for label, count in histogram(report.rows):
        lines.append(f"  {label:>6s} {count:5d} {'#' * round(BAR_WIDTH * count / peak)}".rstrip())
    rows = flagged(report)
    if rows:
        lines.append("Flagged rows, with the role that answers them:")
        for row in rows:
            suggestion = row.match.answer_id if row.status == REVIEW else "no match"
            note = f"; {row.note}" if row.note else ""
            lines.append(
                f"  {where(report, row)}  {row.status} ({suggestion}, {row.match.confidence:.0f}{note})  "
                f"{row.owner}: {_short(row.question)}"
            )
    for part in report.parts:
        if report.source.suffix.lower() == ".docx":
            continue
        written = ", ".join(
            f"{key.replace('_', ' ')} in {get_column_letter(col)}" for key, col in part.columns.items()
        )
        lines.append(f"Wrote {written} of {_kind(report)} {part.name!r}")
    lines.append(f"Answered copy: {report.output}")
    if report.kept_cells:
        lines.append(f"Kept {report.kept_cells} cell(s) the buyer had already filled.")
    lines += [f"Warning: {w}" for w in report.warnings]
    return lines


def _kind(report: FillReport) -> str:
    suffix = report.source.suffix.lower()
    return {".csv": "file", ".docx": "table"}.get(suffix, "sheet")


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
