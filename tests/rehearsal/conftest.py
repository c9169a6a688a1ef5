"""Rehearsal fixtures: the repository's data, running services in a temporary folder, and single scenario runs.

Tests run only the steps they are about (`run_scenario(..., steps=[...])`) and break one part on purpose between
steps; the services (metering API subprocess, SQLite store, webhook receiver) are started per test on free
127.0.0.1 ports and stopped at its end.
"""

from __future__ import annotations

import pytest

from docskit.datamodel import load_dataset
from docskit.paths import REPO_ROOT, Project
from docskit.rehearsal.model import ScenarioRun
from docskit.rehearsal.scenarios import load_rehearsals
from docskit.rehearsal.services import running_services
from docskit.rehearsal.steps import run_steps, steps_named


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(Project.at(REPO_ROOT))


@pytest.fixture(scope="module")
def rehearsals(dataset):
    return load_rehearsals(dataset.internal)


@pytest.fixture
def scratch_project(tmp_path) -> Project:
    """The repository's sources building into a temporary folder."""
    return Project(root=REPO_ROOT, build=tmp_path / "build")


@pytest.fixture
def services(tmp_path, rehearsals):
    """The metering API over SQLite and a webhook receiver, stopped when the test ends."""
    with running_services(tmp_path, "sqlite", rehearsals.settings) as running:
        yield running


@pytest.fixture
def new_run(scratch_project, dataset, rehearsals, tmp_path):
    """make(scenario_id, services=None, dataset=None) -> a ScenarioRun in this test's scratch folder."""

    def make(scenario_id: str, services=None, data=None, shared=None) -> ScenarioRun:
        scenario = next(s for s in rehearsals.scenarios if s.id == scenario_id)
        return ScenarioRun(
            scratch_project, data or dataset, rehearsals, scenario, tmp_path, services, shared or {}
        )

    return make


def run_named(run: ScenarioRun, *names: str) -> ScenarioRun:
    """Run the named steps of a scenario, in their usual order."""
    run_steps(run, steps_named(names))
    return run


def failing(run: ScenarioRun, item: str) -> list[str]:
    """'name: evidence' of every failing check of `item`."""
    return [f"{c.name}: {c.evidence}" for c in run.result.failed(item)]
