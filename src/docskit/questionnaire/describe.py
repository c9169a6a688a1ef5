"""Implementation descriptions: each answer's description is a Jinja template rendered with the data context.

Templates see the whole customer data context (``plans``, ``regions``, ``envelope``…) plus the helpers below,
so numbers, regions and targets are read from data, never typed into prose. Security commitments, cadences and
objectives have one home, data/security_controls.yaml: an answer quotes a control with ``control('<id>')``, word
for word, or one of its numbers with ``param('<id>', '<name>')``. The same function serves the
exports and auto-fill (``render_descriptions``) and the procurement pack's HTML partial
(``questionnaire_description``, a template global).
"""

from __future__ import annotations

from collections.abc import Mapping

import jinja2

from ..problems import BuildFailed, Problem
from ..procurement.controls import statement_text
from ..tables import minutes_text
from .bank import Answer, Bank, line_of


def _join_and(items, word: str = "and") -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def every(count: int, unit: str) -> str:
    """every(12, 'month') -> 'every 12 months'; every(1, 'day') -> 'every day'."""
    return f"every {unit}" if count == 1 else f"every {count} {unit}s"


def description_helpers(context: Mapping) -> dict:
    """Names a description template may use besides the data context."""
    plans = context["plans"]

    def retention_by_plan() -> str:
        return _join_and(f"{p['retention_days']} days on the {p['name']} plan" for p in plans)

    def regions_text() -> str:
        return _join_and(
            f"{r['name']} (primary {r['primary']['provider']} {r['primary']['code']}, {r['primary']['location']}; "
            f"disaster recovery {r['disaster_recovery']['provider']} {r['disaster_recovery']['code']}, "
            f"{r['disaster_recovery']['location']})"
            for r in context["regions"]
        )

    def pinned_text() -> str:
        return "; ".join(_lower_first(item["name"]) for item in context["pinned_in_region"])

    def exceptions_text() -> str:
        return "; ".join(
            f"{_lower_first(e['name'])} ({_lower_first(e['holds'])})" for e in context["global_exceptions"]
        )

    def response_text(severity_id: str) -> str:
        severity = next(s for s in context["severities"] if s["id"] == severity_id)
        ranked = sorted(plans, key=lambda p: -p["rank"])
        return _join_and(
            f"{minutes_text(severity['targets'][p['id']]['first_response_minutes'])} on {p['name']}"
            for p in ranked
        )

    controls = {c["id"]: c for c in context["controls"]}
    roles = {r["id"]: r["name"] for r in context["roles"]}

    def control(control_id: str) -> str:
        return statement_text(controls[control_id])

    def param(control_id: str, name: str):
        return controls[control_id]["parameters"][name]

    def remediation_text() -> str:
        return _join_and(
            f"{s['remediation_days']} days for {s['name']}" for s in context["vulnerability_severities"]
        )

    return {
        "control": control,
        "param": param,
        "role": roles.__getitem__,
        "remediation_text": remediation_text,
        "every": every,
        "hosting": _join_and(sorted({r["primary"]["provider"] for r in context["regions"]})),
        "connector_names": _join_and(c["name"] for c in context["connectors"]),
        "provider_names": _join_and((p["name"] for p in context["key_providers"]), "or"),
        "region_names": _join_and(r["name"] for r in context["regions"]),
        "retention_by_plan": retention_by_plan,
        "regions_text": regions_text,
        "pinned_text": pinned_text,
        "exceptions_text": exceptions_text,
        "response_text": response_text,
    }


def render_description(env: jinja2.Environment, source: str, context: Mapping) -> str:
    """One description rendered as plain text with the data context and the helpers."""
    text = env.from_string(source).render(**description_helpers(context))
    return " ".join(text.split())


@jinja2.pass_context
def questionnaire_description(ctx: jinja2.runtime.Context, answer: Mapping) -> str:
    """Template global: the rendered description of an answer record, for HTML partials and pages."""
    return render_description(ctx.environment, answer["description"], ctx.parent)


def render_descriptions(env: jinja2.Environment, bank: Bank, dataset) -> dict[str, str]:
    """Every answer's rendered description by bank id; raises BuildFailed naming the file and line of each
    description that does not render."""
    rendered: dict[str, str] = {}
    problems: list[Problem] = []
    for answer in bank.answers:
        try:
            rendered[answer.id] = render_description(env, answer.description, env.globals)
        except (jinja2.TemplateError, KeyError, ValueError, TypeError, StopIteration) as exc:
            problems.append(_problem(answer, dataset, exc))
    if problems:
        raise BuildFailed(problems)
    return rendered


def _problem(answer: Answer, dataset, exc: Exception) -> Problem:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return Problem(
        answer.source,
        f"description of {answer.id} does not render: {message}",
        line=line_of(dataset, answer.source, [*answer.yaml_path, "description"]),
        path=f"answers[{answer.index}].description",
        hint="use names from data/ (see the schemas) or the helpers in src/docskit/questionnaire/describe.py",
    )


QUESTIONNAIRE_GLOBALS = {"questionnaire_description": questionnaire_description}
