"""`./dev decide`: ask the decision tree's questions (or take the answers as flags) and explain the outcome."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .choices import canonical
from .tree import AnswerError, Decision, Node, load_tree, walk


def parse_answers(text: str) -> dict[str, str]:
    """'residency=eu_required,keys=customer' -> {'residency': 'eu_required', 'keys': 'customer'}."""
    answers: dict[str, str] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise AnswerError(f"answer {item!r} is not question=answer, e.g. residency=eu_required")
        answers[key.strip().replace("-", "_")] = value.strip()
    return answers


def prompt_asker(input_fn: Callable[[str], str], out: Callable[[str], None]) -> Callable[[Node], str]:
    """Ask one question on a terminal: numbered answers, the default shown and taken on Enter, retry on bad input."""

    def ask(node: Node) -> str:
        out("")
        out(node.text)
        if node.help:
            out(f"  ({node.help})")
        for number, answer in enumerate(node.answers, 1):
            out(f"  {number}) {answer.id}: {answer.label}")
        ids = [a.id for a in node.answers]
        while True:
            try:
                reply = input_fn(f"{node.id} [default: {node.default}]> ").strip()
            except EOFError:
                raise AnswerError(f"no answer to {node.id!r}; valid: {', '.join(ids)}") from None
            if not reply:
                return node.default
            if reply.isdigit() and 1 <= int(reply) <= len(ids):
                return ids[int(reply) - 1]
            if canonical(reply) in {canonical(i) for i in ids}:
                return reply
            out(f"unknown answer {reply!r}; valid: {', '.join(ids)} (or 1-{len(ids)}, Enter for the default)")

    return ask


def default_asker(node: Node) -> str:
    """Take every unanswered question's default (for scripts that pass --defaults)."""
    return node.default


def decide(context: Mapping, answers: Mapping[str, str], ask: Callable[[Node], str] | None) -> Decision:
    """Walk the tree with the given answers; `ask` supplies the rest (None: every question must be answered)."""
    return walk(load_tree(context), answers, ask)


def _name(records, record_id: str) -> str:
    return next(
        (r.get("name") or r.get("title") or record_id for r in records if r["id"] == record_id), record_id
    )


def format_decision(decision: Decision, context: Mapping) -> str:
    """The outcome and why, as printed by `./dev decide`, with names and locations from data."""
    facts, reasons = decision.facts, decision.reasons
    region = next(r for r in context["regions"] if r["id"] == facts["region"])
    primary, dr = region["primary"], region["disaster_recovery"]
    keys = _name(context["key_modes"], facts["key_mode"])
    if facts.get("key_provider"):
        keys = f"{keys} on {_name(context['key_providers'], facts['key_provider'])}"
    lines = [
        f"Outcome: {decision.outcome.title}",
        f"  {decision.outcome.summary}",
        "",
        f"Region: {region['name']} (primary {primary['provider']} {primary['code']}, {primary['location']}; "
        f"disaster recovery {dr['provider']} {dr['code']}, {dr['location']})",
        f"  why: {reasons['region']}",
        f"Data mode: {_name(context['data_modes'], facts['data_mode'])}",
        f"  why: {reasons['data_mode']}",
        f"Keys: {keys}",
        f"  why: {reasons.get('key_provider') or reasons['key_mode']}",
        f"EU personal data: {'yes' if facts['eu_personal_data'] else 'no'}",
        f"  why: {reasons['eu_personal_data']}",
        "",
        "Paperwork:",
    ]
    documents = context.get("documents") or ()
    for item in decision.paperwork:
        title = _name(documents, item.document)
        variant = f" {item.variant}" if item.variant else ""
        lines.append(f"  - {title}{variant} [{item.document}]: {item.why}")
    answered = ",".join(f"{q.id}={a.id}" for q, a in decision.path)
    flags = " ".join(f"{flag} {value or '<ids>'}" for flag, value in onboard_flags(decision, context))
    lines += ["", f"Answers: --answers {answered}", f"Next: ./dev onboard <tenant> {flags}"]
    return "\n".join(lines)


def onboard_flags(decision: Decision, context: Mapping) -> list[tuple[str, str]]:
    """The `./dev onboard` flags a decision implies, in order; --connectors has the value '' (not decided here).

    --eu-personal-data appears only when the answer differs from the region's default.
    """
    facts = decision.facts
    region = next(r for r in context["regions"] if r["id"] == facts["region"])
    flags = [
        ("--region", facts["region"]),
        ("--data-mode", facts["data_mode"]),
        ("--keys", facts.get("key_provider") or facts["key_mode"]),
        ("--connectors", ""),
    ]
    if bool(facts["eu_personal_data"]) != (region["jurisdiction"] == "EU"):
        flags.append(("--eu-personal-data", "yes" if facts["eu_personal_data"] else "no"))
    return flags
