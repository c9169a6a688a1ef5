"""`invoke questionnaire ACTION [FILE]` end to end: exit codes, messages and files."""

from __future__ import annotations

from tests.invoking import run_invoke
from tests.questionnaire.buyers import buyer_workbook
from tests.questionnaire.conftest import sha256


def _invoke(*args, build):
    return run_invoke("questionnaire", *args, build=build)


def test_fill_writes_the_answered_copy_and_prints_coverage(tmp_path):
    source, output = tmp_path / "buyer.xlsx", tmp_path / "answered.xlsx"
    buyer_workbook(
        source, ["Is MFA enforced for all of your employees?", "Do you offer a free trial period?"]
    )
    before = sha256(source)
    result = _invoke("fill", str(source), "-o", str(output), build=tmp_path / "build")
    assert result.returncode == 0, result.stderr
    assert "answered:        1" in result.stdout and "Filled 2 questions" in result.stdout
    assert output.exists() and sha256(source) == before


def test_fill_of_a_bad_file_exits_2_with_a_one_line_message(tmp_path):
    source = tmp_path / "protected.xlsx"
    source.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504))
    result = _invoke("fill", str(source), "-o", str(tmp_path / "out.xlsx"), build=tmp_path / "build")
    assert result.returncode == 2
    assert "questionnaire fill:" in result.stderr and "password-protected" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_export_writes_xlsx_and_csv_into_the_build_folder(tmp_path):
    result = _invoke("export", build=tmp_path / "build")
    assert result.returncode == 0, result.stderr
    assert {p.name for p in (tmp_path / "build" / "questionnaire").iterdir()} == {"caiq.xlsx", "caiq.csv"}


def test_unknown_action_lists_the_valid_ones(tmp_path):
    result = _invoke("send", build=tmp_path / "build")
    assert result.returncode == 2 and "valid: fill" in result.stderr and "export" in result.stderr
