"""The questionnaire-answers partial of the procurement pack and the SE handbook page."""

from __future__ import annotations

import re

from ruamel.yaml import YAML

from docskit.datamodel import load_dataset
from docskit.procurement.htmldoc import print_environment
from docskit.render import make_environment, render_template
from docskit.sitebuild import SITES, render_site

PARTIAL = "security/_questionnaire_answers.html.j2"


def _partial(project, dataset) -> str:
    return render_template(print_environment(project, dataset), PARTIAL, PARTIAL)


def test_partial_renders_every_answer_with_its_facts(repo_project, dataset, bank):
    html = _partial(repo_project, dataset)
    assert re.findall(r'id="answer-([a-z]+-\d\d)"', html) == [a.id for a in bank.answers]
    assert html.count('<h2 id="ccm-') == len(bank.domains)
    assert "{{" not in html and "{%" not in html
    dsp14 = html[html.index('id="answer-dsp-14"') : html.index('id="answer-dsp-15"')]
    assert f"{dataset.customer['plans'][0]['retention_days']} days on the" in dsp14
    assert "Customer responsibilities:" in dsp14 and "Data Processing Summary" in dsp14


def test_partial_escapes_text_from_data(project_copy):
    path = project_copy.data / "questionnaire" / "ccm_aa.yaml"
    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8"))
    data["answers"][0]["question"] = "Do you audit <script>alert('x')</script> & review controls?"
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    html = _partial(project_copy, load_dataset(project_copy))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_partial_uses_only_the_customer_context(repo_project, dataset):
    html = _partial(repo_project, dataset)
    for record in dataset.internal.get("incident_escalation", {}).values():
        if isinstance(record, str) and record not in ("internal",):
            assert record not in html


def test_handbook_page_quotes_the_bank_settings(repo_project, dataset, tmp_path):
    problems = render_site(repo_project, dataset, SITES["handbook"], tmp_path)
    assert problems == []
    page = (tmp_path / "questionnaire.md").read_text(encoding="utf-8")
    settings = dataset.internal["questionnaire"]["questionnaire_settings"]
    assert f"confidence of at least {settings['matching']['threshold']}" in page
    assert f"at least every {settings['review']['interval_days']} days" in page
    assert "./dev questionnaire fill buyer.xlsx -o buyer-answered.xlsx" in page


def test_handbook_nav_lists_the_page(repo_project):
    assert "questionnaire.md" in (repo_project.root / "handbook.yml").read_text(encoding="utf-8")


def test_description_global_is_available_to_every_template(repo_project, dataset):
    env = make_environment(repo_project, dataset, "customer")
    answer = dataset.customer["questionnaire"]["ccm_cek"]["answers"][0]
    text = env.from_string("{{ questionnaire_description(answer) }}").render(answer=answer)
    assert "{{" not in text and dataset.customer["envelope"]["data_key_algorithm"] in text
