"""Values passed into and returned from stores: checks to make, decisions, admissions, notifications."""

from __future__ import annotations

from dataclasses import dataclass, field

ADMITTED, BILLED, THROTTLED, REJECTED = "admitted", "billed", "throttled", "rejected"
OUTCOME_FOR_MODE = {"throttle": THROTTLED, "bill": BILLED, "hard_fail": REJECTED}


@dataclass(slots=True)
class Check:
    """One dimension to check in an admission, with its limit and windows already worked out for `now`.

    `window` is the id of the counting window (rate: the current minute, for usage; quota: the period);
    `thresholds` holds (label, usage at which it is reached). A Check is never changed once made: the meter
    hands the same one to successive calls while its window lasts.
    """

    dim: str
    kind: str
    limit: float
    mode: str
    amount: float = 1.0
    scope: str = ""
    window: int = 0
    reset_after: float = 0.0
    notify_period: str = ""
    thresholds: tuple[tuple[str, float], ...] = ()
    interval: float = 0.0
    tolerance: float = 0.0
    key: str = ""


@dataclass(slots=True)
class AdmitRequest:
    """An all-or-nothing admission across several checks; `lease_id` set when a concurrency slot is taken."""

    tenant: str
    checks: list[Check]
    now: float
    hour: int
    minute: int
    lease_id: str = ""
    lease_ttl: float = 0.0


@dataclass(slots=True)
class Decision:
    """The answer for one dimension: outcome, usage after the call, what remains and when it resets."""

    dimension: str
    scope: str
    outcome: str
    limit: float
    used: float
    remaining: float
    reset_after: float
    retry_after: float
    overage: float = 0.0

    @property
    def allowed(self) -> bool:
        return self.outcome in (ADMITTED, BILLED)

    def to_dict(self) -> dict:
        return {
            "dimension": self.dimension,
            "scope": self.scope or None,
            "outcome": self.outcome,
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "reset_after": round(self.reset_after, 3),
            "retry_after": round(self.retry_after, 3),
            "overage": self.overage,
        }


@dataclass(slots=True)
class Admission:
    """The answer for an admission. Nothing was counted unless `allowed`; `replayed` marks a repeated call."""

    allowed: bool
    decisions: list[Decision]
    lease_id: str = ""
    lease_expires: float = 0.0
    reservations: tuple[str, ...] = ()
    replayed: bool = False
    notified: int = 0

    @property
    def denied(self) -> Decision | None:
        """The first dimension that refused, if any."""
        return next((d for d in self.decisions if not d.allowed), None)

    @property
    def retry_after(self) -> float:
        return max((d.retry_after for d in self.decisions if not d.allowed), default=0.0)

    @property
    def outcome(self) -> str:
        denied = self.denied
        if denied:
            return denied.outcome
        return BILLED if any(d.outcome == BILLED for d in self.decisions) else ADMITTED

    def to_dict(self) -> dict:
        return {
            "allowed": self.allowed,
            "outcome": self.outcome,
            "lease_id": self.lease_id or None,
            "lease_expires": self.lease_expires or None,
            "reservations": list(self.reservations),
            "replayed": self.replayed,
            "decisions": [d.to_dict() for d in self.decisions],
        }


@dataclass(slots=True)
class Settlement:
    """The result of settling (or refunding) a write reservation."""

    key: str
    dimension: str
    scope: str
    reserved: float
    used: float
    refunded: float
    replayed: bool = False

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "dimension": self.dimension,
            "connector": self.scope,
            "reserved": self.reserved,
            "used": self.used,
            "refunded": self.refunded,
            "replayed": self.replayed,
        }


@dataclass(slots=True)
class Notification:
    """A threshold event in the outbox. `key` is unique per tenant, dimension, scope, period and threshold."""

    id: str
    tenant: str
    dimension: str
    scope: str
    period: str
    threshold: str
    usage: float
    limit: float
    created_at: float
    attempts: int = 0
    delivered_at: float | None = None
    last_error: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.tenant}|{self.dimension}|{self.scope}|{self.period}|{self.threshold}"

    def payload(self) -> dict:
        """The JSON body notifiers send."""
        return {
            "id": self.id,
            "type": "usage.threshold_reached",
            "tenant": self.tenant,
            "dimension": self.dimension,
            "connector": self.scope or None,
            "period": self.period,
            "threshold": self.threshold,
            "usage": self.usage,
            "limit": self.limit,
            "created_at": self.created_at,
        }


def outbox_fields(n: Notification) -> dict:
    """The columns a store keeps for a notification (everything but delivery state)."""
    return {
        "tenant": n.tenant,
        "dimension": n.dimension,
        "scope": n.scope,
        "period": n.period,
        "threshold": n.threshold,
        "usage": n.usage,
        "limit": n.limit,
        "created_at": n.created_at,
    }
