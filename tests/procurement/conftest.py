"""Procurement fixtures: the pack built once per session from the repository's sources, and text helpers."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from docskit.datamodel import load_dataset
from docskit.paths import Project
from docskit.procurement.build import build_pack
from tests.builds import pack_build_copy

EFFECTIVE = None  # set from data in the fixture


def pdf_pages(pdf: Path, layout: bool = False) -> list[str]:
    """The text of every page of a PDF, via poppler's pdftotext (form feed separates pages)."""
    args = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    text = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="session")
def pack_project(tmp_path_factory, shared_pack_build) -> Project:
    """The repository's sources with a private build folder, seeded with the pack built once per test run."""
    return pack_build_copy(shared_pack_build, tmp_path_factory.mktemp("pack-build"))


@pytest.fixture(scope="session")
def pack_dataset(pack_project):
    return load_dataset(pack_project)


@pytest.fixture(scope="session")
def built_pack(pack_project, pack_dataset):
    """The current pack, built once per session (on the pack's effective date, so the review gate is stable)."""
    day = dt.date.fromisoformat(pack_dataset.customer["pack"]["effective_date"])
    return build_pack(pack_project, pack_dataset, today=day, log=lambda *_: None)


@pytest.fixture
def copy_with_pack(project_copy, pack_project, built_pack):
    """A project copy whose build folder already holds the session's pack and render cache."""
    shutil.copytree(pack_project.build / "procurement", project_copy.build / "procurement")
    return project_copy
