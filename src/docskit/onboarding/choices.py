"""Match a value typed on the command line to one of the ids in data, forgiving case and '-' versus '_'."""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def canonical(value: str) -> str:
    """The form ids are compared in: trimmed, lower case, with '-' and spaces read as '_'."""
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def match_choice(kind: str, value: str, valid: Sequence[str], error: type[Exception], where: str = "") -> str:
    """The id in `valid` that `value` names (`metadata-only`, `EU`, `Team` all match); else raise `error`.

    The error names every valid id and, when one is close, suggests it: "unknown region 'eur'; did you mean
    'eu'? valid: eu, us". `where` follows the value in the message, e.g. " to 'residency'".
    """
    by_form = {canonical(v): v for v in valid}
    wanted = canonical(value)
    if wanted in by_form:
        return by_form[wanted]
    close = difflib.get_close_matches(wanted, list(by_form), n=1, cutoff=0.6)
    hint = f"did you mean {by_form[close[0]]!r}? " if close else ""
    raise error(f"unknown {kind} {value!r}{where}; {hint}valid: {', '.join(valid)}")
