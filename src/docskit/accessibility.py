"""Accessibility of the built sites: axe-core run in Debian's chromium on every page, served on 127.0.0.1.

axe-core comes from the `axe-playwright-python` wheel (its bundled axe.min.js); nothing is fetched. Every
violation fails unless ALLOWED lists its rule for the markup it was found on, and serious or critical ones fail
always.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .browser import launch_chromium
from .localserver import serve_directory
from .problems import Problem

ALWAYS_FAILING = frozenset({"serious", "critical"})
VIEWPORT = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class AllowedRule:
    """A moderate axe rule accepted on the nodes matching `where` (a fragment of axe's node target)."""

    rule: str
    where: str
    reason: str


# Short on purpose: each entry is a finding we cannot fix in our sources, with why it does not block a reader.
ALLOWED: tuple[AllowedRule, ...] = (
    AllowedRule(
        "landmark-unique",
        ".md-code__nav",
        "Material's JavaScript puts the copy button of every code block in its own unnamed <nav>, so a page "
        "with two code blocks has two alike landmarks. Each holds only the named 'Copy to clipboard' button; "
        "the page's own landmarks (header, navigation, table of contents, footer) are all named and unique.",
    ),
)


@dataclass(frozen=True)
class Finding:
    """One node that violates one axe rule on one page."""

    page: str
    rule: str
    impact: str
    target: str
    html: str
    help: str
    help_url: str = ""

    def allowed(self, allowed: tuple[AllowedRule, ...] = ALLOWED) -> bool:
        """Whether ALLOWED accepts this finding (never for serious or critical ones)."""
        if self.impact in ALWAYS_FAILING:
            return False
        return any(a.rule == self.rule and a.where in self.target for a in allowed)

    def problem(self, site_label: str) -> Problem:
        """The finding as one actionable line naming the page and the node."""
        return Problem(
            f"{site_label}/{self.page}",
            f"axe {self.rule} ({self.impact}): {self.help} at {self.target}: {self.html[:120]}",
            hint=f"fix it in the page, template or theme override ({self.help_url or 'axe rule ' + self.rule})",
        )


def axe_script() -> str:
    """The axe-core bundled in the axe-playwright-python wheel."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def site_pages(site: Path) -> list[str]:
    """Every HTML page of a built site, as paths relative to it."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


@contextlib.contextmanager
def axe_tab() -> Iterator[object]:
    """One chromium tab that has axe-core on every page it opens; reuse it for every page of every site."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.add_init_script(axe_script())
            yield context.new_page()
        finally:
            browser.close()


# Two animation frames: the theme's own scripts (and ours in overrides/theme/main.html) finish setting up.
_SETTLE = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
_RUN = "() => axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))"


def audit_pages(tab, base_url: str, pages: list[str]) -> list[Finding]:
    """Run axe on each page (relative to `base_url`) in `tab`; every violating node as a Finding."""
    findings = []
    for page in pages:
        tab.goto(base_url + page)
        tab.evaluate(_SETTLE)
        for violation in json.loads(tab.evaluate(_RUN)):
            for node in violation["nodes"]:
                findings.append(
                    Finding(
                        page=page,
                        rule=violation["id"],
                        impact=node.get("impact") or violation.get("impact") or "",
                        target=" ".join(map(str, node["target"])),
                        html=node["html"],
                        help=violation["help"],
                        help_url=violation.get("helpUrl", ""),
                    )
                )
    return findings


def audit_site(tab, site: Path, pages: list[str] | None = None) -> list[Finding]:
    """Serve a built site on 127.0.0.1 and run axe on its pages (default: all of them) in `tab`."""
    if not site.is_dir():
        raise FileNotFoundError(f"no built site at {site}; build it first (./dev build)")
    with serve_directory(site) as url:
        return audit_pages(tab, url, pages if pages is not None else site_pages(site))


def blocking(findings: list[Finding]) -> list[Finding]:
    """The findings ALLOWED does not accept."""
    return [f for f in findings if not f.allowed()]


def audit_project(project, log=print) -> list[Problem]:
    """Build both sites of `project` and run axe on every page; the findings ALLOWED does not accept."""
    from .sitebuild import SITES, build_sites

    published = build_sites(project)
    problems = []
    with axe_tab() as tab:
        for name in SITES:
            findings = audit_site(tab, published[name])
            failing = blocking(findings)
            log(
                f"a11y: {name}: {len(site_pages(published[name]))} pages, {len(failing)} failing, "
                f"{len(findings) - len(failing)} allowed"
            )
            problems += [f.problem(f"build/site/{name}") for f in failing]
    return problems
