"""Step 1: the decision tree with the scenario's answers, then `./dev onboard`'s kit, within the time budget."""

from __future__ import annotations

import json

from ..onboarding.budget import compute_budget
from ..onboarding.decide import decide
from ..onboarding.kit import tenant_steps, write_kit
from ..onboarding.metering_config import resolve_plan
from ..onboarding.model import load_checklist
from .model import ScenarioRun

KIT_FILES = ("checklist.md", "checklist.pdf", "metering.json", "metering.yaml", "kit.json")


def decided_options(facts) -> dict:
    """The decision's facts in the words of a scenario's `expect`."""
    return {
        "region": facts["region"],
        "data_mode": facts["data_mode"],
        "keys": facts.get("key_provider") or facts["key_mode"],
        "eu_personal_data": bool(facts["eu_personal_data"]),
    }


def decide_and_onboard(run: ScenarioRun) -> None:
    """Walk the decision tree with the scenario's answers, write the tenant kit and check its time budget."""
    context = run.dataset.internal
    s = run.scenario
    decision = decide(context, dict(s.answers), None)
    got = decided_options(decision.facts)
    answers = ", ".join(f"{k}={v}" for k, v in s.answers.items())
    shown = ", ".join(f"{k} {('yes' if v else 'no') if isinstance(v, bool) else v}" for k, v in got.items())
    run.record(
        "checklist",
        "The decision tree decides the scenario's region, data mode and keys",
        got == dict(s.expect),
        f"answers {answers} led to '{decision.outcome.title}': {shown}"
        + ("" if got == dict(s.expect) else f"; expected {dict(s.expect)}"),
        "data/decision_tree.yaml (the answers' facts), data/rehearsals.yaml (expect)",
    )
    options = decision.options(tuple(s.connectors))
    plan, cus = resolve_plan(context, s.plan, s.cus)
    kit = write_kit(run.project, run.dataset, s.tenant, options, plan, cus, terms=s.terms)
    missing = [f for f in KIT_FILES if not (kit.folder / f).is_file()]
    documents = sorted(p.name for p in kit.folder.glob("*.pdf") if p.name != "checklist.pdf")
    run.record(
        "checklist",
        "./dev onboard writes the tenant kit",
        not missing,
        f"kits/{kit.slug}/: "
        f"{', '.join(f for f in KIT_FILES if f not in missing)}"
        + (f"; customer documents {', '.join(documents)}" if documents else "")
        + (f"; missing {', '.join(missing)}" if missing else ""),
        "src/docskit/onboarding/kit.py",
    )
    checklist = load_checklist(context)
    steps = tenant_steps(checklist, options)
    budget = compute_budget(steps, checklist.budget_minutes)
    run.record(
        "checklist",
        f"The tenant's checklist fits the {budget.limit}-minute onboarding budget",
        budget.fits,
        f"{len(steps)} steps, {budget.total} of {budget.limit} minutes counted on the SE's critical path",
        "data/onboarding.yaml (minutes, timing and parallel_with of the tenant's steps)",
    )
    run.facts["kit"] = kit
    run.facts["options"] = options
    run.facts["budget"] = budget
    run.facts["metering"] = json.loads((kit.folder / "metering.json").read_text(encoding="utf-8"))
