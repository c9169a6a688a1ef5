"""The storage interface every backend implements, and the shared part of the Python-transaction stores."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import ClassVar

from .. import engine
from ..models import Admission, AdmitRequest, Check, Decision, Notification, Settlement

#: Tombstones of released or expired leases, and settled reservations, are kept this long (seconds)
#: so that a late release or settle is still answered idempotently.
TOMBSTONE_SECONDS = 2 * 86400

#: Bumped in a forked child, so that a store opens the child's own connections (a connection must not cross a
#: fork) without asking the kernel for its pid on every decision. Read it as FORK_GENERATION[0].
FORK_GENERATION = [0]
os.register_at_fork(after_in_child=lambda: FORK_GENERATION.__setitem__(0, FORK_GENERATION[0] + 1))

#: Usage metrics that keep their maximum over an hour; the others add up.
PEAK_METRICS = frozenset(("peak", "over_peak"))
#: State keys ``u:<dim>|<scope>|<metric>`` (window = hour) that hold the current hour's usage in the SQLite
#: and Redis stores until a later hour's usage moves it into the usage history.
USAGE_PREFIX = "u:"


def fold_usage(metric: str, old: float, value: float) -> float:
    """Two usage figures of one hour and metric as one."""
    return max(old, value) if metric in PEAK_METRICS else old + value


def merge_held_usage(history: dict, held, hour_from: int, hour_to: int) -> list[tuple]:
    """`history` {(dim, scope, hour, metric): value} with the held state rows (key, hour, value) of hours
    in [hour_from, hour_to) folded in, as sorted (dim, scope, hour, metric, value) rows."""
    for key, hour, value in held:
        if key.startswith(USAGE_PREFIX) and hour_from <= hour < hour_to:
            dim, scope, metric = key[len(USAGE_PREFIX) :].split("|")
            old = history.get((dim, scope, hour, metric))
            history[dim, scope, hour, metric] = value if old is None else fold_usage(metric, old, value)
    return sorted((*k, v) for k, v in history.items())


#: `due` of a notification that failed its last attempt: it stays in the outbox, visible, never retried.
GAVE_UP = 1e18


@dataclass(frozen=True)
class OutboxStats:
    """Undelivered notifications: `pending` still to be tried, `oldest_created` the creation time of the oldest
    of them (None when none is pending), `gave_up` those that failed every attempt."""

    pending: int
    oldest_created: float | None
    gave_up: int


class Storage(ABC):
    """Usage state of every tenant, changed only through atomic per-tenant operations."""

    schemes: ClassVar[tuple[str, ...]] = ()

    # Decisions -------------------------------------------------------------------------------------
    @abstractmethod
    def admit(self, req: AdmitRequest) -> Admission:
        """Check and count every check of `req` in one transaction (see engine.admit)."""

    def decide(self, tenant: str, check: Check, now: float) -> Decision:
        """A single-dimension decision: `admit` of this one check, with no lease and no reservation key."""
        return self.admit(AdmitRequest(tenant, [check], now, int(now // 3600), int(now // 60))).decisions[0]

    @abstractmethod
    def set_gauge(self, tenant: str, check: Check, now: float, hour: int, minute: int) -> Decision:
        """Record a measured gauge value."""

    @abstractmethod
    def heartbeat(self, tenant: str, lease_id: str, ttl: float, now: float) -> float:
        """Extend a lease; the new expiry."""

    @abstractmethod
    def release(self, tenant: str, lease_id: str, now: float) -> bool:
        """Free a lease; False if it was already free."""

    @abstractmethod
    def settle(self, tenant: str, key: str, used: float, windows: dict[str, int], hour: int) -> Settlement:
        """Settle a write reservation and refund what was not used."""

    # Reading ---------------------------------------------------------------------------------------
    @abstractmethod
    def scalars(self, tenant: str) -> dict[str, tuple[int, float]]:
        """Every scalar state value of a tenant: {key: (window id, value)}."""

    @abstractmethod
    def active_leases(self, tenant: str, now: float) -> int:
        """Leases of a tenant that have not expired or been released."""

    @abstractmethod
    def usage_history(self, tenant: str, hour_from: int, hour_to: int) -> list[tuple]:
        """(dim, scope, hour, metric, value) for hours in [hour_from, hour_to)."""

    @abstractmethod
    def events(self, tenant: str, minute_from: int) -> list[tuple]:
        """(minute, dim, scope, outcome, count) of refused or billed calls since `minute_from`, newest first."""

    @abstractmethod
    def notifications(self, tenant: str | None = None, limit: int = 100) -> list[Notification]:
        """Outbox entries, newest first."""

    # Outbox delivery -------------------------------------------------------------------------------
    @abstractmethod
    def claim_due(self, now: float, limit: int, lock_seconds: float) -> list[Notification]:
        """Undelivered notifications due at `now`, locked for `lock_seconds` against other dispatchers."""

    @abstractmethod
    def mark_delivered(self, notification: Notification, now: float) -> None:
        """Record a successful delivery."""

    @abstractmethod
    def mark_failed(self, notification: Notification, retry_at: float, error: str) -> None:
        """Record a failed attempt; the notification is due again at `retry_at`."""

    @abstractmethod
    def outbox_stats(self) -> OutboxStats:
        """How many notifications wait for delivery, since when, and how many were given up."""

    # Leases ----------------------------------------------------------------------------------------
    @abstractmethod
    def reap_expired_leases(self, now: float) -> dict[str, int]:
        """{tenant: leases that expired unreleased since the previous call} (the first call on a store counts
        those its tombstones still hold). Released leases are tombstones with a negative time, so that an
        expiry is told apart from a release; every expiry is counted once, whichever server asks."""

    # Contracts -------------------------------------------------------------------------------------
    @abstractmethod
    def put_contract(self, tenant: str, document: str, effective: float) -> None:
        """Store a tenant's contract (JSON text), in force from `effective` (epoch seconds), and keep it in
        the tenant's contract history."""

    @abstractmethod
    def get_contract(self, tenant: str) -> str | None:
        """A tenant's contract JSON, or None."""

    @abstractmethod
    def contract_history(self, tenant: str) -> list[tuple[float, str]]:
        """(in force from, contract JSON) of every contract the tenant has had, oldest first."""

    @abstractmethod
    def tenants(self) -> list[str]:
        """Every tenant with a contract, sorted."""

    # Housekeeping ----------------------------------------------------------------------------------
    @abstractmethod
    def purge(self, now: float) -> None:
        """Drop tombstones and windows older than TOMBSTONE_SECONDS."""

    @abstractmethod
    def clear(self) -> None:
        """Delete all state (tests and demo only)."""

    def close(self) -> None:  # noqa: B027 - optional hook: stores without connections keep this no-op
        """Release connections."""


class TransactionalStorage(Storage):
    """A store that runs `engine` rules in Python inside a per-tenant transaction."""

    @abstractmethod
    def transaction(self, tenant: str) -> AbstractContextManager[engine.Txn]:
        """A context manager yielding the tenant's Txn; commits on success, rolls back on error."""

    def admit(self, req: AdmitRequest) -> Admission:
        with self.transaction(req.tenant) as tx:
            return engine.admit(tx, req)

    def set_gauge(self, tenant, check, now, hour, minute):
        with self.transaction(tenant) as tx:
            return engine.set_gauge(tx, check, now, hour, minute)

    def heartbeat(self, tenant, lease_id, ttl, now):
        with self.transaction(tenant) as tx:
            return engine.heartbeat(tx, lease_id, ttl, now)

    def release(self, tenant, lease_id, now):
        with self.transaction(tenant) as tx:
            return engine.release(tx, lease_id, now)

    def settle(self, tenant, key, used, windows, hour):
        with self.transaction(tenant) as tx:
            return engine.settle(tx, key, used, windows, hour)
