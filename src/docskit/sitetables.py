"""Markdown tables for the customer site's connector, approval and evidence pages, built from data records.

Each function takes records from the template context and returns a Markdown table (or a small string), so
pages never type a permission, URL or address by hand. They are listed in `SITE_TABLES`, which
`render.TEMPLATE_GLOBALS` makes template globals.
"""

from __future__ import annotations

import ipaddress

import jinja2

from .tables import cell, md_table, minutes_text, number

READS_AND_WRITES = "Reads and writes"
WRITES_ONLY = "Writes only"


def code(text) -> str:
    """Inline code that survives Markdown tables: backticks around the text, with pipes escaped."""
    return f"`{cell(text)}`"


SIMULATION_ONLY = "Simulation only: remove before you enforce"


def needed_for(permission) -> str:
    """Whether reads need a permission, only writes, or only the simulation phase (a temporary restriction)."""
    if permission.get("temporary"):
        return SIMULATION_ONLY
    return WRITES_ONLY if permission["needed_for"] == "write" else READS_AND_WRITES


def permission_table(connector) -> str:
    """Least-privilege permissions of a connector: name as the vendor spells it, level, who needs it, why."""
    with_access = any("access" in p for p in connector["permissions"])
    headers = [connector["permission_group_label"], *(["Access"] if with_access else []), "Needed for", "Why"]
    rows = []
    for p in connector["permissions"]:
        why = p["why"]
        if p.get("read_part"):
            why = f"{why} {p['read_part']}"
        if p.get("mandatory"):
            why = f"{why} (mandatory)"
        access = [p.get("access", "")] if with_access else []
        rows.append([code(p["name"]), *access, needed_for(p), why])
    return md_table(headers, rows)


def table_access_table(connector) -> str:
    """ServiceNow tables touched, with the access each needs; create and write are needed by writes only."""

    def mark(allowed: bool, write_only: bool) -> str:
        if not allowed:
            return "No"
        return f"Yes ({WRITES_ONLY.lower()})" if write_only else "Yes"

    rows = [
        [code(t["name"]), mark(t["read"], False), mark(t["create"], True), mark(t["write"], True), t["why"]]
        for t in connector["tables"]
    ]
    return md_table(["Table", "Read", "Create", "Write", "Why"], rows)


def events_table(connector, records=None, heading: str = "Event") -> str:
    """Events (or interaction payloads) a connector subscribes to, with the permission each requires."""
    records = connector["events"] if records is None else records
    with_requires = any("requires" in r for r in records)
    headers = [heading, *(["Requires"] if with_requires else []), "Why"]
    rows = []
    for r in records:
        requires = [code(r["requires"]) if r.get("requires") else ""] if with_requires else []
        rows.append([code(r["name"]), *requires, r["why"]])
    return md_table(headers, rows)


def endpoint_url(region, endpoint) -> str:
    """The full URL of a connector endpoint in a region: the region's base URL joined to the endpoint's path."""
    return region[endpoint["base"]].rstrip("/") + endpoint["path"]


def endpoints_table(connector, regions) -> str:
    """Per-region URLs of a connector (callbacks, redirects, webhooks) and the egress ranges to allow."""
    headers = ["Setting", *[r["name"] for r in regions]]
    rows = [
        [f"{e['label']} ({e['vendor_field']})", *[code(endpoint_url(r, e)) for r in regions]]
        for e in connector["endpoints"]
    ]
    rows.append(["Egress IP ranges", *[", ".join(code(c) for c in r["egress_cidrs"]) for r in regions]])
    return md_table(headers, rows)


def address_range(cidr: str) -> tuple[str, str]:
    """First and last address of a CIDR block, for allow lists that take a range instead of CIDR notation."""
    network = ipaddress.ip_network(cidr, strict=True)
    return str(network[0]), str(network[-1])


def egress_ranges_table(regions) -> str:
    """Egress ranges per region, in CIDR notation and as first and last address."""
    rows = []
    for r in regions:
        for cidr in r["egress_cidrs"]:
            first, last = address_range(cidr)
            rows.append([r["name"], code(cidr), code(first), code(last)])
    return md_table(["Region", "CIDR", "First address", "Last address"], rows)


def troubleshooting_table(connector) -> str:
    """The errors people hit with a connector, exactly as the vendor returns them, with cause and fix."""
    rows = [
        [t["problem"], code(t["vendor_error"]), t["cause"], t["fix"]] for t in connector["troubleshooting"]
    ]
    return md_table(["Problem", "What you see", "Cause", "Fix"], rows)


def token_table(connector) -> str:
    """Credentials a connector holds and how long each lasts."""
    return md_table(
        ["Credential", "Lifetime"], [[t["token"], t["lifetime"]] for t in connector["token_lifetimes"]]
    )


def duration_hours(hours: int) -> str:
    """A duration given in hours as people say it: 1 hour, 4 hours, 7 days."""
    return minutes_text(hours * 60)


def approval_timeline_table(example) -> str:
    """A worked approval example as a timeline: elapsed time and what happened."""
    rows = [[minutes_text(s["minute"]) if s["minute"] else "Start", s["what"]] for s in example["steps"]]
    return md_table(["After", "What happens"], rows)


def evidence_items_table(items, data_modes) -> str:
    """What each evidence bundle item holds, one column per data mode."""
    headers = ["File", "Item", *[m["name"] for m in data_modes]]
    rows = [[code(i["path"]), i["name"], *[i["content"][m["id"]] for m in data_modes]] for i in items]
    return md_table(headers, rows)


def retention_table(plans) -> str:
    """How long evidence bundles and stored content are kept on each plan."""
    return md_table(
        ["Plan", "Retention"], [[p["name"], f"{p['retention_days']:,} days"] for p in plans], ["l", "r"]
    )


@jinja2.pass_context
def metered_plan_limits_table(ctx) -> str:
    """Limits per plan as the metering module computes and enforces them (metering.limits_view), so the plans
    page and enforcement read the same numbers."""
    from metering.limits_view import plan_columns, plan_limits_rows

    context = ctx.get_all()
    plans = plan_columns(context)
    rows = [["Minimum capacity units", *[number(p["min_cus"]) for p in plans]]]
    for row in plan_limits_rows(context):
        period = f" per {row['period']}" if row["period"] else ""
        rows.append([row["name"], *[f"{value} {row['unit']}{period}" for value in row["cells"]]])
        if row["burst"]:
            rows.append(
                [
                    f"{row['name']}: burst admitted at once",
                    *[f"{number(row['burst'][p['id']])} {row['unit']}" for p in plans],
                ]
            )
    return md_table(
        ["At the plan's minimum CUs", *[p["name"] for p in plans]], rows, ["l", *["r"] * len(plans)]
    )


SITE_TABLES = {
    "metered_plan_limits_table": metered_plan_limits_table,
    "writes_only_label": WRITES_ONLY,
    "code": code,
    "permission_table": permission_table,
    "table_access_table": table_access_table,
    "events_table": events_table,
    "endpoint_url": endpoint_url,
    "endpoints_table": endpoints_table,
    "address_range": address_range,
    "egress_ranges_table": egress_ranges_table,
    "troubleshooting_table": troubleshooting_table,
    "token_table": token_table,
    "duration_hours": duration_hours,
    "approval_timeline_table": approval_timeline_table,
    "evidence_items_table": evidence_items_table,
    "retention_table": retention_table,
}
