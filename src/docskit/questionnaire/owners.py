"""Who must answer a row that auto-fill leaves for a person: the owner of the best candidate answer when there is a
credible one, otherwise the role that owns most answers of the candidate's CCM domain."""

from __future__ import annotations

from collections import Counter

from .bank import Bank
from .matcher import Match


class OwnerRouter:
    """Routes flagged rows to an owner role of the bank (a role id of data/security_controls.yaml)."""

    def __init__(self, bank: Bank):
        self._owner = {a.id: a.owner for a in bank.answers}
        self._domain = {a.id: a.domain for a in bank.answers}
        by_domain: dict[str, Counter] = {}
        for answer in bank.answers:
            by_domain.setdefault(answer.domain, Counter())[answer.owner] += 1
        # Counter.most_common keeps first-seen order among equal counts, so ties go to the earlier answer's owner.
        self._domain_owner = {d: c.most_common(1)[0][0] for d, c in by_domain.items()}
        overall = Counter(a.owner for a in bank.answers)
        self.default = overall.most_common(1)[0][0] if overall else ""
        self._floor = bank.suggestion_floor

    def owner(self, match: Match) -> str:
        """The role that must answer `match`'s question: the candidate's owner when the candidate is at or above
        the suggestion floor, the usual owner of its domain when it is weaker, the bank's busiest owner when the
        question has no candidate at all."""
        if match.answer_id is None or match.answer_id not in self._owner:
            return self.default
        if match.confidence >= self._floor:
            return self._owner[match.answer_id]
        return self._domain_owner[self._domain[match.answer_id]]
