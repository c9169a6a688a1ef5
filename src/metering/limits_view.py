"""The per-plan limits table that the pricing page renders and metering enforces: one computation for both.

`plan_limits_rows(context)` builds a Catalog from the template context and asks `effective.plan_limits`
for every plan, the same `effective_limits` a tenant's contract goes through in `Meter`.
"""

from __future__ import annotations

from collections.abc import Mapping

from .catalog import Catalog
from .effective import plan_limits


def format_amount(value: float) -> str:
    """2000 -> '2,000'; 12.5 -> '12.5'."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def plan_columns(context: Mapping) -> list[dict]:
    """The plans, lowest rank first: id, name, minimum CUs and retention."""
    catalog = Catalog.from_context(context)
    return [
        {"id": p.id, "name": p.name, "min_cus": p.min_cus, "retention_days": p.retention_days}
        for p in catalog.plans
    ]


def plan_limits_rows(context: Mapping) -> list[dict]:
    """One row per metered dimension with what each plan grants at its minimum CUs.

    Each row: id, name, kind, unit, period, per_connector, per_cu (None for retention, which the plan sets),
    burst (rate dimensions: runs admitted at once, per plan), values {plan id: limit}, cells (formatted
    limits in plan order, e.g. '2,000') and plans (plan ids in the same order).
    """
    catalog = Catalog.from_context(context)
    per_plan = {plan.id: plan_limits(catalog, plan) for plan in catalog.plans}
    order = [plan.id for plan in catalog.plans]
    rows = []
    for dim in catalog.dimensions:
        values = {pid: per_plan[pid][dim.id].limit for pid in order}
        rows.append(
            {
                "id": dim.id,
                "name": dim.name,
                "kind": dim.kind,
                "unit": dim.unit,
                "period": dim.period,
                "per_connector": dim.per_connector,
                "per_cu": dim.per_cu,
                "burst": {pid: per_plan[pid][dim.id].burst for pid in order} if dim.kind == "rate" else None,
                "values": values,
                "cells": [format_amount(values[pid]) for pid in order],
                "plans": order,
            }
        )
    return rows
