"""What a rehearsal records: checks against the exit-gate items, per scenario, with evidence and where to look."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..datamodel import DataSet
from ..paths import Project
from .scenarios import Rehearsals, Scenario


@dataclass
class Check:
    """One thing checked: which exit-gate item it proves, whether it passed, the evidence and where to look."""

    item: str
    name: str
    passed: bool
    evidence: str
    where: str = ""

    def to_dict(self) -> dict:
        return {
            "item": self.item,
            "name": self.name,
            "passed": self.passed,
            "evidence": self.evidence,
            "where": self.where,
        }


@dataclass
class ScenarioResult:
    """Every check of one scenario, and how long each step took (seconds)."""

    scenario: Scenario
    checks: list[Check] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def record(self, item: str, name: str, passed: bool, evidence: str, where: str = "") -> bool:
        """Add a check; returns `passed` so a step can stop early on a failure."""
        self.checks.append(Check(item, name, bool(passed), evidence, "" if passed else where))
        return bool(passed)

    def failed(self, item: str | None = None) -> list[Check]:
        return [c for c in self.checks if not c.passed and item in (None, c.item)]

    def item_passed(self, item: str) -> bool | None:
        """True or False for an item with checks; None for an item this scenario never reached."""
        checks = [c for c in self.checks if c.item == item]
        return all(c.passed for c in checks) if checks else None

    @property
    def passed(self) -> bool:
        return bool(self.checks) and not self.failed()

    def to_dict(self) -> dict:
        s = self.scenario
        return {
            "id": s.id,
            "tenant": s.tenant,
            "description": s.description,
            "passed": self.passed,
            "seconds": round(sum(self.timings.values()), 1),
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass
class ScenarioRun:
    """Everything a step reads and writes while one scenario runs.

    `project` builds into the scratch folder (kits, pack, sites); `services` is the running metering API, store and
    webhook receiver (None for steps that do not need them); `facts` carries what one step hands the next (the
    kit, its metering configuration, what was driven to its limit).
    """

    project: Project
    dataset: DataSet
    rehearsals: Rehearsals
    scenario: Scenario
    scratch: Path
    services: Any = None
    shared: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)
    result: ScenarioResult = None  # type: ignore[assignment]

    def __post_init__(self):
        if self.result is None:
            self.result = ScenarioResult(self.scenario)

    @property
    def settings(self):
        return self.rehearsals.settings

    def record(self, item: str, name: str, passed: bool, evidence: str, where: str = "") -> bool:
        return self.result.record(item, name, passed, evidence, where)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.result.timings[step] = self.result.timings.get(step, 0.0) + time.monotonic() - start
