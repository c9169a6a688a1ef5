"""Learn from an answered questionnaire: every row the fill flagged and the SE then answered becomes a change to
the bank, so the next fill of the same questions answers them.

The fill marks each row in its Match Status column (a Word table: the grey mark line under the answer). For a
flagged row ("needs review" or "unmatched") the SE either
- types `confirmed` in the status cell, keeping (or typing) the id of the right bank answer in the bank id cell:
  the buyer's question becomes a new phrasing of that answer; or
- writes the answer and its explanation: if the explanation is one of the bank's (the SE pasted it), the question
  becomes a phrasing of that answer; otherwise it becomes a new answer in the domain of the nearest bank answer,
  with that answer's owner, evidence and control mappings and a review date of today, for a reviewer to check.
A suggestion left exactly as the fill wrote it is not learned: nobody said it is right.

Nothing is written unless asked: `propose` returns the unified diff, `apply` writes the bank files.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from .bank import FOLDER
from .bankedit import FileEdit, NewAnswer, unified_diff
from .choices import NA, NO, YES, meaning
from .errors import QuestionnaireError
from .fill import (
    ANSWERED,
    CONFIRMED,
    OUTPUT_FIELDS,
    REVIEW,
    UNMATCHED,
    FillOptions,
    choose_tables,
    header_labels,
)
from .spreadsheet import column_number, file_kind, load_buyer_workbook, read_csv, sheet_table

SAME_TEXT = 90  # rapidfuzz ratio from which the SE's explanation is taken to be a bank answer's own
MIN_DESCRIPTION = 40  # the bank schema's shortest description
LEADING_CHOICE = re.compile(r"^\s*(yes|no|n/?a|not applicable)\b[\s.,:;–—-]*", re.IGNORECASE)


@dataclass
class AnsweredRow:
    """One question row of an answered copy, as the SE left it."""

    where: str
    question: str
    status: str
    bank_id: str
    answer: str
    description: str


@dataclass
class Proposal:
    """One change to the bank: a phrasing for an existing answer or a new answer."""

    where: str
    kind: str  # "phrasing" or "new answer"
    answer_id: str
    question: str
    reason: str


@dataclass
class Learned:
    """What learn found: the proposals, the flagged rows it could not learn from (and why), the diff."""

    source: Path
    proposals: list[Proposal] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    diff: str = ""
    files: dict[Path, str] = field(default_factory=dict)

    def summary(self, applied: bool) -> str:
        """The lines printed after the diff."""
        lines = [f"  {p.where}: {p.kind} {p.answer_id} ({p.reason})" for p in self.proposals]
        lines += [f"  skipped {line}" for line in self.skipped]
        count = len(self.proposals)
        if not count:
            lines.append(
                f"Nothing to learn from {self.source}: no flagged row has an answer the bank can take."
            )
        elif applied:
            lines.append(f"Applied {count} change(s) to {', '.join(sorted(p.name for p in self.files))}.")
        else:
            lines.append(
                f"{count} change(s) proposed; nothing written. Review the diff, then run again with --apply."
            )
        return "\n".join(lines)


def propose(
    filler, project, source: Path | str, options: FillOptions | None = None, today: dt.date | None = None
) -> Learned:
    """Read an answered copy and work out the bank changes; writes nothing."""
    source = Path(source)
    options = options or FillOptions()
    today = today or dt.date.today()
    learned = Learned(source)
    edits: dict[Path, FileEdit] = {}
    taken: dict[str, set[str]] = {a.id: {_norm(t) for t in a.texts} for a in filler.bank.answers}
    for row in read_answered(source, options):
        outcome = _decide(filler, row)
        if isinstance(outcome, str):
            learned.skipped.append(f"{row.where}: {outcome}")
            continue
        if outcome is None:
            continue
        kind, answer_id, reason = outcome
        if kind == "phrasing":
            if _norm(row.question) in taken[answer_id]:
                learned.skipped.append(f"{row.where}: the question is already a wording of {answer_id}")
                continue
            taken[answer_id].add(_norm(row.question))
            answer = filler.answers[answer_id]
            edit = edits.setdefault(
                _file(project, filler, answer.domain), FileEdit(_file(project, filler, answer.domain))
            )
            edit.phrasings.setdefault(answer_id, []).append(_clean(row.question))
            learned.proposals.append(Proposal(row.where, kind, answer_id, row.question, reason))
            continue
        new = _new_answer(filler, row, answer_id, edits, project, source, today)
        if isinstance(new, str):
            learned.skipped.append(f"{row.where}: {new}")
            continue
        taken[new.id] = {_norm(row.question)}
        learned.proposals.append(Proposal(row.where, kind, new.id, row.question, reason))
    learned.diff, learned.files = unified_diff(sorted(edits.values(), key=lambda e: e.path), project.root)
    return learned


def apply(learned: Learned) -> None:
    """Write the edited bank files."""
    for path, text in learned.files.items():
        path.write_text(text, encoding="utf-8")


# -- reading the answered copy --------------------------------------------------------------------------------------
def read_answered(source: Path, options: FillOptions) -> list[AnsweredRow]:
    """Every question row of an answered copy that carries the fill's marks."""
    kind = file_kind(source)
    if kind == "docx":
        return _word_rows(source, options)
    if kind == "csv":
        tables = {source.name: read_csv(source)[0]}
    else:
        from .formats.xlsx import SUMMARY_SHEET

        workbook = load_buyer_workbook(source)
        tables = {
            ws.title: sheet_table(ws) for ws in workbook.worksheets if not ws.title.startswith(SUMMARY_SHEET)
        }
    rows: list[AnsweredRow] = []
    marked = False
    for name, table, layout in choose_tables(source, tables, options, "file" if kind == "csv" else "sheet"):
        labels = header_labels(table, layout)
        status = _labelled(labels, "status")
        if status is None:
            continue
        marked = True
        bank_id = _labelled(labels, "bank_id")
        answer = column_number(options.answer_column, table, layout.header_row) or _labelled(labels, "answer")
        description = column_number(options.description_column, table, layout.header_row) or _labelled(
            labels, "description"
        )
        for r in layout.question_rows:
            rows.append(
                AnsweredRow(
                    where=f"row {r}" if kind == "csv" else f"{name}!{r}",
                    question=str(table.value(r, layout.question_column)).strip(),
                    status=_text(table.value(r, status)),
                    bank_id=_text(table.value(r, bank_id)) if bank_id else "",
                    answer=_text(table.value(r, answer)) if answer else "",
                    description=_text(table.value(r, description)) if description else "",
                )
            )
    if not marked:
        raise QuestionnaireError(
            f"{source}: no 'Match Status' column: learn reads the answered copy that "
            "./dev questionnaire fill wrote, after the SE has answered its flagged rows"
        )
    return rows


def _word_rows(source: Path, options: FillOptions) -> list[AnsweredRow]:
    from .formats.docx import MARK, cell_text, load_document, values_table, word_tables

    found = word_tables(load_document(source))
    tables = {name: values_table(name, grid) for name, _, grid in found}
    grids = {name: grid for name, _, grid in found}
    rows: list[AnsweredRow] = []
    for name, table, layout in choose_tables(source, tables, options, "table"):
        labels = header_labels(table, layout)
        answer = column_number(options.answer_column, table, layout.header_row) or _labelled(labels, "answer")
        description = column_number(options.description_column, table, layout.header_row) or _labelled(
            labels, "description"
        )
        for r in layout.question_rows:
            line = grids[name][r - 1]
            marks = [MARK.search(cell_text(c, without_mark=False)) for c in line if c is not None]
            mark = next((m for m in marks if m), None)
            if mark is None:
                continue
            answer_text = cell_text(line[answer - 1]) if answer and answer <= len(line) else ""
            description_text = (
                cell_text(line[description - 1]) if description and description <= len(line) else ""
            )
            if not description or description == answer or not answer:
                text = answer_text or description_text
                answer_text, _, description_text = text.partition("\n")
            rows.append(
                AnsweredRow(
                    f"{name} row {r}",
                    str(table.value(r, layout.question_column)).strip(),
                    mark["status"],
                    mark["bank_id"],
                    answer_text.strip(),
                    description_text.strip(),
                )
            )
    if not rows:
        raise QuestionnaireError(
            f"{source}: no row carries the fill's mark (Bank id · Confidence · Status): learn reads the "
            "answered copy that ./dev questionnaire fill wrote"
        )
    return rows


def _labelled(labels: dict[int, str], key: str) -> int | None:
    pattern = next(p for k, _, p in OUTPUT_FIELDS if k == key)
    return next((column for column, label in labels.items() if pattern.match(label)), None)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


# -- deciding what each row teaches ---------------------------------------------------------------------------------
def _decide(filler, row: AnsweredRow):
    """None (not flagged), a reason the row is skipped, or (kind, answer id, reason)."""
    status = row.status.strip().lower()
    if status == ANSWERED or not status:
        return None
    bank_id = row.bank_id.strip().lower()
    known = filler.answers.get(bank_id)
    choice = answer_choice(row.answer)
    if status == CONFIRMED:
        if known is None:
            return f"Match Status is 'confirmed' but {row.bank_id!r} is not a bank id; type the id of the right answer"
        if choice and choice != known.answer:
            return f"the row answers {row.answer!r} but {known.id} answers {known.answer!r}; make them agree"
        return ("phrasing", known.id, "confirmed by the SE")
    if status not in (REVIEW, UNMATCHED):
        return (
            f"Match Status {row.status!r} is not one the fill writes; type 'confirmed' to accept the bank id"
        )
    if not row.answer and not row.description:
        return "not answered yet"
    if known and _unchanged(filler, known, row, choice):
        return "the suggestion is as the fill wrote it; type 'confirmed' in Match Status if it is right"
    pointed = _pointed(filler, row, choice)
    if pointed:
        return ("phrasing", pointed, "the SE's explanation is this answer's")
    return ("new answer", known.id if known else "", "the SE's own answer")


def answer_choice(text: str) -> str | None:
    """Yes, No or N/A from what the SE typed or chose ("Yes - Fully", "No. We do not…"); None otherwise."""
    if not text:
        return None
    plain = meaning(text)
    if plain in (YES, NO, NA):
        return plain
    lead = LEADING_CHOICE.match(text)
    if lead:
        word = lead.group(1).lower()
        return YES if word == "yes" else NO if word == "no" else NA
    return None


def _unchanged(filler, known, row: AnsweredRow, choice: str | None) -> bool:
    same_text = _norm(row.description) == _norm(filler.descriptions[known.id])
    return same_text and (not row.answer or choice == known.answer)


def _pointed(filler, row: AnsweredRow, choice: str | None) -> str | None:
    text = _norm(row.description) or _norm(LEADING_CHOICE.sub("", row.answer))
    if len(text) < MIN_DESCRIPTION:
        return None
    best, score = None, 0.0
    for answer in filler.bank.answers:
        if choice and choice != answer.answer:
            continue
        ratio = fuzz.ratio(text, _norm(filler.descriptions[answer.id]))
        if ratio > score:
            best, score = answer.id, ratio
    return best if score >= SAME_TEXT else None


def _new_answer(filler, row, nearest_id, edits, project, source, today) -> NewAnswer | str:
    choice = answer_choice(row.answer)
    if choice is None:
        return f"the answer {row.answer!r} is not Yes, No or N/A, the only answers the bank holds"
    description = row.description or LEADING_CHOICE.sub("", row.answer).strip()
    if len(description) < MIN_DESCRIPTION:
        return f"the explanation is shorter than {MIN_DESCRIPTION} characters; write it in the comment cell"
    if not nearest_id:
        match = filler.matcher.match_all([row.question])[0]
        nearest_id = match.answer_id or ""
    nearest = filler.answers.get(nearest_id)
    if nearest is None:
        return "no bank answer is near enough to choose its domain; type the id of a related answer in Matched Bank ID"
    question = _clean(row.question)
    if not question.endswith("?"):
        question = question.rstrip(" .:;") + "?"
    if len(question) < 15:
        return "the question is too short to learn from (fewer than 15 characters)"
    path = _file(project, filler, nearest.domain)
    edit = edits.setdefault(path, FileEdit(path))
    prefix = nearest.id.split("-")[0]
    used = [a.id for a in filler.bank.answers if a.id.startswith(f"{prefix}-")] + [a.id for a in edit.answers]
    number = max(int(i.split("-")[1]) for i in used) + 1
    if number > 99:
        return f"domain {nearest.domain} has no free answer id left ({prefix}-99 is taken)"
    if "{{" in description or "{%" in description or "{#" in description:
        description = f"{{% raw %}}{description}{{% endraw %}}"
    answer = NewAnswer(
        id=f"{prefix}-{number:02d}",
        question=question,
        phrasings=[_clean(row.question)],
        answer=choice,
        description=description,
        evidence=list(nearest.evidence),
        iso27001=list(nearest.iso27001),
        soc2=list(nearest.soc2),
        owner=nearest.owner,
        last_reviewed=today,
        comment=(
            f"Learned on {today.isoformat()} from {source.name} ({row.where}). Review before committing: put the "
            f"question in our own words and keep the buyer's as a phrasing, add a second phrasing, check the "
            f"evidence and mappings (copied from {nearest.id}), and take any number in the description from data."
        ),
    )
    edit.answers.append(answer)
    return answer


def _file(project, filler, domain: str) -> Path:
    name = next(d.file for d in filler.bank.domains if d.id == domain)
    return project.data / FOLDER / f"{name}.yaml"


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def _norm(text: str) -> str:
    return " ".join(str(text or "").lower().split())
