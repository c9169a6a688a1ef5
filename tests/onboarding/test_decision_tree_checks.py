"""Decision-tree checks catch cycles, unreachable nodes and outcomes that break a region promise."""

from __future__ import annotations

from docskit.datamodel import load_dataset
from docskit.onboarding.checks import check_decision_tree
from docskit.onboarding.tree import AnswerError, load_tree, walk
from docskit.paths import REPO_ROOT, Project

from .conftest import by_id, edit_yaml


def _answer(node, answer_id):
    return next(a for a in node["answers"] if a["id"] == answer_id)


def _problems_after(project, change):
    edit_yaml(project, "decision_tree", lambda data: change(data["decision_tree"]))
    return check_decision_tree(project, load_dataset(project))


def test_the_repository_decision_tree_passes(repo_dataset):
    assert check_decision_tree(Project.at(REPO_ROOT), repo_dataset) == []


def test_a_cycle_is_reported_with_its_path(project_copy):
    def loop(tree):
        _answer(by_id(tree["nodes"], "content"), "search")["next"] = "residency"

    messages = [p.message for p in _problems_after(project_copy, loop)]
    assert any("cycle" in m and "content -> residency" in m for m in messages), messages


def test_an_unreachable_node_is_reported(project_copy):
    def orphan(tree):
        tree["nodes"].append(
            {"id": "orphan", "kind": "outcome", "title": "Orphan", "summary": "Nothing leads here."}
        )

    problems = _problems_after(project_copy, orphan)
    assert [p.message for p in problems] == ["node 'orphan' cannot be reached from 'residency'"]
    assert problems[0].line is not None


def test_an_eu_residency_answer_that_ends_in_the_us_region_is_reported(project_copy):
    def eu_to_us(tree):
        _answer(by_id(tree["nodes"], "residency"), "eu_required")["sets"]["region"] = "us"

    messages = [p.message for p in _problems_after(project_copy, eu_to_us)]
    assert messages
    assert all("pins the tenant to European Union" in m and "'United States'" in m for m in messages)


def test_a_path_that_never_sets_the_data_mode_is_reported(project_copy):
    def no_mode(tree):
        del _answer(by_id(tree["nodes"], "content"), "search")["sets"]

    messages = [p.message for p in _problems_after(project_copy, no_mode)]
    assert messages and all("without data_mode" in m for m in messages)


def test_walking_with_an_unknown_answer_lists_the_valid_answers(repo_dataset):
    tree = load_tree(repo_dataset.internal)
    try:
        walk(tree, {"residency": "mars"})
    except AnswerError as exc:
        assert "valid: eu_required, no_requirement" in str(exc)
    else:
        raise AssertionError("an unknown answer was accepted")


def test_eu_residency_yields_the_eu_region_and_the_dpa(repo_dataset):
    tree = load_tree(repo_dataset.internal)
    answers = {"residency": "eu_required", "content": "no_content", "keys": "customer", "provider": "aws_kms"}
    decision = walk(tree, answers)
    assert decision.facts["region"] == "eu"
    assert decision.facts["key_provider"] == "aws_kms"
    assert [p.document for p in decision.paperwork] == ["data-residency", "dpa", "byok-responsibility"]
