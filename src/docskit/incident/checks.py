"""Content checks of the support data: severities, response targets and runbooks.

Registered in docskit.checks.CONTENT_CHECKS. Each rule returns Problems that name the data file, the line and
the YAML path. The schemas catch most of the same faults on load; these rules hold even if a schema is loosened,
and add the ones a schema cannot express (targets ordered by severity and by plan).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

from ..datamodel import DataSet
from ..paths import Project
from ..problems import Problem, format_path
from .runbooks import runbook_role_refs
from .targets import TARGET_KINDS, format_target

SEVERITY_FILE = "severity"
SUPPORT_FILE = "support"
RUNBOOKS_FILE = "runbooks"


def _locator(dataset: DataSet) -> Callable[[str, list, str, str], Problem]:
    """Problem factory: (file stem, YAML path, message, hint) -> Problem with the file's name and line."""
    by_stem = {
        name.rsplit("/", 1)[-1].rsplit(".", 1)[0]: (name, src) for name, src in dataset.sources.items()
    }

    def problem(stem: str, path: list, message: str, hint: str) -> Problem:
        name, source = by_stem.get(stem, (f"data/{stem}.yaml", None))
        line = source.line_of(path) if source else None
        return Problem(name, message, line=line, path=format_path(path), hint=hint)

    return problem


def check_severity_fields(data: Mapping, problem) -> list[Problem]:
    """Every severity has an owner role that exists, criteria, and all three targets for every plan."""
    role_ids = {r["id"] for r in data.get("support_roles") or ()}
    found = []
    for i, sev in enumerate(data.get("severities") or ()):
        owner = sev.get("owner_role")
        if not owner:
            found.append(
                problem(
                    SEVERITY_FILE,
                    ["severities", i],
                    f"{sev['name']} has no owner_role",
                    "add owner_role: the support role that owns incidents of this severity",
                )
            )
        elif owner not in role_ids:
            found.append(
                problem(
                    SEVERITY_FILE,
                    ["severities", i, "owner_role"],
                    f"{sev['name']} owner_role {owner!r} is not a role in data/support.yaml",
                    f"use one of: {', '.join(sorted(role_ids))}",
                )
            )
        if not sev.get("criteria"):
            found.append(
                problem(
                    SEVERITY_FILE,
                    ["severities", i],
                    f"{sev['name']} has no criteria",
                    "add criteria: what share of runs fail, whether writes go wrong, security impact",
                )
            )
        targets = sev.get("targets") or {}
        for plan in data.get("plans") or ():
            plan_targets = targets.get(plan["id"])
            if plan_targets is None:
                found.append(
                    problem(
                        SEVERITY_FILE,
                        ["severities", i, "targets"],
                        f"{sev['name']} has no targets for the {plan['name']} plan",
                        f"add targets.{plan['id']} with first response, update cadence and workaround",
                    )
                )
                continue
            for kind in TARGET_KINDS.values():
                if not plan_targets.get(kind.field):
                    found.append(
                        problem(
                            SEVERITY_FILE,
                            ["severities", i, "targets", plan["id"]],
                            f"{sev['name']} on {plan['name']} lacks {kind.field}",
                            f"add {kind.field} (a whole number above 0)",
                        )
                    )
    return found


def _target(sev: Mapping, plan_id: str, field: str):
    return (sev.get("targets") or {}).get(plan_id, {}).get(field)


def check_target_order(data: Mapping, problem) -> list[Problem]:
    """A more severe severity is never slower than a less severe one; a higher plan never slower than a lower."""
    severities = list(enumerate(data.get("severities") or ()))
    by_level = sorted(severities, key=lambda item: item[1]["level"])
    plans = sorted(data.get("plans") or (), key=lambda p: p["rank"])
    found = []
    for kind in TARGET_KINDS.values():
        for plan in plans:
            for (_, more), (j, less) in itertools.pairwise(by_level):
                fast, slow = _target(more, plan["id"], kind.field), _target(less, plan["id"], kind.field)
                if fast and slow and fast > slow:
                    found.append(
                        problem(
                            SEVERITY_FILE,
                            ["severities", j, "targets", plan["id"], kind.field],
                            f"{kind.label} on {plan['name']}: {less['name']} ({format_target(less['targets'][plan['id']], kind.id)}) "
                            f"is faster than the more severe {more['name']} ({format_target(more['targets'][plan['id']], kind.id)})",
                            f"a more severe incident must never wait longer; make {more['name']}'s target shorter "
                            f"or {less['name']}'s longer",
                        )
                    )
        for i, sev in severities:
            for lower, higher in itertools.pairwise(plans):
                slow, fast = _target(sev, lower["id"], kind.field), _target(sev, higher["id"], kind.field)
                if fast and slow and fast > slow:
                    found.append(
                        problem(
                            SEVERITY_FILE,
                            ["severities", i, "targets", higher["id"], kind.field],
                            f"{kind.label} for {sev['name']}: {higher['name']} ({format_target(sev['targets'][higher['id']], kind.id)}) "
                            f"is slower than the lower plan {lower['name']} ({format_target(sev['targets'][lower['id']], kind.id)})",
                            f"a higher plan (rank {higher['rank']}) must never be slower than a lower one (rank {lower['rank']})",
                        )
                    )
    return found


def check_runbooks(data: Mapping, problem) -> list[Problem]:
    """Every runbook step has an owner, and every role a runbook names exists in data/support.yaml."""
    role_ids = {r["id"] for r in data.get("support_roles") or ()}
    found = []
    for i, runbook in enumerate(data.get("runbooks") or ()):
        for j, step in enumerate(runbook.get("steps") or ()):
            if not step.get("owner_role"):
                found.append(
                    problem(
                        RUNBOOKS_FILE,
                        ["runbooks", i, "steps", j],
                        f"runbook {runbook['id']!r} step {step.get('id', j)!r} has no owner",
                        "add owner_role: the support role that does this step",
                    )
                )
        for role, path in runbook_role_refs(runbook):
            if role not in role_ids:
                found.append(
                    problem(
                        RUNBOOKS_FILE,
                        ["runbooks", i, *path],
                        f"runbook {runbook['id']!r} names role {role!r}, which is not in data/support.yaml",
                        f"use one of: {', '.join(sorted(role_ids))}, or add the role to support_roles",
                    )
                )
    return found


RULES: Sequence[Callable[[Mapping, object], list[Problem]]] = (
    check_severity_fields,
    check_target_order,
    check_runbooks,
)


def check_support(project: Project, dataset: DataSet) -> list[Problem]:
    """Every support content rule over the full (internal) data."""
    data = dataset.context("internal")
    problem = _locator(dataset)
    return [p for rule in RULES for p in rule(data, problem)]
