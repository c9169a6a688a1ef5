"""Fixtures for onboarding tests: the repository's data, and edits of a project copy's YAML files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from docskit.datamodel import load_dataset
from docskit.paths import REPO_ROOT, Project


@pytest.fixture(scope="session")
def repo_dataset():
    """The repository's own validated data."""
    return load_dataset(Project.at(REPO_ROOT))


def edit_yaml(project: Project, name: str, change) -> None:
    """Load data/<name>.yaml of a project copy, let `change(data)` modify it, and write it back."""
    path = Path(project.data) / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def by_id(records, record_id):
    return next(r for r in records if r["id"] == record_id)
