"""Shared fixtures: copies of the project to break on purpose, and real builds shared by the whole test run.

How to get a built site or pack in a test. The suite runs under pytest-xdist (`./dev test` runs `pytest -n auto
--dist worksteal`): tests are spread one by one and an idle worker takes queued tests from a busy one, so a module's
tests may run on several workers and module and session fixtures run once per worker that needs them. The
expensive ones below are therefore built once per run and shared through a file lock.

- `built_project`: the repository's sources with both sites built, once per builder for the whole run. The
  first worker to ask builds into a folder under pytest's shared temp root while holding a file lock; the others
  wait and reuse it. It is parametrised by builder, so a test that takes it runs against MkDocs and Zensical (ids
  `[mkdocs]`, `[zensical]`). Read `built_project.build / "site" / "<site>"` and `.../"rendered"/"<site>"`; never
  write there (copy into `tmp_path` first). `./dev test` hands pytest the MkDocs build that `./dev check` has
  just made and link-checked ($DOCSKIT_TEST_BUILD), so that build is not made twice, and a link check of site
  bytes that already passed is not run again (docskit.linkcheck keeps a marker beside the site).
- `mkdocs_project`: the same MkDocs build, for tests of a mechanism (e.g. "a broken link is reported") that
  need one real site but are not about the builder.
- `shared_pack_build`: a build folder whose `procurement/` holds the current pack, built once per run on the
  pack's effective date (so the review gate is stable). Take a private copy with
  `tests.builds.pack_build_copy(shared, target)` (tests/procurement does) when a test writes beside it:
  stamped copies, logs, rebuilds.
- `project_copy`: a throwaway copy of the sources to edit and build (its build folder is inside it).
- `browser`: Debian's chromium driven by Playwright, one per test module (skipped where Playwright is absent).
- `tests.builds.shared_once(tmp_path_factory, name, make)`: the build-once-under-a-lock mechanism for your own
  expensive, read-only artefacts: `make(folder)` fills `folder` once per run.

Servers in tests listen on 127.0.0.1 on a port the OS picks (port 0) and keep their files in temporary folders.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from docskit.paths import REPO_ROOT, Project
from docskit.sitebuild import BUILDERS
from tests.builds import build_pack_into, built_with, shared_once

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


@pytest.fixture(scope="session", params=BUILDERS)
def built_project(request, tmp_path_factory) -> Project:
    """The repository's sources, both sites built once per test run by each builder (MkDocs, Zensical)."""
    return built_with(tmp_path_factory, request.param)


@pytest.fixture(scope="session")
def mkdocs_project(tmp_path_factory) -> Project:
    """The MkDocs build of `built_project`, for tests of a mechanism that need one real site."""
    return built_with(tmp_path_factory, "mkdocs")


@pytest.fixture(scope="session")
def shared_pack_build(tmp_path_factory) -> Path:
    """A build folder whose procurement/ holds the current pack (and its render cache), built once per run."""
    return shared_once(tmp_path_factory, "pack", build_pack_into)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright, shared by the tests of one module."""
    from docskit.browser import launch_chromium

    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()
