"""Security control statements as customers read them: shared by the security overview, DPA Annex II and the
questionnaire answers, so a commitment is worded the same everywhere.

Data: data/security_controls.yaml — `controls[]` (id, domain, title, statement, parameters, owner),
`control_domains[]`, `roles[]`. A statement names its parameters as {name}.
"""

from __future__ import annotations

import string

from ..datamodel import DataSet
from ..paths import Project
from ..problems import Problem


def statement_text(control) -> str:
    """The control's statement with its parameters filled in."""
    return control["statement"].format(**control["parameters"])


def controls_in_domain(controls, domain_id: str) -> list:
    """The controls of one domain, in data order."""
    return [c for c in controls if c["domain"] == domain_id]


def _fields(statement: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(statement) if name}


def check_control_statements(project: Project, dataset: DataSet) -> list[Problem]:
    """Content check: every {name} in a statement is a parameter, every parameter is used, every domain has
    a control."""
    problems = []
    controls = dataset.internal["controls"]
    for index, control in enumerate(controls):
        used, given = _fields(control["statement"]), set(control["parameters"])
        for name in sorted(used - given):
            problems.append(
                Problem(
                    "data/security_controls.yaml",
                    f"statement uses {{{name}}} but parameters has no {name!r}",
                    path=f"controls[{index}].statement",
                    hint=f"add {name}: <value> under parameters",
                )
            )
        for name in sorted(given - used):
            problems.append(
                Problem(
                    "data/security_controls.yaml",
                    f"parameter {name!r} is never used in the statement",
                    path=f"controls[{index}].parameters",
                    hint=f"quote it in the statement as {{{name}}} or remove it",
                )
            )
    for domain in dataset.internal["control_domains"]:
        if not controls_in_domain(controls, domain["id"]):
            problems.append(
                Problem(
                    "data/security_controls.yaml",
                    f"domain {domain['id']!r} has no controls",
                    hint="add a control for it or remove the domain",
                )
            )
    return problems


def check_raci(project: Project, dataset: DataSet) -> list[Problem]:
    """Content check: each key activity has exactly one Accountable party."""
    problems = []
    for index, activity in enumerate(dataset.internal["key_activities"]):
        accountable = [party for party, letter in activity["raci"].items() if "A" in letter]
        if len(accountable) != 1:
            problems.append(
                Problem(
                    "data/key_responsibilities.yaml",
                    f"activity {activity['id']!r} has {len(accountable)} Accountable parties",
                    path=f"key_activities[{index}].raci",
                    hint="exactly one party is Accountable (A or A/R) for each activity",
                )
            )
    return problems
