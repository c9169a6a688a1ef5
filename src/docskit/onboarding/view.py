"""Template helpers for the onboarding pages and kits: checklist, budget summary and decision-tree paths.

They are Jinja globals (listed in HELPERS, registered through docskit.render.TEMPLATE_GLOBALS) that read the data context of the template
that calls them, so pages never compute budgets or walk the tree themselves.
"""

from __future__ import annotations

import json

import jinja2

from .budget import Budget, compute_budget
from .conditions import describe
from .decide import format_decision, onboard_flags
from .model import Checklist, Step, load_checklist
from .options import all_combinations
from .tree import Decision, all_paths, decision_from_path, load_tree


@jinja2.pass_context
def onboarding_checklist(ctx) -> Checklist:
    """The full checklist (every step, every condition)."""
    return load_checklist(ctx)


@jinja2.pass_context
def onboarding_when(ctx, step: Step) -> str:
    """When a step applies, in words with names from data."""
    return describe(step.when, ctx)


@jinja2.pass_context
def onboarding_budget_summary(ctx) -> dict:
    """Budget over every supported combination: how many, the slowest and fastest, and the limit."""
    checklist = load_checklist(ctx)
    rows: list[tuple[int, str, Budget]] = []
    for options in all_combinations(ctx):
        budget = compute_budget(checklist.for_tenant(options), checklist.budget_minutes)
        rows.append((budget.total, options.label(), budget))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return {
        "limit": checklist.budget_minutes,
        "combinations": len(rows),
        "slowest": rows[0],
        "fastest": rows[-1],
        "over": [r for r in rows if r[0] > checklist.budget_minutes],
    }


@jinja2.pass_context
def decision_paths(ctx) -> list[Decision]:
    """Every path through the decision tree as a Decision (facts, reasons, paperwork), in tree order."""
    tree = load_tree(ctx)
    return [decision_from_path(tree, path, leaf) for path, leaf in all_paths(tree)]


@jinja2.pass_context
def onboarding_tree(ctx):
    """The decision tree object (questions, answers, outcomes, paperwork rules)."""
    return load_tree(ctx)


@jinja2.pass_context
def onboarding_document_titles(ctx, ids) -> list[str]:
    """Titles of procurement documents by id, from data/documents.yaml when present, else the ids."""
    titles = {d["id"]: d.get("title", d["id"]) for d in (ctx.get("documents") or ())}
    return [titles.get(i, i) for i in ids]


def _decided_facts(printed: str) -> list[dict]:
    """[{fact, value, why}] from the fact lines `./dev decide` prints ('Region: …' then '  why: …')."""
    block = printed.split("\n\nPaperwork:")[0].split("\n\n", 1)[1].splitlines()
    facts = []
    for line in block:
        if line.startswith("  why: "):
            facts[-1]["why"] = line.removeprefix("  why: ")
        else:
            fact, _, value = line.partition(": ")
            facts.append({"fact": fact, "value": value, "why": ""})
    return facts


@jinja2.pass_context
def decision_tree_json(ctx) -> str:
    """The tree for the handbook's clickable version, as JSON safe inside <script type="application/json">.

    Questions carry their answers; `results` maps each complete path ("q=a,q=a") to what `./dev decide` prints for
    it (outcome, facts, paperwork) and the `./dev onboard` flags, so the page computes nothing itself.
    """
    tree = load_tree(ctx)
    questions = {
        node.id: {
            "text": node.text,
            "help": node.help,
            "default": node.default,
            "answers": [{"id": a.id, "label": a.label, "next": a.next} for a in node.answers],
        }
        for node in tree.questions()
    }
    results = {}
    for path, leaf in all_paths(tree):
        decision = decision_from_path(tree, path, leaf)
        key = ",".join(f"{q.id}={a.id}" for q, a in path)
        printed = format_decision(decision, ctx)
        results[key] = {
            "title": leaf.title,
            "summary": leaf.summary,
            "decided": _decided_facts(printed),
            "paperwork": [
                f"{title}{' ' + p.variant if p.variant else ''}: {p.why}"
                for p, title in zip(
                    decision.paperwork,
                    onboarding_document_titles(ctx, [p.document for p in decision.paperwork]),
                    strict=True,
                )
            ],
            "flags": onboard_flags(decision, ctx),
        }
    data = {
        "start": tree.start,
        "questions": questions,
        "results": results,
        "connectors": [{"id": c["id"], "name": c["name"]} for c in ctx["connectors"]],
    }
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def dot_quote(text: str) -> str:
    """A Graphviz DOT double-quoted string, with line breaks every few words for readable nodes."""
    words = str(text).split()
    lines, current = [], ""
    for word in words:
        if current and len(current) + len(word) > 34:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    escaped = [line.replace("\\", "\\\\").replace('"', '\\"') for line in lines]
    return '"' + "\\n".join(escaped) + '"'


HELPERS = {
    "onboarding_checklist": onboarding_checklist,
    "onboarding_when": onboarding_when,
    "onboarding_budget_summary": onboarding_budget_summary,
    "decision_paths": decision_paths,
    "onboarding_tree": onboarding_tree,
    "onboarding_document_titles": onboarding_document_titles,
    "dot_quote": dot_quote,
    "decision_tree_json": decision_tree_json,
}
