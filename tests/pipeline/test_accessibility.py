"""axe-core on every page of both built sites, in Debian's chromium, each site served on 127.0.0.1."""

from __future__ import annotations

import pytest

from docskit.accessibility import ALLOWED, Finding, audit_site, axe_tab, blocking, site_pages
from docskit.sitebuild import build_sites

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tab():
    """One browser tab with axe-core, shared by every test of this module."""
    pytest.importorskip("playwright.sync_api")
    with axe_tab() as page:
        yield page


@pytest.mark.parametrize(("site_name", "at_least"), [("customer", 12), ("handbook", 20)])
def test_no_page_of_the_site_has_an_axe_violation_beyond_the_allowed_moderate_ones(
    built_project, tab, site_name, at_least
):
    site = built_project.build / "site" / site_name
    pages = site_pages(site)
    problems = [str(f.problem(f"build/site/{site_name}")) for f in blocking(audit_site(tab, site, pages))]
    assert len(pages) >= at_least  # every page: 14 customer and 22 handbook pages when this was written
    assert problems == []


def test_an_unlabelled_checkbox_fails_the_accessibility_audit(project_copy, tab):
    page = project_copy.root / "docs" / "support.md"
    page.write_text(
        page.read_text(encoding="utf-8") + "\n## Before you call\n\n- [ ] Collect the run id\n",
        encoding="utf-8",
    )
    build_sites(project_copy, ["customer"])

    failing = blocking(audit_site(tab, project_copy.build / "site" / "customer", ["support/index.html"]))

    labels = [f for f in failing if f.rule == "label"]
    assert labels and all(f.impact == "critical" and f.page == "support/index.html" for f in labels)
    assert 'type="checkbox"' in labels[0].html
    assert "build/site/customer/support/index.html" in str(labels[0].problem("build/site/customer"))


def test_the_allow_list_accepts_only_its_moderate_rules_on_the_markup_it_names():
    rule = ALLOWED[0]
    found = Finding("plans/index.html", rule.rule, "moderate", f"#__code_0 > {rule.where}", "<nav>", "help")
    assert found.allowed()
    assert not Finding(found.page, found.rule, "serious", found.target, found.html, found.help).allowed()
    assert not Finding(found.page, found.rule, "moderate", "nav.md-nav", found.html, found.help).allowed()
    assert not Finding(found.page, "region", "moderate", found.target, found.html, found.help).allowed()
    assert all(a.reason for a in ALLOWED)
