"""Scenarios as data: they cover every option, and bad input is refused before anything starts."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
from pathlib import Path

import pytest

from docskit.rehearsal.runner import rehearse
from docskit.rehearsal.scenarios import RehearsalInputError, check_scenario, select, uncovered_options
from tests.invoking import run_invoke


def test_the_scenarios_together_touch_every_option_of_the_data(dataset, rehearsals):
    assert len(rehearsals.scenarios) >= 3
    assert uncovered_options(dataset.internal, rehearsals.scenarios) == []


def test_every_scenario_agrees_with_the_data(dataset, rehearsals):
    for scenario in rehearsals.scenarios:
        check_scenario(dataset.internal, scenario)


def test_an_unknown_scenario_is_refused_with_the_valid_ids(rehearsals):
    with pytest.raises(RehearsalInputError, match=r"^unknown scenario 'eu-free'; valid: eu-business-byok, "):
        select(rehearsals, "eu-free")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"expect": {"region": "mars"}},
            r"^scenario 'us-team-platform': unknown region 'mars'; valid: us, eu",
        ),
        (
            {"addons": {"storage_gb": 5}},
            r"^scenario 'us-team-platform': addons\.storage_gb: add-on for unknown",
        ),
        (
            {"overage": {"writes_per_day": "forgive"}},
            r"overage\.writes_per_day: unknown overage mode 'forgive'",
        ),
        ({"plan": "platinum"}, r"^scenario 'us-team-platform': unknown plan 'platinum'"),
        ({"answers": {"keys": "maybe"}}, r"answers\.keys: unknown answer 'maybe'; valid: platform, customer"),
    ],
)
def test_a_scenario_the_data_contradicts_is_refused_naming_what(dataset, rehearsals, change, message):
    scenario = next(s for s in rehearsals.scenarios if s.id == "us-team-platform")
    if "expect" in change:
        change = {"expect": {**scenario.expect, **change["expect"]}}
    with pytest.raises(RehearsalInputError, match=message):
        check_scenario(dataset.internal, dataclasses.replace(scenario, **change))


def test_a_contradictory_scenario_stops_the_rehearsal_before_anything_starts(project_copy):
    data = project_copy.root / "data" / "rehearsals.yaml"
    data.write_text(
        data.read_text(encoding="utf-8").replace("region: us,", "region: moon,", 1), encoding="utf-8"
    )
    with pytest.raises(RehearsalInputError, match="unknown region 'moon'"):
        rehearse(project_copy, "us-team-platform")
    assert not (project_copy.build / "rehearsal").exists()


def _metering_processes(folder: Path, port: int | None = None) -> set[str]:
    """The metering API processes started for this test: their command line names a path in its scratch
    `folder` or its `port` (another worker's rehearsal, running at the same time, is not counted)."""
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=False).stdout
    found = set()
    for line in out.splitlines():
        pid, _, args = line.strip().partition(" ")
        if "serve_api" in args and (str(folder) in args or (port is not None and str(port) in args.split())):
            found.add(pid)
    return found


def test_an_unknown_scenario_id_exits_2_with_one_line(tmp_path):
    result = run_invoke("rehearse", "--scenario", "nope", build=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "rehearse: unknown scenario 'nope'; valid: eu-business-byok, us-team-platform, enterprise-all-bill, "
        "eu-team-gcp-hardfail"
    ]
    assert _metering_processes(tmp_path) == set()


def test_a_port_in_use_exits_2_with_one_line_and_leaves_nothing_running(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_invoke("rehearse", "--scenario", "us-team-platform", "--port", str(port), build=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"rehearse: port {port} on 127.0.0.1 is in use; pass another --port, or leave --port out to use a free one"
    ]
    assert _metering_processes(tmp_path, port) == set()
    assert not (tmp_path / "rehearsal").exists()
