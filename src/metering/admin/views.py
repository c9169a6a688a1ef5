"""What the admin pages show, computed from a Meter: overview, tenant detail, 24-hour series, statements."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from ..catalog import CONCURRENCY, GAUGE, QUOTA, RATE
from ..contracts import parse_contract
from ..effective import EffectiveLimits, effective_limits
from ..errors import MeteringError
from ..meter import DimensionUsage, Meter
from ..periods import month_bounds, month_index, period_seconds
from ..storage.base import fold_usage


def utc(ts: float | None) -> str:
    """Epoch seconds as '2026-01-01 14:05 UTC' ('-' for None)."""
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def usage_label(u: DimensionUsage) -> str:
    scope = f" ({u.scope})" if u.scope else ""
    return f"{u.dimension.name}{scope}"


@dataclass(frozen=True)
class TenantSummary:
    """One line of the overview: a tenant and its dimension nearest to (or furthest over) its limit."""

    tenant: str
    name: str
    plan: str
    cus: int
    top: DimensionUsage
    rows: list[DimensionUsage]


def overview(meter: Meter, now: float) -> list[TenantSummary]:
    """Every tenant, nearest-to-limit first (highest percent of any dimension)."""
    out = []
    for tenant in meter.tenants():
        contract, limits = meter.contract(tenant), meter.limits(tenant)
        rows = meter.usage(tenant, now=now)
        top = max(rows, key=lambda u: u.percent)
        out.append(TenantSummary(tenant, contract.name, limits.plan, limits.cus, top, rows))
    return sorted(out, key=lambda s: (-s.top.percent, s.tenant))


def hourly_series(meter: Meter, tenant: str, now: float, hours: int = 24) -> tuple[list, list[str]]:
    """Percent of limit per hour for the last `hours` hours: [(label, [percent...])], hour labels.

    Rates: runs in the hour against the hour's capacity. Concurrency and gauges: the hour's peak.
    Quotas: the running total of the UTC day at the end of the hour, per connector.
    """
    last = int(now // 3600)
    first = last - hours + 1
    limits = meter.limits(tenant)
    day_start_hour = (first * 3600 - (first * 3600) % 86400) // 3600
    history = meter.storage.usage_history(tenant, day_start_hour, last + 1)
    values: dict[tuple[str, str, str], dict[int, float]] = defaultdict(dict)
    for dim, scope, hour, metric, value in history:
        values[(dim, scope, metric)][hour] = value
    series = []
    for lim in limits.dimensions.values():
        dim = lim.dimension
        if dim.kind == RATE:
            capacity = lim.limit * 3600 / period_seconds(dim.period)
            used = values.get((dim.id, "", "used"), {})
            series.append((dim.name, [100 * used.get(h, 0) / capacity for h in range(first, last + 1)]))
        elif dim.kind == QUOTA:
            for scope in meter.catalog.connectors if dim.per_connector else ("",):
                used = values.get((dim.id, scope, "used"), {})
                points, total = [], 0.0
                for h in range(day_start_hour, last + 1):
                    if h % 24 == 0:
                        total = 0.0
                    total += used.get(h, 0)
                    if h >= first:
                        points.append(100 * total / lim.limit)
                series.append((f"{dim.name} ({scope})" if scope else dim.name, points))
        elif dim.kind in (CONCURRENCY, GAUGE):
            peaks = values.get((dim.id, "", "peak"), {})
            if not peaks:
                continue
            points, current = [], 0.0
            for h in range(day_start_hour, last + 1):
                # concurrency peaks are per hour; a gauge keeps its last measured value until measured again
                current = peaks.get(h, 0.0) if dim.kind == CONCURRENCY else peaks.get(h, current)
                if h >= first:
                    points.append(100 * current / lim.limit)
            series.append((dim.name, points))
    labels = [datetime.fromtimestamp(h * 3600, UTC).strftime("%H:00") for h in range(first, last + 1)]
    return series, labels


@dataclass(frozen=True)
class StatementLine:
    day: str
    dimension: str
    name: str
    connector: str
    unit: str
    limit: float
    used: float | None
    peak: float | None
    overage: float


@dataclass(frozen=True)
class Statement:
    tenant: str
    name: str
    plan: str
    cus: int
    month: str
    lines: list[StatementLine]
    overage_totals: list[tuple[str, str, str, float]]  # (dimension, connector, unit, overage units)


def parse_month(text: str) -> int:
    """'2026-01' -> month index; ValueError if malformed."""
    dt = datetime.strptime(text, "%Y-%m")
    return dt.year * 12 + dt.month - 1


def in_force(timeline: list[tuple[float, EffectiveLimits]], at: float) -> EffectiveLimits:
    """The limits of `timeline` (see Meter.limits_timeline) in force at `at`; the first ones before it."""
    chosen = timeline[0][1]
    for effective, limits in timeline:
        if effective > at:
            break
        chosen = limits
    return chosen


def statement(meter: Meter, tenant: str, month: int) -> Statement:
    """Daily usage of a month per dimension and connector, and the overage units to invoice.

    Each day shows the limits in force at its end (a contract changed mid-day counts for that day); the
    header shows those at the month's end. Rates and quotas show units used per day, concurrency and
    gauges the day's peak. Overage units are recorded, when the decision is made, only for dimensions in
    bill mode, so a later contract change does not alter them.
    """
    start, end = month_bounds(month)
    contract, timeline = meter.contract(tenant), meter.limits_timeline(tenant)
    limits = in_force(timeline, end - 1)
    history = meter.storage.usage_history(tenant, int(start // 3600), int(end // 3600))
    days: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    for dim, scope, hour, metric, value in history:
        day = datetime.fromtimestamp(hour * 3600, UTC).strftime("%Y-%m-%d")
        cell = days[(day, dim, scope)]
        cell[metric] = fold_usage(metric, cell[metric], value) if metric in cell else value
    lines, overage = [], defaultdict(float)
    order = {d.id: i for i, d in enumerate(meter.catalog.dimensions)}
    for (day, dim_id, scope), cell in sorted(
        days.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99), kv[0][2])
    ):
        day_limits = in_force(
            timeline, datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp() + 86399
        )
        if dim_id not in day_limits.dimensions:
            continue
        lim = day_limits[dim_id]
        over = cell.get("over", 0.0) + cell.get("over_peak", 0.0)
        lines.append(
            StatementLine(
                day,
                dim_id,
                lim.dimension.name,
                scope,
                lim.dimension.unit,
                lim.limit,
                cell.get("used"),
                cell.get("peak"),
                over,
            )
        )
        if lim.kind == GAUGE:
            overage[(dim_id, scope)] = max(overage[(dim_id, scope)], over)
        else:
            overage[(dim_id, scope)] += over
    units = {d.id: d.unit for d in meter.catalog.dimensions}
    totals = [(d, s, units[d], v) for (d, s), v in sorted(overage.items()) if v > 0]
    label = datetime.fromtimestamp(start, UTC).strftime("%Y-%m")
    return Statement(tenant, contract.name, limits.plan, limits.cus, label, lines, totals)


def _cell(value) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    text = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not text[1:2].isdigit() else text


def statement_csv(s: Statement) -> str:
    """The statement as CSV: one line per day, dimension and connector; overage totals at the end."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        [
            "tenant",
            "month",
            "date",
            "dimension",
            "connector",
            "unit",
            "limit",
            "used",
            "peak",
            "overage_units",
        ]
    )
    for line in s.lines:
        w.writerow(
            [
                _cell(v)
                for v in (
                    s.tenant,
                    s.month,
                    line.day,
                    line.dimension,
                    line.connector,
                    line.unit,
                    float(line.limit),
                    line.used,
                    line.peak,
                    line.overage,
                )
            ]
        )
    for dim, scope, unit, units in s.overage_totals:
        w.writerow([_cell(v) for v in (s.tenant, s.month, "total", dim, scope, unit, "", "", "", units)])
    return out.getvalue()


def current_month(now: float) -> int:
    return month_index(now)


@dataclass(frozen=True)
class ContractChangeRow:
    """One line of a tenant's contract audit list: when, who, what changed and why."""

    effective: float
    changed_by: str
    what: str
    reason: str


def contract_changes(meter: Meter, tenant: str) -> list[ContractChangeRow]:
    """The tenant's contract history, newest first, each entry described by what it changed from the one before."""
    rows, before = [], None
    for change in meter.contract_changes(tenant):
        try:  # CUs as granted, so that a contract that left them out reads as the plan's minimum
            contract = parse_contract(change.contract, meter.catalog)
            raw = {**contract.to_dict(), "cus": effective_limits(meter.catalog, contract).cus}
        except MeteringError:
            raw = dict(change.contract)  # a plan since withdrawn: shown as stored
        what = describe_change(before, raw)
        rows.append(ContractChangeRow(change.effective, change.changed_by, what, change.reason))
        before = raw
    return rows[::-1]


def describe_change(before: dict | None, after: dict) -> str:
    """'created: plan team, 2 CUs' or the fields that differ, as 'cus 2 → 4; addons.writes_per_day 0 → 1000'."""
    if before is None:
        return f"created: plan {after.get('plan', '-')}, {after.get('cus', '-')} CUs"
    flat_before, flat_after = _flatten(before), _flatten(after)
    diffs = [
        f"{key} {flat_before.get(key, '-')} → {flat_after.get(key, '-')}"
        for key in sorted(set(flat_before) | set(flat_after))
        if flat_before.get(key) != flat_after.get(key)
    ]
    return "; ".join(diffs) or "no change to the limits"


def _flatten(document: dict, prefix: str = "") -> dict[str, object]:
    out = {}
    for key, value in document.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
