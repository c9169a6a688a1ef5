"""Limits consistency checks for `./dev check`: what is sold can be used, and equals what is enforced."""

from __future__ import annotations

from collections.abc import Mapping

from docskit.problems import Problem

from .catalog import CONCURRENCY, GAUGE, QUOTA, RATE, Catalog
from .contracts import Contract
from .effective import effective_limits, plan_limits
from .errors import ConfigError
from .limits_view import plan_limits_rows
from .periods import FIXED_SECONDS, period_seconds

FILE = "data/plans.yaml"
RATE_PERIODS = ("second", "minute", "hour")
QUOTA_PERIODS = ("day", "month")


def _dim_path(catalog: Catalog, dim_id: str, key: str) -> str:
    index = [d.id for d in catalog.dimensions].index(dim_id)
    return f"capacity_unit.dimensions[{index}].{key}"


def _check_periods(catalog: Catalog) -> list[Problem]:
    problems = []
    for dim in catalog.dimensions:
        if dim.per_cu is None:
            continue
        if dim.kind == RATE and dim.period not in RATE_PERIODS:
            problems.append(
                Problem(
                    FILE,
                    f"rate dimension {dim.id} counts per {dim.period!r}",
                    path=_dim_path(catalog, dim.id, "period"),
                    hint=f"a rate is per {', '.join(RATE_PERIODS)}; use a quota for longer",
                )
            )
        if dim.kind == QUOTA and dim.period not in QUOTA_PERIODS:
            problems.append(
                Problem(
                    FILE,
                    f"quota dimension {dim.id} resets per {dim.period!r}",
                    path=_dim_path(catalog, dim.id, "period"),
                    hint=f"quotas reset per UTC {' or '.join(QUOTA_PERIODS)}",
                )
            )
        if dim.kind in (CONCURRENCY, GAUGE) and dim.period is not None:
            problems.append(
                Problem(
                    FILE,
                    f"{dim.kind} dimension {dim.id} has a period, which nothing reads",
                    path=_dim_path(catalog, dim.id, "period"),
                    hint="remove the period",
                )
            )
        if dim.kind == RATE and not 0 < dim.burst_seconds < FIXED_SECONDS.get(dim.period, 0):
            problems.append(
                Problem(
                    FILE,
                    f"burst_seconds of {dim.id} must be above 0 and below one {dim.period}",
                    path=_dim_path(catalog, dim.id, "burst_seconds"),
                    hint="a burst is a few seconds' worth of the rate",
                )
            )
        if dim.kind != RATE and dim.burst_seconds:
            problems.append(
                Problem(
                    FILE,
                    f"{dim.id} is not a rate but has burst_seconds",
                    path=_dim_path(catalog, dim.id, "burst_seconds"),
                    hint="remove it",
                )
            )
        if dim.per_connector and dim.kind != QUOTA:
            problems.append(
                Problem(
                    FILE,
                    f"{dim.id}: only quotas can be counted per connector",
                    path=_dim_path(catalog, dim.id, "per_connector"),
                    hint="remove it",
                )
            )
        if dim.notify_period not in ("day", "month"):
            problems.append(
                Problem(
                    FILE,
                    f"{dim.id}: notify_period must be day or month",
                    path=_dim_path(catalog, dim.id, "notify_period"),
                    hint="use day or month",
                )
            )
    if 100 not in catalog.thresholds_percent:
        problems.append(
            Problem(
                FILE,
                "notify_thresholds_percent lacks 100: nobody is told a limit was reached",
                path="overage.notify_thresholds_percent",
                hint="add 100",
            )
        )
    if catalog.default_mode not in catalog.modes:
        problems.append(
            Problem(
                FILE,
                f"default overage mode {catalog.default_mode!r} is not a mode",
                path="overage.default_mode",
                hint=f"use one of {', '.join(catalog.modes)}",
            )
        )
    return problems


def _check_plan_order(catalog: Catalog) -> list[Problem]:
    problems = []
    ranks = [p.rank for p in catalog.plans]
    if len(set(ranks)) != len(ranks):
        problems.append(
            Problem(FILE, "two plans share a rank", path="plans", hint="give each plan its own rank")
        )
    for lower, higher in zip(catalog.plans, catalog.plans[1:], strict=False):
        low, high = plan_limits(catalog, lower), plan_limits(catalog, higher)
        for dim in catalog.dimensions:
            if high[dim.id].limit < low[dim.id].limit:
                problems.append(
                    Problem(
                        FILE,
                        f"plan {higher.id} grants less {dim.name.lower()} ({high[dim.id].limit:g} {dim.unit}) than the "
                        f"lower-ranked plan {lower.id} ({low[dim.id].limit:g} {dim.unit})",
                        path=f"plans[{catalog.plans.index(higher)}]",
                        hint="raise the higher plan's min_cus or retention_days, or swap the ranks",
                    )
                )
    return problems


def _check_concurrency_usable(catalog: Catalog) -> list[Problem]:
    """Every plan's rate must let a tenant fill all its concurrent slots: its burst is at least the slots."""
    rate, conc = catalog.first_of_kind(RATE), catalog.first_of_kind(CONCURRENCY)
    if rate is None or conc is None:
        return []
    problems = []
    for i, plan in enumerate(catalog.plans):
        limits = plan_limits(catalog, plan)
        burst, slots = limits[rate.id].burst, limits[conc.id].limit
        per_second = limits[rate.id].limit / period_seconds(rate.period)
        if burst < slots:
            problems.append(
                Problem(
                    FILE,
                    f"plan {plan.id}: {slots} concurrent runs but the rate admits only {burst} at once "
                    f"({per_second:g} runs/s after that), so the slots cannot all be used",
                    path=f"plans[{i}]",
                    hint=f"raise {rate.id}.burst_seconds or per_cu, or lower {conc.id}.per_cu",
                )
            )
    return problems


def _check_pricing_equals_enforcement(context: Mapping, catalog: Catalog) -> list[Problem]:
    """The rows the pricing page renders (customer context) equal the limits Meter enforces per plan."""
    problems = []
    try:
        rows = plan_limits_rows(context)
    except (ConfigError, KeyError) as err:
        return [
            Problem(
                FILE,
                f"the pricing table cannot be computed from the customer context: {err}",
                hint="plans, capacity_unit and overage must not be marked internal",
            )
        ]
    dims = {d.id for d in catalog.dimensions}
    if {r["id"] for r in rows} != dims:
        problems.append(
            Problem(
                FILE,
                "the pricing page would show other dimensions than metering enforces",
                path="capacity_unit.dimensions",
                hint="do not mark metered dimensions internal",
            )
        )
    for row in rows:
        for plan_id, shown in row["values"].items():
            enforced = effective_limits(catalog, Contract(tenant="check", plan=plan_id))[row["id"]].limit
            if shown != enforced:
                problems.append(
                    Problem(
                        FILE,
                        f"pricing shows {shown} {row['unit']} of {row['id']} for {plan_id}, metering enforces "
                        f"{enforced}",
                        path="plans",
                        hint="compute both through metering.effective",
                    )
                )
    return problems


def check_limits(context: Mapping, customer_context: Mapping | None = None) -> list[Problem]:
    """Every limits problem of the data: periods and units, plan order, usable concurrency, pricing parity.

    `context` is the internal (full) context; `customer_context`, when given, is what the pricing page is
    rendered with, and must yield the same limits.
    """
    try:
        catalog = Catalog.from_context(context)
    except (ConfigError, KeyError, TypeError, ValueError) as err:
        return [Problem(FILE, f"limits cannot be read: {err}", hint="fix plans.yaml against its schema")]
    return [
        *_check_periods(catalog),
        *_check_plan_order(catalog),
        *_check_concurrency_usable(catalog),
        *_check_pricing_equals_enforcement(
            customer_context if customer_context is not None else context, catalog
        ),
    ]


def check_plans(project, dataset) -> list[Problem]:
    """`./dev check` entry point: the limits checks over the internal and the customer context."""
    return check_limits(dataset.context("internal"), dataset.context("customer"))
