"""Helpers of the support tests: break a project copy's YAML on purpose; find internal records and their values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML


def edit_yaml(path: Path, change: Callable[[dict], None]) -> None:
    """Load a YAML file round-trip, let `change` mutate it, and write it back (comments and order kept)."""
    yaml = YAML(typ="rt")
    yaml.width = 4096
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def internal_records(value, found=None) -> list[dict]:
    """Every mapping marked `audience: internal` inside `value`."""
    found = [] if found is None else found
    if isinstance(value, dict):
        if value.get("audience") == "internal":
            found.append(value)
        for child in value.values():
            internal_records(child, found)
    elif isinstance(value, list | tuple):
        for child in value:
            internal_records(child, found)
    return found


def internal_values(records) -> set[str]:
    """The distinctive text values of internal records: numbers, rotations, channel names, hosts, commands."""
    values = set()
    for record in records:
        for key, value in record.items():
            if key != "audience" and isinstance(value, str) and len(value) >= 6:
                values.add(value)
    return values
