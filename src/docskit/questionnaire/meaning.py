"""What a buyer's question means beyond its words, read with the security thesaurus (data/questionnaire/thesaurus.yaml).

- Synonyms: the words buyers use for one thing, folded to one token (MFA = 2FA = two-factor, DMZ = perimeter network).
- Answer type: whether the question asks for yes/no, a number, a date, a list, or a description.
- Polarity: whether it asks if something bad is allowed or happens ("may staff access data without approval?"),
  asks about the control that prevents it, or neither.
- Subject: who it is about: our cloud provider, us, our staff, or the customer.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from ..paths import REPO_ROOT
from ..problems import BuildFailed, Problem

THESAURUS_FILE = "data/questionnaire/thesaurus.yaml"
THESAURUS_SCHEMA = "schemas/thesaurus.schema.json"
RISK, CONTROL, NEUTRAL = "risk", "control", "neutral"


def _words_pattern(words: list[str]) -> str:
    """Whole-word alternatives, longest first, with a space or a hyphen allowed between words."""
    phrases = sorted(words, key=len, reverse=True)
    return r"\b(" + "|".join(re.escape(p).replace(r"\ ", "[- ]") for p in phrases) + r")\b"


@dataclass(frozen=True)
class Thesaurus:
    """The compiled thesaurus: build it from the validated data record with `Thesaurus.of(record)`."""

    synonyms: tuple[tuple[re.Pattern, str], ...]
    risk_cues: tuple[tuple[str, re.Pattern], ...]
    prevention_cues: tuple[tuple[str, re.Pattern], ...]
    subjects: tuple[tuple[str, re.Pattern], ...]
    subject_sensitive: re.Pattern
    answer_types: tuple[tuple[str, re.Pattern], ...]

    @classmethod
    def of(cls, record: Mapping) -> Thesaurus:
        """Compile a thesaurus record (the data file's content, already schema-validated)."""
        return cls(
            synonyms=tuple(
                (re.compile(e["pattern"] if "pattern" in e else _words_pattern(list(e["words"]))), e["to"])
                for e in record["synonyms"]
            ),
            risk_cues=tuple((e["id"], re.compile(e["pattern"])) for e in record["risk_cues"]),
            prevention_cues=tuple((e["id"], re.compile(e["pattern"])) for e in record["prevention_cues"]),
            subjects=tuple((e["id"], re.compile(e["pattern"])) for e in record["subjects"]),
            subject_sensitive=re.compile(record["subject_sensitive"]),
            answer_types=tuple((e["type"], re.compile(e["pattern"])) for e in record["answer_types"]),
        )

    def fold(self, text: str) -> str:
        """Lower-case text with every synonym replaced by its token, in the thesaurus's order."""
        for pattern, replacement in self.synonyms:
            text = pattern.sub(replacement, text)
        return text

    def risks(self, question: str) -> set[str]:
        """The risk cues (ids) a question's wording carries."""
        text = _plain(question)
        return {cue for cue, pattern in self.risk_cues if pattern.search(text)}

    def polarity(self, question: str) -> str:
        """RISK when the question asks whether something bad is allowed or happens, CONTROL when it asks about
        the control that prevents something, NEUTRAL otherwise."""
        text = _plain(question)
        if any(p.search(text) for _, p in self.prevention_cues):
            return CONTROL
        return RISK if self.risks(question) else NEUTRAL

    def subject(self, question: str) -> str | None:
        """Who the question is about: provider, us, staff or customer; None when it does not say (then it is
        about us, the vendor, implicitly)."""
        text = _plain(question)
        return next((subject for subject, p in self.subjects if p.search(text)), None)

    def subject_matters(self, text: str) -> bool:
        """Whether an answer's topic is one where the subject decides the answer (certifications)."""
        return bool(self.subject_sensitive.search(_plain(text)))

    def kind(self, question: str) -> str:
        """The answer type a question asks for: yesno, number, date, list or describe."""
        text = _plain(question)
        return next((kind for kind, p in self.answer_types if p.search(text)), "describe")


def _plain(text: str) -> str:
    return " ".join(str(text).lower().replace("’", "'").split())


@functools.cache
def default_thesaurus() -> Thesaurus:
    """The repository's thesaurus, schema-checked, for callers that have no loaded data set (normalise())."""
    path, schema_path = REPO_ROOT / THESAURUS_FILE, REPO_ROOT / THESAURUS_SCHEMA
    return Thesaurus.of(_validated(path, schema_path))


def _validated(path: Path, schema_path: Path) -> Mapping:
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))
    if errors:
        where = ".".join(str(p) for p in errors[0].absolute_path)
        raise BuildFailed(
            [Problem(THESAURUS_FILE, errors[0].message, path=where, hint="see " + THESAURUS_SCHEMA)]
        )
    return record


@dataclass(frozen=True)
class Constraint:
    """Which bank answers a question may take, by meaning: `allowed[i]` is False for an answer whose polarity or
    subject contradicts the question; `inverted[i]` is the answer value to write instead of answer i's own when the
    question asks the opposite of it (with the reason); `kind` is the question's answer type."""

    kind: str
    allowed: np.ndarray | None = None
    inverted: Mapping[int, tuple[str, str]] | None = None


class MeaningRules:
    """Polarity and subject rules of one bank, read once from each answer's canonical question."""

    def __init__(self, thesaurus: Thesaurus, answers: list):
        self.thesaurus = thesaurus
        self._ids = [a.id for a in answers]
        self._values = np.array([a.answer for a in answers])
        self._polarity = np.array([thesaurus.polarity(a.question) for a in answers])
        self._risks = [thesaurus.risks(a.question) for a in answers]
        self._cued = [i for i, cues in enumerate(self._risks) if cues]  # only these can be inverted
        self._sensitive = np.array([thesaurus.subject_matters(a.question) for a in answers])
        self._subject = np.array([_vendor_side(thesaurus.subject(a.question)) for a in answers])

    def constraint(self, question: str) -> Constraint:
        """The meaning constraint of one buyer question on the bank's answers."""
        kind = self.thesaurus.kind(question)
        allowed = np.ones(len(self._ids), dtype=bool)
        inverted: dict[int, tuple[str, str]] = {}
        if kind == "yesno":
            self._polarity_rule(question, allowed, inverted)
        subject = self.thesaurus.subject(question)
        if subject in ("provider", "us"):
            # A question about the provider's certifications must not get our own status, nor the reverse.
            allowed &= ~(self._sensitive & (self._subject != subject))
        if allowed.all() and not inverted:
            return Constraint(kind)
        return Constraint(kind, allowed, inverted)

    def _polarity_rule(self, question: str, allowed: np.ndarray, inverted: dict) -> None:
        polarity = self.thesaurus.polarity(question)
        if polarity == NEUTRAL:
            return
        if polarity == RISK:
            # "May X happen?" cannot take the Yes of a control: the Yes would say X may happen.
            blocked = (self._values == "Yes") & (self._polarity != RISK)
            flip, value, verb, says = CONTROL, "No", "allowed", "it is prevented"
        else:
            # "Is X prevented?" cannot take the No of "Does X happen?": the No would deny the control.
            blocked = self._polarity == RISK
            flip, value, verb, says = RISK, "Yes", "prevented", "it does not happen"
        allowed &= ~blocked
        cues = self.thesaurus.risks(question)
        for i in self._cued:
            shared = sorted(cues & self._risks[i])
            # An answer about the very thing asked, phrased the other way round, answers it inverted.
            if shared and blocked[i] and self._polarity[i] == flip and self._values[i] in ("Yes", "No"):
                allowed[i] = True
                reason = f"answer inverted: the question asks whether it is {verb} ({_cue(shared)}); {self._ids[i]} says {says}"
                inverted[i] = (value, reason)


def _vendor_side(subject: str | None) -> str:
    """Our staff and unstated subjects are us; only the provider is someone else."""
    return "provider" if subject == "provider" else "us"


def _cue(ids: list[str]) -> str:
    return " and ".join(i.replace("_", " ") for i in ids)
