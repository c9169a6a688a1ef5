"""Fixtures for the questionnaire tests: the repository's bank, a prepared filler, and buyer files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from docskit.datamodel import load_dataset
from docskit.paths import REPO_ROOT, Project
from docskit.questionnaire.bank import load_bank
from docskit.questionnaire.fill import Filler


@pytest.fixture(scope="session")
def repo_project(tmp_path_factory) -> Project:
    """The repository's own sources, with a throwaway build folder."""
    return Project.at(REPO_ROOT, tmp_path_factory.mktemp("questionnaire-build"))


@pytest.fixture(scope="session")
def dataset(repo_project):
    return load_dataset(repo_project)


@pytest.fixture(scope="session")
def bank(dataset):
    return load_bank(dataset)


@pytest.fixture(scope="session")
def filler(repo_project, dataset) -> Filler:
    return Filler(repo_project, dataset)


def sha256(path: Path) -> str:
    """Fingerprint of a file, to prove the buyer's input was not modified."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
