"""The support content checks: each rule reports bad data with file, line and path; the real data passes."""

from __future__ import annotations

import importlib

import pytest
from support_testdata import edit_yaml

from docskit import checks
from docskit.datamodel import load_dataset
from docskit.incident.checks import check_support
from docskit.paths import Project
from docskit.problems import BuildFailed
from docskit.yamlsource import load_yaml


def problems_after(project: Project, stem: str, change) -> list:
    """Break data/<stem>.yaml of a project copy with `change`, then run the support checks on it."""
    edit_yaml(project.data / f"{stem}.yaml", change)
    return check_support(project, load_dataset(project))


@pytest.fixture
def without_schemas(monkeypatch):
    """Load data without schema validation, as if a schema had been loosened: the checks must still hold."""
    monkeypatch.setattr("docskit.datamodel.validate", lambda *args, **kwargs: [])


def line_of(project: Project, stem: str, path: list) -> int:
    """The line of a YAML path in data/<stem>.yaml of a project copy."""
    return load_yaml(project.data / f"{stem}.yaml", stem).line_of(path)


def test_repository_support_data_passes_every_rule(dataset):
    assert check_support(Project.at(), dataset) == []


def test_support_check_is_registered_as_a_content_check():
    spec = "docskit.incident.checks:check_support"
    assert spec in checks.CONTENT_CHECKS
    module_name, _, function = spec.partition(":")
    assert getattr(importlib.import_module(module_name), function) is check_support


def test_a_more_severe_severity_may_not_be_slower_than_a_less_severe_one(project_copy):
    def slow_sev1(data):
        sev2 = data["severities"][1]["targets"]["business"]["first_response_minutes"]
        data["severities"][0]["targets"]["business"]["first_response_minutes"] = sev2 + 1

    found = [p for p in problems_after(project_copy, "severity", slow_sev1) if "more severe" in p.message]
    assert len(found) == 1
    problem = found[0]
    assert problem.file == "data/severity.yaml"
    assert problem.path == "severities[1].targets.business.first_response_minutes"
    assert problem.line == line_of(project_copy, "severity", ["severities", 1, "targets", "business"])
    assert "First response on Business: Sev-2" in problem.message and "more severe Sev-1" in problem.message


def test_a_higher_plan_may_not_be_slower_than_a_lower_plan(project_copy):
    def slow_enterprise(data):
        team = data["severities"][2]["targets"]["team"]["update_every_minutes"]
        data["severities"][2]["targets"]["enterprise"]["update_every_minutes"] = team + 60

    found = [
        p for p in problems_after(project_copy, "severity", slow_enterprise) if "lower plan" in p.message
    ]
    assert [p.path for p in found] == ["severities[2].targets.enterprise.update_every_minutes"]
    assert "Updates every for Sev-3: Enterprise" in found[0].message
    assert "slower than the lower plan Business" in found[0].message


def test_plan_order_follows_rank_not_file_order(project_copy):
    def reverse_plans(data):
        data["plans"].reverse()

    found = problems_after(project_copy, "plans", reverse_plans)
    assert found == []


def test_severity_without_an_owner_role_is_reported(project_copy, without_schemas):
    found = problems_after(project_copy, "severity", lambda data: data["severities"][3].pop("owner_role"))
    assert [(p.path, p.message) for p in found] == [("severities[3]", "Sev-4 has no owner_role")]


def test_severity_owner_role_must_exist_in_support_yaml(project_copy, without_schemas):
    def unknown_owner(data):
        data["severities"][0]["owner_role"] = "duty_manager"

    found = problems_after(project_copy, "severity", unknown_owner)
    assert found[0].path == "severities[0].owner_role"
    assert "'duty_manager' is not a role in data/support.yaml" in found[0].message


def test_severity_without_criteria_is_reported(project_copy, without_schemas):
    found = problems_after(
        project_copy, "severity", lambda data: data["severities"][1].__setitem__("criteria", [])
    )
    assert [p.message for p in found] == ["Sev-2 has no criteria"]


def test_severity_without_targets_for_a_plan_is_reported(project_copy, without_schemas):
    found = problems_after(
        project_copy, "severity", lambda data: data["severities"][2]["targets"].pop("business")
    )
    assert [p.message for p in found] == ["Sev-3 has no targets for the Business plan"]


def test_runbook_step_without_an_owner_is_reported(project_copy, without_schemas):
    found = problems_after(
        project_copy, "runbooks", lambda data: data["runbooks"][0]["steps"][2].pop("owner_role")
    )
    assert [(p.file, p.path) for p in found] == [("data/runbooks.yaml", "runbooks[0].steps[2]")]
    assert "has no owner" in found[0].message


def test_every_role_named_in_a_runbook_must_exist_in_support_yaml(project_copy, without_schemas):
    def unknown_roles(data):
        data["runbooks"][1]["commander"] = "night_manager"
        data["runbooks"][0]["steps"][1]["with_roles"] = ["support_lead", "pr_team"]

    found = problems_after(project_copy, "runbooks", unknown_roles)
    assert sorted(p.path for p in found) == ["runbooks[0].steps[1].with_roles[1]", "runbooks[1].commander"]
    assert all("not in data/support.yaml" in p.message for p in found)


def test_schemas_also_refuse_unknown_runbook_roles_with_file_and_line(project_copy):
    def unknown_owner(data):
        data["runbooks"][0]["steps"][0]["owner_role"] = "night_manager"

    edit_yaml(project_copy.data / "runbooks.yaml", unknown_owner)
    with pytest.raises(BuildFailed) as failed:
        load_dataset(project_copy)
    problem = next(p for p in failed.value.problems if p.file == "data/runbooks.yaml")
    assert problem.path == "runbooks[0].steps[0].owner_role"
    assert "unknown support_roles id 'night_manager'" in problem.message
    assert problem.line is not None
