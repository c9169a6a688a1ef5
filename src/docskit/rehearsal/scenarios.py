"""Rehearsal scenarios from data/rehearsals.yaml, checked against the rest of the data before anything starts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from metering.catalog import Catalog
from metering.contracts import parse_contract
from metering.errors import InvalidArgument

from ..onboarding.metering_config import resolve_plan
from ..onboarding.options import BYOK, OptionError, build_options
from ..onboarding.tree import load_tree


class RehearsalInputError(ValueError):
    """A rehearsal cannot start as asked (unknown scenario, a scenario the data contradicts, a port in use)."""


@dataclass(frozen=True)
class Scenario:
    """One tenant to rehearse: decision-tree answers, what they must decide, and what the order form says."""

    id: str
    tenant: str
    description: str
    answers: Mapping[str, str]
    expect: Mapping
    connectors: tuple[str, ...]
    plan: str
    cus: int | None
    addons: Mapping[str, int]
    overage: Mapping[str, str]
    questionnaire: tuple[str, ...]
    drill: Mapping

    @property
    def terms(self) -> dict:
        """The contract terms of the kit: add-ons and overage modes (only those given)."""
        return {k: dict(v) for k, v in (("addons", self.addons), ("overage", self.overage)) if v}


@dataclass(frozen=True)
class Rehearsals:
    """data/rehearsals.yaml: settings, the exit-gate items, pages every tenant reads, and the scenarios."""

    gate: str
    settings: Mapping
    items: tuple[Mapping, ...]
    customer_pages: tuple[str, ...]
    drill_runbook: str
    drill_required: Mapping[str, tuple[str, ...]]
    scenarios: tuple[Scenario, ...]

    def item(self, item_id: str) -> Mapping:
        return next(i for i in self.items if i["id"] == item_id)


def _scenario(raw: Mapping) -> Scenario:
    return Scenario(
        id=raw["id"],
        tenant=raw["tenant"],
        description=raw["description"],
        answers=dict(raw["answers"]),
        expect=dict(raw["expect"]),
        connectors=tuple(raw["connectors"]),
        plan=raw["plan"],
        cus=raw.get("cus"),
        addons=dict(raw.get("addons") or {}),
        overage=dict(raw.get("overage") or {}),
        questionnaire=tuple(raw["questionnaire"]),
        drill=dict(raw["drill"]),
    )


def load_rehearsals(context: Mapping) -> Rehearsals:
    """The rehearsals of the (internal) data context."""
    data = context["rehearsals"]
    return Rehearsals(
        gate=data["gate"],
        settings=dict(data["settings"]),
        items=tuple(data["items"]),
        customer_pages=tuple(data["customer_pages"]),
        drill_runbook=data["drill_runbook"],
        drill_required={k: tuple(v) for k, v in data["drill_required"].items()},
        scenarios=tuple(_scenario(s) for s in data["scenarios"]),
    )


def select(rehearsals: Rehearsals, wanted: str = "") -> list[Scenario]:
    """The scenarios named in `wanted` ('a,b'; empty: all); RehearsalInputError for an unknown id."""
    by_id = {s.id: s for s in rehearsals.scenarios}
    ids = [w.strip() for w in (wanted or "").split(",") if w.strip()]
    for scenario_id in ids:
        if scenario_id not in by_id:
            raise RehearsalInputError(f"unknown scenario {scenario_id!r}; valid: {', '.join(by_id)}")
    return [by_id[i] for i in ids] if ids else list(rehearsals.scenarios)


def check_scenario(context: Mapping, scenario: Scenario) -> None:
    """RehearsalInputError (one line, naming the scenario) when the scenario contradicts the data."""

    def fail(what: str) -> RehearsalInputError:
        return RehearsalInputError(f"scenario {scenario.id!r}: {what}")

    expect = scenario.expect
    try:
        build_options(
            context,
            expect["region"],
            expect["data_mode"],
            expect["keys"],
            ",".join(scenario.connectors),
            expect["eu_personal_data"],
        )
        resolve_plan(context, scenario.plan, scenario.cus)
    except OptionError as err:
        raise fail(str(err)) from None
    questions = {n.id: n for n in load_tree(context).questions()}
    for question, answer in scenario.answers.items():
        if question not in questions:
            raise fail(f"answers.{question}: no such question; valid: {', '.join(questions)}")
        valid = [a.id for a in questions[question].answers]
        if answer not in valid:
            raise fail(f"answers.{question}: unknown answer {answer!r}; valid: {', '.join(valid)}")
    raw = {"tenant": "rehearsal", "plan": scenario.plan, **scenario.terms}
    try:
        parse_contract(raw, Catalog.from_context(context))
    except InvalidArgument as err:
        raise fail(f"{err.field}: {err.detail}") from None


def uncovered_options(context: Mapping, scenarios: Sequence[Scenario]) -> list[str]:
    """Options of the data that no scenario uses: 'region eu', 'overage mode bill', … (empty when all are)."""
    used = {
        "region": {s.expect["region"] for s in scenarios},
        "data mode": {s.expect["data_mode"] for s in scenarios},
        "key option": {s.expect["keys"] for s in scenarios},
        "connector": {c for s in scenarios for c in s.connectors},
        "plan": {s.plan for s in scenarios},
        "overage mode": {m for s in scenarios for m in s.overage.values()}
        | {context["overage"]["default_mode"]},
        "EU personal data": {"yes" if s.expect["eu_personal_data"] else "no" for s in scenarios},
    }
    every = {
        "region": [r["id"] for r in context["regions"]],
        "data mode": [m["id"] for m in context["data_modes"]],
        "key option": [m["id"] for m in context["key_modes"] if m["id"] != BYOK]
        + [p["id"] for p in context["key_providers"]],
        "connector": [c["id"] for c in context["connectors"]],
        "plan": [p["id"] for p in context["plans"]],
        "overage mode": [m["id"] for m in context["overage"]["modes"]],
        "EU personal data": ["yes", "no"],
    }
    return [
        f"{kind} {value}" for kind, values in every.items() for value in values if value not in used[kind]
    ]
