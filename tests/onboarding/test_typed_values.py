"""Values typed on the command line: `metadata-only`, `EU`, `Team` are accepted; a typo gets the closest match."""

from __future__ import annotations

import pytest

from docskit.onboarding.choices import match_choice
from docskit.onboarding.metering_config import resolve_plan
from docskit.onboarding.options import OptionError, build_options
from docskit.onboarding.tree import AnswerError, load_tree, walk
from docskit.tables import counted, minutes_text
from tests.invoking import run_invoke


def test_options_accept_case_and_dash_forms_and_return_the_data_ids(repo_dataset):
    context = repo_dataset.internal
    typed = build_options(context, "EU", "metadata-only", "AWS-KMS", "Slack, ServiceNow")
    exact = build_options(context, "eu", "metadata_only", "aws_kms", "slack,servicenow")
    assert typed == exact
    assert build_options(context, "eu", "standard", "byok:gcp-kms", "github").key_provider == "gcp_kms"


def test_plan_accepts_its_name_in_any_case(repo_dataset):
    assert resolve_plan(repo_dataset.internal, "Team", None)[0] == "team"
    assert resolve_plan(repo_dataset.internal, "ENTERPRISE", None)[0] == "enterprise"


@pytest.mark.parametrize(
    ("option", "value", "suggestion"),
    [
        ("region", "eur", "did you mean 'eu'?"),
        ("data_mode", "metadata", "did you mean 'metadata_only'?"),
        ("connectors", "servicenw", "did you mean 'servicenow'?"),
    ],
)
def test_a_typo_fails_naming_the_closest_valid_value_and_all_valid_ones(
    repo_dataset, option, value, suggestion
):
    args = {"region": "eu", "data_mode": "standard", "keys": "platform_managed", "connectors": "slack"}
    args[option] = value
    with pytest.raises(OptionError) as error:
        build_options(repo_dataset.internal, **args)
    assert suggestion in str(error.value)
    assert "valid: " in str(error.value)


def test_a_value_close_to_nothing_lists_the_valid_ones_without_a_guess():
    with pytest.raises(OptionError) as error:
        match_choice("region", "mars", ["us", "eu"], OptionError)
    assert str(error.value) == "unknown region 'mars'; valid: us, eu"


def test_tree_answers_accept_typed_forms_and_suggest_on_a_typo(repo_dataset):
    tree = load_tree(repo_dataset.internal)
    typed = {"residency": "EU-required", "content": "No-Content", "keys": "Customer", "provider": "AWS-KMS"}
    exact = {"residency": "eu_required", "content": "no_content", "keys": "customer", "provider": "aws_kms"}
    assert walk(tree, typed).facts == walk(tree, exact).facts
    with pytest.raises(AnswerError) as error:
        walk(tree, {**exact, "residency": "eu_requird"})
    assert "did you mean 'eu_required'?" in str(error.value)


def test_decide_task_takes_dashes_and_capitals_and_prints_data_ids():
    result = run_invoke(
        "decide",
        "--answers",
        "residency=EU-required,content=no-content,keys=customer,provider=aws-kms",
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "--region eu --data-mode metadata_only --keys aws_kms" in result.stdout
    assert "Next: ./dev onboard" in result.stdout


@pytest.mark.parametrize(
    ("count", "noun", "text"),
    [
        (1, "capacity unit", "1 capacity unit"),
        (2, "capacity unit", "2 capacity units"),
        (2000, "step", "2,000 steps"),
    ],
)
def test_counted_makes_the_noun_agree_with_the_number(count, noun, text):
    assert counted(count, noun) == text


def test_durations_agree_in_number():
    assert [minutes_text(m) for m in (1, 60, 120, 1440)] == ["1 minute", "1 hour", "2 hours", "1 day"]


def test_a_one_unit_kit_says_capacity_unit_in_the_singular(tmp_path):
    from docskit.onboarding.cli import run_onboard
    from docskit.onboarding.kit import read_kit
    from tests.conftest import copy_project

    project = copy_project(tmp_path / "project")
    run_onboard(
        project,
        "Solo Ltd",
        region="us",
        data_mode="standard",
        keys="platform_managed",
        connectors="slack",
        plan="Team",
        cus=1,
    )
    checklist = (read_kit(project, "Solo Ltd").folder / "checklist.md").read_text(encoding="utf-8")
    assert "Team, 1 capacity unit |" in checklist
    assert "1 capacity units" not in checklist
