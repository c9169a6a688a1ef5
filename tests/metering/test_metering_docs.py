"""The customer "how limits behave" partial and the handbook runbook render from data with no typed numbers."""

from __future__ import annotations

import re

import pytest

from docskit.datamodel import load_dataset
from docskit.paths import Project
from docskit.render import make_environment


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(Project.at())


def render(dataset, audience: str, name: str) -> str:
    env = make_environment(Project.at(), dataset, audience)
    return env.get_template(name).render()


def test_limits_partial_renders_for_customers_with_values_from_data(dataset):
    text = render(dataset, "customer", "docs/_limits_behaviour.md")
    ctx = dataset.context("customer")
    assert "## How limits behave" in text
    for mode in ctx["overage"]["modes"]:
        assert mode["name"] in text
    assert f"{ctx['metering']['lease_ttl_seconds']} seconds after its last heartbeat" in text
    rate = next(d for d in ctx["capacity_unit"]["dimensions"] if d["id"] == "runs_per_minute")
    assert f'"runs_per_minute";q={rate["per_cu"]};w=60' in text
    assert "Retry-After" in text and "application/problem+json" in text
    assert "{{" not in text and "{%" not in text


def test_limits_partial_shows_no_internal_record(dataset):
    text = render(dataset, "customer", "docs/_limits_behaviour.md")
    for tenant in dataset.context("internal")["demo_tenants"]["tenants"]:
        assert tenant["name"] not in text


def test_runbook_gives_every_step_an_owner_and_a_time_from_data(dataset):
    text = render(dataset, "internal", "playbooks/metering-limits.md")
    ctx = dataset.context("internal")
    roles = {r["id"]: r["name"] for r in ctx["support_roles"]}
    for number, step in enumerate(ctx["metering_runbook"]["steps"], 1):
        heading = f"### {number}. {step['title']}"
        assert heading in text
        after = text.split(heading, 1)[1]
        assert after.lstrip().startswith(
            f"**Owner:** {roles[step['owner_role']]} · **Time:** {step['minutes']} minutes"
        )
    assert re.search(r"^title: Metering limits runbook$", text, re.M)


def test_header_reference_on_the_plans_page_lists_exactly_the_headers_metering_sets(dataset):
    from metering.catalog import Catalog
    from metering.headers import ratelimit_headers
    from metering.models import THROTTLED, Decision

    ctx = dataset.context("customer")
    catalog = Catalog.from_context(ctx)
    throttled = Decision(
        "runs_per_minute", "", THROTTLED, limit=60, used=60, remaining=0, reset_after=1, retry_after=1
    )
    emitted = set(ratelimit_headers([throttled], catalog))
    documented = {h["name"] for h in ctx["api_limits"]["headers"]}
    assert emitted == documented
