"""Markdown tables built from data rows. Pages call these instead of typing tables by hand."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def cell(value) -> str:
    """One table cell: text with pipes escaped and newlines folded, so data cannot break the table."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = str(value).replace("\r", " ").replace("\n", " ")
    return text.replace("|", "\\|").strip()


def md_table(headers: Sequence[str], rows: Iterable[Sequence], align: Sequence[str] | None = None) -> str:
    """A Markdown pipe table. `align` holds 'l', 'r' or 'c' per column (default left)."""
    rows = [list(r) for r in rows]
    for r in rows:
        if len(r) != len(headers):
            raise ValueError(f"row has {len(r)} cells, expected {len(headers)}: {r!r}")
    marks = {"l": "---", "r": "--:", "c": ":-:"}
    align = align or ["l"] * len(headers)
    lines = [
        "| " + " | ".join(cell(h) for h in headers) + " |",
        "| " + " | ".join(marks[a] for a in align) + " |",
    ]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def counted(count: int | float, noun: str, plural: str = "") -> str:
    """A count with its noun in agreement: (1, 'capacity unit') -> '1 capacity unit', 2 -> '2 capacity units'.

    `plural` is for nouns that do not just take an s ('person', 'people').
    """
    return f"{number(count)} {noun if count == 1 else plural or noun + 's'}"


def minutes_text(minutes: int) -> str:
    """A duration in minutes as people say it: 15 minutes, 1 hour, 2 hours, 1 business day is not implied."""
    if minutes % 1440 == 0:
        days = minutes // 1440
        return counted(days, "day")
    if minutes % 60 == 0:
        hours = minutes // 60
        return counted(hours, "hour")
    return counted(minutes, "minute")


def number(value: int | float) -> str:
    """A number with thousands separators: 2000 -> 2,000."""
    return f"{value:,}"


def plan_limits_table(capacity_unit, plans) -> str:
    """Per plan: minimum CUs, retention, and what the minimum CUs grant on every metered dimension."""
    dims = capacity_unit["dimensions"]
    headers = ["", *[p["name"] for p in plans]]
    rows = [["Minimum capacity units", *[number(p["min_cus"]) for p in plans]]]
    rows.append(["Retention (days)", *[number(p["retention_days"]) for p in plans]])
    for d in dims:
        rows.append(
            [
                f"{d['name']} at the minimum",
                *[f"{number(d['per_cu'] * p['min_cus'])} {d['unit']}" for p in plans],
            ]
        )
    return md_table(headers, rows, ["l", *["r"] * len(plans)])


def per_cu_table(capacity_unit) -> str:
    """What one capacity unit grants on each metered dimension."""
    rows = []
    for d in capacity_unit["dimensions"]:
        period = f" per {d['period']}" if d.get("period") else ""
        scope = ", per connector" if d.get("per_connector") else ""
        rows.append([d["name"], f"{number(d['per_cu'])} {d['unit']}{period}{scope}", d["description"]])
    return md_table(["Dimension", "One CU grants", "What it counts"], rows)


def regions_table(regions) -> str:
    """Regions with their primary and disaster-recovery AWS regions."""
    rows = [
        [
            r["name"],
            f"AWS {r['primary']['code']} ({r['primary']['location']})",
            f"AWS {r['disaster_recovery']['code']} ({r['disaster_recovery']['location']})",
        ]
        for r in regions
    ]
    return md_table(["Region", "Primary", "Disaster recovery"], rows)


TABLES = {
    "md_table": md_table,
    "plan_limits_table": plan_limits_table,
    "per_cu_table": per_cu_table,
    "regions_table": regions_table,
}
