"""Leave-one-corpus-out evaluation of auto-fill on labelled questionnaires the bank was not written from.

Each corpus is a YAML file of buyer questions in another framework's words (CAIQ v3.1, HECVAT, CIS, NIST CSF, a
hospital's own sheet), every row labelled by hand with the bank answer that is right for it, or null when the
bank has none, and, where it matters, the answer value a right reply carries ("No" to "may staff access data
without approval?"). For every corpus in turn, what auto-fill tunes (the confidence threshold) is calibrated on the
OTHER corpora only, precision first and then the share answered, and the held-out corpus is measured at that
threshold: the figures describe questions the tuning never saw. The matcher's description weight (how much of its
blend compares the question with what each answer says) is calibrated with the threshold, from a small grid: the
pair that answers most training rows at the calibration precision wins.

A row is answered when the matcher's views agree and its confidence reaches the threshold; it is right when the
answered bank id is one the label accepts and the answer value written is the labelled one. Every other row is
flagged, with the owner role that must answer it (see owners.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from .bank import Bank
from .errors import QuestionnaireError
from .matcher import Match, Matcher
from .owners import OwnerRouter

# The bar for every held-out corpus.
TARGET_ANSWERED = 0.80
TARGET_PRECISION = 0.95
# Calibration asks more of the training corpora than the bar asks of the held-out one: a threshold that only just
# reaches 95% on the questions it was chosen on falls below it on about half of the questionnaires it never saw.
CALIBRATION_PRECISION = 0.97
# The description weights calibration chooses from (0 leaves the description view out).
DESCRIPTION_WEIGHTS = (0.0, 0.15, 0.3, 0.45)
SCHEMA_FILE = "corpus.schema.json"


@dataclass(frozen=True)
class Row:
    """One labelled buyer question."""

    corpus: str
    ref: str
    question: str
    acceptable: tuple[str, ...]  # bank ids that are right for it; empty when the bank has no answer
    expected: str | None = None  # the answer value a right reply carries, where the label says


@dataclass(frozen=True)
class Corpus:
    """A labelled questionnaire and where its wording comes from."""

    name: str
    title: str
    source: str
    licence: str
    path: Path
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Outcome:
    """What the matcher made of one row, before any threshold: its match, the answer value it would write, whether
    that would be right, and who must answer the row if it is flagged."""

    row: Row
    match: Match
    given: str | None
    correct: bool
    owner: str

    def answered(self, threshold: float) -> bool:
        """Whether auto-fill writes this row as answered at `threshold`."""
        return self.match.answer_id is not None and self.match.agreed and self.match.confidence >= threshold


def load_corpora(folder: Path | str, bank: Bank) -> list[Corpus]:
    """Every corpus (*.yaml) of `folder`, validated against the folder's corpus.schema.json and the bank's ids."""
    folder = Path(folder)
    schema_path = folder / SCHEMA_FILE
    if not schema_path.is_file():
        raise QuestionnaireError(
            f"{schema_path}: the corpus schema is missing; restore it from version control"
        )
    validator = Draft202012Validator(json.loads(schema_path.read_text(encoding="utf-8")))
    ids = set(bank.by_id())
    corpora = [_load_corpus(path, validator, ids) for path in sorted(folder.glob("*.yaml"))]
    if not corpora:
        raise QuestionnaireError(f"{folder}: no corpus (*.yaml) to evaluate on")
    names = [c.name for c in corpora]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise QuestionnaireError(
            f"{folder}: corpus names used twice: {', '.join(duplicates)}; give each its own"
        )
    return corpora


def _load_corpus(path: Path, validator: Draft202012Validator, ids: set[str]) -> Corpus:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise QuestionnaireError(f"{path}: not valid YAML: {error}") from None
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        raise QuestionnaireError(f"{path}: {where or 'top level'}: {error.message}")
    rows = []
    for index, record in enumerate(data["questions"]):
        label = record["bank"]
        acceptable = () if label is None else (label,) if isinstance(label, str) else tuple(label)
        unknown = [i for i in acceptable if i not in ids]
        if unknown:
            raise QuestionnaireError(
                f"{path}: questions[{index}].bank: unknown bank id {', '.join(unknown)}; label with an id of "
                "data/questionnaire/ccm_*.yaml or null"
            )
        rows.append(Row(data["name"], str(record["ref"]), record["q"], acceptable, record.get("answer")))
    return Corpus(data["name"], data["title"], data["source"], data["licence"], path, tuple(rows))


def outcomes(matcher: Matcher, rows: list[Row]) -> list[Outcome]:
    """Match every row once (text only: a corpus's own question ids are another framework's) and judge it."""
    answers = matcher.bank.by_id()
    router = OwnerRouter(matcher.bank)
    matches = matcher.match_all([r.question for r in rows])
    result = []
    for row, match in zip(rows, matches, strict=True):
        given = match.answer or (answers[match.answer_id].answer if match.answer_id else None)
        correct = match.answer_id in row.acceptable and (row.expected is None or given == row.expected)
        result.append(Outcome(row, match, given, correct, router.owner(match)))
    return result


def calibrate(training: list[Outcome], precision: float = CALIBRATION_PRECISION) -> float:
    """The lowest threshold at which the answered training rows are at least `precision` right: precision holds
    first, then as many rows as possible are answered. Above every confidence (nothing answered) if none is."""
    candidates = sorted({o.match.confidence for o in training if o.match.agreed and o.match.answer_id})
    for threshold in candidates:
        answered = [o for o in training if o.answered(threshold)]
        if sum(o.correct for o in answered) >= precision * len(answered):
            return threshold
    return round(max(candidates, default=100.0) + 0.1, 1)


@dataclass(frozen=True)
class Calibration:
    """What is tuned: the matcher's description weight and the confidence threshold."""

    description_weight: float
    threshold: float
    answered: int  # training rows answered at this calibration


def calibrate_matcher(judged: dict[float, list[Outcome]]) -> Calibration:
    """The description weight and threshold that answer most training rows while keeping the calibration
    precision; `judged` holds the training rows' outcomes for each candidate weight. Ties go to the lower weight."""
    best = None
    for weight in sorted(judged):
        threshold = calibrate(judged[weight])
        answered = int(sum(o.answered(threshold) for o in judged[weight]))
        if best is None or answered > best.answered:
            best = Calibration(weight, threshold, answered)
    return best


@dataclass(frozen=True)
class HeldOut:
    """The figures of one corpus measured at a calibration made without it."""

    corpus: Corpus
    threshold: float
    outcomes: tuple[Outcome, ...]
    description_weight: float = 0.0

    @property
    def answered(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.answered(self.threshold)]

    @property
    def flagged(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.answered(self.threshold)]

    @property
    def wrong(self) -> list[Outcome]:
        return [o for o in self.answered if not o.correct]

    @property
    def answered_share(self) -> float:
        return len(self.answered) / len(self.outcomes)

    @property
    def precision(self) -> float:
        answered = self.answered
        return sum(o.correct for o in answered) / len(answered) if answered else 1.0

    @property
    def flagged_share(self) -> float:
        return len(self.flagged) / len(self.outcomes)

    @property
    def routed(self) -> bool:
        """Every flagged row names the owner who must answer it."""
        return all(o.owner for o in self.flagged)

    def meets_targets(self) -> bool:
        """The issue's bar: at least 80% answered and at least 95% of the answered rows right."""
        return self.answered_share >= TARGET_ANSWERED and self.precision >= TARGET_PRECISION and self.routed


def leave_one_corpus_out(
    matcher: Matcher, corpora: list[Corpus], weights: tuple[float, ...] = DESCRIPTION_WEIGHTS
) -> list[HeldOut]:
    """For each corpus, the description weight and threshold calibrated on all the others, and its figures at
    that calibration."""
    if len(corpora) < 2:
        raise QuestionnaireError("leave-one-corpus-out needs at least two corpora")
    judged = {w: {c.name: outcomes(matcher.reweighted(w), list(c.rows)) for c in corpora} for w in weights}
    results = []
    for corpus in corpora:
        training = {
            w: [o for name, items in by.items() if name != corpus.name for o in items]
            for w, by in judged.items()
        }
        chosen = calibrate_matcher(training)
        held = tuple(judged[chosen.description_weight][corpus.name])
        results.append(HeldOut(corpus, chosen.threshold, held, chosen.description_weight))
    return results


def calibrate_on_all(matcher: Matcher, corpora: list[Corpus], weights=DESCRIPTION_WEIGHTS) -> Calibration:
    """The calibration on every corpus: what questionnaire_settings.yaml ships."""
    rows = [r for c in corpora for r in c.rows]
    return calibrate_matcher({w: outcomes(matcher.reweighted(w), rows) for w in weights})


def at_threshold(matcher: Matcher, corpora: list[Corpus], threshold: float) -> list[HeldOut]:
    """Every corpus measured with the matcher as it is at one fixed threshold (the shipped settings)."""
    return [
        HeldOut(c, threshold, tuple(outcomes(matcher, list(c.rows))), matcher.description_weight)
        for c in corpora
    ]


def table(results: list[HeldOut]) -> str:
    """The per-corpus figures as a plain-text table, with each corpus's verdict against the targets."""
    lines = [
        f"{'corpus':<14} {'rows':>4} {'weight':>6} {'threshold':>9} {'answered':>9} {'precision':>9} "
        f"{'flagged':>8}  verdict",
    ]
    for r in results:
        verdict = "meets" if r.meets_targets() else "MISSES"
        lines.append(
            f"{r.corpus.name:<14} {len(r.outcomes):>4} {r.description_weight:>6.2f} {r.threshold:>9.1f} "
            f"{r.answered_share:>9.1%} {r.precision:>9.1%} {r.flagged_share:>8.1%}  {verdict}"
        )
    lines.append(
        f"targets per held-out corpus: answered >= {TARGET_ANSWERED:.0%}, precision >= {TARGET_PRECISION:.0%}, "
        "every flagged row routed to an owner"
    )
    return "\n".join(lines)


def wrong_rows(results: list[HeldOut]) -> str:
    """The answered rows that are wrong, one a line, for the person improving the matcher or the labels."""
    lines = []
    for r in results:
        for o in r.wrong:
            label = ", ".join(o.row.acceptable) or "not in bank"
            expected = f" answer {o.row.expected}" if o.row.expected else ""
            lines.append(
                f"  {r.corpus.name} {o.row.ref}: got {o.match.answer_id} ({o.given}, {o.match.confidence:.1f}); "
                f"label {label}{expected}: {o.row.question}"
            )
    return "\n".join(lines)
