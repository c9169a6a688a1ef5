"""A store wrapper for servers: times every store call, applies the store-failure policy, counts what happened.

When the store cannot be reached (Redis down, restarting or failing over; SQLite locked past its wait, or its
file unreachable) an admission fails closed with `StoreUnavailable` (HTTP 503) unless every dimension it checks
is listed in data/metering_operations.yaml `store.fail_open_dimensions`: then it is admitted without being
counted. Either way the decision is counted in the metrics, and the failure is logged once per
`log_interval` seconds (with how many calls it stands for), not once per call.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time

import redis.exceptions

from .errors import StoreUnavailable
from .models import ADMITTED, Admission, AdmitRequest, Decision
from .operations import FAIL_CLOSED, FAIL_OPEN, Operations

log = logging.getLogger("metering.store")

_REDIS_DOWN = tuple(
    getattr(redis.exceptions, name)
    for name in ("ConnectionError", "TimeoutError", "ClusterDownError", "TryAgainError", "MasterDownError")
    if hasattr(redis.exceptions, name)
)
#: SQLite errors that mean "cannot reach the data now" rather than a bug in a statement.
_SQLITE_DOWN = ("database is locked", "database table is locked", "unable to open", "disk i/o error")
#: Store operations timed in metering_store_latency_seconds; the label's only values.
TIMED = (
    "active_leases",
    "claim_due",
    "contract_history",
    "events",
    "get_contract",
    "heartbeat",
    "notifications",
    "outbox_stats",
    "purge",
    "reap_expired_leases",
    "release",
    "scalars",
    "settle",
    "tenants",
    "usage_history",
)


def is_store_down(err: BaseException) -> bool:
    """True when `err` says the store cannot be reached now (as opposed to a refused or malformed call)."""
    if isinstance(err, _REDIS_DOWN):
        return True
    return isinstance(err, sqlite3.OperationalError) and str(err).lower().startswith(_SQLITE_DOWN)


class FailureLog:
    """Logs a store failure at most once per `interval` seconds, with the calls it stood for since the last line."""

    #: What a failed call was: a decision that failed closed or was admitted open, or another store call.
    KINDS = (FAIL_CLOSED, FAIL_OPEN, "other")

    def __init__(self, interval: float, clock=time.monotonic):
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._last = -float("inf")
        self._last_recovery = -float("inf")
        self._counts = dict.fromkeys(self.KINDS, 0)
        self._since: float | None = None

    def failed(self, err: BaseException, kind: str, dimensions: str = "") -> None:
        """Note one failed call of `kind` (one of KINDS); log when the interval since the last line has passed."""
        with self._lock:
            now = self.clock()
            self._counts[kind] += 1
            if self._since is None:
                self._since = time.time()
            if now - self._last < self.interval:
                return
            self._last = now
            counts, self._counts = self._counts, dict.fromkeys(self.KINDS, 0)
        last = f"{kind} on {dimensions}" if dimensions else "a store call outside decisions"
        log.error(
            "metering store unreachable (%s: %s); last call: %s; since the previous line %d decisions failed "
            "closed, %d were admitted open and %d other store calls failed; next line in %g s at the earliest",
            type(err).__name__,
            err,
            last,
            counts[FAIL_CLOSED],
            counts[FAIL_OPEN],
            counts["other"],
            self.interval,
        )

    def recovered(self) -> None:
        """The store answered again: say so, with when the failures began, at most once per interval. The
        failure line's timer keeps running: during a Redis Cluster failover other tenants' calls succeed between
        the failed ones, and each success must not let the next failure log again."""
        with self._lock:
            since, self._since = self._since, None
            now = self.clock()
            if since is None or now - self._last_recovery < self.interval:
                return
            self._last_recovery = now
        log.warning(
            "metering store reachable again (failing since %s UTC)",
            time.strftime("%H:%M:%S", time.gmtime(since)),
        )

    @property
    def failing(self) -> bool:
        return self._since is not None


def unavailable(err: BaseException, inner, closed: list[str]) -> StoreUnavailable:
    """The StoreUnavailable to raise for `err`, saying what was refused and what to do."""
    what = f"{', '.join(closed)} fail closed" if closed else "this call needs the store"
    timeout = getattr(inner, "busy_timeout_ms", None)
    if isinstance(err, sqlite3.OperationalError) and "locked" in str(err) and timeout is not None:
        cause = f"the SQLite database stayed locked by another writer for more than {timeout / 1000:g} s"
    else:
        cause = f"the metering store did not answer ({type(err).__name__}: {err})"
    return StoreUnavailable(f"{cause}; {what}, so nothing was counted: retry in a few seconds")


class GuardedStorage:
    """Wraps a store: the same methods, plus timing, counting (when `metrics` is set) and the failure policy."""

    def __init__(self, inner, operations: Operations | None = None, metrics=None):
        self.inner = inner
        self.operations = operations or Operations()
        self.metrics = metrics
        self.failures = FailureLog(self.operations.log_interval)

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if name not in TIMED:
            return attr

        def call(*args, **kwargs):
            return self._call(name, attr, *args, **kwargs)

        return call

    def _timed(self, op: str, fn, *args, **kwargs):
        metrics = self.metrics
        start = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        except Exception as err:
            if metrics is not None:
                metrics.store_failed(op, time.perf_counter() - start, err)
            raise
        if metrics is not None:
            metrics.store_answered(op, time.perf_counter() - start)
        if self.failures.failing:
            self.failures.recovered()
        return result

    def _call(self, op: str, fn, *args, **kwargs):
        """`fn(*args)` timed; a store that cannot be reached becomes StoreUnavailable (logged once per interval)."""
        try:
            return self._timed(op, fn, *args, **kwargs)
        except Exception as err:
            if not is_store_down(err):
                raise
            self.failures.failed(err, "other")
            raise unavailable(err, self.inner, []) from err

    # Decisions -------------------------------------------------------------------------------------
    def admit(self, req) -> Admission:
        try:
            admission = self._timed("admit", self.inner.admit, req)
        except Exception as err:
            if not is_store_down(err):
                raise
            return self._admit_unreachable(req, err)
        if self.metrics is not None:
            self.metrics.admitted(req.tenant, admission)
        return admission

    def decide(self, tenant, check, now) -> Decision:
        """A single-dimension decision, guarded and counted like `admit` (of which it is the one-check case)."""
        return self.admit(AdmitRequest(tenant, [check], now, int(now // 3600), int(now // 60))).decisions[0]

    def _admit_unreachable(self, req, err: BaseException) -> Admission:
        policies = {c.dim: self.operations.policy(c.dim) for c in req.checks}
        policy = FAIL_OPEN if policies and all(p == FAIL_OPEN for p in policies.values()) else FAIL_CLOSED
        if self.metrics is not None:
            for dim in policies:
                self.metrics.unreachable_decision(dim, policy)
        self.failures.failed(err, policy, ", ".join(policies))
        if policy == FAIL_CLOSED:
            raise unavailable(err, self.inner, [d for d, p in policies.items() if p == FAIL_CLOSED]) from err
        decisions = [
            Decision(c.dim, c.scope, ADMITTED, c.limit, 0.0, c.limit, c.reset_after, 0.0) for c in req.checks
        ]
        expires = req.now + req.lease_ttl if req.lease_id else 0.0
        return Admission(True, decisions, req.lease_id, expires)

    def set_gauge(self, tenant, check, now, hour, minute) -> Decision:
        decision = self._call("set_gauge", self.inner.set_gauge, tenant, check, now, hour, minute)
        if self.metrics is not None:
            self.metrics.decided(tenant, [decision])
        return decision

    def mark_delivered(self, notification, now) -> None:
        self._call("mark_delivered", self.inner.mark_delivered, notification, now)
        if self.metrics is not None:
            self.metrics.delivery(delivered=True)

    def mark_failed(self, notification, retry_at, error) -> None:
        self._call("mark_failed", self.inner.mark_failed, notification, retry_at, error)
        if self.metrics is not None:
            self.metrics.delivery(delivered=False)

    def put_contract(self, tenant, document, effective) -> None:
        self._call("put_contract", self.inner.put_contract, tenant, document, effective)
        if self.metrics is not None:
            self.metrics.contract_changed(tenant, json.loads(document).get("plan", ""))
