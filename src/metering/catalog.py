"""What can be metered and sold, read from the data context (data/plans.yaml and data/connectors.yaml).

The catalog is the only place metering reads plan facts from; pricing pages read the same values
through `metering.limits_view`, so what is sold is what is enforced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import ConfigError
from .operations import Operations
from .periods import PERIODS

RATE, CONCURRENCY, QUOTA, GAUGE = "rate", "concurrency", "quota", "gauge"
KINDS = (RATE, CONCURRENCY, QUOTA, GAUGE)
MODES = ("throttle", "bill", "hard_fail")

#: Retention is sold per plan, not per CU; metering tracks it as a gauge under this id.
RETENTION = "retention_days"


@dataclass(frozen=True)
class Dimension:
    """One metered dimension: how it is counted and what one CU grants (None: set by the plan)."""

    id: str
    name: str
    kind: str
    unit: str
    description: str
    per_cu: int | None
    period: str | None = None
    per_connector: bool = False
    burst_seconds: int = 0
    notify_period: str = "day"


@dataclass(frozen=True)
class Plan:
    """A plan: its rank (higher sells more), minimum CUs and retention."""

    id: str
    name: str
    rank: int
    min_cus: int
    retention_days: int


@dataclass(frozen=True)
class Enforcement:
    """How limits are enforced (data/plans.yaml `metering`): lease lifetime, retry hint, contract refresh."""

    lease_ttl_seconds: int
    concurrency_retry_seconds: int
    contract_refresh_seconds: int


@dataclass(frozen=True)
class Catalog:
    """Dimensions, plans, overage modes and notification thresholds, in data order."""

    dimensions: tuple[Dimension, ...]
    plans: tuple[Plan, ...]
    modes: tuple[str, ...]
    default_mode: str
    thresholds_percent: tuple[int, ...]
    connectors: tuple[str, ...]
    enforcement: Enforcement
    operations: Operations = field(default_factory=Operations)

    def dimension(self, dimension_id: str) -> Dimension:
        """The dimension with this id; KeyError if there is none."""
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim
        raise KeyError(dimension_id)

    def plan(self, plan_id: str) -> Plan:
        """The plan with this id; KeyError if there is none."""
        for plan in self.plans:
            if plan.id == plan_id:
                return plan
        raise KeyError(plan_id)

    def first_of_kind(self, kind: str) -> Dimension | None:
        """The first dimension of a kind (the run admission uses the rate, concurrency and quota ones)."""
        return next((d for d in self.dimensions if d.kind == kind), None)

    @classmethod
    def from_context(cls, context: Mapping) -> Catalog:
        """Build the catalog from the data context (`capacity_unit`, `plans`, `overage`, `metering`, `connectors`)."""
        missing = [
            k for k in ("capacity_unit", "plans", "overage", "metering", "connectors") if k not in context
        ]
        if missing:
            raise ConfigError(f"data context lacks {', '.join(missing)}", field=missing[0])
        dims = [_dimension(raw) for raw in context["capacity_unit"]["dimensions"]]
        dims.append(
            Dimension(
                id=RETENTION,
                name="Data retention",
                kind=GAUGE,
                unit="days",
                description="Age of the oldest event content kept; older content is deleted.",
                per_cu=None,
                notify_period="month",
            )
        )
        plans = tuple(
            Plan(p["id"], p["name"], int(p["rank"]), int(p["min_cus"]), int(p["retention_days"]))
            for p in sorted(context["plans"], key=lambda p: p["rank"])
        )
        overage = context["overage"]
        return cls(
            dimensions=tuple(dims),
            plans=plans,
            modes=tuple(m["id"] for m in overage["modes"]),
            default_mode=overage["default_mode"],
            thresholds_percent=tuple(sorted(int(t) for t in overage["notify_thresholds_percent"])),
            connectors=tuple(c["id"] for c in context["connectors"]),
            enforcement=Enforcement(**{k: int(v) for k, v in context["metering"].items()}),
            operations=Operations.from_context(context),
        )


def _dimension(raw: Mapping) -> Dimension:
    kind = raw["kind"]
    period = raw.get("period")
    if kind not in KINDS:
        raise ConfigError(f"dimension {raw['id']}: unknown kind {kind!r}", field="kind")
    if period is not None and period not in PERIODS:
        raise ConfigError(f"dimension {raw['id']}: unknown period {period!r}", field="period")
    return Dimension(
        id=raw["id"],
        name=raw["name"],
        kind=kind,
        unit=raw["unit"],
        description=raw["description"],
        per_cu=int(raw["per_cu"]),
        period=period,
        per_connector=bool(raw.get("per_connector", False)),
        burst_seconds=int(raw.get("burst_seconds", 0)),
        notify_period=raw.get("notify_period", "day"),
    )


def load_catalog(project=None) -> Catalog:
    """The catalog of a docskit project (default: this repository), from its validated data."""
    from docskit.datamodel import load_dataset
    from docskit.paths import Project

    dataset = load_dataset(project or Project.at())
    return Catalog.from_context(dataset.context("internal"))
