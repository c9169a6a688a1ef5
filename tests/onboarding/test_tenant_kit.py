"""`invoke onboard`: the tenant kit's contents, the EU scenario, unsafe names, bad options, ticks and status."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from docskit.datamodel import load_dataset
from docskit.onboarding.cli import run_onboard
from docskit.onboarding.kit import read_kit, tenant_slug
from docskit.onboarding.metering_config import resolve_plan
from docskit.onboarding.options import OptionError, build_options
from docskit.paths import REPO_ROOT, Project
from tests.invoking import run_invoke

UNSAFE_NAME = 'Überwald "<b>Acme</b>" & Co\'s *Kit*'


def _text_of(folder: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(folder.iterdir()):
        if path.suffix == ".pdf":
            texts[path.name] = "\n".join(page.extract_text() for page in PdfReader(path).pages)
        else:
            texts[path.name] = path.read_text(encoding="utf-8")
    return texts


@pytest.fixture(scope="module")
def eu_kit(tmp_path_factory):
    """The issue's scenario: EU, BYOK on AWS KMS, Slack and ServiceNow, metadata-only."""
    from tests.conftest import copy_project

    project = copy_project(tmp_path_factory.mktemp("kit") / "project")
    output = run_onboard(
        project,
        UNSAFE_NAME,
        region="eu",
        data_mode="metadata_only",
        keys="aws_kms",
        connectors="slack,servicenow",
        plan="business",
    )
    kit = read_kit(project, UNSAFE_NAME)
    return project, kit, output, _text_of(kit.folder)


def test_eu_scenario_kit_has_the_scc_and_key_setup_steps_and_no_github_step(eu_kit):
    texts = eu_kit[3]
    checklist = texts["checklist.md"]
    for step in (
        "dpa_scc",
        "byok_model",
        "byok_grant_aws",
        "byok_verify",
        "servicenow_verify",
        "slack_verify",
    ):
        assert f"(`{step}`)" in checklist
    assert "Standard Contractual Clauses" in checklist
    assert "github" not in checklist.lower()
    assert "GitHub" not in texts["checklist.pdf"].replace("ServiceNow, Slack and GitHub", "")
    assert "byok_grant_gcp" not in checklist and "platform_key" not in checklist


def test_eu_scenario_kit_budget_is_under_the_limit(eu_kit):
    project, texts = eu_kit[0], eu_kit[3]
    dataset = load_dataset(project)
    limit = dataset.internal["onboarding"]["budget_minutes"]
    total = int(
        re.search(r"^(\d+) of (\d+) minutes on the SE's critical path", texts["checklist.md"], re.M).group(1)
    )
    assert total < limit
    assert f"{total} counted minutes left (budget {limit})" in run_onboard(
        project, UNSAFE_NAME, show_status=True
    )


def test_eu_scenario_kit_shows_eu_endpoints_only(eu_kit):
    project, _, _, texts = eu_kit
    regions = {r["id"]: r for r in load_dataset(project).internal["regions"]}
    eu = regions["eu"]
    others = [r for r in regions.values() if r["id"] != "eu"]
    assert eu["api_base_url"] in texts["checklist.md"] and eu["hooks_base_url"] in texts["checklist.md"]
    for name, text in texts.items():
        for region in others:
            foreign = [
                region["api_base_url"],
                region["console_url"],
                region["hooks_base_url"],
                *region["egress_cidrs"],
                region["primary"]["code"],
                region["disaster_recovery"]["code"],
            ]
            found = [value for value in foreign if value in text]
            assert found == [], f"{name} mentions {region['name']}: {found}"
        host_urls = re.findall(r"https://[a-z0-9.-]+", text)
        assert not [u for u in host_urls if f".{others[0]['id']}." in u], name


def test_kit_holds_the_metering_configuration_from_plans(eu_kit):
    project, kit, _, texts = eu_kit
    context = load_dataset(project).internal
    plan = next(p for p in context["plans"] if p["id"] == "business")
    metering = yaml.safe_load(texts["metering.yaml"])
    assert metering == json.loads(texts["metering.json"])
    assert metering["cus"] == plan["min_cus"]
    for dim in context["capacity_unit"]["dimensions"]:
        assert metering["limits"][dim["id"]]["limit"] == dim["per_cu"] * plan["min_cus"]
    assert metering["limits"]["writes_per_day"]["per_connector"] == ["servicenow", "slack"]
    assert metering["contract"] == {
        "tenant": kit.slug,
        "plan": "business",
        "name": UNSAFE_NAME,
        "cus": plan["min_cus"],
    }


def test_kit_has_the_customer_documents_that_apply_and_no_internal_content(eu_kit):
    project, _, _, texts = eu_kit
    company = load_dataset(project).internal["company"]
    assert {"residency-statement.pdf", "dpa-cover.pdf"} <= set(texts)
    assert "European Union" in texts["residency-statement.pdf"]
    assert "Template — to be reviewed by counsel before signature" in texts["dpa-cover.pdf"]
    for name in ("residency-statement.pdf", "dpa-cover.pdf"):
        assert company["sites"]["handbook"] not in texts[name]
        assert "Solutions Engineer" not in texts[name]


def test_unsafe_tenant_names_are_escaped_or_slugged_in_every_output(eu_kit):
    _, kit, _, texts = eu_kit
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", kit.folder.name)
    assert kit.folder.name == tenant_slug(UNSAFE_NAME)
    assert "<b>" not in texts["checklist.md"]
    assert "&lt;b&gt;Acme&lt;/b&gt;" in texts["checklist.md"] and "\\*Kit\\*" in texts["checklist.md"]
    for pdf in ("checklist.pdf", "residency-statement.pdf", "dpa-cover.pdf"):
        assert '"<b>Acme</b>"' in texts[pdf].replace("\n", " "), pdf
    assert json.loads(texts["kit.json"])["tenant"] == UNSAFE_NAME


def test_distinct_names_get_distinct_kit_folders():
    assert tenant_slug("Acme GmbH") != tenant_slug("Acme-GmbH")
    assert tenant_slug("acme") == "acme"
    assert tenant_slug("日本").startswith("tenant-")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"region": "mars"}, "unknown region 'mars'; valid: us, eu"),
        ({"data_mode": "everything"}, "valid: standard, metadata_only"),
        ({"keys": "byok"}, "--keys byok needs the key service; valid: platform_managed, aws_kms, gcp_kms"),
        ({"keys": "vault"}, "unknown key option 'vault'; valid: platform_managed, aws_kms"),
        ({"connectors": "slack,jira"}, "unknown connector 'jira'; valid: servicenow, slack, github"),
        ({"connectors": "slack,slack"}, "listed twice"),
        ({"plan": "enterprise", "cus": 3}, "plan 'enterprise' needs at least 20 capacity units"),
        ({"plan": "gold"}, "unknown plan 'gold'; valid: team, business, enterprise"),
    ],
)
def test_unknown_values_and_forbidden_combinations_fail_listing_valid_choices(
    repo_dataset, options, expected
):
    args = {
        "region": "eu",
        "data_mode": "standard",
        "keys": "platform_managed",
        "connectors": "slack",
        **options,
    }
    plan, cus = args.pop("plan", None), args.pop("cus", None)
    with pytest.raises(OptionError) as info:
        build_options(repo_dataset.internal, **args)
        resolve_plan(repo_dataset.internal, plan, cus)
    assert expected in str(info.value)


def test_done_ticks_a_step_and_status_shows_what_is_left(tmp_path):
    project_copy = Project.at(REPO_ROOT, tmp_path)
    run_onboard(
        project_copy, "Acme", region="us", data_mode="standard", keys="platform_managed", connectors="github"
    )
    before = run_onboard(project_copy, "Acme", show_status=True)
    after = run_onboard(project_copy, "Acme", done="decide_options")
    assert "done 0 of" in before and "done 1 of" in after
    assert "decide_options" not in after.split("\n", 3)[3]
    left = [
        int(re.search(r"; (\d+) of (\d+) counted minutes left", text).group(1)) for text in (before, after)
    ]
    assert left[0] - left[1] == 5
    kit = read_kit(project_copy, "Acme")
    assert list(kit.done) == ["decide_options"]
    assert "- [x] **" in (kit.folder / "checklist.md").read_text(encoding="utf-8")
    with pytest.raises(OptionError, match="'slack_verify' is not a step of 'Acme'; valid: decide_options"):
        run_onboard(project_copy, "Acme", done="slack_verify")


def test_done_and_status_need_an_existing_kit(tmp_path):
    project_copy = Project.at(REPO_ROOT, tmp_path)
    with pytest.raises(OptionError, match="no kit for 'Nobody'"):
        run_onboard(project_copy, "Nobody", show_status=True)


def test_invoke_onboard_writes_the_kit_into_the_build_folder_and_rejects_unknown_values(tmp_path):
    ok = run_invoke(
        "onboard",
        "Acme Corp",
        "--region",
        "us",
        "--data-mode",
        "standard",
        "--keys",
        "gcp_kms",
        "--connectors",
        "github,slack",
        "--plan",
        "team",
        "--cus",
        "2",
        build=tmp_path,
        timeout=180,
    )
    assert ok.returncode == 0, ok.stderr
    folder = tmp_path / "kits" / tenant_slug("Acme Corp")
    assert {"checklist.md", "checklist.pdf", "metering.yaml", "residency-statement.pdf"} <= {
        p.name for p in folder.iterdir()
    }
    assert "dpa-cover.pdf" not in {p.name for p in folder.iterdir()}
    bad = run_invoke(
        "onboard",
        "Acme Corp",
        "--region",
        "mars",
        "--data-mode",
        "standard",
        "--keys",
        "gcp_kms",
        "--connectors",
        "github",
        build=tmp_path,
        timeout=180,
    )
    assert bad.returncode == 2
    assert "unknown region 'mars'; valid: us, eu" in bad.stderr
