"""Step 5: the customer pages the tenant reads, built and link-checked.

The customer site is built once per rehearsal into the scratch build folder (the real build is not touched); each
scenario then checks its connectors' quickstarts and the pages every tenant reads (data/rehearsals.yaml
`customer_pages`), with every link and anchor on them.
"""

from __future__ import annotations

from ..linkcheck import check_pages
from ..sitebuild import build_sites
from .model import ScenarioRun

ITEM = "docs"


def page_url(source: str) -> str:
    """The built URL path of a page source: connectors/slack.md -> connectors/slack/, index.md -> ''."""
    stem = source.removesuffix(".md")
    if stem == "index":
        return ""
    return stem.removesuffix("/index") + "/"


def customer_site(run: ScenarioRun):
    """The customer site built into the scratch build folder (once per rehearsal)."""
    if "customer_site" not in run.shared:
        run.shared["customer_site"] = build_sites(run.project, ["customer"], dataset=run.dataset)["customer"]
    return run.shared["customer_site"]


def customer_docs(run: ScenarioRun) -> None:
    """Build (once) and link-check the customer pages this tenant reads."""
    site = customer_site(run)
    sources = [f"connectors/{c}.md" for c in run.scenario.connectors] + list(run.rehearsals.customer_pages)
    pages = [page_url(s) for s in sources]
    absent = [s for s, p in zip(sources, pages, strict=True) if not (site / p / "index.html").is_file()]
    run.record(
        ITEM,
        "The customer pages the tenant reads are built",
        not absent,
        f"{len(pages) - len(absent)} of {len(pages)} pages built: {', '.join('/' + p for p in pages)}"
        + (f"; missing {', '.join(absent)}" if absent else ""),
        "docs/, mkdocs.yml (nav)",
    )
    problems, checked = check_pages(
        site, [p for s, p in zip(sources, pages, strict=True) if s not in absent], "site"
    )
    run.record(
        ITEM,
        "No broken link or anchor on them",
        not problems and checked > 0,
        f"{checked} links and anchors checked with linkchecker"
        + (
            f"; broken: {'; '.join(p.message.removeprefix('broken link: ') for p in problems)}"
            if problems
            else ""
        ),
        "docs/ (the page named with each broken link)",
    )
