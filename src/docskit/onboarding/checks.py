"""Content checks of the onboarding data, registered in docskit.checks.CONTENT_CHECKS.

- check_onboarding: the checklist's internal consistency, and every supported combination of options fits the
  time budget (counted as in budget.py);
- check_decision_tree: no cycles, no unreachable node, and every path ends in a valid outcome consistent with
  regions, data modes and key options (a pinned region is never contradicted).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..datamodel import DataSet
from ..paths import Project
from ..problems import Problem
from .budget import compute_budget
from .model import SERIAL, Checklist, load_checklist
from .options import BYOK, all_combinations
from .tree import QUESTION, DecisionTree, all_paths, load_tree

ONBOARDING_FILE = "data/onboarding.yaml"
TREE_FILE = "data/decision_tree.yaml"
REQUIRED_FACTS = ("region", "data_mode", "key_mode", "eu_personal_data")


def _line_of(dataset: DataSet, file: str, path: list) -> int | None:
    source = dataset.sources.get(file)
    return source.line_of(path) if source else None


def check_onboarding(project: Project, dataset: DataSet) -> list[Problem]:
    """Checklist consistency, then the time budget of every supported combination of options."""
    context = dataset.internal
    if "onboarding" not in context:
        return []
    checklist = load_checklist(context)
    problems = _step_problems(project, dataset, checklist)
    if problems:
        return problems
    return budget_problems(dataset, checklist, context)


def _step_problems(project: Project, dataset: DataSet, checklist: Checklist) -> list[Problem]:
    problems = []
    index = {s["id"]: i for i, s in enumerate(dataset.internal["onboarding"]["steps"])}
    position = {s.id: i for i, s in enumerate(checklist.steps)}
    for step in checklist.steps:
        where = ["onboarding", "steps", index[step.id]]
        line = _line_of(dataset, ONBOARDING_FILE, where)
        if step.parallel_with:
            anchor = checklist.step(step.parallel_with)
            if anchor.timing != SERIAL or anchor.id == step.id:
                problems.append(
                    Problem(
                        ONBOARDING_FILE,
                        f"step {step.id!r} runs in parallel with {anchor.id!r}, "
                        f"which is {anchor.timing}, not serial",
                        line=line,
                        path=f"onboarding.steps[{index[step.id]}].parallel_with",
                        hint="name a serial step the SE works on while this one runs",
                    )
                )
        for required in step.requires:
            if position[required] >= position[step.id]:
                problems.append(
                    Problem(
                        ONBOARDING_FILE,
                        f"step {step.id!r} requires {required!r}, which comes after it in the checklist",
                        line=line,
                        path=f"onboarding.steps[{index[step.id]}].requires",
                        hint="move the required step earlier (phase order, then list order)",
                    )
                )
        if step.handbook_page and not (project.root / "playbooks" / step.handbook_page).is_file():
            problems.append(
                Problem(
                    ONBOARDING_FILE,
                    f"handbook page playbooks/{step.handbook_page} does not exist",
                    line=line,
                    path=f"onboarding.steps[{index[step.id]}].handbook_page",
                    hint="point at an existing page under playbooks/ or write it",
                )
            )
    return problems


def budget_problems(dataset: DataSet, checklist: Checklist, context: Mapping) -> list[Problem]:
    """One problem per supported combination whose counted minutes exceed the budget."""
    problems = []
    line = _line_of(dataset, ONBOARDING_FILE, ["onboarding", "budget_minutes"])
    for options in all_combinations(context):
        budget = compute_budget(checklist.for_tenant(options), checklist.budget_minutes)
        if not budget.fits:
            slowest = sorted(budget.groups, key=lambda g: -g.minutes)[:3]
            biggest = ", ".join(f"{g.anchor.id} {g.minutes}" for g in slowest)
            problems.append(
                Problem(
                    ONBOARDING_FILE,
                    f"combination {options.label()} takes {budget.total} minutes on the SE's critical path, over the "
                    f"budget of {budget.limit} (largest: {biggest})",
                    line=line,
                    path="onboarding.budget_minutes",
                    hint="shorten steps, run customer-side steps in parallel with an SE step, or split the onboarding",
                )
            )
    return problems


def check_decision_tree(project: Project, dataset: DataSet) -> list[Problem]:
    """No cycles, no unreachable node, valid defaults and answers, and a valid outcome at the end of every path."""
    context = dataset.internal
    if "decision_tree" not in context:
        return []
    tree = load_tree(context)
    index = {n["id"]: i for i, n in enumerate(context["decision_tree"]["nodes"])}

    def problem(node_id: str, message: str, hint: str) -> Problem:
        where = ["decision_tree", "nodes", index[node_id]]
        return Problem(
            TREE_FILE,
            message,
            line=_line_of(dataset, TREE_FILE, where),
            path=f"decision_tree.nodes[{index[node_id]}]",
            hint=hint,
        )

    problems = []
    for node in tree.questions():
        ids = [a.id for a in node.answers]
        if len(set(ids)) != len(ids):
            problems.append(
                problem(node.id, f"question {node.id!r} has an answer id twice", "rename one answer")
            )
        if node.default not in ids:
            problems.append(
                problem(
                    node.id,
                    f"default {node.default!r} of {node.id!r} is not one of its answers; "
                    f"valid: {', '.join(ids)}",
                    "set default to one of the answer ids",
                )
            )
    cycle = find_cycle(tree)
    if cycle:
        problems.append(
            problem(
                cycle[0],
                f"the decision tree has a cycle: {' -> '.join(cycle)}",
                "point an answer's next at a later question or an outcome",
            )
        )
    for node_id in unreachable(tree):
        problems.append(
            problem(
                node_id,
                f"node {node_id!r} cannot be reached from {tree.start!r}",
                "point an answer's next at it, or remove it",
            )
        )
    if not cycle:
        problems += _path_problems(tree, context, problem)
    return problems


def find_cycle(tree: DecisionTree) -> list[str]:
    """The node ids of one cycle (first node repeated at the end), or [] when the graph is acyclic."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node_id: str) -> list[str]:
        state[node_id] = "open"
        stack.append(node_id)
        for answer in tree.nodes[node_id].answers:
            nxt = answer.next
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and nxt in tree.nodes:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node_id] = "done"
        return []

    for node_id in tree.nodes:
        if node_id not in state:
            found = visit(node_id)
            if found:
                return found
    return []


def unreachable(tree: DecisionTree) -> list[str]:
    """Ids of nodes no path from the start reaches, in data order."""
    seen = {tree.start}
    todo = [tree.start]
    while todo:
        for answer in tree.nodes[todo.pop()].answers:
            if answer.next not in seen and answer.next in tree.nodes:
                seen.add(answer.next)
                todo.append(answer.next)
    return [n for n in tree.nodes if n not in seen]


def _path_problems(tree: DecisionTree, context: Mapping, problem) -> list[Problem]:
    regions = {r["id"]: r for r in context["regions"]}
    problems = []
    for path, leaf in all_paths(tree):
        answered = " -> ".join(f"{q.id}={a.id}" for q, a in path) or "(no answers)"
        if leaf.kind != "outcome":
            problems.append(
                problem(
                    leaf.id,
                    f"path {answered} ends at {leaf.id!r}, which is not an outcome",
                    "end every path at a node of kind outcome",
                )
            )
            continue
        facts: dict = {}
        for question, answer in path:
            for key, value in answer.sets.items():
                if key in facts:
                    problems.append(
                        problem(
                            question.id,
                            f"path {answered} sets {key} twice ({facts[key]!r}, then "
                            f"{value!r} at {question.id}={answer.id})",
                            "set each fact on one answer of a path only",
                        )
                    )
                facts[key] = value
        missing = [f for f in REQUIRED_FACTS if f not in facts]
        if missing:
            problems.append(
                problem(
                    leaf.id,
                    f"path {answered} reaches outcome {leaf.id!r} without {', '.join(missing)}",
                    "set the missing facts on an answer along the path",
                )
            )
        if (facts.get("key_mode") == BYOK) != ("key_provider" in facts):
            problems.append(
                problem(
                    leaf.id,
                    f"path {answered} sets key_mode {facts.get('key_mode')!r} with key "
                    f"provider {facts.get('key_provider')!r}",
                    "set key_provider exactly on the BYOK paths",
                )
            )
        for question, answer in path:
            pinned = answer.pins_region
            region = facts.get("region")
            if pinned and region != pinned:
                got = regions[region]["name"] if region in regions else region
                problems.append(
                    problem(
                        question.id,
                        f"path {answered} pins the tenant to {regions[pinned]['name']} "
                        f"at {question.id}={answer.id} but ends in region {got!r}",
                        "a pinned region must be the outcome's region; fix the answers' sets",
                    )
                )
    return problems


__all__ = ["QUESTION", "check_decision_tree", "check_onboarding", "find_cycle", "unreachable"]
