"""Stamped copies for a recipient: every page stamped, safe names, and a distribution log entry."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from docskit.datamodel import load_dataset
from docskit.paths import REPO_ROOT, Project
from docskit.problems import BuildFailed
from docskit.procurement.distribute import clean_recipient, distribute, distribution_log, read_log, safe_name
from docskit.render import long_date
from tests.builds import pack_build_copy, shared_once

from .conftest import flat, pdf_pages

RECIPIENT = 'Acme "Q" <script>alert(1)</script> & Ко'


@pytest.fixture(scope="module")
def distributed(tmp_path_factory, shared_pack_build) -> tuple[Project, dict]:
    """A copy of the shared pack build distributed once to RECIPIENT, for every worker of the run: its project
    and the distribution record."""

    def distribute_into(folder):
        project = pack_build_copy(shared_pack_build, folder)
        dataset = load_dataset(project)
        day = dt.date.fromisoformat(dataset.customer["pack"]["effective_date"])
        record = distribute(project, RECIPIENT, on=day, dataset=dataset, log=lambda *_: None)
        (folder / "record.json").write_text(json.dumps(record), encoding="utf-8")

    folder = shared_once(tmp_path_factory, "distribution", distribute_into)
    return Project.at(REPO_ROOT, folder), json.loads((folder / "record.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def distribution(distributed) -> dict:
    return distributed[1]


@pytest.fixture(scope="module")
def stamped_project(distributed) -> Project:
    return distributed[0]


def test_every_page_of_every_stamped_pdf_names_recipient_date_and_version(distribution, stamped_project):
    folder = stamped_project.build / distribution["folder"]
    stamp = (
        f"Prepared for {RECIPIENT} · {long_date(distribution['date'])} · Pack {distribution['pack_version']}"
    )
    for doc in distribution["documents"]:
        pages = pdf_pages(folder / f"{doc['id']}.pdf")
        assert len(pages) == doc["pages"]
        for number, text in enumerate(pages, 1):
            assert stamp in flat(text), f"{doc['id']} page {number} is not stamped"


def test_stamped_copy_differs_from_release_only_by_the_stamp(distribution, built_pack):
    released = {d["id"]: d for d in built_pack.manifest["documents"]}
    for doc in distribution["documents"]:
        assert doc["released_sha256"] == released[doc["id"]]["sha256"]
        assert doc["sha256"] != doc["released_sha256"]
        assert doc["version"] == released[doc["id"]]["version"]


def test_distribution_log_records_recipient_documents_versions_and_hashes(distribution, stamped_project):
    entries = read_log(distribution_log(stamped_project))
    assert entries[-1] == distribution
    assert entries[-1]["recipient"] == RECIPIENT
    folder = stamped_project.build / distribution["folder"]
    for doc in distribution["documents"]:
        assert hashlib.sha256((folder / f"{doc['id']}.pdf").read_bytes()).hexdigest() == doc["sha256"]


def test_folder_and_zip_names_are_ascii_safe(distribution):
    name = distribution["folder"].rsplit("/", 1)[-1]
    assert name == f"{distribution['date']}-{safe_name(RECIPIENT)}"
    assert all(c.isascii() and (c.isalnum() or c in "-.") for c in name + distribution["zip"])


def test_safe_name_keeps_distinct_names_apart_including_non_latin_scripts():
    names = ["Acme Corp", "Acme  Corp!", "株式会社アクメ", "شركة أكمي", "../../etc/passwd", "Acme Corp"]
    slugs = [safe_name(n) for n in names]
    assert slugs[0] == slugs[-1]
    assert len(set(slugs[:-1])) == 5
    assert safe_name("株式会社アクメ").startswith("recipient-")
    assert "/" not in safe_name("../../etc/passwd") and ".." not in safe_name("../../etc/passwd")


@pytest.mark.parametrize("bad", ["", "   ", "Acme\x00Corp", "x" * 300])
def test_unusable_recipient_names_are_refused(bad):
    with pytest.raises(BuildFailed):
        clean_recipient(bad)
