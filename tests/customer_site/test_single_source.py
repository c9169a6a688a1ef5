"""One fact, one home: changing a value in data/ changes every customer page that shows it, and no page keeps
the old value."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.customer_site.sitepages import build_customer, edit_yaml


def pages_containing(site: Path, text: str) -> set[str]:
    """Built pages (relative folder names) whose HTML contains `text`."""
    return {
        p.parent.relative_to(site).as_posix()
        for p in site.rglob("index.html")
        if text in p.read_text(encoding="utf-8")
    }


def test_changing_a_retention_period_changes_every_page_showing_it(project_copy):
    def change(data):
        data["plans"][1]["retention_days"] = 217

    edit_yaml(project_copy, "data/plans.yaml", change)
    site = build_customer(project_copy)
    showing = pages_containing(site, "217")
    assert {
        ".",
        "plans",
        "concepts/evidence-bundles",
        "connectors/servicenow",
        "connectors/slack",
        "connectors/github",
    } <= showing
    assert pages_containing(site, ">180<") == set()
    assert not any("180 days" in p.read_text(encoding="utf-8") for p in site.rglob("index.html"))


def test_changing_a_region_endpoint_changes_every_page_showing_it(project_copy):
    def change(data):
        data["regions"][1]["hooks_base_url"] = "https://inbound.eu.relaywright.example"

    edit_yaml(project_copy, "data/regions.yaml", change)
    site = build_customer(project_copy)
    assert pages_containing(site, "https://hooks.eu.relaywright.example") == set()
    showing = pages_containing(site, "https://inbound.eu.relaywright.example/slack/events")
    assert showing == {"connectors/slack"}
    assert "connectors/github" in pages_containing(
        site, "https://inbound.eu.relaywright.example/github/webhooks"
    )


def test_changing_an_egress_range_changes_quickstarts_residency_and_allow_list_ranges(project_copy):
    def change(data):
        data["regions"][0]["egress_cidrs"][0] = "192.0.2.64/27"

    edit_yaml(project_copy, "data/regions.yaml", change)
    site = build_customer(project_copy)
    assert pages_containing(site, "198.51.100.16/28") == set()
    assert {"connectors/servicenow", "connectors/slack", "connectors/github", "concepts/residency"} <= (
        pages_containing(site, "192.0.2.64/27")
    )
    servicenow = (site / "connectors/servicenow/index.html").read_text(encoding="utf-8")
    assert "<code>192.0.2.64</code>" in servicenow and "<code>192.0.2.95</code>" in servicenow


def test_changing_a_scope_changes_table_and_manifest(project_copy):
    def change(data):
        slack = next(c for c in data["connectors"] if c["id"] == "slack")
        slack["permissions"] = [p for p in slack["permissions"] if p["name"] != "users:read.email"]

    edit_yaml(project_copy, "data/connectors.yaml", change)
    site = build_customer(project_copy)
    assert pages_containing(site, "users:read.email") == set()


def test_changing_a_response_target_changes_the_support_page(project_copy):
    if not (project_copy.root / "docs" / "support.md").exists():
        pytest.skip("docs/support.md (support helper) does not exist yet")

    def change(data):
        data["severities"][0]["targets"]["enterprise"]["first_response_minutes"] = 13

    edit_yaml(project_copy, "data/severity.yaml", change)
    site = build_customer(project_copy)
    assert "support" in pages_containing(site, "13 minutes")
