"""YAML is read with YAML 1.2 booleans and with line numbers for every value."""

from __future__ import annotations

import pytest

from docskit.problems import BuildFailed
from docskit.yamlsource import load_yaml


def test_yes_no_and_country_codes_stay_text_while_true_false_are_booleans(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text("short: No\nagree: yes\ncountry: NO\nswitch: on\nenabled: true\nday: 2026-11-25\n")
    assert load_yaml(path, "answers.yaml").data == {
        "short": "No",
        "agree": "yes",
        "country": "NO",
        "switch": "on",
        "enabled": True,
        "day": "2026-11-25",
    }


def test_line_of_finds_keys_and_list_items(tmp_path):
    path = tmp_path / "plans.yaml"
    path.write_text("plans:\n  - id: team\n    min_cus: 1\n  - id: business\n    min_cus: 5\n")
    source = load_yaml(path, "plans.yaml")
    assert source.line_of(["plans", 1, "min_cus"]) == 5
    assert source.line_of(["plans", 1]) == 4
    assert source.line_of(["plans", 7, "min_cus"]) == 1  # the nearest parent that exists: the key `plans`


def test_data_is_a_copy_callers_cannot_change_the_source(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("a:\n  b: 1\n")
    source = load_yaml(path, "a.yaml")
    source.data["a"]["b"] = 2
    assert source.data == {"a": {"b": 1}}


def test_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("a:\n  b: [1, 2\nc: 3\n")
    with pytest.raises(BuildFailed) as failed:
        load_yaml(path, "broken.yaml")
    problem = failed.value.problems[0]
    assert problem.file == "broken.yaml" and problem.line == 3 and "YAML syntax error" in problem.message
