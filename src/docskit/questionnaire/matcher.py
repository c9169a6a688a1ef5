"""Match a buyer's question to a bank answer: its CAIQ question id first, then text similarity and meaning.

Text is normalised first (lower case, British spellings folded to American, the security thesaurus of
data/questionnaire/thesaurus.yaml folded to one token (MFA/2FA/multi-factor, at rest/on disk, pen test/penetration
test, DMZ/perimeter network, SSO/SAML, BYOK, MDM...), filler words dropped, light suffix stemming). Each bank
answer is represented by its canonical question and phrasings, one by one and pooled, and by its description.

The confidence blends views: rapidfuzz token scores (scaled by how much of the question the bank text covers),
scikit-learn TF-IDF cosine similarity over words and over character n-grams, TF-IDF similarity to what the answer
says (its description; its share is calibrated, see evaluate.py), plus a small share for the question's similarity
to the answer's whole CCM domain (tie-breaking between neighbouring answers). It is then scaled by how many of the
question's words the answer's wordings contain, so a question that shares one distinctive word with an answer
stays unsure, and raised by the answer's lead over the runner-up. A match is uncertain, and its confidence scaled
down so the row goes to review, when fewer than two views pick the answer (unless its lead is wide and it covers
the question almost fully), when another answer comes within the margin of it (a wider margin when both are in
one CCM domain), or when the answer's wordings cover too little of the question's content weighted by IDF (a
question about a topic the bank lacks shares only generic words with it), or share fewer than two of the
question's distinct content words (all of them, for a one-word question): a short question with one word in common
with a single answer passes the relative checks on that word alone. Words the light stemmer leaves in another form
than the bank's (formally, publicly) are snapped to the bank word.

Meaning (meaning.py) removes candidates before any of this: an answer whose Yes would say that something bad is
allowed cannot answer a question asking whether it is (polarity), an answer about our own certification cannot
answer a question about our cloud provider's, nor the reverse (subject); an answer about the very thing asked,
phrased the other way round, answers with its value inverted and the reason recorded (Match.answer, Match.reason).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer

from .bank import CAIQ_ID, Bank
from .meaning import MeaningRules, Thesaurus, default_thesaurus

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


def normalise(text: str, thesaurus: Thesaurus | None = None) -> str:
    """Text as the matcher compares it: lower case, synonyms of the thesaurus (the repository's unless given)
    folded, filler words dropped, words stemmed."""
    text = _BRITISH.sub(r"\1iz\2", str(text).lower().replace("&", " and "))
    text = (thesaurus or default_thesaurus()).fold(text)
    stems = (_stem(w) for w in _WORD.findall(text) if w not in STOPWORDS and len(w) > 1)
    return " ".join(s for s in stems if s not in STOPWORDS)  # listed -> list, uses -> use: filler too


# The confidence blends three similarity views of a question and an answer (0-1 each): rapidfuzz token scores
# scaled by how much of the question the bank text covers, and TF-IDF cosine similarity over words (uni- and
# bigrams) and over character n-grams (robust to word forms the stemmer misses). TF-IDF is fitted on the bank, so
# words that many answers share (policy, data, review) weigh little and distinctive words decide. Each view takes
# the better of an answer's best single wording and all its wordings pooled. Tuned together with the threshold in
# data/questionnaire/questionnaire_settings.yaml.
FUZZY_BLEND = (0.7, 0.7)  # (weight of token_set_ratio, the rest token_sort_ratio; share scaled by coverage)
WEIGHTS = {"fuzzy": 0.4, "words": 0.3, "chars": 0.3}
# A fourth view compares the question with what each answer SAYS (its description, template expressions removed):
# framework wording ("inventories of hardware are maintained") often shares more with an answer's content than
# with its questions. Its share of the blend (the others shrink to make room; 0 leaves it out, also of the views'
# vote) is matching.description_weight in questionnaire_settings.yaml, calibrated with the threshold.
DESCRIPTION = "description"
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
COVERAGE_WEIGHT = 0.7  # share of the confidence that depends on how much of the question the answer covers
DOMAIN_WEIGHT = 0.1  # how much the question's similarity to the answer's whole CCM domain adds (tie-breaking)
# A match is uncertain, and its confidence scaled down, when the views do not agree on the answer or the runner-up
# (another answer) comes within MARGIN of the best score, relative to it.
MARGIN = 0.08
# Neighbouring answers of one CCM domain (a policy and its procedure, key inventory and key rotation) share most
# of their vocabulary, so a runner-up from the same domain must be further behind.
SAME_DOMAIN_MARGIN = 0.10
DISAGREEMENT_FACTOR = 0.6
# Share of the question's content, weighted by how distinctive each word is (IDF over the bank's answers; a word
# the bank never uses weighs most), that the matched answer's wordings must contain for a confident answer. A
# question about a topic the bank does not cover (sales headcount, revenue) shares only generic words with its
# best answer and goes to review.
CONTENT_COVERAGE = 0.42
FULL_CONTENT_COVERAGE = 0.8
# Distinct content words of the question that the matched answer's wordings must share for a confident answer (all
# of them when the question has fewer). One shared word is a coincidence, not corroboration, and it passes every
# relative check: in a two-word question it is half the content, and an answer that alone shares it leads an
# otherwise empty field by a wide margin, which the lead bonus nearly doubles. IDF cannot tell such a word apart
# from a topic word, because a generic word the bank rarely spells out ("year" is mostly folded to "annual") is as
# rare in the bank as "dpo".
MIN_SHARED_WORDS = 2


@dataclass(frozen=True)
class Match:
    """The outcome for one buyer question: the best bank answer (if any) and how sure we are."""

    answer_id: str | None
    confidence: float
    method: str  # "id" (CAIQ question id), "text" (similarity) or "none"
    runner_up: str | None = None
    agreed: bool = True  # the views chose the same answer and the runner-up is clearly behind
    answer: str | None = None  # the answer value to write when it is not the bank answer's own (polarity)
    reason: str = ""  # why the answer value differs from the bank's
    kind: str = ""  # the answer type the question asks for: yesno, number, date, list or describe


class Matcher:
    """Matches questions against one bank; build it once, then call `match_all` for a whole questionnaire."""

    def __init__(self, bank: Bank):
        self.bank = bank
        self.description_weight = bank.description_weight
        self.thesaurus = Thesaurus.of(bank.thesaurus) if bank.thesaurus else default_thesaurus()
        self._by_caiq = {qid: a.id for qid, a in bank.by_caiq().items()}
        self._by_control: dict[str, str] = {}
        for qid in sorted(self._by_caiq):
            self._by_control.setdefault(qid.split(".")[0], self._by_caiq[qid])
        self._ids = [a.id for a in bank.answers]
        self.rules = MeaningRules(self.thesaurus, list(bank.answers))
        self._choices: list[str] = []
        self._starts: list[int] = []  # index of each answer's first text in _choices
        for answer in bank.answers:
            self._starts.append(len(self._choices))
            self._choices.extend(normalise(text, self.thesaurus) for text in answer.texts)
        self._vocabulary = {w: i for i, w in enumerate(sorted({w for c in self._choices for w in c.split()}))}
        self._snapped: dict[str, str] = {}
        self._choice_words = self._word_matrix(self._choices)
        pooled = [
            " ".join(self._choices[a:b]) for a, b in zip(self._starts, [*self._starts[1:], None], strict=True)
        ]
        self._pooled_words = self._word_matrix(pooled)
        answers_with_word = self._pooled_words.sum(axis=0)
        self._unknown_idf = float(np.log(len(pooled) + 1) + 1)
        self._idf = np.log((len(pooled) + 1) / (answers_with_word + 1)) + 1
        domains = sorted({a.domain for a in bank.answers})
        self._domain_of = np.array([domains.index(a.domain) for a in bank.answers])
        by_domain = [
            " ".join(p for p, d in zip(pooled, self._domain_of, strict=True) if d == i)
            for i in range(len(domains))
        ]
        self._tfidf = {}
        for view, options in (
            ("words", {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"\S+"}),
            ("chars", {"analyzer": "char_wb", "ngram_range": (3, 5)}),
        ):
            vectoriser = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options).fit(self._choices)
            self._tfidf[view] = (
                vectoriser,
                vectoriser.transform(self._choices),
                vectoriser.transform(pooled),
                vectoriser.transform(by_domain),
            )
        descriptions = [normalise(_TEMPLATE.sub(" ", a.description), self.thesaurus) for a in bank.answers]
        self._describer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, token_pattern=r"\S+").fit(
            descriptions
        )
        self._descriptions = self._describer.transform(descriptions)

    @property
    def weights(self) -> dict[str, float]:
        """The share of each similarity view in the blend."""
        if not self.description_weight:
            return dict(WEIGHTS)
        rest = 1.0 - self.description_weight
        return {
            **{name: weight * rest for name, weight in WEIGHTS.items()},
            DESCRIPTION: self.description_weight,
        }

    def reweighted(self, description_weight: float) -> Matcher:
        """This matcher with another description weight (for calibration); nothing is refitted."""
        other = copy.copy(self)
        other.description_weight = description_weight
        return other

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
        ids = [qid or _leading_id(q) for q, qid in zip(questions, question_ids, strict=True)]
        if _older_caiq(ids):
            ids = [None] * len(questions)  # CAIQ v3 ids name other questions than the v4 ids the bank maps
        for i, qid in enumerate(ids):
            exact = self.by_question_id(qid)
            if exact:
                results[i] = Match(exact, 100.0, "id")
            else:
                to_score.append(i)
        queries = [self.snap(normalise(questions[i], self.thesaurus)) for i in to_score]
        scored = [i for i, q in zip(to_score, queries, strict=True) if q]
        if scored and self._choices:
            views = self.scores([q for q in queries if q])
            weights = self.weights
            combined = sum(w * views[name] for name, w in weights.items()) + DOMAIN_WEIGHT * views["domain"]
            combined *= (1 - COVERAGE_WEIGHT) + COVERAGE_WEIGHT * views["coverage"]
            # Answers whose polarity or subject contradicts the question are no candidates at all (meaning.py).
            constraints = [self.rules.constraint(questions[i]) for i in scored]
            allowed = np.stack(
                [
                    c.allowed if c.allowed is not None else np.ones(len(self._ids), dtype=bool)
                    for c in constraints
                ]
            )
            combined = np.where(allowed, combined, 0.0)
            top_two = np.argsort(-combined, axis=1)[:, :2]
            content_coverage, same_domain_margin = CONTENT_COVERAGE, SAME_DOMAIN_MARGIN
            picks = np.stack([np.where(allowed, views[name], -1.0).argmax(axis=1) for name in weights])
            distinct = [len(set(q.split())) for q in queries if q]
            for row, i in enumerate(scored):
                best = int(top_two[row, 0])
                top = float(combined[row, best])
                second = int(top_two[row, 1]) if combined.shape[1] > 1 else best
                gap = (top - float(combined[row, second])) / top if top > 0 and second != best else 1.0
                margin = same_domain_margin if self._domain_of[best] == self._domain_of[second] else MARGIN
                content = float(views["content"][row, best])
                corroborated = views["shared"][row, best] >= min(MIN_SHARED_WORDS, distinct[row])
                # Views may split when one wording of a neighbour happens to be close, yet a blended lead of
                # twice the margin on a question whose content the answer covers almost fully is not ambiguous.
                views_agree = int((picks[:, row] == best).sum()) >= 2 or (
                    gap >= 2 * margin and content >= FULL_CONTENT_COVERAGE
                )
                agreed = views_agree and gap >= margin and content >= content_coverage and corroborated
                # A clear lead over the runner-up adds confidence: a question close to one answer and far from
                # all others is answered; one equally close to two answers goes to review.
                confidence = 100.0 * min(top * (1.0 + gap), 1.0) * (1.0 if agreed else DISAGREEMENT_FACTOR)
                runner_up = self._ids[second] if second != best else None
                value, reason = (constraints[row].inverted or {}).get(best, (None, ""))
                results[i] = Match(
                    self._ids[best],
                    round(confidence, 1),
                    "text",
                    runner_up,
                    agreed,
                    value,
                    reason,
                    constraints[row].kind,
                )
        return results

    def scores(self, queries: list[str]) -> dict[str, np.ndarray]:
        """Per view, the similarity 0-1 of each normalised query (rows) to each bank answer (columns); the
        "domain" view is the similarity to the answer's whole CCM domain."""
        token_set = process.cdist(queries, self._choices, scorer=fuzz.token_set_ratio, workers=-1)
        token_sort = process.cdist(queries, self._choices, scorer=fuzz.token_sort_ratio, workers=-1)
        query_words = np.array([max(1, len(q.split())) for q in queries], dtype=np.float32)[:, None]
        query_matrix = self._word_matrix(queries)
        coverage = np.minimum((query_matrix @ self._choice_words.T) / query_words, 1.0)
        set_weight, coverage_weight = FUZZY_BLEND
        blended = (set_weight * token_set + (1 - set_weight) * token_sort) / 100.0
        fuzzy = blended * ((1 - coverage_weight) + coverage_weight * coverage)
        views = {"fuzzy": np.maximum.reduceat(fuzzy, self._starts, axis=1)}
        domain = np.zeros_like(views["fuzzy"])
        for name, (vectoriser, texts, pooled, by_domain) in self._tfidf.items():
            query = vectoriser.transform(queries)
            per_text = (query @ texts.T).toarray()
            best_text = np.maximum.reduceat(per_text, self._starts, axis=1)
            views[name] = np.maximum(best_text, (query @ pooled.T).toarray())
            domain += 0.5 * (query @ by_domain.T).toarray()[:, self._domain_of]
        views["domain"] = domain
        views[DESCRIPTION] = (self._describer.transform(queries) @ self._descriptions.T).toarray()
        # How many of the question's distinct words the answer's wordings use anywhere, and their share of its
        # words: a question about something else (that shares one distinctive word with an answer) stays unsure.
        views["shared"] = query_matrix @ self._pooled_words.T
        views["coverage"] = np.minimum(views["shared"] / query_words, 1.0)
        views["content"] = self._content_coverage(queries)
        return views

    def _content_coverage(self, queries: list[str]) -> np.ndarray:
        """Per query and answer, the IDF-weighted share of the query's distinct words the answer's wordings use;
        words the bank never uses count with the highest weight and are never covered."""
        known = np.minimum(self._word_matrix(queries), 1.0) * self._idf
        unknown = np.array(
            [sum(1 for w in set(q.split()) if w not in self._vocabulary) for q in queries], dtype=np.float32
        )
        total = known.sum(axis=1) + self._unknown_idf * unknown
        return (known @ self._pooled_words.T) / np.maximum(total, 1e-9)[:, None]

    def snap(self, query: str) -> str:
        """A normalised query with each word the bank never uses replaced by the bank word it is a form of, when
        one is a prefix of the other (formally/formal, publicly/public, sync/synchroniz): the stemmer is light."""
        return " ".join(self._snap_word(w) for w in query.split())

    def _snap_word(self, word: str) -> str:
        if word in self._vocabulary or len(word) < 4:
            return word
        if word not in self._snapped:
            shorter = [v for v in self._vocabulary if len(v) >= 5 and word.startswith(v)]
            longer = [v for v in self._vocabulary if v.startswith(word)]
            self._snapped[word] = (
                max(shorter, key=len) if shorter else min(longer, key=len) if longer else word
            )
        return self._snapped[word]


_LEADING_ID = re.compile(r"^\s*((?:A&A|[A-Z]{3})-\d{2}(?:\.\d+)?)\b")


def _leading_id(question: str) -> str | None:
    match = _LEADING_ID.match(str(question or ""))
    return match.group(1) if match else None


# Domains of CAIQ v3.x that CAIQ v4 renamed or dropped; v4 reuses the other prefixes (AIS-01.2, IAM-02.1...) for
# different questions, so a questionnaire with these ids is a v3 questionnaire and its ids cannot select answers.
CAIQ_V3_ONLY_DOMAINS = frozenset({"AAC", "DSI", "EKM", "GRM", "MOS"})
CAIQ_V4_ONLY_DOMAINS = frozenset({"A&A", "CEK", "DSP", "GRC", "LOG", "UEM"})


def _older_caiq(ids: list) -> bool:
    """Whether a questionnaire's question ids are CAIQ v3 ids: a v3-only domain appears and no v4-only one."""
    domains = {str(i).strip().upper().split("-")[0] for i in ids if i}
    return bool(domains & CAIQ_V3_ONLY_DOMAINS) and not domains & CAIQ_V4_ONLY_DOMAINS
