"""Prometheus metrics of a metering server, in a registry of its own (never the process-wide default one).

Families (every name starts with ``metering_``): admissions by plan, dimension and outcome; store latency and
errors by operation; decisions made while the store was unreachable, by dimension and policy; lease expiries
(runs whose worker stopped without releasing) by plan; the outbox (pending, age of the oldest, given up) and
deliveries; contract changes by plan; tenants per plan and tenants at their limit per plan and dimension.

Labels are bounded: plans, dimensions, outcomes and store operations are fixed lists; no label names a run.
Per-tenant series (`metering_tenant_usage_ratio`) exist only when `per_tenant` is set, and then only for the
`tenant_series_limit` fullest tenants (data/metering_operations.yaml). Figures read from the store (outbox,
tenants, lease expiries) are refreshed by a scrape at most every `metrics_refresh` seconds.
"""

from __future__ import annotations

import logging
import threading
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from .errors import MeteringError
from .models import ADMITTED, BILLED, REJECTED, THROTTLED, Admission, Decision
from .operations import FAIL_OPEN

log = logging.getLogger("metering.metrics")

OUTCOMES = (ADMITTED, THROTTLED, REJECTED, BILLED)
#: Store latency buckets (seconds): a memory decision takes microseconds, a Redis one a loopback round trip,
#: a SQLite one waiting for a lock up to the lock timeout.
STORE_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
)
CONTENT_TYPE = CONTENT_TYPE_LATEST
UNKNOWN_PLAN = "unknown"


class MeteringMetrics:
    """The metrics of one metering server over `meter` (whose store should be a GuardedStorage using them)."""

    def __init__(self, meter, *, per_tenant: bool = False, clock=time.time):
        catalog = meter.catalog
        ops = catalog.operations
        self.meter = meter
        self.per_tenant = per_tenant
        self.tenant_limit = ops.tenant_series_limit
        self.refresh_seconds = ops.metrics_refresh
        self.clock = clock
        self.registry = CollectorRegistry()
        r = self.registry
        self.admissions = Counter(
            "metering_admissions",
            "Decisions per dimension: admitted, throttled, rejected or billed (a refused admission counts only "
            "the dimensions that refused).",
            ["plan", "dimension", "outcome"],
            registry=r,
        )
        self.store_latency = Histogram(
            "metering_store_latency_seconds",
            "Time of each store call, failed calls included.",
            ["operation"],
            buckets=STORE_BUCKETS,
            registry=r,
        )
        self.store_errors = Counter(
            "metering_store_errors",
            "Store calls that raised an error other than a refused input (unreachable, locked, failed).",
            ["operation"],
            registry=r,
        )
        self.unreachable = Counter(
            "metering_store_unreachable_decisions",
            "Decisions made while the store could not be reached, per dimension: failed closed (refused with "
            "HTTP 503) or admitted open (not counted).",
            ["dimension", "policy"],
            registry=r,
        )
        self.lease_expiries = Counter(
            "metering_lease_expiries",
            "Run leases that expired without a release: the run's worker stopped or lost the store.",
            ["plan"],
            registry=r,
        )
        self.deliveries = Counter(
            "metering_notification_deliveries", "Threshold notifications delivered.", registry=r
        )
        self.delivery_failures = Counter(
            "metering_notification_delivery_failures",
            "Failed delivery attempts of threshold notifications (each is retried with backoff).",
            registry=r,
        )
        self.contract_changes = Counter(
            "metering_contract_changes", "Contracts stored (new tenants and changes).", ["plan"], registry=r
        )
        self.outbox_pending = Gauge(
            "metering_outbox_pending",
            "Notifications waiting for delivery (given-up ones excluded).",
            registry=r,
        )
        self.outbox_oldest_age = Gauge(
            "metering_outbox_oldest_age_seconds",
            "Age of the oldest notification waiting for delivery; 0 when none waits.",
            registry=r,
        )
        self.outbox_gave_up = Gauge(
            "metering_outbox_gave_up", "Notifications that failed every delivery attempt.", registry=r
        )
        self.tenants = Gauge("metering_tenants", "Tenants with a contract.", ["plan"], registry=r)
        self.at_limit = Gauge(
            "metering_tenants_at_limit",
            "Tenants using 100% or more of a dimension's limit (any connector of a write cap).",
            ["plan", "dimension"],
            registry=r,
        )
        self.tenant_usage = Gauge(
            "metering_tenant_usage_ratio",
            f"Usage over limit of the {self.tenant_limit} fullest tenants (only with per-tenant series on).",
            ["tenant", "dimension"],
            registry=r,
        )
        self.refreshes = Gauge(
            "metering_metrics_refreshed_timestamp_seconds",
            "When the figures read from the store were last refreshed.",
            registry=r,
        )
        self._plans: dict[str, str] = {}
        self._refresh_lock = threading.Lock()
        self._refreshed = -float("inf")
        self._dimensions = [d.id for d in catalog.dimensions]
        for dim in ops.fail_open:
            self.unreachable.labels(dim, FAIL_OPEN)
        for plan in catalog.plans:  # every series exists from the start, so rate() sees its first increase
            self.lease_expiries.labels(plan.id)
            self.contract_changes.labels(plan.id)
            self.tenants.labels(plan.id)
            for dim in self._dimensions:
                self.at_limit.labels(plan.id, dim)
                for outcome in OUTCOMES:
                    self.admissions.labels(plan.id, dim, outcome)

    # Called by the store guard ---------------------------------------------------------------------
    def plan_of(self, tenant: str) -> str:
        """The tenant's plan, from the meter's contract cache (kept here once known)."""
        plan = self._plans.get(tenant)
        if plan is None:
            try:
                plan = self.meter.limits(tenant).plan
            except MeteringError:
                return UNKNOWN_PLAN
            self._plans[tenant] = plan
        return plan

    def admitted(self, tenant: str, admission: Admission) -> None:
        """Count an admission: every dimension when it was admitted, the refusing ones when it was not."""
        decisions = admission.decisions
        if not admission.allowed:
            decisions = [d for d in decisions if not d.allowed]
        self.decided(tenant, decisions)

    def decided(self, tenant: str, decisions: list[Decision]) -> None:
        plan = self.plan_of(tenant)
        for d in decisions:
            self.admissions.labels(plan, d.dimension, d.outcome).inc()

    def store_answered(self, operation: str, seconds: float) -> None:
        self.store_latency.labels(operation).observe(seconds)

    def store_failed(self, operation: str, seconds: float, err: BaseException) -> None:
        self.store_latency.labels(operation).observe(seconds)
        if not isinstance(err, MeteringError):
            self.store_errors.labels(operation).inc()

    def unreachable_decision(self, dimension: str, policy: str) -> None:
        """Count a decision made without the store: `policy` is FAIL_OPEN or FAIL_CLOSED."""
        self.unreachable.labels(dimension, policy).inc()

    def delivery(self, *, delivered: bool) -> None:
        (self.deliveries if delivered else self.delivery_failures).inc()

    def contract_changed(self, tenant: str, plan: str) -> None:
        self._plans[tenant] = plan
        self.contract_changes.labels(plan).inc()

    # Read from the store at scrape time ------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Re-read the outbox, lease expiries and every tenant's usage, unless done in the last refresh_seconds."""
        with self._refresh_lock:
            stamp = time.monotonic()
            if not force and stamp - self._refreshed < self.refresh_seconds:
                return
            self._refreshed = stamp
            try:
                self._refresh(self.clock())
            except MeteringError as err:  # the store guard has logged it and counted the failed calls
                log.debug("metrics refresh skipped: %s", err.detail)

    def _refresh(self, now: float) -> None:
        storage = self.meter.storage
        outbox = storage.outbox_stats()
        self.outbox_pending.set(outbox.pending)
        self.outbox_oldest_age.set(
            0 if outbox.oldest_created is None else max(0.0, now - outbox.oldest_created)
        )
        self.outbox_gave_up.set(outbox.gave_up)
        for tenant, count in storage.reap_expired_leases(now).items():
            self.lease_expiries.labels(self.plan_of(tenant)).inc(count)
        tenants, at_limit, fullest = {}, {}, []
        for tenant in storage.tenants():
            try:
                limits = self.meter.limits(tenant)
                rows = self.meter.usage(tenant, now=now)
            except MeteringError:
                continue  # a contract that no longer parses: the admin page shows it
            self._plans[tenant] = plan = limits.plan
            tenants[plan] = tenants.get(plan, 0) + 1
            ratios = {}
            for row in rows:
                ratio = row.used / row.limit if row.limit else 0.0
                ratios[row.dimension.id] = max(ratio, ratios.get(row.dimension.id, 0.0))
            for dim, ratio in ratios.items():
                if ratio >= 1.0:
                    at_limit[plan, dim] = at_limit.get((plan, dim), 0) + 1
            fullest.append((max(ratios.values(), default=0.0), tenant, ratios))
        self._set_plan_gauges(tenants, at_limit)
        if self.per_tenant:
            self.tenant_usage.clear()
            fullest.sort(key=lambda entry: (-entry[0], entry[1]))
            for _, tenant, ratios in fullest[: self.tenant_limit]:
                for dim, ratio in ratios.items():
                    self.tenant_usage.labels(tenant, dim).set(ratio)
        self.refreshes.set(now)

    def _set_plan_gauges(self, tenants: dict, at_limit: dict) -> None:
        for plan in self.meter.catalog.plans:
            self.tenants.labels(plan.id).set(tenants.get(plan.id, 0))
            for dim in self._dimensions:
                self.at_limit.labels(plan.id, dim).set(at_limit.get((plan.id, dim), 0))

    def render(self) -> bytes:
        """The text exposition of every family, after a refresh if one is due."""
        self.refresh()
        return generate_latest(self.registry)
