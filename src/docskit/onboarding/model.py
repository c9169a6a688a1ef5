"""The onboarding checklist as objects: owners, phases and steps read from data/onboarding.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .conditions import applies
from .options import TenantOptions

SERIAL, PARALLEL, OFFLINE = "serial", "parallel", "offline"


@dataclass(frozen=True)
class Step:
    """One checklist step: who does it, how long it takes, how the budget counts it, when it applies."""

    id: str
    phase: str
    title: str
    owner: str
    minutes: int
    timing: str
    action: str
    verify: str
    parallel_with: str | None = None
    when: Mapping = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    handbook_page: str | None = None
    customer_page: str | None = None
    documents: tuple[str, ...] = ()

    def applies_to(self, options: TenantOptions) -> bool:
        return applies(self.when, options)


@dataclass(frozen=True)
class Phase:
    id: str
    name: str
    summary: str


@dataclass(frozen=True)
class Checklist:
    """Every step in checklist order, grouped by phase, with the time budget in minutes."""

    budget_minutes: int
    owners: Mapping[str, str]
    phases: tuple[Phase, ...]
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step:
        """The step with this id; KeyError listing the valid ids when there is none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"unknown step {step_id!r}; valid: {', '.join(s.id for s in self.steps)}")

    def for_tenant(self, options: TenantOptions) -> tuple[Step, ...]:
        """The steps that apply to a tenant, in checklist order."""
        return tuple(s for s in self.steps if s.applies_to(options))


def step_from_record(record: Mapping) -> Step:
    """A Step from one validated record of onboarding.steps."""
    return Step(
        id=record["id"],
        phase=record["phase"],
        title=record["title"],
        owner=record["owner"],
        minutes=int(record["minutes"]),
        timing=record["timing"],
        action=record["action"],
        verify=record["verify"],
        parallel_with=record.get("parallel_with"),
        when=dict(record.get("when") or {}),
        requires=tuple(record.get("requires") or ()),
        handbook_page=record.get("handbook_page"),
        customer_page=record.get("customer_page"),
        documents=tuple(record.get("documents") or ()),
    )


def load_checklist(context: Mapping) -> Checklist:
    """The checklist from the data context (key `onboarding`); steps keep their data order within each phase."""
    data = context["onboarding"]
    phases = tuple(Phase(p["id"], p["name"], p["summary"]) for p in data["phases"])
    order = {p.id: i for i, p in enumerate(phases)}
    steps = sorted((step_from_record(s) for s in data["steps"]), key=lambda s: order[s.phase])
    return Checklist(
        budget_minutes=int(data["budget_minutes"]),
        owners={o["id"]: o["name"] for o in data["owners"]},
        phases=phases,
        steps=tuple(steps),
    )
