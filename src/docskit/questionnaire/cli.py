"""Command-line glue for `./dev questionnaire ACTION [FILE]`: the task class and the actions it runs.

Invoke treats every positional argument as required; `ActionTask` lets the FILE argument be left out for
actions that take none (`export`, `due`), so both `./dev questionnaire export` and
`./dev questionnaire fill buyer.xlsx -o answered.xlsx` parse.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from invoke import Exit, Task
from invoke.parser import Argument

from ..datamodel import load_dataset
from ..paths import Project
from ..problems import BuildFailed

ACTIONS = {
    "fill": "answer a buyer's questionnaire file",
    "learn": "propose bank changes from the rows an SE answered in a filled copy",
    "export": "write the CAIQ v4 XLSX and CSV exports",
    "due": "list answers past or near their review date",
}
FILE_ACTIONS = {"fill", "learn"}


class _FileArgument(Argument):
    """The FILE positional: counts as given when the action needs no file."""

    action: Argument | None = None

    @property
    def value(self):
        value = super().value
        if value is None and self.action is not None and self.action.value not in FILE_ACTIONS:
            return ""
        return value

    @value.setter
    def value(self, arg):
        self.set_value(arg, cast=True)


class ActionTask(Task):
    """A task with positional ACTION and FILE arguments, FILE optional for actions that need none."""

    def get_arguments(self, ignore_unknown_help=None):
        arguments = super().get_arguments(ignore_unknown_help)
        action = next(a for a in arguments if a.name == "action")
        for argument in arguments:
            if argument.name == "source":
                argument.__class__ = _FileArgument
                argument.action = action
        return arguments


def run(action: str, source: str | None, output: str, options: dict, log=print) -> None:
    """Run one questionnaire action; user errors raise invoke.Exit with the message."""
    from .errors import QuestionnaireError

    if action not in ACTIONS:
        valid = "; ".join(f"{name} ({what})" for name, what in ACTIONS.items())
        raise Exit(f"unknown action {action!r}; valid: {valid}", code=2)
    project = Project.at()
    try:
        dataset = load_dataset(project)
        if action == "export":
            from .export import EXPORT_DIR, build_exports

            build_exports(project, dataset)
            log(
                f"wrote {project.build / EXPORT_DIR / 'caiq.xlsx'} and {project.build / EXPORT_DIR / 'caiq.csv'}"
            )
        elif action == "due":
            _print_due(dataset, log)
        elif action == "learn":
            _learn(project, dataset, source, options, log)
        else:
            _fill(project, dataset, source, output, options, log)
    except BuildFailed as failed:
        raise Exit(str(failed), code=1) from None
    except QuestionnaireError as error:
        raise Exit(f"questionnaire {action}: {error}", code=2) from None


def _fill_options(options: dict):
    from .errors import QuestionnaireError
    from .fill import FillOptions

    options = dict(options)
    options.pop("apply", None)
    threshold = options.pop("threshold", "")
    try:
        threshold_value = float(threshold) if threshold not in ("", None) else None
    except ValueError:
        raise QuestionnaireError(f"--threshold must be a number from 0 to 100, got {threshold!r}") from None
    return FillOptions(
        threshold=threshold_value, **{k: (v if v not in ("", 0) else None) for k, v in options.items()}
    )


def _fill(project, dataset, source, output, options, log) -> None:
    from .errors import QuestionnaireError
    from .fill import Filler

    if not source:
        raise QuestionnaireError(
            "name the buyer's file: ./dev questionnaire fill buyer.xlsx -o answered.xlsx"
        )
    source_path = Path(source)
    output_path = (
        Path(output) if output else source_path.with_name(f"{source_path.stem}-answered{source_path.suffix}")
    )
    report = Filler(project, dataset).fill(source_path, output_path, _fill_options(options))
    log(report.summary())


def _learn(project, dataset, source, options, log) -> None:
    from .errors import QuestionnaireError
    from .fill import Filler
    from .learn import apply, propose

    if not source:
        raise QuestionnaireError(
            "name the answered copy: ./dev questionnaire learn buyer-answered.xlsx [--apply]"
        )
    learned = propose(Filler(project, dataset), project, Path(source), _fill_options(options))
    if learned.diff:
        log(learned.diff.rstrip("\n"))
    if options.get("apply") and learned.files:
        apply(learned)
    log(learned.summary(applied=bool(options.get("apply"))))


def _print_due(dataset, log) -> None:
    from .bank import load_bank
    from .checks import due_answers, overdue_answers

    bank = load_bank(dataset)
    today = dt.date.today()
    overdue, due = overdue_answers(bank, today), due_answers(bank, today)
    for label, answers in (("overdue", overdue), ("due soon", due)):
        for answer in answers:
            next_review = answer.last_reviewed + dt.timedelta(days=bank.review_interval_days)
            log(
                f"{label:9s} {answer.id:8s} due {next_review.isoformat()}  {bank.owner_roles[answer.owner]}: "
                f"{answer.question}"
            )
    log(
        f"{len(overdue)} overdue, {len(due)} due within {bank.review_warn_days} days, "
        f"{len(bank.answers)} answers in the bank (review every {bank.review_interval_days} days)"
    )
