"""Step 3: a Sev-1 declared during onboarding, run from the runbook data on a simulated clock.

The drill follows the runbook named in data/rehearsals.yaml (`drill_runbook`) and the runbook it continues with,
checks that every step has an owner who is a support role, and generates every customer message with the code
`./dev incident` uses: the initial notice at the plan's first-response target, updates on the plan's cadence until
resolution, the resolution and the post-incident report draft. Each message on each channel must carry every
value data/rehearsals.yaml `drill_required` names for its kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from markupsafe import escape

from ..incident.comms import incident_from_options, render_messages, slack_escape, template_values
from ..incident.schedule import utc_text
from ..incident.targets import target_minutes
from .model import ScenarioRun

ITEM = "support"


def runbook_steps(runbooks, first: str) -> list[tuple[str, Mapping]]:
    """(runbook id, step) of a runbook and every runbook it continues with, in order."""
    by_id = {r["id"]: r for r in runbooks}
    out, seen, current = [], set(), first
    while current and current not in seen:
        seen.add(current)
        runbook = by_id[current]
        out.extend((current, step) for step in runbook["steps"])
        current = runbook.get("continues_with")
    return out


def add_business_days(moment: dt.datetime, days: int) -> dt.datetime:
    """`days` working days (Monday to Friday) after `moment`."""
    while days > 0:
        moment += dt.timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def _schedule(start: dt.datetime, resolved: dt.datetime, first: int, cadence: int, report_days: int):
    """(kind, update number, time) of every message: initial at the first-response target, updates every
    `cadence` minutes until resolution, the resolution, and the report draft on its due day."""
    sent = start + dt.timedelta(minutes=first)
    plan = [("initial", 0, sent)]
    number = 1
    while sent + dt.timedelta(minutes=cadence) < resolved:
        sent = sent.replace(second=0, microsecond=0) + dt.timedelta(minutes=cadence)
        plan.append(("update", number, sent))
        number += 1
    plan.append(("resolved", 0, resolved))
    plan.append(("report", 0, add_business_days(resolved, report_days or 0)))
    return plan


def _present(value, body: str, channel_kind: str) -> bool:
    text = str(value)
    if not text:
        return False
    if channel_kind == "slack":
        text = slack_escape(text)
    elif channel_kind == "email":
        text = str(escape(text))  # as Jinja's autoescape writes it
    return text.lower() in body.lower()


def sev1_drill(run: ScenarioRun) -> None:
    """Run the Sev-1 drill of the scenario and record the runbook and message checks."""
    internal, customer = run.dataset.internal, run.dataset.customer
    s, drill = run.scenario, run.scenario.drill
    runbook_id = run.rehearsals.drill_runbook
    steps = runbook_steps(internal["runbooks"], runbook_id)
    roles = {r["id"]: r["name"] for r in internal["support_roles"]}
    unowned = [f"{rb} step '{step['id']}'" for rb, step in steps if roles.get(step.get("owner_role")) is None]
    owners = sorted({roles[step["owner_role"]] for _, step in steps if step.get("owner_role") in roles})
    run.record(
        ITEM,
        f"Every step of the runbook '{runbook_id}' has an owner",
        bool(steps) and not unowned,
        f"{len(steps)} steps owned by {', '.join(owners)}"
        + (f"; without an owner: {', '.join(unowned)}" if unowned else ""),
        "data/runbooks.yaml (owner_role of each step), data/support.yaml (support_roles)",
    )
    runbook = next(r for r in internal["runbooks"] if r["id"] == runbook_id)
    severity = next(v for v in customer["severities"] if v["id"] == runbook["severity"])
    plan = run.facts["kit"].plan
    targets = severity["targets"][plan]
    session = dt.datetime.fromisoformat(drill["onboarding_starts"].replace("Z", "+00:00"))
    start = session + dt.timedelta(minutes=drill["at_minute"])
    resolved = start + dt.timedelta(minutes=drill["resolved_after_minutes"])
    first = target_minutes(targets, "first_response")
    cadence = target_minutes(targets, "update_every")
    schedule = _schedule(
        start, resolved, first, cadence, severity.get("post_incident_report_business_days") or 0
    )
    budget = run.facts.get("budget")
    during = budget is None or drill["at_minute"] <= budget.total
    missing, late, messages = [], [], 0
    promised = None
    for kind, number, moment in schedule:
        incident = incident_from_options(
            customer,
            sev=severity["id"],
            tenant=s.tenant,
            summary=drill["summary"],
            plan=plan,
            update=number,
            resolved=kind == "resolved",
            report=kind == "report",
            now=moment.isoformat(),
        )
        values = template_values(customer, incident)
        if kind == "update" and promised is not None and moment > promised:
            late.append(f"update {number} at {utc_text(moment)} after the promised {utc_text(promised)}")
        promised = incident.next_update
        for message in render_messages(run.project, run.dataset, incident):
            messages += 1
            body = (message.subject or "") + "\n" + message.body
            for field in run.rehearsals.drill_required[kind]:
                if not _present(values.get(field, ""), body, message.channel["kind"]):
                    label = f"{kind} {number}" if kind == "update" else kind
                    missing.append(f"{label} on {message.channel['name']}: {field}")
    times = "; ".join(
        f"{kind}{f' {n}' if kind == 'update' else ''} {utc_text(t)[11:] if t.date() == start.date() else utc_text(t)}"
        for kind, n, t in schedule
    )
    run.record(
        ITEM,
        f"Sev-1 at minute {drill['at_minute']} of onboarding: messages on the {plan} plan's schedule",
        during and not late and schedule[0][2] <= start + dt.timedelta(minutes=first),
        f"declared {utc_text(start)}; first response within {first} min, updates every {cadence} min: {times}"
        + ("" if during else f"; minute {drill['at_minute']} is after the onboarding session")
        + (f"; late: {', '.join(late)}" if late else ""),
        "data/severity.yaml (targets), src/docskit/incident/",
    )
    run.record(
        ITEM,
        "Every Sev-1 message carries its required fields",
        messages > 0 and not missing,
        f"{messages} messages on {len({m for m in _channels(customer, plan)})} channels checked for "
        f"{sum(len(v) for v in run.rehearsals.drill_required.values())} required fields"
        + (f"; missing: {', '.join(missing)}" if missing else ""),
        "overrides/partials/incident/ (message templates), data/rehearsals.yaml (drill_required)",
    )


def _channels(context, plan: str) -> list[str]:
    return [c["name"] for c in context["support_channels"] if c["incident_updates"] and plan in c["plans"]]
