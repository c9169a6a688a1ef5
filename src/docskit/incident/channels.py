"""Support channels and coverage hours per plan, as Markdown tables for the support pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..tables import md_table


def channel_address(channel: Mapping, company: Mapping, link: bool = False) -> str:
    """Where a customer reaches a channel: the email address, the portal URL, the phone number, or how it is set up.

    With `link`, addresses and URLs are Markdown links.
    """
    if channel["kind"] == "email":
        email = next(c["email"] for c in company["contacts"] if c["id"] == channel["contact"])
        return f"[{email}](mailto:{email})" if link else email
    if channel["kind"] == "portal":
        url = company["sites"][channel["site"]]
        return f"[{url}]({url})" if link else url
    if channel["kind"] == "phone":
        return channel["phone"]
    return "Set up during onboarding"


def _names(records: Sequence[Mapping], ids: Sequence[str]) -> str:
    return ", ".join(r["name"] for r in records if r["id"] in ids)


def support_channels_table(
    channels: Sequence[Mapping], plans: Sequence[Mapping], severities: Sequence[Mapping], company: Mapping
) -> str:
    """Channel, where to reach it, whether each plan has it, and which severities can be opened through it."""
    rows = [
        [
            c["name"],
            channel_address(c, company, link=True),
            *[p["id"] in c["plans"] for p in plans],
            _names(severities, c["severities"]),
        ]
        for c in channels
    ]
    return md_table(["Channel", "Where", *[p["name"] for p in plans], "Open requests of"], rows)


def coverage_table(plans: Sequence[Mapping], coverage: Sequence[Mapping]) -> str:
    """Per plan: its support coverage and the hours it means."""
    by_id = {c["id"]: c for c in coverage}
    rows = [
        [p["name"], by_id[p["support_coverage"]]["name"], by_id[p["support_coverage"]]["hours"]]
        for p in plans
    ]
    return md_table(["Plan", "Coverage", "Hours"], rows)
