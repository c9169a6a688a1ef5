"""Helpers for customer-site tests: read built pages, change data in a project copy, rebuild."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML

from docskit.paths import Project
from docskit.sitebuild import build_sites


def page_html(site: Path, page: str) -> str:
    """Built HTML of a docs page given by its source path (e.g. connectors/slack.md)."""
    stem = page.removesuffix(".md")
    target = site / "index.html" if stem == "index" else site / stem / "index.html"
    return target.read_text(encoding="utf-8")


def edit_yaml(project: Project, rel: str, change: Callable[[dict], None]) -> None:
    """Load data/<rel>, apply `change`, and write it back (comments and layout kept)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    path = project.root / rel
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def build_customer(project: Project) -> Path:
    """Build only the customer site of a project copy; return its published folder."""
    return build_sites(project, ["customer"])["customer"]
