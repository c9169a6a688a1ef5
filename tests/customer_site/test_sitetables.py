"""The customer-site table builders: least-privilege marking, region URLs, and allow-list address ranges."""

from __future__ import annotations

import pytest

from docskit import sitetables
from docskit.render import template_globals


def test_site_tables_are_template_globals():
    assert template_globals()["permission_table"] is sitetables.permission_table


@pytest.mark.parametrize(
    ("cidr", "first", "last"),
    [
        ("198.51.100.16/28", "198.51.100.16", "198.51.100.31"),
        ("203.0.113.64/28", "203.0.113.64", "203.0.113.79"),
        ("192.0.2.7/32", "192.0.2.7", "192.0.2.7"),
    ],
)
def test_address_range_gives_first_and_last_address(cidr, first, last):
    assert sitetables.address_range(cidr) == (first, last)


def test_address_range_rejects_a_cidr_with_host_bits():
    with pytest.raises(ValueError):
        sitetables.address_range("198.51.100.17/28")


CONNECTOR = {
    "permission_group_label": "Repository permission",
    "permissions": [
        {
            "name": "Metadata",
            "access": "Read-only",
            "needed_for": "read",
            "mandatory": True,
            "why": "Lists repos.",
        },
        {
            "name": "Checks",
            "access": "Read and write",
            "needed_for": "write",
            "read_part": "Read-only first.",
            "why": "Sets check runs.",
        },
        {"name": "snc_read_only", "needed_for": "read", "temporary": True, "why": "Blocks writes."},
    ],
    "endpoints": [
        {
            "label": "Webhook URL",
            "vendor_field": "Webhook URL",
            "base": "hooks_base_url",
            "path": "/github/webhooks",
        }
    ],
}
REGIONS = [
    {"name": "United States", "hooks_base_url": "https://hooks.us.example", "egress_cidrs": ["10.0.0.0/30"]}
]


def test_permission_table_marks_write_only_and_simulation_only_permissions():
    lines = sitetables.permission_table(CONNECTOR).splitlines()
    assert lines[0] == "| Repository permission | Access | Needed for | Why |"
    assert lines[2].startswith("| `Metadata` | Read-only | Reads and writes |") and "(mandatory)" in lines[2]
    assert lines[3] == "| `Checks` | Read and write | Writes only | Sets check runs. Read-only first. |"
    assert sitetables.SIMULATION_ONLY in lines[4]


def test_endpoints_table_joins_region_base_url_and_path_and_lists_egress_ranges():
    table = sitetables.endpoints_table(CONNECTOR, REGIONS)
    assert "`https://hooks.us.example/github/webhooks`" in table
    assert "| Egress IP ranges | `10.0.0.0/30` |" in table


def test_code_cells_cannot_break_a_table():
    assert sitetables.code("a|b") == "`a\\|b`"
