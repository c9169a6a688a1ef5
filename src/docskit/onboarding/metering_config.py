"""A tenant's metering configuration for its kit: plan, capacity units and the limits they grant.

Limits come from the metering library's `effective_limits`, the same function enforcement uses, so the kit
shows exactly what will be enforced.
"""

from __future__ import annotations

from collections.abc import Mapping

from metering.catalog import Catalog
from metering.contracts import parse_contract
from metering.effective import effective_limits
from metering.errors import InvalidArgument

from ..tables import counted
from .choices import match_choice
from .options import OptionError


def resolve_plan(context: Mapping, plan: str | None, cus: int | None) -> tuple[str, int]:
    """(plan id, CUs): the plan defaults to the lowest-ranked one, CUs to its minimum; fewer CUs are refused."""
    plans = sorted(context["plans"], key=lambda p: p["rank"])
    by_id = {p["id"]: p for p in plans}
    plan_id = match_choice("plan", plan, list(by_id), OptionError) if plan else plans[0]["id"]
    minimum = int(by_id[plan_id]["min_cus"])
    count = minimum if cus is None else int(cus)
    if count < minimum:
        raise OptionError(f"plan {plan_id!r} needs at least {counted(minimum, 'capacity unit')}, got {count}")
    return plan_id, count


def parse_terms(addons: str = "", overage: str = "") -> dict:
    """Contract terms from `--addons dim=amount,…` and `--overage dim=mode,…`: {"addons": {…}, "overage": {…}}.

    Only the form is checked here; `metering_config` checks dimensions and modes against the plan data.
    """
    terms: dict = {}
    for flag, text, convert in (("addons", addons, int), ("overage", overage, str)):
        pairs = {}
        for item in filter(None, (part.strip() for part in (text or "").split(","))):
            dim, sep, value = item.partition("=")
            try:
                if not (sep and dim.strip() and value.strip()):
                    raise ValueError(item)
                pairs[dim.strip()] = convert(value.strip())
            except ValueError:
                example = "writes_per_day=2000" if flag == "addons" else "indexed_gb=bill"
                raise OptionError(
                    f"--{flag} takes dimension=value pairs, e.g. {example}; got {item!r}"
                ) from None
        if pairs:
            terms[flag] = pairs
    return terms


def metering_config(
    context: Mapping,
    tenant_id: str,
    tenant_name: str,
    plan: str,
    cus: int,
    connectors,
    terms: Mapping | None = None,
) -> dict:
    """The kit's metering configuration: the contract (as metering reads it) and every effective limit.

    `terms` holds the contract's add-ons and overage modes per dimension (see `parse_terms`); OptionError names
    the flag and value that the plan data refuses.
    """
    catalog = Catalog.from_context(context)
    raw = {"tenant": tenant_id, "plan": plan, "name": tenant_name, "cus": cus, **(terms or {})}
    try:
        contract = parse_contract(raw, catalog)
    except InvalidArgument as err:
        raise OptionError(f"--{err.field.replace('.', ' ', 1)}: {err.detail}") from None
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
