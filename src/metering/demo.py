"""A demo store: the sample tenants of data/tenants_demo.yaml with realistic usage over the last days.

Usage is generated through the real Meter calls (admissions, leases, reservations, gauges), so the
admin page shows what enforcement records: hourly history, throttled calls and notifications.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Mapping, Sequence

from .catalog import CONCURRENCY, QUOTA, RATE, RETENTION, Catalog
from .meter import Meter

CONTRACT_FIELDS = ("tenant", "name", "plan", "cus", "addons", "overage", "contacts")


def demo_tenants(context: Mapping) -> list[Mapping]:
    """The demo tenants from the internal data context."""
    return list(context["demo_tenants"]["tenants"])


def load_demo(project=None) -> tuple[Catalog, list[Mapping]]:
    """Catalog and demo tenants from a docskit project's validated data (default: this repository)."""
    from docskit.datamodel import load_dataset
    from docskit.paths import Project

    context = load_dataset(project or Project.at()).context("internal")
    return Catalog.from_context(context), demo_tenants(context)


def _daily_shape(hour_of_day: int) -> float:
    """Business-hours load: about 0.4x at night and 1.6x mid-afternoon (UTC), averaging 1."""
    return 1.0 + 0.6 * math.sin((hour_of_day - 9) / 24 * 2 * math.pi)


def seed(
    meter: Meter, tenants: Sequence[Mapping], *, now: float | None = None, days: int = 2, rng_seed: int = 7
) -> None:
    """Store each tenant's contract, in force from the start of its history, and generate `days` days of
    hourly usage ending at `now`."""
    now = time.time() if now is None else now
    rng = random.Random(rng_seed)
    for raw in tenants:
        meter.put_contract({k: raw[k] for k in CONTRACT_FIELDS if k in raw}, now=now - (days + 1) * 86400)
        _seed_tenant(meter, raw["tenant"], raw["profile"], now, days, rng)


def _seed_tenant(meter: Meter, tenant: str, profile: Mapping, now: float, days: int, rng: random.Random):
    limits = meter.limits(tenant)
    catalog = meter.catalog
    rate, conc, quota = (catalog.first_of_kind(k) for k in (RATE, CONCURRENCY, QUOTA))
    gauges = [d for d in catalog.dimensions if d.kind == "gauge" and d.id != RETENTION]
    last_hour = int((now - 61) // 3600)  # the last hour with at least a minute of history before `now`
    first_hour = last_hour - days * 24 + 1
    rate_lim, conc_lim, quota_lim = limits[rate.id], limits[conc.id], limits[quota.id]
    burst_gap = rate_lim.burst * rate_lim.interval
    for hour in range(first_hour, last_hour + 1):
        start = hour * 3600.0
        end = min(start + 3600.0, now - 60)
        span = end - start
        shape = _daily_shape(hour % 24) * rng.uniform(0.85, 1.15)
        # runs: bursts of `burst` runs, spaced so the rate limiter is idle before each
        chunks = min(
            int(span / burst_gap) - 1, round(profile["rate_percent"] / 100 * span / burst_gap * shape)
        )
        for i in range(chunks):
            meter.hit(tenant, rate.id, rate_lim.burst, now=start + i * burst_gap)
        # concurrency: the hour's peak of runs in progress, released twenty minutes later
        held = min(conc_lim.limit, round(profile["concurrency_percent"] / 100 * conc_lim.limit * shape))
        admitted = [
            run
            for i in range(held)
            if meter.admit_run(tenant, run := f"demo-{hour}-{i}", ttl=1800, now=start + 5 + i * 0.01).allowed
        ]
        for run in admitted:
            meter.release(tenant, run, now=start + span / 3)
        # writes: today's share of the cap by now; earlier days a little less
        day_start = hour - hour % 24
        today = day_start == last_hour - last_hour % 24
        hours_in_day = (last_hour - day_start + 1) if today else 24
        for connector, percent in profile["writes_percent"].items():
            factor = 1.0 if today else rng.uniform(0.6, 0.9)
            amount = round(percent / 100 * quota_lim.limit * factor / hours_in_day)
            if amount > 0:
                meter.hit(tenant, quota.id, amount, connector=connector, now=start + span / 6)
        progress = (hour - first_hour + 1) / (last_hour - first_hour + 1)
        for gauge in gauges:
            value = profile["indexed_percent"] / 100 * limits[gauge.id].limit * (0.9 + 0.1 * progress)
            meter.record_gauge(tenant, gauge.id, round(value, 2), now=start + span / 2)
        retained = round(profile["retention_percent"] / 100 * limits[RETENTION].limit)
        meter.record_gauge(tenant, RETENTION, retained, now=start + span / 2)
    # runs in progress now, with leases long enough for a demo session
    held_now = round(profile["concurrency_percent"] / 100 * conc_lim.limit)
    for i in range(held_now):
        meter.admit_run(tenant, f"demo-now-{i}", ttl=4 * 3600, now=now - 45 + i * 0.001)
    if profile["spike"]:
        for i in range(rate_lim.burst + 4):
            meter.admit_run(tenant, f"demo-spike-{i}", ttl=600, now=now - 20)


def build_demo_meter(
    store_url: str = "memory://", *, project=None, now: float | None = None, days: int = 2
) -> Meter:
    """A Meter on `store_url` seeded with the demo tenants (the store is cleared first)."""
    catalog, tenants = load_demo(project)
    meter = Meter(catalog, store_url)
    meter.storage.clear()
    seed(meter, tenants, now=now, days=days)
    return meter
