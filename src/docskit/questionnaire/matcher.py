"""Match a buyer's question to a bank answer: its CAIQ question id first, then text similarity.

Text similarity uses rapidfuzz over normalised text (lower case, British spellings folded to American, common
synonyms folded to one token, filler words dropped, light suffix stemming). Each bank answer is represented by its
canonical question and phrasings; a question's score for an answer is its best score against any of them.

The score blends rapidfuzz's ``token_set_ratio`` (robust to extra words) with ``token_sort_ratio`` (penalises
texts that share only a few words), then scales it by how much of the question the bank text covers: a question
whose distinctive words are absent from the bank text (``How many customers do you have?`` against an answer
about customers' API access) keeps a low confidence even when the few words it does share match perfectly.
Three weightings of these scores must agree on the answer; when they do not, the confidence is scaled down so
the row goes to review: on the labelled test questionnaires most wrong matches are caught this way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from .bank import CAIQ_ID, Bank

# Spellings buyers use for the same thing, folded to one token before comparison.
SYNONYMS: tuple[tuple[str, str], ...] = (
    (
        r"\b(mfa|2fa|two[- ]?factor|multi[- ]?factor|2[- ]?step)( authentication| auth| verification)?\b",
        "multifactor",
    ),
    (r"\b(sso|single[- ]sign[- ]on)\b", "singlesignon"),
    (r"\bsaml\s*2(\.0)?\b", "saml"),
    (r"\b(byok|customer[- ]managed keys?|bring[- ]your[- ]own[- ]keys?|hyok)\b", "byok customer key"),
    (r"\b(dr)\b", "disaster recovery"),
    (r"\b(bcp|bcm)\b", "business continuity"),
    (r"\b(pen[- ]?tests?|penetration tests?|pentests?|penetration testing)\b", "pentest"),
    (r"\b(sub[- ]?processors?)\b", "subprocessor"),
    (r"\b(dpo|data protection officer|privacy officer)\b", "dpo"),
    (r"\b(pii|personal information|personally identifiable information)\b", "personal data"),
    (r"\b(e[- ]?mail)\b", "email"),
    (r"\b(anti[- ]?virus|anti[- ]?malware|edr)\b", "antimalware"),
    (r"\b(mdm)\b", "device management"),
    (r"\b(ddos|denial of service)\b", "ddos"),
    (r"\b(waf|web application firewall)\b", "waf"),
    (r"\b(nda|non[- ]disclosure agreements?|confidentiality agreements?)\b", "nda"),
    (r"\b(ntp|network time protocol)\b", "ntp"),
    (r"\b(dlp|data loss prevention|data leakage)\b", "dlp"),
    (r"\b(sast|static (application security testing|analysis))\b", "sast"),
    (r"\b(rto|recovery time objectives?)\b", "rto"),
    (r"\b(rpo|recovery point objectives?)\b", "rpo"),
    (r"\b(tls|ssl)\b", "tls"),
    (r"\b(laptops?|workstations?|desktops?|notebooks?|endpoint devices?)\b", "laptop"),
    (r"\b(employees?|staff|personnel|workforce|new hires?)\b", "staff"),
    (r"\b(customers?|clients?|tenants?)\b", "customer"),
    (r"\b(vendors?|suppliers?|third[- ]part(y|ies))\b", "supplier"),
    (r"\b(data ?cent(er|re)s?)\b", "datacenter"),
    (r"\b(24x7|24/7|round[- ]the[- ]clock|around the clock)\b", "24x7"),
    (r"\b(ai|artificial intelligence|machine learning|ml)\b", "machinelearning"),
    (r"\b(annually|yearly|each year|every year|once a year|every twelve months)\b", "annual"),
    (r"\b(how often|how frequently|frequency|cadence|periodically|regularly|regular basis)\b", "frequency"),
    (r"\b(cryptographic|encryption|crypto)\b", "encryption"),
    (r"\b(revoke|revoked|revocation|withdraw|withdrawn|disable|disabled)\b", "revoke"),
    (r"\b(terminat\w*|offboard\w*|leav\w+|depart\w*|exit)\b", "termination"),
    (r"\b(cves?|vulnerability|vulnerabilities|security flaws?|security bugs?)\b", "vulnerability"),
    (r"\b(open[- ]source|oss|third[- ]party librar(y|ies)|dependencies|dependency)\b", "dependency"),
    (r"\b(delete|deleted|deletion|erase|erasure|destroy\w*|purg\w+)\b", "delete"),
    (r"\b(retain|retained|retention|store[ds]? for|kept for|keep for)\b", "retention"),
    (r"\b(dry[- ]?run|simulat\w+|preview)\b", "simulate"),
    (r"\b(permit\w*|allow\w*|authori[sz]ed to)\b", "allow"),
    (r"\b(audit trail|audit logs?|activity logs?)\b", "auditlog"),
    (r"\b(history|histories|trail|records?|recorded|logged)\b", "record"),
)
_SYNONYMS = tuple((re.compile(pattern), replacement) for pattern, replacement in SYNONYMS)

_FILLER_WORDS = (
    "a an the and or of to for in on at by with from as is are was were be been being do does did done have has had "
    "you your yours we our us ours they their it its this that these those there any all each every which what who whom "
    "how when where why can could will would should shall may might must please provide describe explain list "
    "state confirm detail details indicate organisation organization company vendor service services provider "
    "solution platform product if so whether such other than about into over under per also including include "
    "includes e g i ie eg etc while within upon prior ever using both made many some used use yes no "
    "currently ensure ensures make makes able"
)
STOPWORDS = frozenset(_FILLER_WORDS.split())
_BRITISH = re.compile(r"\b(\w{3,}?)is(e|ed|es|ing|ation|ations)\b")
_WORD = re.compile(r"[a-z0-9]+")


_SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "ies", "ied", "ed", "es", "e", "s")


def _stem(word: str) -> str:
    """A light suffix stemmer: rotate, rotated, rotating and rotation all become 'rotat'."""
    if word.endswith("ss"):
        return word
    if len(word) <= 4:  # keys -> key, logs -> log; short words are otherwise kept whole
        return (
            word[:-1] if len(word) == 4 and word.endswith("s") and not word.endswith(("us", "is")) else word
        )
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            stem = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                stem = stem[:-1]  # scanning -> scan, not scann
            return stem
    return word


def normalise(text: str) -> str:
    """Text as the matcher compares it: lower case, synonyms folded, filler words dropped, words stemmed."""
    text = _BRITISH.sub(r"\1iz\2", str(text).lower().replace("&", " and "))
    for pattern, replacement in _SYNONYMS:
        text = pattern.sub(replacement, text)
    return " ".join(_stem(w) for w in _WORD.findall(text) if w not in STOPWORDS and len(w) > 1)


# Three views of the same rapidfuzz scores: (weight of token_set_ratio, the rest token_sort_ratio; share of the
# score that depends on how much of the question the bank text covers). The first view is the confidence; when
# the other views pick a different answer, the match is uncertain and its confidence is scaled down. Tuned
# together with the threshold in data/questionnaire/questionnaire_settings.yaml.
VIEWS: tuple[tuple[float, float], ...] = ((0.7, 0.7), (0.5, 0.0), (1.0, 0.3))
DISAGREEMENT_FACTOR = 0.6


@dataclass(frozen=True)
class Match:
    """The outcome for one buyer question: the best bank answer (if any) and how sure we are."""

    answer_id: str | None
    confidence: float
    method: str  # "id" (CAIQ question id), "text" (similarity) or "none"
    runner_up: str | None = None
    agreed: bool = True  # all similarity views chose the same answer


class Matcher:
    """Matches questions against one bank; build it once, then call `match_all` for a whole questionnaire."""

    def __init__(self, bank: Bank):
        self.bank = bank
        self._by_caiq = {qid: a.id for qid, a in bank.by_caiq().items()}
        self._by_control: dict[str, str] = {}
        for qid in sorted(self._by_caiq):
            self._by_control.setdefault(qid.split(".")[0], self._by_caiq[qid])
        self._ids = [a.id for a in bank.answers]
        self._choices: list[str] = []
        self._starts: list[int] = []  # index of each answer's first text in _choices
        for answer in bank.answers:
            self._starts.append(len(self._choices))
            self._choices.extend(normalise(text) for text in answer.texts)
        self._vocabulary = {w: i for i, w in enumerate(sorted({w for c in self._choices for w in c.split()}))}
        self._choice_words = self._word_matrix(self._choices)

    def _word_matrix(self, texts: list[str]) -> np.ndarray:
        """One row per text, one column per bank word: 1 where the text has the word."""
        matrix = np.zeros((len(texts), len(self._vocabulary)), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                column = self._vocabulary.get(word)
                if column is not None:
                    matrix[row, column] = 1.0
        return matrix

    def by_question_id(self, question_id: str | None) -> str | None:
        """The bank id answering a CAIQ question id (A&A-01.1), or a control id (A&A-01); None if unknown."""
        if not question_id:
            return None
        qid = str(question_id).strip().upper()
        if qid in self._by_caiq:
            return self._by_caiq[qid]
        if CAIQ_ID.match(qid + ".1") and qid in self._by_control:
            return self._by_control[qid]
        return None

    def match_all(self, questions: list[str], question_ids: list[str | None] | None = None) -> list[Match]:
        """One Match per question: an exact CAIQ id wins; otherwise the best text similarity."""
        question_ids = question_ids or [None] * len(questions)
        results: list[Match] = [Match(None, 0.0, "none")] * len(questions)
        to_score: list[int] = []
        for i, (question, qid) in enumerate(zip(questions, question_ids, strict=True)):
            exact = self.by_question_id(qid) or self.by_question_id(_leading_id(question))
            if exact:
                results[i] = Match(exact, 100.0, "id")
            else:
                to_score.append(i)
        queries = [normalise(questions[i]) for i in to_score]
        scored = [i for i, q in zip(to_score, queries, strict=True) if q]
        if scored and self._choices:
            views = self.scores([q for q in queries if q])
            primary = views[0]
            top_two = np.argsort(-primary, axis=1)[:, :2]
            choices = np.stack([v.argmax(axis=1) for v in views])
            for row, i in enumerate(scored):
                best = int(top_two[row, 0])
                agreed = bool((choices[:, row] == best).all())
                confidence = float(primary[row, best]) * (1.0 if agreed else DISAGREEMENT_FACTOR)
                second = self._ids[int(top_two[row, 1])] if primary.shape[1] > 1 else None
                results[i] = Match(self._ids[best], round(confidence, 1), "text", second, agreed)
        return results

    def scores(self, queries: list[str]) -> list[np.ndarray]:
        """For each view, the similarity 0-100 of each normalised query (rows) to each bank answer (columns)."""
        token_set = process.cdist(queries, self._choices, scorer=fuzz.token_set_ratio, workers=-1)
        token_sort = process.cdist(queries, self._choices, scorer=fuzz.token_sort_ratio, workers=-1)
        query_words = np.array([max(1, len(q.split())) for q in queries], dtype=np.float32)[:, None]
        shared = self._word_matrix(queries) @ self._choice_words.T
        coverage = np.minimum(shared / query_words, 1.0)
        views = []
        for set_weight, coverage_weight in VIEWS:
            blended = set_weight * token_set + (1 - set_weight) * token_sort
            per_text = blended * ((1 - coverage_weight) + coverage_weight * coverage)
            views.append(np.maximum.reduceat(per_text, self._starts, axis=1))
        return views


_LEADING_ID = re.compile(r"^\s*((?:A&A|[A-Z]{3})-\d{2}(?:\.\d+)?)\b")


def _leading_id(question: str) -> str | None:
    match = _LEADING_ID.match(str(question or ""))
    return match.group(1) if match else None
