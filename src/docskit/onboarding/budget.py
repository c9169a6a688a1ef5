"""The SE's time budget for a tenant's checklist: how long the SE's critical path takes.

How steps count:
- serial steps are on the SE's critical path (the SE does them or waits for them): their minutes add up;
- a parallel step runs during the serial step named in its `parallel_with`; the serial step and every step
  parallel to it form one group that counts as its longest branch (max of the branches), because the SE waits
  only when a parallel branch outlasts the serial one; if the serial step does not apply to the tenant, the
  parallel step is on the critical path itself and counts in full;
- offline steps (customer reviews, signatures, sign-off and the follow-up after it) happen outside the session;
  the SE does not wait for them, so they are listed but not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import OFFLINE, PARALLEL, Step


@dataclass(frozen=True)
class BudgetGroup:
    """Steps the SE waits for together: one anchor step and the steps that run in parallel with it."""

    anchor: Step
    parallel: tuple[Step, ...]

    @property
    def minutes(self) -> int:
        return max([self.anchor.minutes, *(s.minutes for s in self.parallel)])


@dataclass(frozen=True)
class Budget:
    """A tenant's counted minutes against the budget, with the groups that make them up."""

    limit: int
    groups: tuple[BudgetGroup, ...]
    offline: tuple[Step, ...]

    @property
    def total(self) -> int:
        return sum(g.minutes for g in self.groups)

    @property
    def fits(self) -> bool:
        return self.total <= self.limit

    def counted_minutes(self, step_id: str) -> int:
        """Minutes a step adds to the total: its group's minutes for an anchor, 0 for parallel and offline steps."""
        for group in self.groups:
            if group.anchor.id == step_id:
                return group.minutes
        return 0

    def remaining(self, done: set[str] | frozenset[str]) -> int:
        """Counted minutes of the groups whose anchor or parallel steps are not all done."""
        left = 0
        for group in self.groups:
            members = {group.anchor.id, *(s.id for s in group.parallel)}
            if not members <= set(done):
                left += group.minutes
        return left


def compute_budget(steps: tuple[Step, ...] | list[Step], limit: int) -> Budget:
    """The budget of a tenant's applicable steps (see the module docstring for how steps count)."""
    present = {s.id for s in steps}
    parallel_of: dict[str, list[Step]] = {}
    for step in steps:
        if step.timing == PARALLEL and step.parallel_with in present:
            parallel_of.setdefault(step.parallel_with, []).append(step)
    groups = []
    for step in steps:
        if step.timing == OFFLINE:
            continue
        if step.timing == PARALLEL and step.parallel_with in present:
            continue  # counted inside its anchor's group
        groups.append(BudgetGroup(step, tuple(parallel_of.get(step.id, ()))))
    return Budget(limit=limit, groups=tuple(groups), offline=tuple(s for s in steps if s.timing == OFFLINE))
