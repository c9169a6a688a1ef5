"""A broken source fails the build with file, location and a hint, and leaves the last good output intact."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from docskit.problems import BuildFailed
from docskit.sitebuild import build_sites


def tree_digest(folder: Path) -> str:
    """One hash over every file's path and bytes under `folder`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def _yaml_syntax_error(root: Path):
    path = root / "data/plans.yaml"
    replace_in(path, "    min_cus: 5\n", "    min_cus: [5\n")
    return "data/plans.yaml", "YAML syntax error"


def _wrong_type(root: Path):
    path = root / "data/plans.yaml"
    replace_in(path, "      per_cu: 60\n", '      per_cu: "sixty"\n')
    line = line_of(path, 'per_cu: "sixty"')
    return f"data/plans.yaml:{line} capacity_unit.dimensions[0].per_cu", 'expected integer, got "sixty"'


def _missing_key(root: Path):
    path = root / "data/plans.yaml"
    replace_in(path, "    retention_days: 180\n", "")
    return "data/plans.yaml", "'retention_days' is required but missing"


def _unknown_region(root: Path):
    path = root / "data/regions.yaml"
    replace_in(path, "contracting_entity: eu_entity", "contracting_entity: eu_entiti")
    return (
        f"data/regions.yaml:{line_of(path, 'eu_entiti')} regions[1].contracting_entity",
        "unknown company.entities id 'eu_entiti' (did you mean 'eu_entity'?); valid: us_entity, eu_entity",
    )


def _duplicate_id(root: Path):
    path = root / "data/regions.yaml"
    replace_in(path, "  - id: eu\n", "  - id: us\n")
    return "data/regions.yaml", "duplicate id 'us'"


def _undefined_variable(root: Path):
    path = root / "docs/index.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\nRetention is {{ plans[0].retention_dayz }} days.\n", encoding="utf-8")
    return f"docs/index.md:{line_of(path, 'retention_dayz')}", "undefined template variable"


def _broken_link(root: Path):
    path = root / "docs/index.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\nSee [the missing page](no-such-page.md).\n", encoding="utf-8")
    return f"docs/index.md:{line_of(path, 'no-such-page.md')}", "no-such-page.md"


def _broken_anchor(root: Path):
    path = root / "docs/index.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\nSee [plans](#no-such-heading).\n", encoding="utf-8")
    return f"docs/index.md:{line_of(path, '#no-such-heading')}", "no-such-heading"


BREAKAGES = {
    "yaml-syntax-error": _yaml_syntax_error,
    "wrong-type": _wrong_type,
    "missing-required-key": _missing_key,
    "unknown-id": _unknown_region,
    "duplicate-id": _duplicate_id,
    "undefined-template-variable": _undefined_variable,
    "broken-internal-link": _broken_link,
    "broken-anchor": _broken_anchor,
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_broken_source_fails_with_location_and_hint_and_keeps_last_good_output(project_copy, breakage):
    # The customer site alone is enough: data errors stop every site, and the page breakages are in docs/.
    build_sites(project_copy, ["customer"])
    before = tree_digest(project_copy.build)

    location, message = BREAKAGES[breakage](project_copy.root)
    with pytest.raises(BuildFailed) as failed:
        build_sites(project_copy, ["customer"])

    report = str(failed.value)
    assert location in report
    assert message in report
    assert all(p.hint for p in failed.value.problems), report
    assert tree_digest(project_copy.build) == before


def test_problem_line_reads_file_line_path_message_and_fix(project_copy):
    _wrong_type(project_copy.root)
    with pytest.raises(BuildFailed) as failed:
        build_sites(project_copy, ["customer"])
    line = str(failed.value.problems[0])
    assert re.fullmatch(
        r'data/plans\.yaml:\d+ capacity_unit\.dimensions\[0\]\.per_cu: expected integer, got "sixty" \(fix: .+\)',
        line,
    )


def test_first_build_failure_leaves_no_output_behind(project_copy):
    _undefined_variable(project_copy.root)
    with pytest.raises(BuildFailed):
        build_sites(project_copy, ["customer"])
    assert not (project_copy.build / "site").exists()
    assert not any(p.name.startswith(".staging") for p in project_copy.build.iterdir())
