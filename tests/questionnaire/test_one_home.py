"""One fact, one home: every security number the questionnaire quotes is stated once, in data/security_controls.yaml.

Two views: the data files themselves (a named fact held by two files, or with two values, is a second home), and
the rendered exports (the numbers a buyer reads are the numbers of the security overview and DPA Annex II).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from docskit.questionnaire.export import build_exports

# Named facts, matched against the dotted path of every numeric value in data/ (list items named by their id).
FACTS: dict[str, re.Pattern] = {
    name: re.compile(pattern)
    for name, pattern in {
        "recovery point objective": r"(^|[._])(rpo|recovery_point)",
        "recovery time objective": r"(^|[._])(rto|recovery_time)",
        "log retention": r"log\w*retention|retention\w*log",
        "incident exercise cadence": r"exercise",
        "failover test cadence": r"failover|dr_test|bdr_recovery\.parameters\.test_interval",
        "policy review cadence": r"policy_review",
        "risk assessment cadence": r"risk_(assessment|review)",
        "internal audit cadence": r"internal_audit",
        "supplier review cadence": r"(supplier|vendor|subprocessor)_review",
        "screen lock": r"screen_lock|lock_minutes",
        "access review cadence": r"access_review",
        "session timeout": r"session_(idle|timeout)",
    }.items()
}
# Units named by a key's suffix, in minutes, so rpo_hours: 24 and rpo_minutes: 15 compare as different values.
UNITS = {"minutes": 1, "hours": 60, "days": 1440, "weeks": 10080, "months": 43200}


def numeric_facts(data_dir: Path) -> dict[str, list[tuple[str, str, float]]]:
    """For every named fact: (file, dotted path, value in minutes or as stated) of each numeric value that states it."""
    found: dict[str, list[tuple[str, str, float]]] = {name: [] for name in FACTS}
    yaml = YAML(typ="safe")
    for path in sorted(data_dir.rglob("*.yaml")):
        source = path.relative_to(data_dir.parent).as_posix()
        for dotted, value in _numbers(yaml.load(path.read_text(encoding="utf-8")), ""):
            unit = dotted.rsplit("_", 1)[-1]
            for name, pattern in FACTS.items():
                if pattern.search(dotted):
                    found[name].append((source, dotted, value * UNITS.get(unit, 1)))
    return found


def _numbers(node, prefix: str):
    if isinstance(node, bool):
        return
    if isinstance(node, (int, float)):
        yield prefix, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _numbers(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            name = item.get("id", index) if isinstance(item, dict) else index
            yield from _numbers(item, f"{prefix}.{name}")


def second_homes(found: dict[str, list[tuple[str, str, float]]]) -> list[str]:
    """Every named fact stated by more than one file or with more than one value."""
    problems = []
    for name, places in found.items():
        if len({file for file, _, _ in places}) > 1 or len({value for _, _, value in places}) > 1:
            problems.append(f"{name}: " + "; ".join(f"{file} {path}" for file, path, _ in places))
    return problems


def test_no_security_number_has_a_second_home_in_data(repo_project):
    found = numeric_facts(repo_project.data)
    assert second_homes(found) == []
    for name in ("recovery point objective", "recovery time objective", "log retention", "screen lock"):
        assert [file for file, _, _ in found[name]] == ["data/security_controls.yaml"], name


def test_a_conflicting_copy_of_a_security_number_is_caught(tmp_path):
    data = tmp_path / "data"
    (data / "questionnaire").mkdir(parents=True)
    (data / "security_controls.yaml").write_text(
        "controls:\n  - id: bdr_recovery\n    parameters: {rpo_minutes: 15, rto_hours: 4}\n", encoding="utf-8"
    )
    (data / "questionnaire" / "commitments.yaml").write_text("rpo_hours: 24\nscreen_lock_minutes: 5\n")
    problems = second_homes(numeric_facts(data))
    assert len(problems) == 1 and problems[0].startswith("recovery point objective:")
    assert "data/questionnaire/commitments.yaml rpo_hours" in problems[0]


@pytest.fixture(scope="module")
def export_text(repo_project, dataset) -> str:
    build_exports(repo_project, dataset)
    with (repo_project.build / "questionnaire" / "caiq.csv").open(encoding="utf-8", newline="") as handle:
        return "\n".join(" ".join(row) for row in csv.reader(handle))


def _param(dataset, control_id: str, name: str):
    return next(c for c in dataset.customer["controls"] if c["id"] == control_id)["parameters"][name]


@pytest.mark.parametrize(
    ("quoted", "control_id", "name", "unit"),
    [
        (r"recovery point objective of (\d+) (\w+)", "bdr_recovery", "rpo_minutes", "minutes"),
        (r"recovery time objective of (\d+) (\w+)", "bdr_recovery", "rto_hours", "hours"),
        (r"objective of (\d+) (\w+)\.", "bdr_recovery", "rto_hours", "hours"),
        (r"audit log[^.]*? kept for (\d+) (\w+)", "log_admin_audit", "audit_log_retention_days", "days"),
        (r"tabletop exercise every (\d+) (\w+)", "ir_process", "exercise_interval_months", "months"),
        (r"rehearse the failover every (\d+) (\w+)", "bdr_recovery", "test_interval_months", "months"),
        (r"lock\w* (?:automatically )?after (\d+) (\w+)", "ps_awareness", "screen_lock_minutes", "minutes"),
        (r"policy[^.]*? reviewed every (\d+) (\w+)", "gov_policy_review", "policy_review_months", "months"),
        (
            r"assess information security risks every (\d+) (\w+)",
            "gov_risk_assessment",
            "risk_assessment_months",
            "months",
        ),
    ],
)
def test_exports_quote_the_numbers_of_the_security_controls(
    export_text, dataset, quoted, control_id, name, unit
):
    quotes = set(re.findall(quoted, export_text, flags=re.IGNORECASE))
    assert quotes, f"no answer quotes {quoted!r}"
    assert quotes == {(str(_param(dataset, control_id, name)), unit)}
