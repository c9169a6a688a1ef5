"""Data validation on a workbook's answer cells: the drop-down choices a cell allows, read from the rule."""

from __future__ import annotations

from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..choices import parse_list_formula

# Validation types that restrict what may be typed; "any" (or none) accepts everything.
RESTRICTING = {"list", "whole", "decimal", "date", "time", "textLength", "custom"}


class Validations:
    """The validation rules of one sheet, looked up by cell."""

    def __init__(self, workbook: Workbook, sheet: Worksheet):
        self.workbook, self.sheet = workbook, sheet
        self.rules = [
            (dv, [r.bounds for r in dv.sqref.ranges])  # (min_col, min_row, max_col, max_row) of each range
            for dv in sheet.data_validations.dataValidation
            if (dv.type or "any") in RESTRICTING
        ]

    def rule_for(self, row: int, column: int) -> DataValidation | None:
        """The restricting rule covering a cell, if any."""
        for rule, ranges in self.rules:
            if any(c1 <= column <= c2 and r1 <= row <= r2 for c1, r1, c2, r2 in ranges):
                return rule
        return None

    def choices(self, rule: DataValidation) -> list[str] | None:
        """A list rule's choices, inline or from the cells (or defined name) it refers to; None if unreadable."""
        inline = parse_list_formula(rule.formula1)
        if inline is not None:
            return inline
        reference = (rule.formula1 or "").lstrip("=").strip()
        targets = self._destinations(reference)
        if not targets:
            return None
        values = []
        for title, cells in targets:
            if title not in self.workbook.sheetnames:
                return None
            min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
            for line in self.workbook[title].iter_rows(min_row, max_row, min_col, max_col, values_only=True):
                values += [str(v).strip() for v in line if v is not None and str(v).strip()]
        return values or None

    def _destinations(self, reference: str) -> list[tuple[str, str]]:
        for names in (self.sheet.defined_names, self.workbook.defined_names):
            if reference in names:
                return list(names[reference].destinations)
        if "!" in reference:
            title, cells = reference.rsplit("!", 1)
            return [(title.strip("'").replace("''", "'"), cells)]
        if reference and reference.replace("$", "").replace(":", "").isalnum():
            return [(self.sheet.title, reference)]
        return []
