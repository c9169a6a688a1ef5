"""Run rehearsals: check the input, start the services in a scratch folder, run every scenario, write the report.

The scratch folder is <build>/rehearsal/scratch (emptied at the start of each run, kept afterwards for a look at
the API's log, the kits and the stamped pack). Kits, the pack, the distribution log and the customer site are
built there, never in the build folder's own kits/, procurement/ or site/.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from metering.testing import REDIS_SERVER

from ..datamodel import load_dataset
from ..paths import Project
from .model import ScenarioResult, ScenarioRun
from .scenarios import RehearsalInputError, check_scenario, load_rehearsals, select
from .services import STORES, check_port, running_services
from .steps import STEPS, Step, run_steps


@dataclass
class Outcome:
    """A finished rehearsal: the results per scenario, and where the report went."""

    results: list[ScenarioResult]
    store: str
    seconds: float
    scratch: Path
    files: dict

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)


def rehearsal_folder(project: Project) -> Path:
    return project.build / "rehearsal"


def check_request(store: str, port: int | None) -> None:
    """RehearsalInputError for a store or port that cannot be used (before anything starts)."""
    if store not in STORES:
        raise RehearsalInputError(f"unknown --store {store!r}; valid: {', '.join(STORES)}")
    if store == "redis" and not Path(REDIS_SERVER).exists():
        raise RehearsalInputError(
            f"--store redis needs {REDIS_SERVER}; run ./dev build to install redis-server"
        )
    if port is not None:
        check_port(port)


def rehearse(
    project: Project,
    scenarios: str = "",
    store: str = "sqlite",
    port: int | None = None,
    *,
    steps: Sequence[Step] = STEPS,
    log: Callable[[str], None] = print,
    write_report: bool = True,
) -> Outcome:
    """Rehearse the chosen scenarios (all when empty) and write the readiness report.

    Raises RehearsalInputError (before starting anything) for an unknown scenario, a scenario the data
    contradicts, an unknown store or a port in use; BuildFailed when the data does not load.
    """
    dataset = load_dataset(project)
    rehearsals = load_rehearsals(dataset.internal)
    chosen = select(rehearsals, scenarios)
    for scenario in chosen:
        check_scenario(dataset.internal, scenario)
    check_request(store, port)
    scratch = rehearsal_folder(project) / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    scratch_project = Project(root=project.root, build=scratch / "build")
    started = time.monotonic()
    shared: dict = {"source_project": project}
    results = []
    needs_services = any(s.services for s in steps)
    services_context = (
        running_services(scratch, store, rehearsals.settings, port) if needs_services else nullcontext()
    )
    with services_context as services:
        for scenario in chosen:
            log(f"rehearse: {scenario.id} ({scenario.tenant}) ...")
            run = ScenarioRun(scratch_project, dataset, rehearsals, scenario, scratch, services, shared)
            run_steps(run, steps)
            results.append(run.result)
            failed = run.result.failed()
            log(
                f"rehearse: {scenario.id}: {'passed' if not failed else 'FAILED'} "
                f"{len(run.result.checks) - len(failed)} of {len(run.result.checks)} checks "
                f"in {sum(run.result.timings.values()):.0f} s"
            )
            for check in failed:
                log(f"  FAILED [{check.item}] {check.name}: {check.evidence} (look at: {check.where})")
    outcome = Outcome(results, store, time.monotonic() - started, scratch, {})
    if write_report:
        from .report import publish_report

        outcome.files = publish_report(project, dataset, rehearsals, outcome, log=log)
    return outcome
