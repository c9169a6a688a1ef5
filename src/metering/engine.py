"""The decision rules, written once for the stores that run Python inside their transaction (memory, SQLite).

The Redis store runs the same rules as Lua scripts (storage/lua/); the shared test suite holds them equal.
Every function here runs inside one tenant transaction `tx` (see `Txn`) and either applies all of its
changes or none: a function raises only before its first change, so a store without rollback stays whole.

Scalar state keys: ``t:<dim>`` GCRA theoretical arrival time, ``w:<dim>:<scope>`` count in window,
``g:<dim>`` gauge value. Each scalar is stored as (window id, value).
"""

from __future__ import annotations

import math
from typing import Protocol

from .errors import InvalidArgument, LeaseExpired, LeaseNotFound
from .models import (
    ADMITTED,
    BILLED,
    OUTCOME_FOR_MODE,
    Admission,
    AdmitRequest,
    Check,
    Decision,
    Settlement,
)

EPS = 1e-9
ALLOWED = (ADMITTED, BILLED)


class Txn(Protocol):
    """What a store offers inside one tenant's transaction."""

    tenant: str

    def prepare(self, req: AdmitRequest) -> None:
        """Read ahead what `admit` will ask for (a store with round trips fetches it at once)."""

    def get(self, key: str) -> tuple[int, float] | None: ...
    def put(self, key: str, window: int, value: float) -> None: ...
    def lease(self, lease_id: str) -> float | None: ...
    def put_lease(self, lease_id: str, expires: float) -> None: ...
    def end_lease(self, lease_id: str, now: float) -> None:
        """Mark a lease released at `now`; it stays readable through `lease` as a tombstone."""

    def active_leases(self, now: float) -> int: ...
    def reservation(self, key: str) -> tuple | None: ...
    def put_reservation(self, key: str, record: tuple) -> None: ...
    def fire(
        self, dim: str, scope: str, period: str, label: str, usage: float, limit: float, now: float
    ) -> bool: ...
    def count_event(self, minute: int, dim: str, scope: str, outcome: str) -> None: ...
    def add_usage(self, dim: str, scope: str, hour: int, metric: str, value: float) -> None: ...


def _window_value(tx: Txn, key: str, window: int) -> float:
    rec = tx.get(key)
    return rec[1] if rec is not None and rec[0] == window else 0.0


def _evaluate(tx: Txn, c: Check, now: float, active: int) -> tuple[Decision, float, float, float]:
    """Decide one check without changing anything: (decision, usage before, demand, new GCRA time)."""
    new_tat = 0.0
    kind = c.kind
    if kind == "rate":
        get = tx.get
        rec = get("t:" + c.dim)
        tat = rec[1] if rec is not None and rec[1] > now else now
        new_tat = tat + c.amount * c.interval
        over = new_tat - now > c.tolerance + EPS
        rec = get("w:" + c.dim + ":")
        before = rec[1] if rec is not None and rec[0] == c.window else 0.0
        if over:
            remaining = max(0, math.floor((c.tolerance - (tat - now)) / c.interval + EPS))
            reset, retry = tat - now, new_tat - c.tolerance - now
        else:
            remaining = math.floor((c.tolerance - (new_tat - now)) / c.interval + EPS)
            reset, retry = new_tat - now, 0.0
    elif kind == "concurrency":
        before = float(active)
        over = before + c.amount > c.limit + EPS
        remaining = max(0.0, c.limit - before - (0 if over else c.amount))
        reset, retry = 0.0, (c.reset_after if over else 0.0)
    elif kind == "quota":
        before = _window_value(tx, "w:" + c.dim + ":" + c.scope, c.window)
        over = before + c.amount > c.limit + EPS
        remaining = max(0.0, c.limit - before - (0 if over else c.amount))
        reset, retry = c.reset_after, (c.reset_after if over else 0.0)
    else:  # gauge
        rec = tx.get("g:" + c.dim)
        before = rec[1] if rec is not None else 0.0
        over = before + c.amount > c.limit + EPS
        remaining = max(0.0, c.limit - before - (0 if over else c.amount))
        reset, retry = 0.0, 0.0
    outcome = OUTCOME_FOR_MODE[c.mode] if over else ADMITTED
    demand = before + c.amount
    used = demand if outcome in (ADMITTED, BILLED) else before
    decision = Decision(c.dim, c.scope, outcome, c.limit, used, remaining, max(0.0, reset), max(0.0, retry))
    return decision, before, demand, new_tat


def _apply(
    tx: Txn,
    c: Check,
    d: Decision,
    before: float,
    new_tat: float,
    now: float,
    hour: int,
    req: AdmitRequest | None,
) -> None:
    """Count an allowed check; `req` (the admission, for its lease) is None for a single-dimension decision."""
    kind = c.kind
    billed = d.outcome == BILLED
    if kind == "rate":
        tx.put("t:" + c.dim, 0, min(new_tat, now + c.tolerance))
        tx.put("w:" + c.dim + ":", c.window, before + c.amount)
        tx.add_usage(c.dim, "", hour, "used", c.amount)
        d.overage = c.amount if billed else 0.0
    elif kind == "concurrency":
        tx.put_lease(req.lease_id, now + req.lease_ttl)  # a concurrency check comes only in an admission
        tx.add_usage(c.dim, "", hour, "peak", before + c.amount)
        d.overage = c.amount if billed else 0.0
    elif kind == "quota":
        tx.put("w:" + c.dim + ":" + c.scope, c.window, before + c.amount)
        if c.key:
            tx.put_reservation(c.key, (c.dim, c.scope, c.window, c.amount, "reserved", 0.0))
        tx.add_usage(c.dim, c.scope, hour, "used", c.amount)
        d.overage = before + c.amount - max(before, c.limit) if billed else 0.0
    else:
        tx.put("g:" + c.dim, 0, before + c.amount)
        tx.add_usage(c.dim, "", hour, "peak", before + c.amount)
        d.overage = before + c.amount - c.limit if billed else 0.0
    if d.overage > 0:
        tx.add_usage(c.dim, c.scope, hour, "over_peak" if kind == "gauge" else "over", d.overage)


def _notify_and_log(tx: Txn, c: Check, d: Decision, demand: float, now: float, minute: int) -> int:
    """Fire every threshold the demand reached (all up to 100% when over the limit); count refusals."""
    fired = 0
    if d.outcome == ADMITTED:
        level = demand
    else:
        level = max(demand, c.limit)
        tx.count_event(minute, c.dim, c.scope, d.outcome)
    for label, value in c.thresholds:
        if level + EPS >= value and tx.fire(c.dim, c.scope, c.notify_period, label, level, c.limit, now):
            fired += 1
    return fired


def admit(tx: Txn, req: AdmitRequest) -> Admission:
    """Admit across every check of `req` or none: counted only if no check throttles or rejects.

    A request with a lease id that is still active, or a reservation key already used, is a repeat:
    it is answered as admitted and counts nothing again.
    """
    now, lease_id = req.now, req.lease_id
    tx.prepare(req)
    active = 0
    if lease_id:
        expires = tx.lease(lease_id)
        if expires is not None and expires > now:
            return Admission(True, [], lease_id, expires, _keys(req.checks), replayed=True)
        active = tx.active_leases(now)
    elif len(req.checks) == 1 and not req.checks[0].key:
        d, notified = decide_one(tx, req.checks[0], now)
        return Admission(d.outcome in ALLOWED, [d], notified=notified)
    evaluated = []
    keys = []
    allowed = True
    replays = 0
    for c in req.checks:
        if c.key:
            keys.append(c.key)
            if tx.reservation(c.key) is not None:
                replays += 1
                continue
        d, before, demand, new_tat = _evaluate(tx, c, now, active)
        if d.outcome not in ALLOWED:
            allowed = False
        evaluated.append((c, d, before, demand, new_tat))
    notified = 0
    decisions = []
    for c, d, before, demand, new_tat in evaluated:
        decisions.append(d)
        if allowed:
            _apply(tx, c, d, before, new_tat, now, req.hour, req)
        elif d.outcome in ALLOWED:
            continue  # not counted because another dimension refused: nothing reached here
        if d.outcome != ADMITTED or (c.thresholds and demand + EPS >= c.thresholds[0][1]):
            notified += _notify_and_log(tx, c, d, demand, now, req.minute)
    if not allowed:
        return Admission(False, decisions, notified=notified)
    return Admission(
        True,
        decisions,
        lease_id,
        now + req.lease_ttl if lease_id else 0.0,
        tuple(keys),
        replayed=replays > 0 and not evaluated,
        notified=notified,
    )


def decide_one(tx: Txn, c: Check, now: float) -> tuple[Decision, int]:
    """`admit` of one check with no lease and no reservation key (a single-dimension decision): the decision,
    counted if allowed, and how many notifications it fired."""
    d, before, demand, new_tat = _evaluate(tx, c, now, 0)
    outcome = d.outcome
    if outcome in ALLOWED:
        _apply(tx, c, d, before, new_tat, now, int(now // 3600), None)
    if outcome != ADMITTED or (c.thresholds and demand + EPS >= c.thresholds[0][1]):
        return d, _notify_and_log(tx, c, d, demand, now, int(now // 60))
    return d, 0


def _keys(checks: list[Check]) -> tuple[str, ...]:
    return tuple(c.key for c in checks if c.key)


def set_gauge(tx: Txn, c: Check, now: float, hour: int, minute: int) -> Decision:
    """Record a gauge's measured value (c.amount); over the limit the outcome says what the indexer must do."""
    over = c.amount > c.limit + EPS
    outcome = OUTCOME_FOR_MODE[c.mode] if over else ADMITTED
    d = Decision(c.dim, c.scope, outcome, c.limit, c.amount, max(0.0, c.limit - c.amount), 0.0, 0.0)
    tx.put("g:" + c.dim, 0, c.amount)
    tx.add_usage(c.dim, "", hour, "peak", c.amount)
    if outcome == BILLED:
        d.overage = c.amount - c.limit
        tx.add_usage(c.dim, "", hour, "over_peak", d.overage)
    _notify_and_log(tx, c, d, c.amount, now, minute)
    return d


def heartbeat(tx: Txn, lease_id: str, ttl: float, now: float) -> float:
    """Extend an active lease to now + ttl; the new expiry."""
    expires = tx.lease(lease_id)
    if expires is None:
        raise LeaseNotFound(f"lease {lease_id!r} was not issued to tenant {tx.tenant!r}", field="lease_id")
    if expires <= now:
        raise LeaseExpired(
            f"lease {lease_id!r} expired or was released; admit the run again", field="lease_id"
        )
    tx.put_lease(lease_id, now + ttl)
    return now + ttl


def release(tx: Txn, lease_id: str, now: float) -> bool:
    """Free a lease's slot. True if it was active; False if already released or expired (idempotent)."""
    expires = tx.lease(lease_id)
    if expires is None:
        raise LeaseNotFound(f"lease {lease_id!r} was not issued to tenant {tx.tenant!r}", field="lease_id")
    if expires <= now:
        return False
    tx.end_lease(lease_id, now)
    return True


def settle(tx: Txn, key: str, used: float, windows: dict[str, int], hour: int) -> Settlement:
    """Settle a write reservation at `used` units and refund the rest to the window it was taken from."""
    rec = tx.reservation(key)
    if rec is None:
        raise LeaseNotFound(f"reservation {key!r} was not made for tenant {tx.tenant!r}", field="key")
    dim, scope, window, amount, state, settled = rec
    if state != "reserved":
        return Settlement(key, dim, scope, amount, settled, amount - settled, replayed=True)
    if used > amount + EPS:
        raise InvalidArgument(
            f"used ({used:g}) exceeds the reservation ({amount:g}); reserve more", field="used"
        )
    refund = amount - used
    if refund > 0 and windows.get(dim) == window:
        counter = "w:" + dim + ":" + scope
        current = _window_value(tx, counter, window)
        tx.put(counter, window, max(0.0, current - refund))
        tx.add_usage(dim, scope, hour, "used", -refund)
    tx.put_reservation(key, (dim, scope, window, amount, "settled", used))
    return Settlement(key, dim, scope, amount, used, refund)
