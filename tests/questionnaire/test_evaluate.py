"""Leave-one-corpus-out evaluation: calibration sees only the training corpora, wrong answers count against
precision, every flagged row is routed to an owner, and the corpora themselves are well-formed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rapidfuzz import fuzz, process

from docskit.questionnaire import evaluate
from docskit.questionnaire.errors import QuestionnaireError
from docskit.questionnaire.evaluate import (
    Outcome,
    Row,
    calibrate,
    leave_one_corpus_out,
    load_corpora,
    outcomes,
)
from docskit.questionnaire.matcher import Match

CORPORA = Path(__file__).parent / "corpora"

# Questions the bank answers confidently and right (checked below), in words of our own.
RIGHT = [
    ("Is two-factor authentication enforced for your employees?", "iam-13"),
    ("Is customer data encrypted while stored on disk?", "cek-03"),
    ("Do you support single sign-on with SAML?", "iam-15"),
    ("Are company laptops protected with full disk encryption?", "uem-06"),
]


def _write_corpus(folder: Path, name: str, rows: list[tuple[str, object]], **extra) -> None:
    record = {
        "name": name,
        "title": f"{name} test corpus",
        "source": "written for this test",
        "licence": "part of this repository",
        "wording": "own",
        "questions": [{"ref": f"T{i}", "q": q, "bank": label} for i, (q, label) in enumerate(rows)],
    }
    record.update(extra)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(record, sort_keys=False), encoding="utf-8")


@pytest.fixture
def corpus_folder(tmp_path):
    (tmp_path / evaluate.SCHEMA_FILE).write_text(
        (CORPORA / evaluate.SCHEMA_FILE).read_text(), encoding="utf-8"
    )
    return tmp_path


def test_the_probe_questions_are_answered_right_at_a_moderate_threshold(filler):
    matches = filler.matcher.match_all([q for q, _ in RIGHT])
    assert [(m.answer_id, m.agreed) for m in matches] == [(label, True) for _, label in RIGHT]


def test_calibration_uses_only_the_training_corpora(filler, corpus_folder):
    """The held-out corpus's own labels never move its threshold; the other corpora's labels do."""
    _write_corpus(corpus_folder, "alpha", RIGHT)
    _write_corpus(corpus_folder, "beta", RIGHT)
    _write_corpus(corpus_folder, "gamma", RIGHT)
    honest = {
        r.corpus.name: r.threshold
        for r in leave_one_corpus_out(filler.matcher, load_corpora(corpus_folder, filler.bank))
    }
    _write_corpus(corpus_folder, "gamma", [(q, "grc-01") for q, _ in RIGHT])  # every gamma label now wrong
    skewed = {
        r.corpus.name: r.threshold
        for r in leave_one_corpus_out(filler.matcher, load_corpora(corpus_folder, filler.bank))
    }
    assert skewed["gamma"] == honest["gamma"]
    assert skewed["alpha"] > honest["alpha"] and skewed["beta"] > honest["beta"]


def test_the_threshold_of_a_held_out_corpus_is_calibrated_on_the_others(filler, corpus_folder):
    _write_corpus(corpus_folder, "alpha", RIGHT[:2])
    _write_corpus(corpus_folder, "beta", RIGHT[2:])
    corpora = load_corpora(corpus_folder, filler.bank)
    results = {r.corpus.name: r for r in leave_one_corpus_out(filler.matcher, corpora)}
    beta_rows = outcomes(filler.matcher, list(corpora[1].rows))
    assert results["alpha"].threshold == calibrate(beta_rows)


def test_a_wrong_answer_lowers_precision(filler, corpus_folder):
    _write_corpus(corpus_folder, "alpha", RIGHT)
    _write_corpus(corpus_folder, "beta", [*RIGHT[:3], (RIGHT[3][0], "uem-03")])  # last label is wrong
    corpora = load_corpora(corpus_folder, filler.bank)
    right, one_wrong = evaluate.at_threshold(filler.matcher, corpora, threshold=0.0)
    assert right.precision == 1.0
    assert one_wrong.precision == pytest.approx(3 / 4)
    assert [o.row.question for o in one_wrong.wrong] == [RIGHT[3][0]]


def test_an_answer_value_against_the_label_is_wrong_even_with_the_right_id(filler, corpus_folder):
    _write_corpus(corpus_folder, "alpha", RIGHT)
    record = yaml.safe_load((corpus_folder / "alpha.yaml").read_text())
    record["questions"][0]["answer"] = "No"  # iam-13 answers Yes
    (corpus_folder / "alpha.yaml").write_text(yaml.safe_dump(record), encoding="utf-8")
    _write_corpus(corpus_folder, "beta", RIGHT)
    alpha = evaluate.at_threshold(filler.matcher, load_corpora(corpus_folder, filler.bank), 0.0)[0]
    assert [o.row.ref for o in alpha.wrong] == ["T0"]


def test_a_question_the_bank_does_not_answer_is_wrong_when_answered():
    row = Row("t", "T1", "What is your annual revenue?", ())
    outcome = Outcome(row, Match("aa-01", 90.0, "text"), "Yes", False, "ciso")
    result = evaluate.HeldOut(corpus=None, threshold=50.0, outcomes=(outcome,))
    assert result.precision == 0.0 and result.answered_share == 1.0


def _outcome(confidence: float, correct: bool) -> Outcome:
    return Outcome(Row("t", "r", "q", ("aa-01",)), Match("aa-01", confidence, "text"), "Yes", correct, "ciso")


def test_calibration_keeps_precision_first_then_answers_as_much_as_it_can():
    training = [_outcome(95, True), _outcome(85, False), _outcome(75, True), _outcome(65, True)]
    assert calibrate(training, precision=0.97) == 95  # only the top row keeps 97%
    assert calibrate(training, precision=0.6) == 65  # 3 of 4 right is enough: answer everything
    assert calibrate([_outcome(80, False)], precision=0.97) > 80  # nothing can be answered


@pytest.fixture(scope="module")
def held_out(filler):
    """Leave-one-corpus-out results on the repository's corpora, computed once for the tests that read them."""
    return leave_one_corpus_out(filler.matcher, load_corpora(CORPORA, filler.bank))


def test_every_flagged_row_names_an_owner_role_of_the_bank(filler, held_out):
    flagged = [o for r in held_out for o in r.flagged]
    assert flagged and all(o.owner in filler.bank.owner_roles for o in flagged)
    assert all(r.routed for r in held_out)


def test_no_answered_row_carries_the_opposite_of_its_labelled_answer(held_out):
    """Polarity and subject across every held-out corpus: a "safe answer is No" row, or a question about the
    provider's certification, is flagged rather than answered with the wrong value."""
    opposite = [
        (o.row.corpus, o.row.ref, o.given)
        for r in held_out
        for o in r.answered
        if o.row.expected and o.match.answer_id in o.row.acceptable and o.given != o.row.expected
    ]
    assert opposite == []


def test_an_unknown_bank_id_in_a_corpus_is_refused_naming_the_row(filler, corpus_folder):
    _write_corpus(corpus_folder, "alpha", [*RIGHT, ("Is there a DMZ?", "ivs-99")])
    with pytest.raises(
        QuestionnaireError, match=r"alpha\.yaml: questions\[4\]\.bank: unknown bank id ivs-99"
    ):
        load_corpora(corpus_folder, filler.bank)


def test_a_corpus_without_its_licence_is_refused(filler, corpus_folder):
    _write_corpus(corpus_folder, "alpha", RIGHT)
    record = yaml.safe_load((corpus_folder / "alpha.yaml").read_text())
    del record["licence"]
    (corpus_folder / "alpha.yaml").write_text(yaml.safe_dump(record), encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=r"alpha\.yaml: top level: 'licence' is a required property"):
        load_corpora(corpus_folder, filler.bank)


def test_the_repository_corpora_are_labelled_public_lists_of_40_to_80_questions(filler):
    corpora = load_corpora(CORPORA, filler.bank)
    assert len(corpora) >= 4
    for corpus in corpora:
        assert 40 <= len(corpus.rows) <= 80, corpus.name
        assert corpus.source and corpus.licence, corpus.name
        assert any(not r.acceptable for r in corpus.rows), f"{corpus.name} has no question outside the bank"
    hospital = next(c for c in corpora if c.name == "hospital")
    assert sum(r.expected == "No" for r in hospital.rows) >= 10  # "safe answer is No" questions
    assert any("dcs-09" in r.acceptable for r in hospital.rows)  # the provider's certification, inherited


def test_corpus_questions_are_not_copied_from_the_bank(filler):
    bank_texts = [text.lower() for answer in filler.bank.answers for text in answer.texts]
    copied = [
        (corpus.name, row.ref)
        for corpus in load_corpora(CORPORA, filler.bank)
        for row in corpus.rows
        if process.extractOne(row.question.lower(), bank_texts, scorer=fuzz.ratio, score_cutoff=90)
    ]
    assert copied == []


def test_the_shipped_settings_are_the_precision_first_calibration_on_every_corpus(filler):
    """questionnaire_settings.yaml ships the description weight calibrated on all corpora, and a threshold at
    least as strict as the calibration's."""
    calibration = evaluate.calibrate_on_all(filler.matcher, load_corpora(CORPORA, filler.bank))
    assert filler.bank.description_weight == calibration.description_weight
    assert filler.bank.threshold >= calibration.threshold


def test_calibration_picks_the_description_weight_that_answers_most_at_the_precision():
    judged = {
        0.0: [_outcome(90, True), _outcome(80, False), _outcome(70, True)],
        0.3: [_outcome(90, True), _outcome(80, True), _outcome(70, True)],
    }
    chosen = evaluate.calibrate_matcher(judged)
    assert (chosen.description_weight, chosen.threshold, chosen.answered) == (0.3, 70, 3)
    tie = evaluate.calibrate_matcher({0.3: judged[0.3], 0.0: judged[0.3]})
    assert tie.description_weight == 0.0  # equal results: the simpler matcher
