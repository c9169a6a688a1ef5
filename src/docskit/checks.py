"""`./dev check`: every consistency check of the repository, each reporting actionable problems.

Content checks take the loaded data and return problems; later features register theirs in CONTENT_CHECKS.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from collections.abc import Callable

from .datamodel import DataSet, data_files, load_dataset, schema_name
from .linkcheck import check_links
from .lostlists import check_lost_lists
from .paths import Project
from .problems import BuildFailed, Problem
from .scans import external_loads, find_placeholders
from .sitebuild import SITES, build_sites

ContentCheck = Callable[[Project, DataSet], list[Problem]]


def schemas_present(project: Project, dataset: DataSet | None = None) -> list[Problem]:
    """Every data file has schemas/<stem>.schema.json."""
    problems = []
    for path in data_files(project):
        name = schema_name(project, path)
        if not (project.schemas / name).exists():
            problems.append(
                Problem(
                    project.rel(path),
                    f"no schema: schemas/{name} does not exist",
                    line=1,
                    hint=f"add schemas/{name} describing this file",
                )
            )
    return problems


# Content checks contributed by features, as "module:function"; each takes (project, dataset) and returns
# a list of Problems. Add yours with one line.
CONTENT_CHECKS: list[str] = [
    "docskit.incident.checks:check_support",
    "docskit.procurement.gate:check_review_dates",
    "docskit.procurement.controls:check_control_statements",
    "docskit.procurement.controls:check_raci",
    "docskit.onboarding.checks:check_onboarding",
    "docskit.onboarding.checks:check_decision_tree",
    "docskit.questionnaire.checks:check_bank",
    "metering.checks:check_plans",
]


def _content_checks() -> list[ContentCheck]:
    """The registered content checks, imported lazily so a broken feature names itself."""
    checks: list[ContentCheck] = []
    for spec in CONTENT_CHECKS:
        module_name, _, function = spec.partition(":")
        checks.append(getattr(importlib.import_module(module_name), function))
    return checks


def run_content_checks(project: Project, dataset: DataSet) -> list[Problem]:
    """All content checks over already-validated data."""
    problems = []
    for check in _content_checks():
        problems += check(project, dataset)
    return problems


def check_built_sites(project: Project) -> list[Problem]:
    """Links, lost lists, placeholders and third-party loads in the built sites."""
    problems = []
    for name, spec in SITES.items():
        site = project.build / "site" / name
        problems += check_links(site, f"build/site/{name}")
        problems += check_lost_lists(project, name, spec.source)
    problems += find_placeholders(project.build / "rendered" / "customer", "build/rendered/customer")
    problems += external_loads(project.build / "site" / "customer")
    return problems


def lint(project: Project) -> list[Problem]:
    """ruff (lint and format), codespell and actionlint (the CI workflow, with shellcheck on its `run:` steps);
    their own output names file and line."""
    problems = []
    venv = str(project.root / ".venv" / "bin")
    ruff = shutil.which("ruff", path=venv) or "ruff"
    commands = {
        "ruff check": [ruff, "check", "--quiet", "."],
        "ruff format": [ruff, "format", "--check", "--quiet", "."],
        "codespell": [sys.executable, "-m", "codespell_lib"],
        "actionlint": [shutil.which("actionlint", path=venv) or "actionlint", "-oneline", "-no-color"],
    }
    for label, command in commands.items():
        result = subprocess.run(command, cwd=project.root, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            for line in (result.stdout + result.stderr).strip().splitlines()[:50]:
                problems.append(Problem(label, line, hint=f"run `./dev fix` or correct it by hand ({label})"))
    return problems


def run_all(project: Project, log=print) -> list[Problem]:
    """Every check, in order: data, content, builds (strict), built output, lint. Returns all problems."""
    log("check: schemas and cross-references")
    problems = schemas_present(project)
    try:
        dataset = load_dataset(project)
    except BuildFailed as failed:
        return problems + failed.problems
    log("check: content rules")
    problems += run_content_checks(project, dataset)
    log("check: strict builds of both sites")
    try:
        build_sites(project, dataset=dataset)
        log("check: links, lost lists, placeholders, third-party loads")
        problems += check_built_sites(project)
    except BuildFailed as failed:
        problems += failed.problems
    log("check: ruff and codespell")
    problems += lint(project)
    return problems
