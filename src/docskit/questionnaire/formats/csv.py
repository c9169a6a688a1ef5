"""Fill a CSV questionnaire: the answered copy keeps the buyer's delimiter, quoting and encoding; the Match
Status column says which rows a person must answer, since CSV cannot carry highlighting."""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import QuestionnaireError
from ..fill import (
    HEADERS,
    OUTPUT_FIELDS,
    FillOptions,
    FillReport,
    SheetFill,
    choose_tables,
    output_columns,
    save_atomically,
)
from ..spreadsheet import is_empty, read_csv


def fill_csv(filler, source: Path, output: Path, options: FillOptions) -> FillReport:
    """Answer the questions of a CSV file into a copy at `output`."""
    table, dialect, encoding = read_csv(source)
    if is_empty(table):
        raise QuestionnaireError(f"{source}: the CSV file is empty")
    filler.check_size(source, table.name, len(table.rows))
    ((name, table, layout),) = choose_tables(source, {table.name: table}, options, kind="file")
    width = max(len(r) for r in table.rows)
    columns = output_columns(table, layout, options, width)
    rows = filler.match_sheet(source, name, table, layout, filler.threshold(options))
    report = FillReport(source, output, filler.threshold(options), [SheetFill(name, layout, columns, rows)])
    grid = [[("" if v is None else v) for v in row] for row in table.rows]
    width = max(width, *columns.values())
    for line in grid:
        line.extend([""] * (width - len(line)))
    header = grid[layout.header_row - 1]
    for key, column in columns.items():
        if not header[column - 1]:
            header[column - 1] = HEADERS[key]
    for result in rows:
        values = filler.values(result)
        line = grid[result.row - 1]
        for key, _, _ in OUTPUT_FIELDS:
            if key not in values:
                continue
            if line[columns[key] - 1] not in ("", None):
                report.kept_cells += 1
                continue
            line[columns[key] - 1] = f"{values[key]:.1f}" if key == "confidence" else values[key]

    def write(path):
        with open(path, "w", encoding=encoding, newline="") as handle:
            csv.writer(handle, dialect).writerows(grid)

    save_atomically(output, write)
    return report
