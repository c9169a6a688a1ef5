"""Fixtures of the support tests."""

from __future__ import annotations

import pytest

from docskit.datamodel import DataSet, load_dataset
from docskit.paths import Project


@pytest.fixture(scope="session")
def dataset() -> DataSet:
    """The repository's own data, validated."""
    return load_dataset(Project.at())
