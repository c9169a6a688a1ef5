"""JSON Schema validation of data files, with our cross-file reference keywords.

Besides standard JSON Schema (draft 2020-12), schemas may use:

- ``"x-ref": "<collection>"`` on a string: the value must be the ``id`` of an item of that collection
  (a top-level key such as ``regions``, or a dotted path such as ``capacity_unit.dimensions``).
  Inside ``propertyNames`` it checks the keys of a mapping.
- ``"x-ref-complete": "<collection>"`` on an object: it must have one key for every id of that collection.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
from importlib.metadata import version
from pathlib import Path

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .problems import Problem, format_path
from .toolcache import cache_dir

jsonschema_version = version("jsonschema")


def _validator_class(id_index: dict[str, list[str]]):
    """Draft 2020-12 extended with x-ref keywords that check against `id_index`."""

    def x_ref(validator, collection, instance, schema):
        yield from _check_ref(id_index, collection, instance)

    def x_ref_complete(validator, collection, instance, schema):
        yield from _check_complete(id_index, collection, instance)

    return extend(Draft202012Validator, validators={"x-ref": x_ref, "x-ref-complete": x_ref_complete})


def _check_ref(id_index, collection, instance):
    if not isinstance(instance, str):
        return
    ids = id_index.get(collection)
    if ids is None:
        yield ValidationError(f"schema refers to unknown collection {collection!r}")
    elif instance not in ids:
        close = difflib.get_close_matches(instance, ids, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        yield ValidationError(
            f"unknown {collection} id {instance!r}{guess}; valid: {', '.join(ids)}",
            validator="x-ref",
        )


def _check_complete(id_index, collection, instance):
    if not isinstance(instance, dict):
        return
    ids = id_index.get(collection) or []
    missing = [i for i in ids if i not in instance]
    if missing:
        yield ValidationError(
            f"missing entries for {collection} {', '.join(missing)}", validator="x-ref-complete"
        )


SCHEMA_BASE = "https://schemas.docskit.invalid/"


class QuickCheck:
    """The same schemas and x-ref keywords compiled by jsonschema-rs, which only says valid or not, in a fraction
    of the time (loading every data file: 0.28 s with the detailed pass, 0.07 s with this one, when written): a
    file it passes needs no detailed pass, and a file it fails is validated again by jsonschema,
    whose errors carry the path and line (so the messages are the same either way). It checks formats at least as
    strictly as jsonschema's FormatChecker, so it never passes a file the detailed pass would fail."""

    def __init__(self, schemas: dict[str, dict], id_index: dict[str, list[str]]):
        self._registry = jsonschema_rs.Registry([(s["$id"], s) for s in schemas.values()])
        self._keywords = {
            "x-ref": _rust_keyword(lambda collection, instance: _check_ref(id_index, collection, instance)),
            "x-ref-complete": _rust_keyword(
                lambda collection, instance: _check_complete(id_index, collection, instance)
            ),
        }
        self._validators: dict[str, object] = {}

    def passes(self, data, schema: dict) -> bool:
        """True when `data` is valid against `schema`; False when it is not, or cannot be checked quickly."""
        try:
            validator = self._validators.get(schema["$id"])
            if validator is None:
                validator = jsonschema_rs.Draft202012Validator(
                    schema, registry=self._registry, keywords=self._keywords, validate_formats=True
                )
                self._validators[schema["$id"]] = validator
            return validator.is_valid(data)
        except (ValueError, TypeError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError):
            return False  # e.g. a value JSON cannot hold: the detailed pass decides


def _rust_keyword(check):
    """A jsonschema-rs keyword class that fails where `check(value, instance)` yields an error."""

    class Keyword:
        def __init__(self, parent_schema, value, schema_path):
            self.value = value

        def validate(self, instance):
            if next(iter(check(self.value, instance)), None) is not None:
                raise ValueError("x-ref check failed")

    return Keyword


def check_schema(schema: dict, text: str) -> None:
    """Raise SchemaError when `schema` is not a valid 2020-12 schema. A verdict is kept per schema text (and
    jsonschema version) in the tool cache, since checking against the metaschema is the slow part of loading."""
    folder = cache_dir("valid-schemas")
    key = hashlib.sha256(f"{jsonschema_version}\0{text}".encode()).hexdigest()
    if folder and (folder / key).exists():
        return
    Draft202012Validator.check_schema(schema)
    if folder:
        with contextlib.suppress(OSError):
            (folder / key).touch()


def load_schemas(folder: Path) -> tuple[dict[str, dict], Registry]:
    """Every schema under `folder`, keyed by relative path, and a registry so they can `$ref` each other."""
    schemas = {}
    for path in sorted(folder.rglob("*.json")):
        rel = path.relative_to(folder).as_posix()
        text = path.read_text(encoding="utf-8")
        schema = json.loads(text)
        check_schema(schema, text)
        # A `$schema` inside a referenced schema would make jsonschema switch to the plain 2020-12 validator
        # there, silently skipping our x-ref keywords; every schema here is 2020-12, so drop the marker.
        schema.pop("$schema", None)
        schema.setdefault("$id", SCHEMA_BASE + rel)
        schemas[rel] = schema
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in schemas.values()
    )
    return schemas, registry


_HINTS = {
    "type": "use a value of the expected type (quote text, leave numbers unquoted)",
    "required": "add the missing key",
    "additionalProperties": "remove the key or correct its spelling; the schema lists the allowed keys",
    "enum": "use one of the allowed values",
    "const": "use the required value",
    "pattern": "match the expected pattern",
    "format": "use the expected format (dates as YYYY-MM-DD)",
    "minimum": "use a larger number",
    "exclusiveMinimum": "use a larger number",
    "maximum": "use a smaller number",
    "minItems": "add the missing entries",
    "minLength": "fill in the text",
    "uniqueItems": "remove the duplicate",
    "x-ref": "use one of the valid ids, or add the record it names to its data file",
    "x-ref-complete": "add an entry for each id listed",
}


def _describe(error: ValidationError) -> str:
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {expected}, got {json.dumps(error.instance, default=str)}"
    if error.validator == "required":
        return error.message.replace(" is a required property", " is required but missing")
    if error.validator == "enum":
        allowed = ", ".join(json.dumps(v) for v in error.validator_value)
        return f"{json.dumps(error.instance, default=str)} is not allowed; valid: {allowed}"
    return error.message


def validate(
    data, schema: dict, registry: Registry, id_index, file: str, line_of, quick: QuickCheck | None = None
) -> list[Problem]:
    """Every schema problem of one data file, each located by YAML path and line (none at once when `quick`
    passes it)."""
    if quick is not None and quick.passes(data, schema):
        return []
    validator = _validator_class(id_index)(schema, registry=registry, format_checker=FormatChecker())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        leaf = error
        if error.context:  # oneOf/anyOf: report the closest branch
            leaf = min(error.context, key=lambda e: len(list(e.absolute_path)) * -1)
        path = list(leaf.absolute_path)
        message = _describe(leaf)
        if leaf.validator == "additionalProperties" and isinstance(leaf.instance, dict):
            allowed = list(leaf.schema.get("properties", {}))
            extras = [k for k in leaf.instance if k not in allowed]
            if extras:
                path.append(extras[0])
                message = f"unexpected key {extras[0]!r}; allowed: {', '.join(allowed)}"
        problems.append(
            Problem(
                file,
                message,
                line=line_of(path),
                path=format_path(path) or "(top level)",
                hint=_HINTS.get(str(leaf.validator), "see the schema for this file"),
            )
        )
    return problems
