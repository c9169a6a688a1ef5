"""The handbook shows the checklist, the decision-tree diagram and every walkthrough; the customer site none of it."""

from __future__ import annotations

from docskit.datamodel import load_dataset

HANDBOOK_PAGES = [
    "onboarding/index.md",
    "onboarding/checklist.md",
    "onboarding/decision-tree.md",
    "simulation.md",
    "keys/index.md",
    "keys/aws-kms.md",
    "keys/gcp-kms.md",
    "keys/azure-key-vault.md",
    "connectors/index.md",
    "connectors/servicenow.md",
    "connectors/slack.md",
    "connectors/github.md",
]


def _site_text(folder):
    return {
        p: p.read_text(encoding="utf-8", errors="replace")
        for p in folder.rglob("*")
        if p.suffix in (".html", ".svg", ".md")
    }


def test_handbook_has_the_checklist_with_every_step_owner_time_and_verification(built_project):
    data = load_dataset(built_project).internal["onboarding"]
    page = (built_project.build / "rendered" / "handbook" / "onboarding" / "checklist.md").read_text(
        encoding="utf-8"
    )
    owners = {o["id"]: o["name"] for o in data["owners"]}
    for step in data["steps"]:
        block = page.split(f"(`{step['id']}`)", 1)[1].split('- <label class="task-list-control">', 1)[0]
        assert f"**Owner:** {owners[step['owner']]}" in block
        assert "**Time:**" in block and f"**Verify:** {step['verify']}" in block
    assert (built_project.build / "site" / "handbook" / "onboarding" / "checklist" / "index.html").is_file()


def test_handbook_has_the_decision_tree_diagram_with_every_question(built_project):
    tree = load_dataset(built_project).internal["decision_tree"]
    svg = (built_project.build / "site" / "handbook" / "onboarding" / "decision-tree.svg").read_text(
        encoding="utf-8"
    )
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:400]
    for node in tree["nodes"]:
        assert f"<title>{node['id']}</title>" in svg
    html = (
        built_project.build / "site" / "handbook" / "onboarding" / "decision-tree" / "index.html"
    ).read_text(encoding="utf-8")
    assert 'src="../decision-tree.svg"' in html


def test_handbook_builds_every_walkthrough_page(built_project):
    site = built_project.build / "site" / "handbook"
    for page in HANDBOOK_PAGES:
        target = (
            page.removesuffix("index.md") if page.endswith("index.md") else page.removesuffix(".md") + "/"
        )
        assert (site / target / "index.html").is_file(), page
    rendered = (built_project.build / "rendered" / "handbook" / "keys" / "gcp-kms.md").read_text(
        encoding="utf-8"
    )
    assert "roles/cloudkms.cryptoKeyEncrypterDecrypter" in rendered


def test_customer_site_contains_none_of_the_onboarding_content(built_project):
    data = load_dataset(built_project).internal
    customer = _site_text(built_project.build / "site" / "customer")
    customer.update(_site_text(built_project.build / "rendered" / "customer"))
    needles = [s["title"] for s in data["onboarding"]["steps"]]
    needles += [n["text"] for n in data["decision_tree"]["nodes"] if n["kind"] == "question"]
    needles += ["decision-tree.svg", "Policy simulation walkthrough", "critical path"]
    found = {
        (str(path.relative_to(built_project.build)), n)
        for path, text in customer.items()
        for n in needles
        if n in text
    }
    assert found == set()
    assert not (built_project.build / "site" / "customer" / "onboarding").exists()
