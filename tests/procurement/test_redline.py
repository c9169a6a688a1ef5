"""`invoke pdf --diff`: a section-by-section redline between two built versions."""

from __future__ import annotations

import json

import pytest

from docskit.paths import Project
from docskit.problems import BuildFailed
from docskit.procurement.redline import redline


def _write(project: Project, version: str, doc_version: str, sections: list[tuple[str, str]]) -> None:
    folder = project.build / "procurement" / version / "sections"
    folder.mkdir(parents=True)
    data = {
        "id": "dpa",
        "version": doc_version,
        "sections": [{"heading": h, "level": 2, "text": t} for h, t in sections],
    }
    (folder / "dpa.json").write_text(json.dumps(data), encoding="utf-8")


def test_redline_shows_changed_added_and_removed_sections(tmp_path):
    project = Project.at(tmp_path, tmp_path / "build")
    _write(
        project,
        "2026.1",
        "1.0",
        [
            ("1 Parties", "Same text."),
            ("2 Audits", "Once a year. On 30 days' notice."),
            ("3 Old", "Gone soon."),
        ],
    )
    _write(
        project,
        "2026.2",
        "1.1",
        [("1 Parties", "Same text."), ("2 Audits", "Once a year. On 14 days' notice."), ("3 New", "Fresh.")],
    )
    text = redline(project, "dpa", "2026.1", "2026.2")
    assert text.splitlines()[0] == "dpa: pack 2026.1 (version 1.0) → pack 2026.2 (version 1.1)"
    assert (
        "## 2 Audits — changed" in text
        and "[-On 30 days' notice.-]" in text
        and "{+On 14 days' notice.+}" in text
    )
    assert "Once a year" not in text
    assert "## 3 New — added" in text and "## 3 Old — removed" in text and "Parties" not in text


def test_redline_of_the_built_pack_against_itself_reports_no_changes(built_pack, pack_project):
    version = built_pack.manifest["pack"]["version"]
    assert redline(pack_project, "dpa", version, version).endswith("no changes")


def test_redline_names_missing_versions(tmp_path):
    with pytest.raises(BuildFailed, match=r"no build of dpa in pack 2025\.9"):
        redline(Project.at(tmp_path, tmp_path / "build"), "dpa", "2025.9", "2026.1")
