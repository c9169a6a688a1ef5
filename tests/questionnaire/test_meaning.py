"""Matching that reads meaning: the security thesaurus as data, answer types, polarity and subject."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import yaml

import docskit.questionnaire.matcher as matcher_module
from docskit.paths import REPO_ROOT
from docskit.problems import BuildFailed
from docskit.questionnaire.matcher import normalise
from docskit.questionnaire.meaning import (
    CONTROL,
    NEUTRAL,
    RISK,
    THESAURUS_FILE,
    THESAURUS_SCHEMA,
    MeaningRules,
    Thesaurus,
    _validated,
    default_thesaurus,
)
from docskit.questionnaire.owners import OwnerRouter


@pytest.mark.parametrize(
    ("buyer", "bank"),
    [
        (
            "Is there a perimeter network in front of your servers?",
            "Is there a DMZ in front of your servers?",
        ),
        ("Do you use network zones?", "Do you use a DMZ?"),
        ("Is a second factor required at login?", "Is MFA required at login?"),
        ("Is 2FA required at login?", "Is multi-factor authentication required at login?"),
        ("Do you support federated login?", "Do you support SSO?"),
        ("Are internet-facing systems scanned?", "Are publicly routable systems scanned?"),
        ("Do you run intrusion detection?", "Do you run an IDS?"),
        ("Do you do threat modelling?", "Do you do threat modeling?"),
    ],
)
def test_the_thesaurus_folds_what_buyers_call_one_thing(buyer, bank):
    assert normalise(buyer) == normalise(bank)


def test_the_synonym_table_lives_only_in_the_thesaurus_data_file():
    assert not hasattr(matcher_module, "SYNONYMS")
    record = yaml.safe_load((REPO_ROOT / THESAURUS_FILE).read_text(encoding="utf-8"))
    without_dmz = {**record, "synonyms": [e for e in record["synonyms"] if e["to"] != "dmz"]}
    assert normalise("Is there a perimeter network?") != normalise(
        "Is there a perimeter network?", Thesaurus.of(without_dmz)
    )


def test_a_thesaurus_with_a_broken_pattern_is_refused_naming_the_file(tmp_path):
    record = yaml.safe_load((REPO_ROOT / THESAURUS_FILE).read_text(encoding="utf-8"))
    record["synonyms"][0]["pattern"] = r"\b(mfa"
    path = tmp_path / "thesaurus.yaml"
    path.write_text(yaml.safe_dump(record), encoding="utf-8")
    with pytest.raises(BuildFailed, match=r"thesaurus\.yaml"):
        _validated(path, REPO_ROOT / THESAURUS_SCHEMA)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Is MFA enforced for administrators?", "yesno"),
        ("(SaaS only) Do you review your applications before release?", "yesno"),
        ("How many days are audit logs kept?", "number"),
        ("Within how many hours will you tell us about a breach?", "number"),
        ("When was your last penetration test?", "date"),
        ("Which sub-processors handle our data?", "list"),
        ("Please list the static IP addresses of the service.", "list"),
        ("Describe how tenant data is isolated.", "describe"),
    ],
)
def test_the_answer_type_a_question_asks_for_is_detected(question, kind):
    assert default_thesaurus().kind(question) == kind


@pytest.mark.parametrize(
    ("question", "polarity"),
    [
        ("May your staff look at our records without our approval?", RISK),
        ("Can developers bypass code review?", RISK),
        ("Are shared logins used by your support team?", RISK),
        ("Will you wait until the investigation ends before telling us?", RISK),
        ("Are personal devices prevented from reaching customer data?", CONTROL),
        ("Do you have procedures to ensure production data shall not be used in test?", CONTROL),
        ("Is MFA enforced for administrators?", NEUTRAL),
    ],
)
def test_a_question_asking_whether_something_bad_is_allowed_has_risk_polarity(question, polarity):
    assert default_thesaurus().polarity(question) == polarity


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("Is your hosting provider ISO 27001 certified?", "provider"),
        ("Is the company that hosts your servers audited under SOC 2?", "provider"),
        ("Does your own company hold an ISO 27001 certificate?", "us"),
        ("Are your engineers background checked?", "staff"),
        ("Can we export our data?", "customer"),
        ("Is data encrypted at rest?", None),
    ],
)
def test_the_subject_of_a_question_is_detected(question, subject):
    assert default_thesaurus().subject(question) == subject


def test_a_safe_no_question_gets_the_no_answer_not_the_yes_of_its_control(filler):
    """iam-10 ("Do customers approve before your staff access their data?") is Yes; asked whether staff may read
    data without approval, the right reply is iam-18's No."""
    match = filler.matcher.match_all(
        ["Are your engineers able to open customer data without getting approval?"]
    )[0]
    assert (match.answer_id, filler.answers[match.answer_id].answer) == ("iam-18", "No")


def test_a_question_about_the_providers_certification_gets_the_providers_answer(filler):
    provider, own = filler.matcher.match_all(
        [
            "Does your cloud platform provider hold ISO 27001 certification?",
            "Does your company hold ISO 27001 certification?",
        ]
    )
    assert (provider.answer_id, filler.answers[provider.answer_id].answer) == ("dcs-09", "Yes")
    assert (own.answer_id, filler.answers[own.answer_id].answer) == ("aa-03", "No")


def test_a_match_records_the_answer_type_of_its_question(filler):
    match = filler.matcher.match_all(["How long are audit logs retained?"])[0]
    assert (match.answer_id, match.kind) == ("log-02", "number")


@dataclass(frozen=True)
class _Answer:
    id: str
    answer: str
    question: str


def test_a_control_that_prevents_what_is_asked_answers_it_inverted_with_the_reason():
    answers = [
        _Answer("x-01", "Yes", "Are personal devices prevented from accessing customer data?"),
        _Answer("x-02", "Yes", "Is customer data encrypted at rest?"),
        _Answer("x-03", "No", "Do you use data loss prevention tooling?"),
    ]
    constraint = MeaningRules(default_thesaurus(), answers).constraint(
        "May staff use personal devices for work?"
    )
    value, reason = constraint.inverted[0]
    assert value == "No" and "personal devices" in reason and "x-01" in reason
    assert list(constraint.allowed) == [True, False, True]  # the unrelated Yes may not answer a risk question


def test_a_risk_answer_cannot_deny_a_control_question_unless_it_is_about_the_same_thing():
    answers = [
        _Answer("y-01", "No", "Do you allow shared, generic or group accounts?"),
        _Answer("y-02", "No", "Are wireless networks connected to production?"),
    ]
    constraint = MeaningRules(default_thesaurus(), answers).constraint("Are shared accounts prohibited?")
    assert constraint.inverted[0][0] == "Yes"
    assert list(constraint.allowed) == [True, False]


def test_a_flagged_row_goes_to_its_candidates_owner_or_the_domains_usual_owner(filler, bank):
    router = OwnerRouter(bank)
    strong, weak = filler.matcher.match_all(
        ["Do you support SAML single sign-on?", "What is your favourite colour?"]
    )
    assert router.owner(strong) == filler.answers[strong.answer_id].owner
    weak_domain = filler.answers[weak.answer_id].domain
    domain_owners = [a.owner for a in bank.answers if a.domain == weak_domain]
    assert weak.confidence < bank.suggestion_floor
    assert router.owner(weak) == max(set(domain_owners), key=domain_owners.count)


def test_caiq_v3_ids_do_not_select_the_v4_answers_that_reuse_them(filler):
    """CAIQ v3.1 AIS-01.2 asks about source code analysis; CAIQ v4 AIS-01.2 about the policy's review. A sheet
    whose ids include a v3-only domain (EKM, GRM, ...) is matched by its text."""
    questions = [
        "Do you use an automated source code analysis tool to detect security defects in code prior to production?",
        "Do you encrypt tenant data at rest (on disk/storage) within your environment?",
    ]
    v3, v4 = (
        filler.matcher.match_all(questions, ids)
        for ids in (["AIS-01.2", "EKM-03.1"], ["AIS-01.2", "CEK-03.1"])
    )
    assert [(m.answer_id, m.method) for m in v3] == [("ais-05", "text"), ("cek-03", "text")]
    assert [m.method for m in v4] == ["id", "id"]
