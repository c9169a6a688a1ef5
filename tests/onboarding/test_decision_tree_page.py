"""The handbook's clickable decision tree in a real browser (Debian's chromium through Playwright, 127.0.0.1 only):
the EU/BYOK path ends in the outcome and paperwork `./dev decide` gives, and a command `./dev onboard` accepts."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from docskit.datamodel import load_dataset
from docskit.localserver import serve_directory
from docskit.onboarding.options import build_options
from docskit.onboarding.tree import load_tree, walk

pytestmark = pytest.mark.browser

EU_BYOK = {"residency": "eu_required", "content": "no_content", "keys": "customer", "provider": "aws_kms"}
TENANT = "Acme O'Brien GmbH"


@pytest.fixture(scope="module")
def tree_page(built_project, browser):
    with serve_directory(built_project.build / "site" / "handbook") as url:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url + "onboarding/decision-tree/")
        yield page, errors
        page.close()


def _parse_onboard(command: str) -> dict:
    """The arguments of a `./dev onboard TENANT --flag value …` command line, as the task receives them."""
    words = shlex.split(command)
    assert words[:2] == ["./dev", "onboard"], command
    flags = dict(zip(words[3::2], words[4::2], strict=True))
    return {"tenant": words[2], **{flag.removeprefix("--").replace("-", "_"): v for flag, v in flags.items()}}


def test_walking_the_eu_byok_path_shows_the_outcome_paperwork_and_a_command_onboard_accepts(
    tree_page, built_project
):
    page, errors = tree_page
    context = load_dataset(built_project).internal
    tree = load_tree(context)
    app = page.locator("#decision-tree-app")
    assert app.is_visible()
    for question_id, answer_id in EU_BYOK.items():
        app.locator(f'fieldset[data-question="{question_id}"] input[value="{answer_id}"]').check()
    page.get_by_label("Tenant name").fill(TENANT)
    for connector in ("slack", "servicenow"):
        app.locator(f'input[data-connector][value="{connector}"]').check()

    expected = walk(tree, EU_BYOK)
    assert page.locator("[data-title]").inner_text() == expected.outcome.title
    assert expected.outcome.title in page.locator("#decision-tree-app [aria-live]").inner_text()
    paperwork = page.locator("[data-paperwork] li").all_inner_texts()
    assert len(paperwork) == len(expected.paperwork) > 0
    for item, shown in zip(expected.paperwork, paperwork, strict=True):
        assert item.why in shown

    args = _parse_onboard(page.locator("[data-command]").inner_text())
    assert args["tenant"] == TENANT
    options = build_options(context, args["region"], args["data_mode"], args["keys"], args["connectors"])
    assert options == expected.options(("servicenow", "slack"))
    assert errors == []


def test_changing_an_early_answer_drops_the_questions_it_no_longer_reaches(tree_page):
    page, _ = tree_page
    app = page.locator("#decision-tree-app")
    app.locator('fieldset[data-question="keys"] input[value="platform"]').check()
    assert app.locator('fieldset[data-question="provider"]').count() == 0
    assert "--keys platform_managed" in page.locator("[data-command]").inner_text()


def test_the_page_embeds_the_tree_as_json_and_keeps_diagram_and_tables_without_javascript(built_project):
    html = (built_project.build / "site/handbook/onboarding/decision-tree/index.html").read_text(
        encoding="utf-8"
    )
    embedded = re.search(
        r'<script type="application/json" id="decision-tree-data">(.*?)</script>', html, re.S
    )
    data = json.loads(embedded.group(1))
    tree = load_tree(load_dataset(built_project).internal)
    assert set(data["questions"]) == {q.id for q in tree.questions()}
    assert '<div id="decision-tree-app" class="decision-tree-app" hidden>' in html
    assert "decision-tree.svg" in html and "<table>" in html
    assert re.search(r'<script src="[^"]*decision-tree\.js"', html)
    assert not re.search(r'<script src="https?://', html)
