"""Severity criteria as words, and finding a severity from what a person types (1, sev1, Sev-1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..tables import minutes_text


def threshold_text(criterion: Mapping) -> str:
    """The measurable part of a criterion: '50% or more over 15 minutes', 'for more than 1 hour', or ''."""
    window = criterion.get("window_minutes")
    percent = criterion.get("threshold_percent")
    if percent is not None:
        return f"{percent:g}% or more over {minutes_text(window)}"
    if window is not None:
        return f"for more than {minutes_text(window)}"
    return ""


def _lower_first(text: str) -> str:
    """'The tenant's runs' -> 'the tenant's runs'; leaves names such as 'GitHub' or 'No' alone when capitalised twice."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def criterion_text(criterion: Mapping, metrics: Sequence[Mapping]) -> str:
    """A criterion as one Markdown line: '**Share of runs failing**, 50% or more over 15 minutes: the tenant's…'."""
    metric = next(m for m in metrics if m["id"] == criterion["metric"])
    threshold = threshold_text(criterion)
    if threshold:
        return f"**{metric['name']}**, {threshold}: {_lower_first(criterion['condition'])}"
    return f"**{metric['name']}**: {criterion['condition']}"


def find_severity(severities: Sequence[Mapping], text: str) -> Mapping | None:
    """The severity a person means by '1', 'sev1', 'Sev-1' or 'SEV 1'; None when nothing matches."""
    wanted = "".join(ch for ch in str(text).lower() if ch.isalnum())
    for severity in severities:
        names = {
            str(severity["level"]),
            severity["id"].lower(),
            "".join(c for c in severity["name"].lower() if c.isalnum()),
        }
        if wanted in names:
            return severity
    return None


def valid_severities_text(severities: Sequence[Mapping]) -> str:
    """'1 (Sev-1, Critical), 2 (Sev-2, High), …' for error messages."""
    return ", ".join(f"{s['level']} ({s['name']}, {s['label']})" for s in severities)
