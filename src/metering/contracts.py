"""Per-tenant contracts: plan, CUs bought, per-dimension add-ons, overage modes and notification thresholds.

A contract is parsed from a plain mapping (YAML, JSON or the admin form); every error names the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .catalog import RETENTION, Catalog
from .errors import InvalidArgument

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class Threshold:
    """A notification threshold: a percentage of the limit, or an absolute amount of the dimension's unit."""

    value: float
    absolute: bool = False

    @property
    def label(self) -> str:
        """How the threshold is named in notifications and the outbox key: '80%' or '1500'."""
        return f"{self.value:g}" if self.absolute else f"{self.value:g}%"

    def resolve(self, limit: float) -> float:
        """The usage at which this threshold is reached, for a given limit."""
        return self.value if self.absolute else limit * self.value / 100.0

    def to_dict(self) -> dict:
        return {"absolute": self.value} if self.absolute else {"percent": self.value}


@dataclass(frozen=True)
class Contract:
    """What a tenant bought. `cus` None means the plan's minimum."""

    tenant: str
    plan: str
    name: str = ""
    cus: int | None = None
    addons: Mapping[str, int] = field(default_factory=dict)
    overage: Mapping[str, str] = field(default_factory=dict)
    thresholds: Mapping[str, tuple[Threshold, ...]] = field(default_factory=dict)
    contacts: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """A plain mapping that `parse_contract` reads back unchanged."""
        out: dict = {"tenant": self.tenant, "plan": self.plan, "name": self.name}
        if self.cus is not None:
            out["cus"] = self.cus
        if self.addons:
            out["addons"] = dict(self.addons)
        if self.overage:
            out["overage"] = dict(self.overage)
        if self.thresholds:
            out["thresholds"] = {k: [t.to_dict() for t in v] for k, v in self.thresholds.items()}
        if self.contacts:
            out["contacts"] = list(self.contacts)
        return out


def _positive_int(value, field_name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgument(f"{field_name} must be a whole number of at least {minimum}", field=field_name)
    return value


def _threshold(raw, field_name: str) -> Threshold:
    if isinstance(raw, Mapping) and len(raw) == 1:
        ((kind, value),) = raw.items()
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if kind in ("percent", "absolute") and number and value > 0 and (kind == "absolute" or value <= 100):
            return Threshold(float(value), absolute=kind == "absolute")
    raise InvalidArgument(
        f"{field_name} must be {{percent: 1..100}} or {{absolute: a positive number}}", field=field_name
    )


def parse_contract(raw: Mapping, catalog: Catalog) -> Contract:
    """Validate a contract mapping against the catalog; raise InvalidArgument naming the bad field."""
    if not isinstance(raw, Mapping):
        raise InvalidArgument("contract must be a mapping", field="contract")
    known = {"tenant", "plan", "name", "cus", "addons", "overage", "thresholds", "contacts", "audience"}
    for key in raw:
        if key not in known:
            raise InvalidArgument(f"unknown contract field {key!r}", field=str(key))
    tenant = raw.get("tenant")
    if not isinstance(tenant, str) or not TENANT_ID.match(tenant):
        raise InvalidArgument("tenant must be lower-case letters, digits, '-' or '_' (1-63)", field="tenant")
    plan_id = raw.get("plan")
    try:
        plan = catalog.plan(plan_id)
    except KeyError:
        valid = ", ".join(p.id for p in catalog.plans)
        raise InvalidArgument(f"unknown plan {plan_id!r}; valid: {valid}", field="plan") from None
    cus = raw.get("cus")
    if cus is not None:
        cus = _positive_int(cus, "cus", plan.min_cus)
    dim_ids = {d.id for d in catalog.dimensions}
    addons = {}
    for dim_id, amount in (raw.get("addons") or {}).items():
        if dim_id not in dim_ids:
            raise InvalidArgument(f"add-on for unknown dimension {dim_id!r}", field=f"addons.{dim_id}")
        addons[dim_id] = _positive_int(amount, f"addons.{dim_id}")
    overage = {}
    for dim_id, mode in (raw.get("overage") or {}).items():
        if dim_id not in dim_ids or dim_id == RETENTION:
            raise InvalidArgument(f"overage mode for unknown dimension {dim_id!r}", field=f"overage.{dim_id}")
        if mode not in catalog.modes:
            valid = ", ".join(catalog.modes)
            raise InvalidArgument(f"unknown overage mode {mode!r}; valid: {valid}", field=f"overage.{dim_id}")
        overage[dim_id] = mode
    thresholds = {}
    for dim_id, items in (raw.get("thresholds") or {}).items():
        if dim_id not in dim_ids:
            raise InvalidArgument(
                f"thresholds for unknown dimension {dim_id!r}", field=f"thresholds.{dim_id}"
            )
        if not isinstance(items, list | tuple) or not items:
            raise InvalidArgument("thresholds must be a non-empty list", field=f"thresholds.{dim_id}")
        thresholds[dim_id] = tuple(_threshold(t, f"thresholds.{dim_id}[{i}]") for i, t in enumerate(items))
    contacts = raw.get("contacts") or ()
    if not isinstance(contacts, list | tuple) or not all(isinstance(c, str) and "@" in c for c in contacts):
        raise InvalidArgument("contacts must be a list of e-mail addresses", field="contacts")
    name = raw.get("name") or tenant
    if not isinstance(name, str):
        raise InvalidArgument("name must be text", field="name")
    return Contract(
        tenant=tenant,
        plan=plan.id,
        name=name,
        cus=cus,
        addons=MappingProxyType(addons),
        overage=MappingProxyType(overage),
        thresholds=MappingProxyType(thresholds),
        contacts=tuple(contacts),
    )
