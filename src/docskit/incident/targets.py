"""Response targets per severity and plan, formatted the same way on every page, PDF and message.

`format_target` is the one function that turns a target into words ("15 minutes", "4 hours", "1 day");
the customer support page, the handbook, incident messages and the procurement PDFs all call it, so a
target reads identically everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..tables import md_table, minutes_text


@dataclass(frozen=True)
class TargetKind:
    """One kind of response target: the data field that holds it and what one unit of it is in minutes."""

    id: str
    label: str
    field: str
    minutes_per_unit: int


TARGET_KINDS: dict[str, TargetKind] = {
    kind.id: kind
    for kind in (
        TargetKind("first_response", "First response", "first_response_minutes", 1),
        TargetKind("update_every", "Updates every", "update_every_minutes", 1),
        TargetKind("workaround", "Workaround", "workaround_hours", 60),
    )
}


def _kind(kind: str) -> TargetKind:
    if kind not in TARGET_KINDS:
        raise KeyError(f"unknown target kind {kind!r}; valid: {', '.join(TARGET_KINDS)}")
    return TARGET_KINDS[kind]


def target_minutes(plan_targets: Mapping, kind: str) -> int:
    """A target in minutes, from one plan's targets of one severity (severity['targets'][plan_id])."""
    spec = _kind(kind)
    return plan_targets[spec.field] * spec.minutes_per_unit


def format_target(plan_targets: Mapping, kind: str) -> str:
    """A target as every output writes it, e.g. format_target(sev['targets']['business'], 'workaround') -> '4 hours'.

    `kind` is 'first_response', 'update_every' or 'workaround'.
    """
    return minutes_text(target_minutes(plan_targets, kind))


def severity_target(severity: Mapping, plan_id: str, kind: str) -> str:
    """The formatted target of one severity on one plan."""
    return format_target(severity["targets"][plan_id], kind)


def targets_by_plan(severity: Mapping, plans: Sequence[Mapping], kind: str) -> str:
    """One target of a severity on every plan: 'Team 1 hour, Business 30 minutes, Enterprise 15 minutes'."""
    return ", ".join(f"{p['name']} {severity_target(severity, p['id'], kind)}" for p in plans)


def report_due_text(severity: Mapping) -> str:
    """When the post-incident report is due after resolution, or '' when the severity has none."""
    days = severity.get("post_incident_report_business_days")
    if not days:
        return ""
    return f"{days} business day{'s' if days != 1 else ''}"


def target_table(severities: Sequence[Mapping], plans: Sequence[Mapping], kind: str) -> str:
    """One kind of target: one row per severity, one column per plan."""
    rows = [
        [f"{s['name']} ({s['label']})", *[severity_target(s, p["id"], kind) for p in plans]]
        for s in severities
    ]
    return md_table(["Severity", *[p["name"] for p in plans]], rows, ["l", *["r"] * len(plans)])


def support_targets_table(severities: Sequence[Mapping], plans: Sequence[Mapping]) -> str:
    """Every response target: one row per severity and target kind, one column per plan."""
    rows = [
        [f"{s['name']} ({s['label']})", kind.label, *[severity_target(s, p["id"], kind.id) for p in plans]]
        for s in severities
        for kind in TARGET_KINDS.values()
    ]
    return md_table(
        ["Severity", "Target", *[p["name"] for p in plans]], rows, ["l", "l", *["r"] * len(plans)]
    )
