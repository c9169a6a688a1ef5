"""Every data file has a schema; the data context is validated, cross-checked and read-only."""

from __future__ import annotations

import pytest
import yaml

from docskit.checks import schemas_present
from docskit.datamodel import _id_collections, data_files, load_dataset
from docskit.paths import Project
from docskit.problems import BuildFailed
from docskit.schema import QuickCheck, load_schemas, validate


def test_every_data_file_in_the_repository_has_a_schema():
    assert schemas_present(Project.at()) == []


def test_a_data_file_without_a_schema_fails(project_copy):
    (project_copy.root / "data/orphan.yaml").write_text("# no schema\norphan:\n  a: 1\n", encoding="utf-8")
    problems = schemas_present(project_copy)
    assert [str(p) for p in problems] == [
        "data/orphan.yaml:1: no schema: schemas/orphan.schema.json does not exist "
        "(fix: add schemas/orphan.schema.json describing this file)"
    ]
    with pytest.raises(BuildFailed, match=r"orphan\.schema\.json does not exist"):
        load_dataset(project_copy)


def test_every_data_file_starts_with_a_header_comment():
    for path in data_files(Project.at()):
        assert path.read_text(encoding="utf-8").startswith("#"), f"{path} lacks its header comment"


def test_context_is_read_only():
    dataset = load_dataset(Project.at())
    with pytest.raises(TypeError):
        dataset.internal["plans"][0]["min_cus"] = 99
    with pytest.raises(TypeError):
        dataset.customer["company"]["brand"] = {}


def test_a_key_defined_by_two_files_is_an_error(project_copy):
    (project_copy.root / "data/extra_plans.yaml").write_text("# dup\nplans: []\n", encoding="utf-8")
    (project_copy.root / "schemas/extra_plans.schema.json").write_text('{"type": "object"}', encoding="utf-8")
    with pytest.raises(
        BuildFailed, match=r"top-level key 'plans' is also defined in data/(extra_)?plans\.yaml"
    ):
        load_dataset(project_copy)


def test_missing_entry_for_a_plan_is_reported(project_copy):
    path = project_copy.root / "data/severity.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("      enterprise: {first_response_minutes: 15")
    end = text.index("\n", start) + 1
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(BuildFailed, match=r"severities\[0\]\.targets: missing entries for plans enterprise"):
        load_dataset(project_copy)


def test_x_ref_is_enforced_inside_a_referenced_schema_that_declares_its_dialect(project_copy):
    defs = project_copy.schemas / "defs"
    defs.mkdir(exist_ok=True)
    (defs / "region_pick.schema.json").write_text(
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",'
        ' "properties": {"region": {"type": "string", "x-ref": "regions"}}}',
        encoding="utf-8",
    )
    (project_copy.schemas / "picks.schema.json").write_text(
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",'
        ' "properties": {"picks": {"$ref": "defs/region_pick.schema.json"}}}',
        encoding="utf-8",
    )
    (project_copy.data / "picks.yaml").write_text("# picks\npicks:\n  region: mars\n", encoding="utf-8")
    with pytest.raises(BuildFailed, match=r"data/picks\.yaml:3 picks\.region: unknown regions id 'mars'"):
        load_dataset(project_copy)


def _plans_with(change):
    """The repository's schemas and id index, and its plans data with `change` applied to a copy."""
    project = Project.at()
    schemas, registry = load_schemas(project.schemas)
    id_index = {}
    for path in data_files(project):
        for coll_path, records in _id_collections(yaml.safe_load(path.read_text(encoding="utf-8"))):
            id_index[".".join(map(str, coll_path))] = [r["id"] for r in records]
    data = yaml.safe_load((project.root / "data/plans.yaml").read_text(encoding="utf-8"))
    change(data)
    return schemas["plans.schema.json"], schemas, registry, id_index, data


@pytest.mark.parametrize(
    ("change", "valid"),
    [
        (lambda d: None, True),
        (lambda d: d["plans"][0].update(min_cus="one"), False),
        (lambda d: d["plans"][0].pop("min_cus"), False),
        (lambda d: d["plans"][0].update(colour="blue"), False),
        (lambda d: d["plans"][0].update(support_coverage="weekends"), False),  # x-ref to an unknown id
        (lambda d: d["overage"].update(default_mode="barter"), False),  # x-ref in a nested collection
    ],
    ids=["valid", "wrong-type", "missing-key", "unexpected-key", "unknown-ref", "unknown-nested-ref"],
)
def test_quick_check_passes_only_what_the_detailed_pass_finds_valid(change, valid):
    schema, schemas, registry, id_index, data = _plans_with(change)
    detailed = validate(data, schema, registry, id_index, "data/plans.yaml", lambda path: None)
    assert (detailed == []) is valid
    quick = QuickCheck(schemas, id_index)
    assert quick.passes(data, schema) is valid
    assert validate(data, schema, registry, id_index, "data/plans.yaml", lambda p: None, quick) == detailed
