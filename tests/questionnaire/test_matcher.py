"""The matcher: normalisation, exact question ids, and confidence that drops when the evidence is thin."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from docskit.questionnaire.matcher import normalise
from tests.questionnaire.buyer_questions import HELD_OUT, LABELLED


def test_normalise_folds_vendor_neutral_synonyms_and_spelling():
    assert normalise("Is MFA required?") == normalise("Is multi-factor authentication required?")
    assert normalise("Do you support SSO?") == normalise("Do you support single sign-on?")
    assert normalise("Are clocks synchronised?") == normalise("Are clocks synchronized?")
    assert normalise("Keys are rotated") == normalise("Key rotation")


def test_normalise_drops_filler_words():
    assert normalise("Please describe how your organisation encrypts data") == "encrypt data"


def test_caiq_question_id_selects_its_answer(filler):
    assert filler.matcher.by_question_id("CEK-08.1") == "cek-07"
    assert filler.matcher.by_question_id(" a&a-01.2 ") == "aa-01"


def test_caiq_control_id_without_question_number_selects_the_first_question(filler):
    assert filler.matcher.by_question_id("DSP-19") == "dsp-17"


def test_unknown_question_id_falls_back_to_text(filler):
    match = filler.matcher.match_all(["Do you support SAML single sign-on?"], ["XYZ-99.9"])[0]
    assert (match.answer_id, match.method) == ("iam-15", "text")


def test_empty_question_is_not_matched(filler):
    match = filler.matcher.match_all(["the of and"])[0]
    assert (match.answer_id, match.confidence, match.method) == (None, 0.0, "none")


def test_off_topic_questions_score_below_the_suggestion_floor_or_threshold(filler, bank):
    off_topic = [q for q, label in LABELLED + HELD_OUT if label is None]
    matches = filler.matcher.match_all(off_topic)
    assert all(m.confidence < bank.threshold for m in matches)


def test_disagreeing_views_lower_the_confidence(filler):
    questions = [q for q, _ in LABELLED + HELD_OUT]
    matches = filler.matcher.match_all(questions)
    disagreeing = [m for m in matches if not m.agreed]
    assert disagreeing, "the labelled sets contain ambiguous questions"
    assert max(m.confidence for m in disagreeing) < max(m.confidence for m in matches if m.agreed)


def test_buyer_questions_are_not_copied_from_the_bank(bank):
    bank_texts = [text.lower() for answer in bank.answers for text in answer.texts]
    copied = [
        q
        for q, _ in LABELLED + HELD_OUT
        if process.extractOne(q.lower(), bank_texts, scorer=fuzz.ratio, score_cutoff=90)
    ]
    assert copied == []
