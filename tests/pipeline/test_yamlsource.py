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


def test_a_file_read_again_comes_from_the_cache_and_an_edited_one_is_parsed_again(tmp_path, monkeypatch):
    import yaml

    monkeypatch.setenv("DOCSKIT_CACHE_DIR", str(tmp_path / "cache"))
    parses = []
    real = yaml.load
    monkeypatch.setattr(yaml, "load", lambda *a, **k: parses.append(1) or real(*a, **k))
    path = tmp_path / "plans.yaml"
    path.write_text("plans:\n  - {id: team, min_cus: 1, since: 2026-11-25}\n")
    first, again = load_yaml(path, "plans.yaml"), load_yaml(path, "plans.yaml")
    assert again.data == first.data == {"plans": [{"id": "team", "min_cus": 1, "since": "2026-11-25"}]}
    path.write_text("plans:\n  - {id: team, min_cus: 2}\n")
    assert load_yaml(path, "plans.yaml").data == {"plans": [{"id": "team", "min_cus": 2}]}
    assert len(parses) == 2


def test_a_damaged_cache_entry_is_ignored_and_the_file_parsed(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCSKIT_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "plans.yaml"
    path.write_text("plans: [team, business]\n")
    load_yaml(path, "plans.yaml")
    for entry in (tmp_path / "cache/yaml").iterdir():
        entry.write_bytes(b"\x00garbage")
    assert load_yaml(path, "plans.yaml").data == {"plans": ["team", "business"]}


def test_data_is_a_copy_that_callers_may_change(tmp_path):
    path = tmp_path / "plans.yaml"
    path.write_text("plans:\n  - {id: team}\n")
    source = load_yaml(path, "plans.yaml")
    source.data["plans"][0]["id"] = "changed"
    assert source.data == {"plans": [{"id": "team"}]}
