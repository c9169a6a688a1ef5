"""The readiness report: report.json, one HTML page in the handbook and one PDF, from a finished rehearsal.

Files go to <build>/rehearsal/: report.json (what the handbook page reads, see `latest_rehearsal`),
readiness-report.html and readiness-report.pdf. The handbook is rebuilt so that its page
onboarding/readiness/ shows this report; the customer site never reads it (an audience-wall test proves it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from pathlib import Path

import jinja2

from ..datamodel import DataSet
from ..paths import Project
from ..pdfrender import html_to_pdf
from ..problems import BuildFailed
from ..render import make_environment, render_template
from ..sitebuild import build_sites
from .scenarios import Rehearsals, Scenario

REPORT_JSON = "report.json"
REPORT_HTML = "readiness-report.html"
REPORT_PDF = "readiness-report.pdf"
TEMPLATES = Path("playbooks")
PRINT_TEMPLATE = "onboarding/_rehearsal/print.html.j2"
RESULT_WORDS = {True: "pass", False: "fail", None: "not run"}


def _names(context: Mapping, key: str) -> dict:
    return {r["id"]: r.get("name") or r.get("title") or r["id"] for r in context[key]}


def scenario_options(context: Mapping, s: Scenario) -> list[tuple[str, str]]:
    """(label, value) rows that say what a scenario's tenant chose, with names from the data."""
    keys = {**_names(context, "key_modes"), **_names(context, "key_providers")}
    connectors = _names(context, "connectors")
    plans = _names(context, "plans")
    dims = {d["id"]: d["name"] for d in context["capacity_unit"]["dimensions"]}
    modes = {m["id"]: m["name"] for m in context["overage"]["modes"]}
    terms = [f"{dims[dim]}: add-on of {n:,}" for dim, n in s.addons.items()]
    terms += [f"{dims[dim]}: {modes[mode]}" for dim, mode in s.overage.items()]
    minimum = {p["id"]: p["min_cus"] for p in context["plans"]}[s.plan]
    cus = f"{s.cus} CUs" if s.cus else f"{minimum} CU{'s' if minimum != 1 else ''} (the plan's minimum)"
    return [
        ("Region", _names(context, "regions")[s.expect["region"]]),
        ("Data mode", _names(context, "data_modes")[s.expect["data_mode"]]),
        ("Keys", keys[s.expect["keys"]]),
        ("EU personal data", "yes" if s.expect["eu_personal_data"] else "no"),
        ("Connectors", ", ".join(connectors[c] for c in s.connectors)),
        ("Plan", f"{plans[s.plan]}, {cus}"),
        ("Contract terms", "; ".join(terms) or "the plan's defaults"),
    ]


def short_commit(commit: str) -> str:
    """A commit id as people quote it: 12 characters, with '+dirty' kept when the tree had changes."""
    sha, _, dirty = commit.partition("+")
    return sha[:12] + (f"+{dirty}" if dirty else "")


def build_report(project: Project, dataset: DataSet, rehearsals: Rehearsals, outcome) -> dict:
    """The report as plain data (what report.json holds and the templates read)."""
    from ..procurement.build import source_commit

    context = dataset.internal
    results = outcome.results
    items = []
    for item in rehearsals.items:
        per = {r.scenario.id: RESULT_WORDS[r.item_passed(item["id"])] for r in results}
        items.append({**dict(item), "results": per, "passed": all(v == "pass" for v in per.values())})
    failures = [{"scenario": r.scenario.id, **c.to_dict()} for r in results for c in r.checks if not c.passed]
    return {
        "title": "Paying-tenant readiness report",
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": short_commit(source_commit(project)),
        "store": outcome.store,
        "seconds": round(outcome.seconds, 1),
        "gate": rehearsals.gate,
        "passed": outcome.passed and all(i["passed"] for i in items),
        "items": items,
        "scenarios": [{**r.to_dict(), "options": scenario_options(context, r.scenario)} for r in results],
        "failures": failures,
    }


def render_report_html(project: Project, dataset: DataSet, report: dict) -> str:
    """The standalone HTML document of the report (also what the PDF is printed from)."""
    env = make_environment(project, dataset, "internal", [project.root / TEMPLATES])
    return render_template(env, PRINT_TEMPLATE, (TEMPLATES / PRINT_TEMPLATE).as_posix(), report=report)


def publish_report(
    project: Project, dataset: DataSet, rehearsals: Rehearsals, outcome, log: Callable[[str], None] = print
) -> dict:
    """Write report.json, the HTML and the PDF, then rebuild the handbook so its readiness page shows them."""
    folder = project.build / "rehearsal"
    folder.mkdir(parents=True, exist_ok=True)
    report = build_report(project, dataset, rehearsals, outcome)
    page = render_report_html(project, dataset, report)
    (folder / REPORT_HTML).write_text(page, encoding="utf-8")
    html_to_pdf(page, folder / REPORT_PDF, base_url=folder)
    (folder / REPORT_JSON).write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    files = {"json": folder / REPORT_JSON, "html": folder / REPORT_HTML, "pdf": folder / REPORT_PDF}
    try:
        site = build_sites(project, ["handbook"], dataset=dataset)["handbook"]
        files["handbook"] = site / "onboarding" / "readiness" / "index.html"
    except BuildFailed as failed:
        log(f"rehearse: the handbook was not rebuilt, so its readiness page is not updated: {failed}")
    return files


@jinja2.pass_environment
def latest_rehearsal(env: jinja2.Environment) -> dict | None:
    """The last rehearsal's report.json of this build folder, for the handbook page; None when none has run.

    Internal pages only: a customer page asking for it gets None, so the report can never reach the customer site.
    """
    if env.globals.get("audience") != "internal":
        return None
    path = env.project.build / "rehearsal" / REPORT_JSON
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


REHEARSAL_GLOBALS = {"latest_rehearsal": latest_rehearsal}
