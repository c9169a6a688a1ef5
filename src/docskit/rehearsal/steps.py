"""The steps of one scenario, in order, each proving part of one exit-gate item.

A step is a function of a `ScenarioRun`; `run_steps` runs a list of them, times each, turns an exception into a
failing check that names the step, and skips the steps that need one that raised. Tests pass their own list to
run part of a scenario, or wrap a step to break it on purpose.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import docs_step, drill_step, limits_steps, onboard_step, paperwork_steps
from .model import ScenarioRun


@dataclass(frozen=True)
class Step:
    """One step: its name, the exit-gate item it proves, the function, the steps it needs and where it lives."""

    name: str
    item: str
    run: Callable[[ScenarioRun], None]
    needs: tuple[str, ...] = ()
    services: bool = False

    @property
    def where(self) -> str:
        module = self.run.__module__.replace(".", "/")
        return f"src/{module}.py ({self.run.__name__})"


STEPS: tuple[Step, ...] = (
    Step("onboard", "checklist", onboard_step.decide_and_onboard),
    Step("contract", "limits", limits_steps.load_contract, ("onboard",), services=True),
    Step("concurrency", "limits", limits_steps.drive_concurrency, ("contract",), services=True),
    Step("rate", "limits", limits_steps.drive_rate, ("contract",), services=True),
    Step("writes", "limits", limits_steps.drive_writes, ("contract",), services=True),
    Step("indexed", "limits", limits_steps.drive_indexed, ("contract",), services=True),
    Step("notifications", "limits", limits_steps.check_notifications, ("contract",), services=True),
    Step("admin", "limits", limits_steps.check_admin_page, ("contract",), services=True),
    Step("drill", "support", drill_step.sev1_drill, ("onboard",)),
    Step("pack", "pack", paperwork_steps.stamp_pack),
    Step("kit-documents", "pack", paperwork_steps.kit_documents, ("onboard",)),
    Step("questionnaire", "pack", paperwork_steps.fill_questionnaire),
    Step("docs", "docs", docs_step.customer_docs),
)


def steps_named(names: Sequence[str], steps: Sequence[Step] = STEPS) -> list[Step]:
    """The steps with these names, in their order in `steps`."""
    unknown = set(names) - {s.name for s in steps}
    if unknown:
        raise KeyError(f"unknown steps: {', '.join(sorted(unknown))}")
    return [s for s in steps if s.name in names]


def run_steps(run: ScenarioRun, steps: Sequence[Step] = STEPS) -> None:
    """Run `steps` for one scenario; a step that raises becomes a failing check, and steps needing it are skipped."""
    broken: set[str] = set()
    try:
        for step in steps:
            missing = [n for n in step.needs if n in broken]
            if missing:
                broken.add(step.name)
                run.record(
                    step.item,
                    f"Step '{step.name}' not run",
                    False,
                    f"it needs step '{missing[0]}', which did not complete",
                    step.where,
                )
                continue
            try:
                with run.timed(step.name):
                    step.run(run)
            except Exception as err:  # a broken part is a failing item, never a crashed rehearsal
                broken.add(step.name)
                frame = traceback.extract_tb(err.__traceback__)[-1]
                run.record(
                    step.item,
                    f"Step '{step.name}' completes",
                    False,
                    f"{type(err).__name__}: {' '.join(str(err).split())[:600]}",
                    f"{step.where}; raised at {frame.filename.rsplit('/src/', 1)[-1]}:{frame.lineno}",
                )
    finally:
        limits_steps.stop_workers(run)
