"""What `./dev decide` and `./dev onboard` do, kept out of tasks.py so the tasks stay thin.

Both raise OptionError or AnswerError (user errors, with the valid choices) or BuildFailed (data problems).
"""

from __future__ import annotations

from collections.abc import Callable

from ..datamodel import load_dataset
from ..paths import Project
from .decide import decide, default_asker, format_decision, parse_answers, prompt_asker
from .kit import read_kit, status, tick, write_kit
from .metering_config import parse_terms, resolve_plan
from .options import OptionError, build_options


def run_decide(
    project: Project,
    answers: str = "",
    use_defaults: bool = False,
    interactive: bool = False,
    input_fn: Callable[[str], str] = input,
    out: Callable[[str], None] = print,
) -> str:
    """Answer the decision tree from `answers` ('q=a,…'), then defaults or prompts, and explain the outcome."""
    context = load_dataset(project).internal
    given = parse_answers(answers)
    ask = default_asker if use_defaults else prompt_asker(input_fn, out) if interactive else None
    return format_decision(decide(context, given, ask), context)


def _yes_no(value: str) -> bool | None:
    if not value:
        return None
    lowered = value.strip().lower()
    if lowered in ("yes", "true", "1"):
        return True
    if lowered in ("no", "false", "0"):
        return False
    raise OptionError(f"--eu-personal-data must be yes or no, got {value!r}")


def run_onboard(
    project: Project,
    tenant: str,
    region: str = "",
    data_mode: str = "",
    keys: str = "",
    connectors: str = "",
    plan: str = "",
    cus: int | None = None,
    eu_personal_data: str = "",
    done: str = "",
    show_status: bool = False,
    addons: str = "",
    overage: str = "",
) -> str:
    """Write (or update) a tenant kit, tick a step, or show the status; returns what to print.

    `addons` and `overage` are the contract's terms as `dim=value,…` (see `metering_config.parse_terms`)."""
    dataset = load_dataset(project)
    context = dataset.internal
    creating = any(
        [region, data_mode, keys, connectors, plan, cus is not None, eu_personal_data, addons, overage]
    )
    lines = []
    if creating:
        missing = [
            flag
            for flag, value in (
                ("--region", region),
                ("--data-mode", data_mode),
                ("--keys", keys),
                ("--connectors", connectors),
            )
            if not value
        ]
        if missing:
            raise OptionError(f"creating a kit needs {', '.join(missing)}; run `./dev decide` for the values")
        options = build_options(context, region, data_mode, keys, connectors, _yes_no(eu_personal_data))
        plan_id, count = resolve_plan(context, plan or None, cus)
        previous = _previous_done(project, tenant)
        terms = parse_terms(addons, overage)
        kit = write_kit(project, dataset, tenant, options, plan_id, count, previous, terms=terms)
        lines.append(f"kit for {kit.name}: {kit.folder}")
    elif not (done or show_status):
        raise OptionError(
            "nothing to do: pass --region, --data-mode, --keys and --connectors to create the kit, "
            "--done <step> to tick a step, or --status"
        )
    if done:
        kit = tick(project, dataset, tenant, done)
        lines.append(f"ticked {done} for {kit.name}")
    if show_status or done:
        lines.append(status(project, dataset, tenant))
    return "\n".join(lines)


def _previous_done(project: Project, tenant: str) -> dict:
    """Ticks of an existing kit of the same tenant, kept when the kit is written again."""
    try:
        return dict(read_kit(project, tenant).done)
    except OptionError:
        return {}
