"""A readiness report made from a hand-built outcome: one scenario with one passing and one failing check."""

from __future__ import annotations

import dataclasses
import json

from docskit.datamodel import load_dataset
from docskit.paths import Project
from docskit.rehearsal.model import ScenarioResult
from docskit.rehearsal.report import REPORT_JSON, build_report
from docskit.rehearsal.runner import Outcome
from docskit.rehearsal.scenarios import load_rehearsals

FAILED_CHECK = "Writes into slack: nothing admitted over the cap"
WHERE = "src/metering/engine.py (quota windows)"


def sample_outcome(project: Project, tenant: str):
    """(dataset, rehearsals, outcome) for a rehearsal of one scenario renamed to `tenant`, with one failure."""
    dataset = load_dataset(project)
    rehearsals = load_rehearsals(dataset.internal)
    scenario = dataclasses.replace(rehearsals.scenarios[0], tenant=tenant)
    result = ScenarioResult(scenario, timings={"onboard": 4.2, "writes": 0.3})
    result.record(
        "checklist", "The tenant's checklist fits the 120-minute onboarding budget", True, "22 steps"
    )
    result.record("limits", FAILED_CHECK, False, "used 20,001 of 20,000 after the call over the cap", WHERE)
    return dataset, rehearsals, Outcome([result], "sqlite", 4.5, project.build, {})


def write_sample_report(project: Project, tenant: str) -> dict:
    """Write <build>/rehearsal/report.json as `./dev rehearse` would, for a tenant named `tenant`."""
    dataset, rehearsals, outcome = sample_outcome(project, tenant)
    report = build_report(project, dataset, rehearsals, outcome)
    folder = project.build / "rehearsal"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / REPORT_JSON).write_text(json.dumps(report), encoding="utf-8")
    return report
