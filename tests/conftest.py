"""Shared fixtures: copies of the project to break on purpose, and one real build per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from docskit.paths import REPO_ROOT, Project

# What a project copy needs to build: sources and configs, never the build folder or the venv.
SOURCE_ITEMS = [
    "data",
    "schemas",
    "docs",
    "playbooks",
    "legal",
    "security",
    "overrides",
    "mkdocs.base.yml",
    "mkdocs.yml",
    "handbook.yml",
]


def copy_project(target: Path) -> Project:
    """A fresh copy of the repository's sources under `target`, with its own build folder."""
    target.mkdir(parents=True, exist_ok=True)
    for item in SOURCE_ITEMS:
        source = REPO_ROOT / item
        if source.is_dir():
            shutil.copytree(source, target / item)
        elif source.exists():
            shutil.copy2(source, target / item)
    return Project.at(target, target / "build")


@pytest.fixture
def project_copy(tmp_path) -> Project:
    """A throwaway copy of the project that a test may edit and build."""
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Project:
    """The repository's own sources, built once per session (both sites) into a temporary build folder."""
    from docskit.sitebuild import build_sites

    project = Project.at(REPO_ROOT, tmp_path_factory.mktemp("build"))
    build_sites(project)
    return project
