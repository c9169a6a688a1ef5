"""Runbook steps as people read them: when each step happens, and which roles a runbook names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from ..tables import md_table, minutes_text
from .targets import report_due_text, targets_by_plan

_TARGET_WORDING = {
    "first_response": "By the first-response target: {}",
    "update_every": "Every update interval: {}",
    "workaround": "By the workaround target: {}",
}


def step_time_text(step: Mapping, severity: Mapping, plans: Sequence[Mapping]) -> str:
    """When a step happens: 'T+5 minutes', 'Resolution + 2 days', or the plan targets it is timed by."""
    target = step.get("target")
    if target == "post_incident_report":
        return f"Within {report_due_text(severity)} of resolution"
    if target:
        return _TARGET_WORDING[target].format(targets_by_plan(severity, plans, target))
    minutes = step["at_minutes"]
    if step["clock"] == "resolved":
        return "At resolution" if minutes == 0 else f"Resolution + {minutes_text(minutes)}"
    return "T+0" if minutes == 0 else f"T+{minutes_text(minutes)}"


def role_name(roles: Sequence[Mapping], role_id: str) -> str:
    """A role's name from its id."""
    for role in roles:
        if role["id"] == role_id:
            return role["name"]
    raise KeyError(f"unknown support role {role_id!r}; valid: {', '.join(r['id'] for r in roles)}")


def runbook_overview_table(
    runbook: Mapping, severity: Mapping, plans: Sequence[Mapping], roles: Sequence[Mapping]
) -> str:
    """One row per step: number, step, owner, when."""
    rows = [
        [str(i), step["title"], role_name(roles, step["owner_role"]), step_time_text(step, severity, plans)]
        for i, step in enumerate(runbook["steps"], 1)
    ]
    return md_table(["#", "Step", "Owner", "When"], rows, ["r", "l", "l", "l"])


def runbook_role_refs(runbook: Mapping) -> Iterator[tuple[str, tuple]]:
    """Every role a runbook names, with the path to it inside the runbook: (role id, path)."""
    for key in ("first_responder", "commander"):
        if runbook.get(key):
            yield runbook[key], (key,)
    for i, step in enumerate(runbook.get("steps") or ()):
        if step.get("owner_role"):
            yield step["owner_role"], ("steps", i, "owner_role")
        for j, role in enumerate(step.get("with_roles") or ()):
            yield role, ("steps", i, "with_roles", j)
