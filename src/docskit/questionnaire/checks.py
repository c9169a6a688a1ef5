"""`./dev check` content rules for the answer bank: fresh reviews, full CCM coverage, renderable answers."""

from __future__ import annotations

import datetime as dt

from ..datamodel import DataSet
from ..paths import Project
from ..problems import BuildFailed, Problem
from ..render import make_environment
from .bank import FOLDER, Bank, integrity_problems, line_of, load_bank
from .describe import render_descriptions


def overdue_answers(bank: Bank, today: dt.date) -> list:
    """Answers whose last review is older than the review interval, oldest first."""
    limit = dt.timedelta(days=bank.review_interval_days)
    return sorted((a for a in bank.answers if today - a.last_reviewed > limit), key=lambda a: a.last_reviewed)


def due_answers(bank: Bank, today: dt.date) -> list:
    """Answers not yet overdue that fall due within the warning window."""
    interval = dt.timedelta(days=bank.review_interval_days)
    warn = dt.timedelta(days=bank.review_warn_days)
    return sorted(
        (a for a in bank.answers if interval - warn < today - a.last_reviewed <= interval),
        key=lambda a: a.last_reviewed,
    )


def check_bank(project: Project, dataset: DataSet, today: dt.date | None = None) -> list[Problem]:
    """Problems with the answer bank: overdue reviews, CCM domains without answers, cross-file integrity, and
    descriptions that do not render."""
    today = today or dt.date.today()
    bank = load_bank(dataset, strict=False)
    problems = integrity_problems(bank, dataset)
    for answer in overdue_answers(bank, today):
        due = answer.last_reviewed + dt.timedelta(days=bank.review_interval_days)
        problems.append(
            Problem(
                answer.source,
                f"answer {answer.id} is past its review date (last reviewed "
                f"{answer.last_reviewed.isoformat()}, due {due.isoformat()})",
                line=line_of(dataset, answer.source, [*answer.yaml_path, "last_reviewed"]),
                path=f"answers[{answer.index}].last_reviewed",
                hint=f"have the {bank.owner_roles[answer.owner]} confirm or update the answer, then set last_reviewed "
                "to the review date",
            )
        )
    answered = {a.domain for a in bank.answers}
    for domain in bank.domains:
        if domain.id not in answered:
            problems.append(
                Problem(
                    f"data/{FOLDER}/{domain.file}.yaml",
                    f"CCM domain {domain.id} ({domain.name}) has no answers",
                    hint=f"add data/{FOLDER}/{domain.file}.yaml with `domain: {domain.id}` and its answers",
                )
            )
    try:
        render_descriptions(make_environment(project, dataset, "customer"), bank, dataset)
    except BuildFailed as failed:
        problems += failed.problems
    return problems
