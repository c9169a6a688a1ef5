"""The buyer's drop-down choices: which of them says what our Yes, No or N/A says, and nothing more.

A buyer's response column often carries a data-validation list ("Yes - Fully", "Partially", "Not Applicable").
Each choice is read for its meaning: an unqualified yes, an unqualified no, not applicable, or something else
(partial, planned, qualified, unknown). Our answer is written as the one choice with the same meaning; when the
list has none, or two that are equally plain, there is no safe choice and the row is flagged instead. A choice
that adds a claim ("Yes, with exceptions", "No - planned for Q3") is never chosen for a plain answer.
"""

from __future__ import annotations

import re

YES, NO, NA = "Yes", "No", "N/A"
PARTIAL, OTHER = "partial", "other"

# Words that qualify an answer: a choice containing one of them says more than a plain Yes or No.
_QUALIFIERS = re.compile(
    r"\b(partial(ly)?|part|some|limited|planned|plan|roadmap|future|progress|exceptions?|except|but|"
    r"compensating|alternative|unknown|unsure|depends|conditional(ly)?|sometimes|mostly|in development|"
    r"under review|pending|other|see|comment|tbd|maybe|not sure)\b"
)
# Words that only strengthen a plain answer ("Yes - Fully", "Fully implemented", "Compliant").
_PLAIN_YES = re.compile(
    r"^(y|yes|true|compliant|fully compliant|implemented|fully implemented|in place|fully in place|"
    r"yes fully|yes fully implemented|yes fully compliant|yes compliant|yes implemented|yes in place|"
    r"yes all|yes always|meets|fully meets|met|agree|yes agree)$"
)
_PLAIN_NO = re.compile(
    r"^(n|no|false|not compliant|non compliant|noncompliant|not implemented|not in place|no not implemented|"
    r"no not compliant|no never|never|does not meet|not met|disagree|no disagree)$"
)
_NOT_APPLICABLE = re.compile(
    r"^(n ?a|not applicable|na not applicable|does not apply|not relevant|n ?a not applicable)$"
)


def _words(choice: str) -> str:
    text = str(choice).strip().lower().replace("n/a", "na").replace("non-", "non ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def meaning(choice: str) -> str:
    """What a choice says: YES, NO, NA, PARTIAL or OTHER."""
    text = _words(choice)
    if not text:
        return OTHER
    if _NOT_APPLICABLE.match(text):
        return NA
    if _QUALIFIERS.search(text):
        return (
            PARTIAL
            if re.search(r"\bpartial(ly)?\b|\bpart\b|\bsome\b|\blimited\b|\bmostly\b", text)
            else OTHER
        )
    if _PLAIN_YES.match(text):
        return YES
    if _PLAIN_NO.match(text):
        return NO
    return OTHER


def choose(answer: str, choices: list[str]) -> str | None:
    """The buyer's choice that means exactly `answer` (Yes, No or N/A); None when no choice is safe."""
    same = [c for c in choices if meaning(c) == answer]
    if not same:
        return None
    exact = [c for c in same if _words(c) == _words(answer)]
    if exact:
        return exact[0]
    # Several plain choices with the same meaning ("Yes" and "Compliant") are interchangeable; a list with only
    # distinct-looking ones still means the same thing, so the first is as safe as any.
    return same[0]


def parse_list_formula(formula: str | None) -> list[str] | None:
    """The choices of an inline list formula ('"Yes,No,N/A"'); None when the list lives in cells instead."""
    if not formula:
        return None
    text = formula.strip()
    if text.startswith('"') and text.endswith('"'):
        return [c.strip() for c in text[1:-1].replace('""', '"').split(",") if c.strip()]
    return None
