"""The data model: every file in data/, validated against its schema, cross-checked, and frozen.

Each top-level key of ``data/<stem>.yaml`` becomes one template variable (``company``, ``regions``, ``plans``…);
files in a sub-folder, ``data/<folder>/<stem>.yaml``, become ``<folder>[<stem>]``. A key defined by two files
is an error. A mapping with ``audience: internal`` is an internal record: it is removed from the customer
context, and a file whose top level says ``audience: internal`` is internal as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .paths import Project
from .problems import BuildFailed, Problem, format_path
from .schema import QuickCheck, load_schemas, validate
from .yamlsource import YamlSource, load_yaml

INTERNAL = "internal"


@dataclass(frozen=True)
class DataSet:
    """Validated data: the full (internal) context and the customer-safe one, both read-only."""

    internal: MappingProxyType
    customer: MappingProxyType
    sources: dict[str, YamlSource]

    def context(self, audience: str) -> MappingProxyType:
        """The template context for an audience: 'customer' or 'internal'."""
        if audience == INTERNAL:
            return self.internal
        if audience == "customer":
            return self.customer
        raise ValueError(f"unknown audience {audience!r}; valid: customer, internal")


def data_files(project: Project) -> list[Path]:
    """Every YAML data file, in a stable order."""
    return sorted([*project.data.rglob("*.yaml"), *project.data.rglob("*.yml")])


def schema_name(project: Project, data_file: Path) -> str:
    """The schema a data file must have: schemas/<stem>.schema.json, whatever sub-folder the data is in."""
    return f"{data_file.stem}.schema.json"


def _is_internal(value: Any) -> bool:
    return isinstance(value, dict) and value.get("audience") == INTERNAL


def strip_internal(value: Any) -> Any:
    """A copy of `value` without internal records."""
    if isinstance(value, dict):
        return {k: strip_internal(v) for k, v in value.items() if not _is_internal(v)}
    if isinstance(value, list):
        return [strip_internal(v) for v in value if not _is_internal(v)]
    return value


def freeze(value: Any) -> Any:
    """Read-only view: mappings become MappingProxyType, lists become tuples."""
    if isinstance(value, dict):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


def _id_collections(value: Any, prefix: tuple = ()):
    """(path, list) for every list of records with ids reachable through mapping keys only."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _id_collections(child, (*prefix, key))
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
        yield prefix, value


def _context_entries(project: Project, path: Path, data: Any) -> dict[tuple, Any]:
    """Where a file's data goes in the context: {(name,): value} or {(folder, stem): value}."""
    rel = path.relative_to(project.data)
    if len(rel.parts) > 1:
        return {(rel.parts[0], path.stem): data}
    return {(key,): value for key, value in data.items() if key != "audience"}


def load_dataset(project: Project) -> DataSet:
    """Load, validate and cross-check every data file; raise BuildFailed listing every problem."""
    problems: list[Problem] = []
    sources: dict[str, YamlSource] = {}
    for path in data_files(project):
        try:
            sources[project.rel(path)] = load_yaml(path, project.rel(path))
        except BuildFailed as failed:
            problems.extend(failed.problems)
    schemas, registry = load_schemas(project.schemas)

    plain = {name: src.data for name, src in sources.items()}
    context: dict[str, Any] = {}
    owners: dict[str, str] = {}
    id_index: dict[str, list[str]] = {}
    internal_paths: list[tuple] = []  # context entries that come from files internal as a whole
    for name, data in plain.items():
        path = project.root / name
        if not isinstance(data, dict):
            problems.append(
                Problem(
                    name,
                    "top level must be a mapping of keys",
                    line=1,
                    hint="start the file with a key such as `regions:`",
                )
            )
            continue
        file_is_internal = data.get("audience") == INTERNAL
        for key_path, value in _context_entries(project, path, data).items():
            dotted = ".".join(key_path)
            if dotted in owners:
                problems.append(
                    Problem(
                        name,
                        f"top-level key {dotted!r} is also defined in {owners[dotted]}",
                        line=sources[name].line_of([key_path[-1]]),
                        hint="rename one of them; each fact has one home",
                    )
                )
                continue
            owners[dotted] = name
            if file_is_internal:
                internal_paths.append(key_path)
            target = context
            for part in key_path[:-1]:
                target = target.setdefault(part, {})
            target[key_path[-1]] = value
        for coll_path, records in _id_collections(data):
            seen: dict[str, int] = {}
            for i, record in enumerate(records):
                rid = record["id"]
                if rid in seen:
                    problems.append(
                        Problem(
                            name,
                            f"duplicate id {rid!r} (first at item {seen[rid]})",
                            line=sources[name].line_of([*coll_path, i, "id"]),
                            path=format_path([*coll_path, i, "id"]),
                            hint="ids must be unique within a list; rename one",
                        )
                    )
                seen.setdefault(rid, i)
            id_index[".".join(map(str, coll_path))] = list(seen)

    quick = QuickCheck(schemas, id_index)
    for name, data in plain.items():
        schema_file = schema_name(project, project.root / name)
        schema = schemas.get(schema_file)
        if schema is None:
            problems.append(
                Problem(
                    name,
                    f"no schema: schemas/{schema_file} does not exist",
                    line=1,
                    hint=f"add schemas/{schema_file} describing this file",
                )
            )
            continue
        problems.extend(validate(data, schema, registry, id_index, name, sources[name].line_of, quick))

    if problems:
        raise BuildFailed(problems)
    customer = strip_internal(context)
    for key_path in internal_paths:
        parent = customer
        for part in key_path[:-1]:
            parent = parent.get(part, {})
        parent.pop(key_path[-1], None)
    return DataSet(internal=freeze(context), customer=freeze(customer), sources=sources)
