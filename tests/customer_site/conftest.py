"""Fixtures for the customer site tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def customer_site(built_project) -> Path:
    """The published customer site of the session build."""
    return built_project.build / "site" / "customer"
