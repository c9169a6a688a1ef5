"""CAIQ v4 exports: the columns a reviewer expects, a sheet set up for reading, and files LibreOffice opens."""

from __future__ import annotations

import csv
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from ruamel.yaml import YAML

from docskit.datamodel import load_dataset
from docskit.problems import BuildFailed
from docskit.questionnaire.export import HEADERS, build_exports

CAIQ_COLUMNS = [
    "Question ID",
    "Question",
    "CSP CAIQ Answer",
    "SSRM Control Ownership",
    "CSP Implementation Description",
    "CSC Responsibilities",
]


@pytest.fixture(scope="module")
def exports(repo_project, dataset):
    build_exports(repo_project, dataset)
    return repo_project.build / "questionnaire"


def test_xlsx_has_the_caiq_v4_columns_first_and_one_row_per_question_id(exports, bank):
    sheet = load_workbook(exports / "caiq.xlsx").active
    header = [c.value for c in sheet[1]]
    assert header[:6] == CAIQ_COLUMNS and header == list(HEADERS)
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    caiq_ids = [qid for a in bank.answers for qid in a.caiq]
    assert sorted(ids[: len(caiq_ids)]) == sorted(caiq_ids)
    assert ids[len(caiq_ids) :] == [a.id for a in bank.answers if not a.caiq]
    assert ids[:3] == ["A&A-01.1", "A&A-01.2", "A&A-02.1"]


def test_xlsx_is_set_up_for_a_reviewer(exports):
    sheet = load_workbook(exports / "caiq.xlsx").active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == sheet.dimensions
    assert sheet.column_dimensions["E"].width >= 60 and sheet.column_dimensions["A"].width >= 10
    assert all(cell.alignment.wrap_text for cell in sheet[2])
    assert sheet["A1"].font.b


def test_xlsx_descriptions_are_rendered_text(exports, dataset):
    sheet = load_workbook(exports / "caiq.xlsx").active
    rows = {row[7]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    retention = dataset.customer["plans"][0]["retention_days"]
    assert f"{retention} days on the {dataset.customer['plans'][0]['name']} plan" in rows["dsp-14"][4]
    assert not any("{{" in (row[4] or "") for row in rows.values())


def test_csv_matches_the_xlsx(exports):
    sheet = load_workbook(exports / "caiq.xlsx").active
    xlsx_rows = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    with (exports / "caiq.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == xlsx_rows


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="needs Debian's libreoffice-calc-nogui")
def test_exports_open_in_libreoffice(exports, tmp_path):
    converted = tmp_path / "converted"
    profile = tmp_path / "lo-profile"
    result = subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(converted),
            str(exports / "caiq.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with (converted / "caiq.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:6] == CAIQ_COLUMNS
    with (exports / "caiq.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(rows) == len(list(csv.reader(handle)))
    assert rows[1][0] == "A&A-01.1" and rows[1][2] == "Yes"


def test_a_failed_export_keeps_the_last_good_one(project_copy):
    dataset = load_dataset(project_copy)
    build_exports(project_copy, dataset)
    good = (project_copy.build / "questionnaire" / "caiq.xlsx").read_bytes()
    path = project_copy.data / "questionnaire" / "ccm_aa.yaml"
    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8"))
    data["answers"][0]["description"] = "Audits run every {{ audit_cycle_months }} months, as agreed."
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    with pytest.raises(BuildFailed, match="audit_cycle_months"):
        build_exports(project_copy, load_dataset(project_copy))
    assert (project_copy.build / "questionnaire" / "caiq.xlsx").read_bytes() == good
    assert sorted(p.name for p in project_copy.build.iterdir()) == ["questionnaire"]
