"""A tenant's metering configuration for its kit: plan, capacity units and the limits they grant.

Limits come from the metering library's `effective_limits`, the same function enforcement uses, so the kit
shows exactly what will be enforced.
"""

from __future__ import annotations

from collections.abc import Mapping

from metering.catalog import Catalog
from metering.contracts import Contract
from metering.effective import effective_limits

from .options import OptionError


def resolve_plan(context: Mapping, plan: str | None, cus: int | None) -> tuple[str, int]:
    """(plan id, CUs): the plan defaults to the lowest-ranked one, CUs to its minimum; fewer CUs are refused."""
    plans = sorted(context["plans"], key=lambda p: p["rank"])
    by_id = {p["id"]: p for p in plans}
    plan_id = plan or plans[0]["id"]
    if plan_id not in by_id:
        raise OptionError(f"unknown plan {plan_id!r}; valid: {', '.join(by_id)}")
    minimum = int(by_id[plan_id]["min_cus"])
    count = minimum if cus is None else int(cus)
    if count < minimum:
        raise OptionError(f"plan {plan_id!r} needs at least {minimum} capacity units, got {count}")
    return plan_id, count


def metering_config(
    context: Mapping, tenant_id: str, tenant_name: str, plan: str, cus: int, connectors
) -> dict:
    """The kit's metering configuration: the contract (as metering reads it) and every effective limit."""
    catalog = Catalog.from_context(context)
    contract = Contract(tenant=tenant_id, plan=plan, name=tenant_name, cus=cus)
    limits = effective_limits(catalog, contract)
    rows = {}
    for dim_id, limit in limits.dimensions.items():
        dim = limit.dimension
        row = {"name": dim.name, "limit": limit.limit, "unit": dim.unit, "overage_mode": limit.mode}
        if dim.period:
            row["period"] = dim.period
        if dim.per_connector:
            row["per_connector"] = list(connectors)
        rows[dim_id] = row
    return {"contract": contract.to_dict(), "plan": limits.plan, "cus": limits.cus, "limits": rows}
