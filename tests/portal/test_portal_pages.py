"""The portal's pages elsewhere: the customer site links to it, and the handbook tells sales how to run it, with
every setting read from data."""

from __future__ import annotations

import yaml

from docskit.paths import REPO_ROOT
from docskit.render import make_environment, render_template


def _render(project, dataset, audience: str, folder: str, name: str) -> str:
    env = make_environment(project, dataset, audience, [project.root / folder])
    return render_template(env, name, f"{folder}/{name}")


def test_customer_security_review_page_links_to_the_trust_portal(portal_project, portal_dataset):
    page = _render(portal_project, portal_dataset, "customer", "docs", "security-review.md")
    assert f"]({portal_dataset.customer['company']['sites']['trust_center']}/)" in page


def test_handbook_page_for_sales_is_in_the_nav_and_reads_its_settings_from_data(
    portal_project, portal_dataset
):
    # only the nav: the rest of handbook.yml uses MkDocs' !ENV tags, which a plain YAML loader refuses
    nav = yaml.safe_load(
        "nav:" + (REPO_ROOT / "handbook.yml").read_text(encoding="utf-8").split("\nnav:", 1)[1]
    )
    assert {"Trust portal for sales": "trust-portal.md"} in nav["nav"]
    page = _render(portal_project, portal_dataset, "internal", "playbooks", "trust-portal.md")
    settings = portal_dataset.internal["portal"]
    assert all(domain in page for domain in settings["auto_approve_domains"])
    assert f"{settings['magic_link_minutes']} minutes" in page
    assert f"{settings['rate_limits']['links_per_email_per_hour']} links per address per hour" in page
    for heading in ("## Approve or deny a request", "## Revoke access", "## Read the access log"):
        assert heading in page
    for doc in portal_dataset.customer["documents"]:
        if doc["classification"] == "customer-confidential":
            assert (
                f"| {doc['title']} {doc['versions'][-1]['version']} | Customer confidential | Yes |" in page
            )


def test_portal_settings_stay_out_of_the_customer_context(portal_dataset):
    assert "portal" not in portal_dataset.customer
