"""The region, data-mode and key decision tree (data/decision_tree.yaml): walk it, and enumerate its paths."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from .choices import match_choice
from .conditions import applies
from .options import BYOK, TenantOptions

QUESTION, OUTCOME = "question", "outcome"
FACTS = ("region", "data_mode", "key_mode", "key_provider", "eu_personal_data")


class AnswerError(ValueError):
    """An answer that is not one of the question's choices, or an answer to no question; lists the valid ones."""


@dataclass(frozen=True)
class Answer:
    id: str
    label: str
    why: str
    next: str
    sets: Mapping = field(default_factory=dict)
    pins_region: str | None = None


@dataclass(frozen=True)
class Node:
    """A question (with answers and a default) or an outcome (a leaf with a title and summary)."""

    id: str
    kind: str
    text: str = ""
    help: str = ""
    default: str = ""
    answers: tuple[Answer, ...] = ()
    title: str = ""
    summary: str = ""

    def answer(self, answer_id: str) -> Answer:
        """The answer `answer_id` names, forgiving case and '-' for '_'; AnswerError lists the valid ones."""
        by_id = {a.id: a for a in self.answers}
        return by_id[match_choice("answer", answer_id, list(by_id), AnswerError, f" to {self.id!r}")]


@dataclass(frozen=True)
class Paperwork:
    document: str
    why: str
    when: Mapping = field(default_factory=dict)
    variant: str = ""


@dataclass(frozen=True)
class DecisionTree:
    start: str
    nodes: Mapping[str, Node]
    paperwork: tuple[Paperwork, ...]

    def questions(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == QUESTION]


@dataclass(frozen=True)
class Decision:
    """Where a walk through the tree ended: the answers given, the facts they set and why, and the paperwork."""

    path: tuple[tuple[Node, Answer], ...]
    outcome: Node
    facts: Mapping
    reasons: Mapping  # fact -> why of the answer that set it
    pinned: Mapping  # region id -> the answer that pinned it
    paperwork: tuple[Paperwork, ...] = ()

    def options(self, connectors: tuple[str, ...] = ()) -> TenantOptions:
        """The decided options as TenantOptions (connectors are not part of the decision)."""
        return TenantOptions(
            region=self.facts["region"],
            data_mode=self.facts["data_mode"],
            key_mode=self.facts["key_mode"],
            key_provider=self.facts.get("key_provider"),
            connectors=connectors,
            eu_personal_data=bool(self.facts["eu_personal_data"]),
        )


def load_tree(context: Mapping) -> DecisionTree:
    """The decision tree from the data context (key `decision_tree`)."""
    data = context["decision_tree"]
    nodes = {}
    for raw in data["nodes"]:
        answers = tuple(
            Answer(a["id"], a["label"], a["why"], a["next"], dict(a.get("sets") or {}), a.get("pins_region"))
            for a in raw.get("answers") or ()
        )
        nodes[raw["id"]] = Node(
            id=raw["id"],
            kind=raw["kind"],
            text=raw.get("text", ""),
            help=raw.get("help", ""),
            default=raw.get("default", ""),
            answers=answers,
            title=raw.get("title", ""),
            summary=raw.get("summary", ""),
        )
    paperwork = tuple(
        Paperwork(p["document"], p["why"], dict(p.get("when") or {}), p.get("variant", ""))
        for p in data["paperwork"]
    )
    return DecisionTree(start=data["start"], nodes=nodes, paperwork=paperwork)


Ask = Callable[[Node], str]


def walk(tree: DecisionTree, answers: Mapping[str, str], ask: Ask | None = None) -> Decision:
    """Follow the tree from its start, taking each answer from `answers`, else from `ask(question)`.

    Raises AnswerError for an invalid answer, for an answer to a question the path never reaches, and for a
    question left unanswered when there is no `ask`.
    """
    node = tree.nodes[tree.start]
    path: list[tuple[Node, Answer]] = []
    seen: set[str] = set()
    while node.kind == QUESTION:
        if node.id in seen:
            raise AnswerError(f"the decision tree loops back to {node.id!r}; run `./dev check`")
        seen.add(node.id)
        if node.id in answers:
            answer = node.answer(answers[node.id])
        elif ask is not None:
            answer = node.answer(ask(node))
        else:
            valid = ", ".join(a.id for a in node.answers)
            raise AnswerError(f"no answer to {node.id!r} ({node.text}); valid: {valid}")
        path.append((node, answer))
        node = tree.nodes[answer.next]
    unused = sorted(set(answers) - {q.id for q, _ in path})
    if unused:
        asked = ", ".join(q.id for q, _ in path)
        raise AnswerError(
            f"answers given to questions this path does not ask: {', '.join(unused)}; asked: {asked}"
        )
    return decision_from_path(tree, tuple(path), node)


def decision_from_path(tree: DecisionTree, path: tuple[tuple[Node, Answer], ...], outcome: Node) -> Decision:
    """Facts, reasons, pins and paperwork of one path (the last fact set wins; the checks reject conflicts)."""
    facts: dict = {}
    reasons: dict = {}
    pinned: dict = {}
    for _question, answer in path:
        for key, value in answer.sets.items():
            facts[key] = value
            reasons[key] = answer.why
        if answer.pins_region:
            pinned[answer.pins_region] = answer
    decision = Decision(tuple(path), outcome, facts, reasons, pinned)
    if all(k in facts for k in ("region", "data_mode", "key_mode", "eu_personal_data")):
        options = decision.options()
        paperwork = tuple(p for p in tree.paperwork if applies(p.when, options))
        decision = Decision(tuple(path), outcome, facts, reasons, pinned, paperwork)
    return decision


def all_paths(tree: DecisionTree) -> Iterator[tuple[tuple[tuple[Node, Answer], ...], Node]]:
    """Every path from the start to a leaf, as ((question, answer), ...) and the leaf. Skips loops."""

    def visit(node: Node, path: tuple, seen: frozenset):
        if node.kind != QUESTION or not node.answers:
            yield path, node
            return
        for answer in node.answers:
            target = tree.nodes.get(answer.next)
            if target is None or target.id in seen:
                continue
            yield from visit(target, (*path, (node, answer)), seen | {target.id})

    start = tree.nodes[tree.start]
    yield from visit(start, (), frozenset({start.id}))


def is_byok(facts: Mapping) -> bool:
    return facts.get("key_mode") == BYOK
