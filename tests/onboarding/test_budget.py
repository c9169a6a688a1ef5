"""The time budget: how steps count, every supported combination fits, and the check names an over-budget one."""

from __future__ import annotations

import itertools

from docskit.datamodel import load_dataset
from docskit.onboarding.budget import compute_budget
from docskit.onboarding.checks import check_onboarding
from docskit.onboarding.model import Step, load_checklist
from docskit.onboarding.options import all_combinations, build_options, key_choices

from .conftest import by_id, edit_yaml


def _step(step_id, minutes, timing="serial", parallel_with=None):
    return Step(
        id=step_id,
        phase="p",
        title=step_id,
        owner="se",
        minutes=minutes,
        timing=timing,
        action="a",
        verify="v",
        parallel_with=parallel_with,
    )


def test_parallel_steps_count_as_the_longest_branch_of_their_group():
    steps = [_step("a", 10), _step("b", 25, "parallel", "a"), _step("c", 5, "parallel", "a"), _step("d", 5)]
    budget = compute_budget(steps, 120)
    assert budget.total == 25 + 5
    assert budget.counted_minutes("a") == 25
    assert budget.counted_minutes("b") == 0


def test_a_parallel_step_counts_in_full_when_its_serial_step_does_not_apply():
    steps = [_step("b", 25, "parallel", "a"), _step("d", 5)]
    assert compute_budget(steps, 120).total == 30


def test_offline_steps_are_listed_but_not_counted():
    budget = compute_budget([_step("a", 10), _step("z", 600, "offline")], 120)
    assert budget.total == 10
    assert [s.id for s in budget.offline] == ["z"]


def test_remaining_minutes_drop_only_when_a_whole_group_is_done():
    steps = [_step("a", 10), _step("b", 25, "parallel", "a"), _step("d", 5)]
    budget = compute_budget(steps, 120)
    assert budget.remaining({"a"}) == 30
    assert budget.remaining({"a", "b"}) == 5


def test_every_supported_combination_fits_the_budget(repo_dataset):
    context = repo_dataset.internal
    checklist = load_checklist(context)
    combinations = list(all_combinations(context))
    subsets = 2 ** len(context["connectors"]) - 1
    eu_values = sum(1 if r["jurisdiction"] == "EU" else 2 for r in context["regions"])
    assert len(combinations) == subsets * eu_values * len(context["data_modes"]) * len(key_choices(context))
    over = []
    for options in combinations:
        budget = compute_budget(checklist.for_tenant(options), checklist.budget_minutes)
        if not budget.fits:
            over.append(f"{options.label()}: {budget.total}")
    assert over == [], f"over {checklist.budget_minutes} minutes: {over}"


def test_the_onboarding_check_passes_on_the_repository_data(repo_dataset):
    from docskit.paths import REPO_ROOT, Project

    assert check_onboarding(Project.at(REPO_ROOT), repo_dataset) == []


def test_an_over_budget_checklist_fails_the_check_naming_the_combination_and_total(project_copy):
    def slow_github(data):
        by_id(data["onboarding"]["steps"], "github_verify")["minutes"] = 200

    edit_yaml(project_copy, "onboarding", slow_github)
    dataset = load_dataset(project_copy)
    problems = check_onboarding(project_copy, dataset)
    assert problems, "an over-budget checklist passed the check"
    messages = [p.message for p in problems]
    assert all("github" in m.split("connectors=")[1].split()[0] for m in messages)
    github_tenants = [o for o in all_combinations(dataset.internal) if "github" in o.connectors]
    assert len(problems) == len(github_tenants)
    expected = build_options(dataset.internal, "us", "standard", "platform_managed", "github", False)
    checklist = load_checklist(dataset.internal)
    total = compute_budget(checklist.for_tenant(expected), checklist.budget_minutes).total
    assert any(expected.label() in m and f"takes {total} minutes" in m for m in messages)
    assert all(p.file == "data/onboarding.yaml" and p.line for p in problems)


def test_combinations_cover_every_connector_subset_once(repo_dataset):
    context = repo_dataset.internal
    seen = {o.connectors for o in all_combinations(context)}
    ids = [c["id"] for c in context["connectors"]]
    expected = {c for n in range(1, len(ids) + 1) for c in itertools.combinations(ids, n)}
    assert seen == expected
