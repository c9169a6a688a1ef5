"""Effective limits: the one place that turns plans.yaml and a contract into the numbers that are enforced.

`limit_value` is the formula; the pricing page (`limits_view`) and enforcement (`Meter`) both call it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .catalog import RATE, RETENTION, Catalog, Dimension, Plan
from .contracts import Contract, Threshold
from .periods import period_seconds


def limit_value(dimension: Dimension, plan: Plan, cus: int, addon: int = 0) -> int:
    """The limit of one dimension for a plan at `cus` capacity units, plus a contract add-on."""
    base = plan.retention_days if dimension.id == RETENTION else dimension.per_cu * cus
    return base + addon


def rate_burst(dimension: Dimension, limit: int) -> int:
    """How many runs a rate dimension admits at once after being idle: `burst_seconds` worth of its rate."""
    return max(1, math.ceil(limit * dimension.burst_seconds / period_seconds(dimension.period)))


@dataclass(frozen=True)
class DimensionLimit:
    """One dimension's enforced limit for a tenant, with its overage mode and notification thresholds."""

    dimension: Dimension
    limit: int
    mode: str
    thresholds: tuple[Threshold, ...]

    @property
    def id(self) -> str:
        return self.dimension.id

    @property
    def kind(self) -> str:
        return self.dimension.kind

    @property
    def burst(self) -> int:
        """Runs admitted at once after idle (rate dimensions only; 0 otherwise)."""
        return rate_burst(self.dimension, self.limit) if self.kind == RATE else 0

    @property
    def interval(self) -> float:
        """GCRA emission interval: seconds one unit of a rate dimension occupies."""
        return period_seconds(self.dimension.period) / self.limit

    def threshold_values(self) -> tuple[tuple[str, float], ...]:
        """(label, usage at which it is reached) for each threshold, lowest first."""
        return tuple(sorted(((t.label, t.resolve(self.limit)) for t in self.thresholds), key=lambda x: x[1]))


@dataclass(frozen=True)
class EffectiveLimits:
    """Every dimension's enforced limit for one tenant."""

    tenant: str
    plan: str
    cus: int
    dimensions: Mapping[str, DimensionLimit]

    def __getitem__(self, dimension_id: str) -> DimensionLimit:
        return self.dimensions[dimension_id]


def effective_limits(catalog: Catalog, contract: Contract) -> EffectiveLimits:
    """A tenant's limits: plan and CUs from the contract (at least the plan minimum), plus add-ons."""
    plan = catalog.plan(contract.plan)
    cus = max(contract.cus or plan.min_cus, plan.min_cus)
    default_thresholds = tuple(Threshold(float(p)) for p in catalog.thresholds_percent)
    dims = {}
    for dim in catalog.dimensions:
        dims[dim.id] = DimensionLimit(
            dimension=dim,
            limit=limit_value(dim, plan, cus, contract.addons.get(dim.id, 0)),
            mode=contract.overage.get(dim.id, catalog.default_mode),
            thresholds=contract.thresholds.get(dim.id, default_thresholds),
        )
    return EffectiveLimits(contract.tenant, plan.id, cus, MappingProxyType(dims))


def plan_limits(catalog: Catalog, plan: Plan) -> EffectiveLimits:
    """What a plan grants at its minimum CUs without add-ons: the limits of a tenant on a plain contract.

    The pricing page shows these values, computed by the same `effective_limits` that enforcement uses.
    """
    return effective_limits(catalog, Contract(tenant=f"plan-{plan.id}", plan=plan.id))
