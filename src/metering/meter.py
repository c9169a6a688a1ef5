"""The metering API the platform embeds: admit runs, lease slots, reserve writes, watch gauges, read usage."""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .catalog import CONCURRENCY, GAUGE, QUOTA, RATE, RETENTION, Catalog, Dimension
from .contracts import Contract, parse_contract
from .effective import DimensionLimit, EffectiveLimits, effective_limits
from .errors import InvalidArgument, StoreUnavailable, UnknownDimension, UnknownTenant
from .models import Admission, AdmitRequest, Check, Decision, Settlement
from .periods import FIXED_SECONDS, hour_index, window_bounds, window_index, window_label
from .storage import Storage, storage_from_url

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def _identifier(value, field: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise InvalidArgument(
            f"{field} must be 1-128 letters, digits or . _ : - (starting with a letter or digit)", field=field
        )
    return value


def _amount(value, field: str = "amount", allow_zero: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        floor = "zero or more" if allow_zero else "greater than zero"
        raise InvalidArgument(f"{field} must be a number {floor}", field=field)
    return float(value)


#: The key of a stored contract document that holds who changed it and why; never part of the contract itself.
CHANGE_KEY = "change"


def _split_change(document: str) -> tuple[dict, dict]:
    """(the contract mapping, {by, reason} of the change that stored it) from a stored contract document."""
    raw = json.loads(document)
    change = raw.pop(CHANGE_KEY, None)
    return raw, change if isinstance(change, dict) else {}


@dataclass(frozen=True)
class ContractChange:
    """One entry of a tenant's contract history: in force from `effective`, stored by `changed_by` for `reason`.

    `contract` is the contract as stored (a mapping `parse_contract` reads); `changed_by` and `reason` are empty
    for entries stored without them (the admin form and stores written before they were recorded).
    """

    effective: float
    contract: dict
    changed_by: str
    reason: str

    def to_dict(self) -> dict:
        return {
            "effective": self.effective,
            "changed_by": self.changed_by or None,
            "reason": self.reason or None,
            "contract": self.contract,
        }


@dataclass(frozen=True)
class DimensionUsage:
    """Usage of one dimension (and connector) against its limit, as the admin page and API show it."""

    dimension: Dimension
    scope: str
    limit: float
    used: float
    mode: str
    reset_at: float | None
    period: str

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.limit if self.limit else 0.0

    def to_dict(self) -> dict:
        return {
            "dimension": self.dimension.id,
            "connector": self.scope or None,
            "unit": self.dimension.unit,
            "limit": self.limit,
            "used": self.used,
            "percent": round(self.percent, 1),
            "overage_mode": self.mode,
            "reset_at": self.reset_at,
            "period": self.period,
        }


class _DimPlan:
    """A dimension's limit turned into what a Check needs; built once per cached contract."""

    __slots__ = (
        "_label",
        "_label_day",
        "_last",
        "id",
        "interval",
        "kind",
        "limit",
        "mode",
        "notify_period",
        "per_connector",
        "period",
        "period_seconds",
        "retry",
        "thresholds",
        "tolerance",
    )

    def __init__(self, lim: DimensionLimit, concurrency_retry: float):
        dim = lim.dimension
        self.id, self.kind, self.limit, self.mode = dim.id, dim.kind, float(lim.limit), lim.mode
        self.thresholds = lim.threshold_values()
        self.interval = lim.interval if dim.kind == RATE else 0.0
        self.tolerance = lim.burst * self.interval
        self.period = dim.period
        self.period_seconds = FIXED_SECONDS.get(dim.period or "")
        self.per_connector = dim.per_connector
        self.notify_period = dim.notify_period
        self.retry = concurrency_retry
        self._label_day, self._label = -1, ""
        # (window, day, amount) and the rate or concurrency Check made for them, reused while they hold
        # (Checks are never changed); one attribute, so that threads see the pair whole
        self._last: tuple[tuple, Check | None] = ((), None)

    def notify_label(self, now: float) -> str:
        """The notification period label (UTC day or month) of `now`, recomputed once a day."""
        day = int(now // 86400)
        if day != self._label_day:
            self._label = window_label(self.notify_period, window_index(self.notify_period, now))
            self._label_day = day
        return self._label

    def check(self, now: float, amount: float = 1.0, scope: str = "", key: str = "") -> Check:
        kind = self.kind
        if kind == RATE:
            window = int(now // self.period_seconds)
            reuse = (window, int(now // 86400), amount)
            last = self._last
            if last[0] == reuse:
                return last[1]
            check = Check(
                self.id,
                RATE,
                self.limit,
                self.mode,
                amount,
                "",
                window,
                0.0,
                self.notify_label(now),
                self.thresholds,
                self.interval,
                self.tolerance,
            )
            self._last = (reuse, check)
            return check
        if kind == QUOTA:
            if self.period_seconds:
                win = int(now // self.period_seconds)
                reset = (win + 1) * self.period_seconds - now
            else:
                win = window_index(self.period, now)
                reset = window_bounds(self.period, win)[1] - now
            return Check(
                self.id,
                QUOTA,
                self.limit,
                self.mode,
                amount,
                scope,
                win,
                reset,
                self.notify_label(now),
                self.thresholds,
                key=key,
            )
        if kind == CONCURRENCY:
            reuse = (0, int(now // 86400), 1.0)
            last = self._last
            if last[0] == reuse:
                return last[1]
            check = Check(
                self.id,
                CONCURRENCY,
                self.limit,
                self.mode,
                1.0,
                "",
                0,
                self.retry,
                self.notify_label(now),
                self.thresholds,
            )
            self._last = (reuse, check)
            return check
        return Check(
            self.id, GAUGE, self.limit, self.mode, amount, "", 0, 0.0, self.notify_label(now), self.thresholds
        )


class _Labels:
    """window_label with a cache: the label of the current day or month is asked for on every decision."""

    def __init__(self):
        self._cache: dict[tuple[str, int], str] = {}

    def __call__(self, period: str, index: int) -> str:
        key = (period, index)
        label = self._cache.get(key)
        if label is None:
            if len(self._cache) > 64:
                self._cache.clear()
            label = self._cache[key] = window_label(period, index)
        return label


class Meter:
    """Enforces each tenant's effective limits on a storage backend.

    `clock` gives the time when a call passes no `now`; `contract_ttl` is how long a contract read from
    the store is reused before it is read again (changes made on another server show up within it).
    `lease_ttl` and `contract_ttl` default to data/plans.yaml `metering`.
    """

    def __init__(
        self,
        catalog: Catalog,
        storage: Storage | str = "memory://",
        *,
        lease_ttl: float | None = None,
        contract_ttl: float | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.catalog = catalog
        self.storage = storage_from_url(storage) if isinstance(storage, str) else storage
        rules = catalog.enforcement
        self.lease_ttl = float(rules.lease_ttl_seconds if lease_ttl is None else lease_ttl)
        self.contract_ttl = float(rules.contract_refresh_seconds if contract_ttl is None else contract_ttl)
        self.clock = clock
        self._limits: dict[str, tuple[float, EffectiveLimits, dict[str, _DimPlan]]] = {}
        self._label = _Labels()
        self.rate_dim = catalog.first_of_kind(RATE)
        self.concurrency_dim = catalog.first_of_kind(CONCURRENCY)
        self.quota_dim = catalog.first_of_kind(QUOTA)

    # Contracts -------------------------------------------------------------------------------------
    def put_contract(
        self,
        contract: Contract | Mapping,
        *,
        now: float | None = None,
        changed_by: str = "",
        reason: str = "",
    ) -> Contract:
        """Validate and store a tenant's contract; its limits apply from the next call (and, in the
        tenant's contract history, from `now`). `changed_by` and `reason` are kept with the history entry."""
        if not isinstance(contract, Contract):
            contract = parse_contract(contract, self.catalog)
        effective = self.clock() if now is None else now
        document = contract.to_dict()
        if changed_by or reason:
            document[CHANGE_KEY] = {"by": changed_by, "reason": reason}
        self.storage.put_contract(contract.tenant, json.dumps(document, sort_keys=True), effective)
        self._limits.pop(contract.tenant, None)
        return contract

    def contract(self, tenant: str) -> Contract:
        """The stored contract of a tenant; UnknownTenant if there is none."""
        if not isinstance(tenant, str):
            raise UnknownTenant("tenant must be a tenant id", field="tenant")
        document = self.storage.get_contract(tenant)
        if document is None:
            raise UnknownTenant(f"no contract on file for tenant {tenant!r}", field="tenant")
        return parse_contract(_split_change(document)[0], self.catalog)

    def contract_changes(self, tenant: str) -> list[ContractChange]:
        """Every contract the tenant has had, oldest first, with who changed it and why (when recorded)."""
        changes = []
        for effective, document in self.storage.contract_history(tenant):
            raw, change = _split_change(document)
            changes.append(ContractChange(effective, raw, change.get("by", ""), change.get("reason", "")))
        return changes

    def _cached(self, tenant: str) -> tuple[float, EffectiveLimits, dict[str, _DimPlan]]:
        stamp = time.monotonic()
        cached = self._limits.get(tenant)
        if cached is not None and stamp - cached[0] < self.contract_ttl:
            return cached
        try:
            limits = effective_limits(self.catalog, self.contract(tenant))
        except StoreUnavailable:
            if cached is None:
                raise
            return cached  # the store cannot be reached: keep the limits last read (see metering.guard)
        retry = float(self.catalog.enforcement.concurrency_retry_seconds)
        cached = (stamp, limits, {d: _DimPlan(lim, retry) for d, lim in limits.dimensions.items()})
        self._limits[tenant] = cached
        return cached

    def limits(self, tenant: str) -> EffectiveLimits:
        """The tenant's effective limits (cached for `contract_ttl` seconds)."""
        return self._cached(tenant)[1]

    def limits_timeline(self, tenant: str) -> list[tuple[float, EffectiveLimits]]:
        """(in force from, effective limits) of every contract the tenant has had, oldest first.

        A stored contract that no longer parses against the catalog (a plan since withdrawn) is left out;
        a tenant with no history (a store written before history was kept) gets its current limits.
        """
        timeline = []
        for effective, document in self.storage.contract_history(tenant):
            try:
                contract = parse_contract(_split_change(document)[0], self.catalog)
            except InvalidArgument:
                continue
            timeline.append((effective, effective_limits(self.catalog, contract)))
        return timeline or [(-math.inf, self.limits(tenant))]

    def tenants(self) -> list[str]:
        return self.storage.tenants()

    # Checks ----------------------------------------------------------------------------------------
    def _plan(self, tenant: str, dimension, kinds: tuple[str, ...]) -> _DimPlan:
        plans = self._cached(tenant)[2]
        plan = plans.get(dimension) if isinstance(dimension, str) else None
        if plan is None or plan.kind not in kinds:
            valid = ", ".join(d for d, p in plans.items() if p.kind in kinds)
            raise UnknownDimension(f"unknown dimension {dimension!r} here; valid: {valid}", field="dimension")
        return plan

    def _connector(self, connector) -> str:
        if connector not in self.catalog.connectors:
            valid = ", ".join(self.catalog.connectors)
            raise UnknownDimension(f"unknown connector {connector!r}; valid: {valid}", field="connector")
        return connector

    def _request(self, tenant, checks, now, lease_id="", ttl=0.0) -> AdmitRequest:
        return AdmitRequest(tenant, checks, now, int(now // 3600), int(now // 60), lease_id, ttl)

    # Enforcement -----------------------------------------------------------------------------------
    def admit_run(
        self,
        tenant: str,
        run_id: str | None = None,
        writes: Mapping[str, int] | None = None,
        *,
        ttl: float | None = None,
        now: float | None = None,
    ) -> Admission:
        """Admit one run atomically: a rate token, a concurrency lease (id = run_id) and, if given, write
        reservations per connector (keys ``<run_id>:<connector>``). All are counted, or none."""
        now = self.clock() if now is None else now
        plans = self._cached(tenant)[2]
        run_id = uuid.uuid4().hex if run_id is None else _identifier(run_id, "run_id")
        ttl = self.lease_ttl if ttl is None else _amount(ttl, "ttl")
        checks = []
        if self.rate_dim is not None:
            checks.append(plans[self.rate_dim.id].check(now))
        if self.concurrency_dim is not None:
            checks.append(plans[self.concurrency_dim.id].check(now))
        if writes:
            if not (type(writes) is dict or isinstance(writes, Mapping)) or self.quota_dim is None:
                raise InvalidArgument("writes must map connector ids to counts", field="writes")
            quota = plans[self.quota_dim.id]
            connectors = self.catalog.connectors
            for connector, count in writes.items():
                if connector not in connectors:
                    self._connector(connector)  # raises, naming the valid connectors
                if type(count) is not int or count <= 0:
                    count = _amount(count, f"writes.{connector}")
                checks.append(quota.check(now, float(count), connector, f"{run_id}:{connector}"))
        return self.storage.admit(
            AdmitRequest(tenant, checks, now, int(now // 3600), int(now // 60), run_id, ttl)
        )

    def hit(
        self, tenant: str, dimension: str, amount: float = 1, *, connector: str = "", now: float | None = None
    ) -> Decision:
        """A single-dimension decision on a rate, quota or gauge dimension, counted if allowed."""
        if now is None:
            now = self.clock()
        cached = self._limits.get(tenant)
        plan = None
        if cached is not None and time.monotonic() - cached[0] < self.contract_ttl:
            plan = cached[2].get(dimension) if type(dimension) is str else None
        if plan is None or plan.kind == CONCURRENCY:
            plan = self._plan(tenant, dimension, (RATE, QUOTA, GAUGE))
        if type(amount) not in (int, float) or not 0 < amount < math.inf:
            amount = _amount(amount)
        scope = self._connector(connector) if plan.per_connector else ""
        return self.storage.decide(tenant, plan.check(now, float(amount), scope), now)

    def reserve_writes(
        self, tenant: str, connector: str, amount: float, key: str, *, now: float | None = None
    ) -> Admission:
        """Reserve `amount` writes into `connector` before sending them; `key` makes retries count once."""
        now = self.clock() if now is None else now
        if self.quota_dim is None:
            raise UnknownDimension("no write quota is metered", field="dimension")
        plan = self._cached(tenant)[2][self.quota_dim.id]
        check = plan.check(now, _amount(amount), self._connector(connector), _identifier(key, "key"))
        return self.storage.admit(self._request(tenant, [check], now))

    def settle_writes(self, tenant: str, key: str, used: float, *, now: float | None = None) -> Settlement:
        """After the writes: record how many were sent and refund the rest of the reservation."""
        now = self.clock() if now is None else now
        self.limits(tenant)
        used = _amount(used, "used", allow_zero=True)
        windows = {d.id: window_index(d.period, now) for d in self.catalog.dimensions if d.kind == QUOTA}
        return self.storage.settle(tenant, _identifier(key, "key"), used, windows, hour_index(now))

    def refund_writes(self, tenant: str, key: str, *, now: float | None = None) -> Settlement:
        """The writes were not sent: give the whole reservation back."""
        return self.settle_writes(tenant, key, 0, now=now)

    def heartbeat(
        self, tenant: str, lease_id: str, *, ttl: float | None = None, now: float | None = None
    ) -> float:
        """Keep a run's lease alive; the new expiry (epoch seconds)."""
        now = self.clock() if now is None else now
        self.limits(tenant)
        ttl = self.lease_ttl if ttl is None else _amount(ttl, "ttl")
        return self.storage.heartbeat(tenant, _identifier(lease_id, "lease_id"), ttl, now)

    def release(self, tenant: str, lease_id: str, *, now: float | None = None) -> bool:
        """Free a run's slot; idempotent (False when it was already free)."""
        now = self.clock() if now is None else now
        self.limits(tenant)
        return self.storage.release(tenant, _identifier(lease_id, "lease_id"), now)

    def check_index(
        self, tenant: str, add_gb: float, *, dimension: str | None = None, now: float | None = None
    ) -> Decision:
        """Before indexing `add_gb` more: allowed (and counted), or paused/rejected over the cap."""
        if dimension is None:
            gauges = [d for d in self.catalog.dimensions if d.kind == GAUGE and d.id != RETENTION]
            dimension = gauges[0].id if gauges else ""
        return self.hit(tenant, dimension, add_gb, now=now)

    def record_gauge(
        self, tenant: str, dimension: str, value: float, *, now: float | None = None
    ) -> Decision:
        """Record a measured gauge (indexed GB from the index, age in days of the oldest retained data)."""
        now = self.clock() if now is None else now
        plan = self._plan(tenant, dimension, (GAUGE,))
        check = plan.check(now, _amount(value, "value", allow_zero=True))
        return self.storage.set_gauge(tenant, check, now, hour_index(now), int(now // 60))

    def retention_cutoff(self, tenant: str, *, now: float | None = None) -> float:
        """Epoch seconds before which the tenant's content must be deleted."""
        now = self.clock() if now is None else now
        return now - self.limits(tenant)[RETENTION].limit * 86400

    # Reading ---------------------------------------------------------------------------------------
    def usage(self, tenant: str, *, now: float | None = None) -> list[DimensionUsage]:
        """Every dimension's current usage against its limit (quota dimensions once per connector)."""
        now = self.clock() if now is None else now
        limits = self.limits(tenant)
        scalars = self.storage.scalars(tenant)
        rows = []
        for lim in limits.dimensions.values():
            dim = lim.dimension
            if dim.kind in (RATE, QUOTA):
                win = window_index(dim.period, now)
                reset_at = window_bounds(dim.period, win)[1]
                label = self._label(dim.period, win)
                for scope in self.catalog.connectors if dim.per_connector else ("",):
                    rec = scalars.get(f"w:{dim.id}:{scope}")
                    used = rec[1] if rec and rec[0] == win else 0.0
                    rows.append(DimensionUsage(dim, scope, lim.limit, used, lim.mode, reset_at, label))
            elif dim.kind == CONCURRENCY:
                used = float(self.storage.active_leases(tenant, now))
                rows.append(DimensionUsage(dim, "", lim.limit, used, lim.mode, None, "now"))
            else:
                rec = scalars.get(f"g:{dim.id}")
                rows.append(DimensionUsage(dim, "", lim.limit, rec[1] if rec else 0.0, lim.mode, None, "now"))
        return rows
