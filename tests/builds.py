"""Builds shared by the whole test run (every xdist worker): see the docstring of tests/conftest.py."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

from docskit.paths import REPO_ROOT, Project
from docskit.sitebuild import SITES

DONE = ".complete"


def shared_once(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder that `make(folder)` fills once per test run, shared by every xdist worker (a file lock makes the
    others wait; a marker written after `make` succeeded tells them it is ready). A failed `make` leaves no
    marker, so the next worker tries again and reports its own failure."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / f"shared-{name}"
    with FileLock(str(folder) + ".lock"):
        if not (folder / DONE).exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            make(folder)
            (folder / DONE).write_text("ok\n", encoding="utf-8")
    return folder


def _given_build(builder: str) -> Path | None:
    """The MkDocs build `./dev test` hands over ($DOCSKIT_TEST_BUILD), when it holds both sites."""
    given = os.environ.get("DOCSKIT_TEST_BUILD")
    if builder != "mkdocs" or not given:
        return None
    folder = Path(given)
    return folder if all((folder / "site" / name / "index.html").is_file() for name in SITES) else None


def built_with(tmp_path_factory, builder: str) -> Project:
    """The repository's sources with both sites built by `builder`, once per test run."""
    from docskit.sitebuild import build_sites

    given = _given_build(builder)
    if given:
        return Project.at(REPO_ROOT, given)
    folder = shared_once(
        tmp_path_factory, f"site-{builder}", lambda f: build_sites(Project.at(REPO_ROOT, f), builder=builder)
    )
    return Project.at(REPO_ROOT, folder)


def build_pack_into(folder: Path) -> None:
    """The current pack on its effective date in `folder`/procurement.

    When `./dev test` hands over its build ($DOCSKIT_TEST_BUILD) holding this pack version built from the
    current commit, that pack and its render cache seed the folder, so nothing is rendered twice. A pack from
    another commit is not used: its manifest (and zip) name that commit, and a released version keeps them; nor
    is one the sources now disagree with (uncommitted edits): the pack is then built clean."""
    from docskit.datamodel import load_dataset
    from docskit.problems import BuildFailed
    from docskit.procurement.build import build_pack, source_commit

    project = Project.at(REPO_ROOT, folder)
    dataset = load_dataset(project)
    pack = dataset.customer["pack"]
    given = os.environ.get("DOCSKIT_TEST_BUILD")
    manifest = Path(given or ".") / "procurement" / pack["version"] / "manifest.json"
    seeded = False
    if given and manifest.is_file():
        built_from = json.loads(manifest.read_text(encoding="utf-8")).get("source_commit")
        if built_from == source_commit(project):
            shutil.copytree(manifest.parents[1], folder / "procurement", symlinks=True)
            seeded = True
    day = dt.date.fromisoformat(pack["effective_date"])
    try:
        build_pack(project, dataset, today=day, log=lambda *_: None)
    except BuildFailed:
        if not seeded:
            raise
        shutil.rmtree(folder / "procurement")
        build_pack(project, dataset, today=day, log=lambda *_: None)


def pack_build_copy(shared: Path, target: Path) -> Project:
    """A private build folder at `target` seeded with the shared pack: a rebuild there on the pack's effective
    date renders nothing (its inputs match), and what a test writes stays its own."""
    shutil.copytree(shared / "procurement", target / "procurement", symlinks=True)
    return Project.at(REPO_ROOT, target)
