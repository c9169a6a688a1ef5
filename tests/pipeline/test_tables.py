"""Tables on pages are built from data rows by small functions."""

from __future__ import annotations

import pytest

from docskit.datamodel import load_dataset
from docskit.paths import Project
from docskit.tables import md_table, minutes_text, number, plan_limits_table, regions_table


def test_md_table_escapes_pipes_and_folds_newlines():
    table = md_table(["Name", "Note"], [["a|b", "line one\nline two"]])
    assert table.splitlines() == ["| Name | Note |", "| --- | --- |", "| a\\|b | line one line two |"]


def test_md_table_rejects_a_row_of_the_wrong_width():
    with pytest.raises(ValueError, match="row has 1 cells, expected 2"):
        md_table(["A", "B"], [["only one"]])


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (15, "15 minutes"),
        (60, "1 hour"),
        (240, "4 hours"),
        (1440, "1 day"),
        (2880, "2 days"),
        (90, "90 minutes"),
    ],
)
def test_minutes_read_as_people_say_them(minutes, text):
    assert minutes_text(minutes) == text


def test_plan_limits_table_multiplies_per_cu_grants_by_each_plans_minimum():
    data = load_dataset(Project.at()).customer
    table = plan_limits_table(data["capacity_unit"], data["plans"])
    runs = data["capacity_unit"]["dimensions"][0]
    row = next(line for line in table.splitlines() if line.startswith(f"| {runs['name']}"))
    expected = [f"{number(runs['per_cu'] * p['min_cus'])} {runs['unit']}" for p in data["plans"]]
    assert row == f"| {runs['name']} at the minimum | " + " | ".join(expected) + " |"


def test_regions_table_has_one_row_per_region_with_both_aws_regions():
    data = load_dataset(Project.at()).customer
    rows = regions_table(data["regions"]).splitlines()[2:]
    assert len(rows) == len(data["regions"])
    for region, row in zip(data["regions"], rows, strict=True):
        assert region["primary"]["code"] in row and region["disaster_recovery"]["code"] in row
