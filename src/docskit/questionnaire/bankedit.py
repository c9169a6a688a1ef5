"""Edits to the bank's YAML that keep every comment, blank line and line break of the file: a new phrasing is
inserted as one line after an answer's last phrasing, a new answer is appended to its domain file's list.
ruamel.yaml finds the positions and quotes the new text; nothing else in the file is rewritten."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString

from .errors import QuestionnaireError

WIDTH = 114  # the bank files wrap their folded descriptions at about this column


@dataclass
class NewAnswer:
    """A bank answer to append, with the comment that tells its reviewer what to check."""

    id: str
    question: str
    phrasings: list[str]
    answer: str
    description: str
    evidence: list[str]
    iso27001: list[str]
    soc2: list[str]
    owner: str
    last_reviewed: dt.date
    comment: str


@dataclass
class FileEdit:
    """The pending edits of one bank file: phrasings to add (by answer id) and answers to append."""

    path: Path
    phrasings: dict[str, list[str]] = field(default_factory=dict)
    answers: list[NewAnswer] = field(default_factory=list)

    def edited(self) -> tuple[str, str]:
        """(current text, edited text)."""
        text = self.path.read_text(encoding="utf-8")
        data = _yaml().load(text)
        lines = text.splitlines(keepends=True)
        inserts: list[tuple[int, list[str]]] = []
        for index, record in enumerate(data["answers"]):
            new = self.phrasings.get(record["id"])
            if new:
                inserts.append((_after_phrasings(self.path, record, index), _phrasing_lines(record, new)))
        if self.answers:
            inserts.append((_end_of_answers(data, lines), _answer_lines(self.answers)))
        for line, block in sorted(inserts, key=lambda item: item[0], reverse=True):
            lines[line:line] = block
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        return text, "".join(lines)


def unified_diff(edits: list[FileEdit], root: Path) -> tuple[str, dict[Path, str]]:
    """The reviewable diff of every edit, and the edited text of each file."""
    chunks, results = [], {}
    for edit in edits:
        before, after = edit.edited()
        if before == after:
            continue
        results[edit.path] = after
        name = edit.path.relative_to(root).as_posix()
        chunks += difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{name}", f"b/{name}"
        )
    return "".join(chunks), results


def _yaml() -> YAML:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = WIDTH
    return yaml


def _dump(value) -> list[str]:
    buffer = io.StringIO()
    _yaml().dump(value, buffer)
    return buffer.getvalue().splitlines(keepends=True)


def _after_phrasings(path: Path, record: CommentedMap, index: int) -> int:
    """The line index just after an answer's phrasing list (the line of the key that follows it)."""
    keys = list(record.keys())
    phrasings = record["phrasings"]
    if phrasings.fa.flow_style() or keys.index("phrasings") == len(keys) - 1:
        raise QuestionnaireError(
            f"{path}: answers[{index}] ({record['id']}) writes its phrasings on one line or last; "
            "write them as a block list followed by `answer:` so learn can add to it"
        )
    return record.lc.key(keys[keys.index("phrasings") + 1])[0]


def _phrasing_lines(record: CommentedMap, new: list[str]) -> list[str]:
    phrasings = record["phrasings"]
    dash = phrasings.lc.item(0)[1] - 2 if phrasings else record.lc.key("phrasings")[1] + 2
    lines = _dump({"p": CommentedSeq(new)})[1:]  # "  - text" under the throwaway key
    return [" " * (dash - 2) + line for line in lines]


def _end_of_answers(data: CommentedMap, lines: list[str]) -> int:
    keys = list(data.keys())
    after = keys.index("answers") + 1
    if after < len(keys):
        return data.lc.key(keys[after])[0]
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return end


def _answer_lines(answers: list[NewAnswer]) -> list[str]:
    lines = []
    for answer in answers:
        record = CommentedMap()
        record["id"] = answer.id
        record["question"] = answer.question
        record["phrasings"] = CommentedSeq(answer.phrasings)
        record["answer"] = DoubleQuotedScalarString(answer.answer)
        record["description"] = FoldedScalarString(answer.description)
        record["ssrm"] = "CSP-owned"
        record["evidence"] = _flow(CommentedSeq(answer.evidence))
        mappings = CommentedMap(
            caiq=CommentedSeq(), iso27001=CommentedSeq(answer.iso27001), soc2=CommentedSeq(answer.soc2)
        )
        record["mappings"] = _flow(mappings)
        record["owner"] = answer.owner
        record["last_reviewed"] = answer.last_reviewed
        lines += [f"  # {line}\n" for line in textwrap.wrap(answer.comment, WIDTH - 4)]
        lines += _dump({"answers": [record]})[1:]
    return lines


def _flow(node):
    node.fa.set_flow_style()
    return node
