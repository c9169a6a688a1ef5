"""Read YAML fast, and find where any value stands when a problem needs to name its line.

Data is parsed with libyaml (PyYAML's C loader) using YAML 1.2 booleans: only true/false are booleans, so
answers such as `No` or country codes such as `NO` stay text. Positions are composed only when asked for.
Parsed data (plain dicts, lists and scalars) is kept in the tool cache by the file's text, in `marshal` format,
which holds only such values: building the Python objects is the slow part of reading YAML, even with libyaml.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .problems import BuildFailed, Problem
from .toolcache import cache_dir

_BOOL = "tag:yaml.org,2002:bool"


class DataLoader(yaml.CSafeLoader):
    """libyaml's safe loader with YAML 1.2 booleans (no yes/no/on/off)."""


DataLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}
DataLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass
class YamlSource:
    """A parsed YAML file: its plain data and, on demand, the positions of its nodes."""

    file: str
    text: str
    plain: Any
    _root: Any = field(default=None, repr=False)

    @property
    def data(self) -> Any:
        """A copy of the file's data as plain dicts, lists and scalars (dates as ISO strings)."""
        return marshal.loads(marshal.dumps(self.plain))  # a deep copy, several times faster than copy's

    def line_of(self, path) -> int | None:
        """1-based line of the value at `path` (keys and list indexes), or of its nearest parent."""
        if self._root is None:
            self._root = yaml.compose(self.text, Loader=DataLoader)
        node, line = self._root, 1
        for part in path:
            if isinstance(node, yaml.MappingNode):
                match = next((v for k, v in node.value if k.value == str(part)), None)
                key = next((k for k, v in node.value if k.value == str(part)), None)
                if match is None:
                    break
                line, node = key.start_mark.line + 1, match
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line


def to_plain(node: Any) -> Any:
    """Parsed YAML as plain dicts (string keys), lists and scalars; dates become ISO strings."""
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if hasattr(node, "isoformat"):
        return node.isoformat()  # dates stay ISO strings: templates format them per document style
    if isinstance(node, (bool, int, float)) or node is None:
        return node
    return str(node)


def load_yaml(path: Path, shown_as: str) -> YamlSource:
    """Parse one YAML file; a syntax error raises BuildFailed naming the file and line."""
    text = path.read_text(encoding="utf-8")
    folder = cache_dir("yaml")
    key = hashlib.sha256(f"{yaml.__version__}\0yaml1.2-booleans\0{text}".encode()).hexdigest()
    cached = folder / key if folder else None
    if cached and cached.is_file():
        with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
            return YamlSource(shown_as, text, marshal.loads(cached.read_bytes()))
    try:
        data = yaml.load(text, Loader=DataLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise BuildFailed(
            [
                Problem(
                    shown_as,
                    f"YAML syntax error: {exc.problem or exc.context}",
                    line=mark.line + 1 if mark else None,
                    hint="check indentation, a missing ':' or an unclosed quote or bracket on this line",
                )
            ]
        ) from None
    plain = to_plain(data)
    if cached:
        with contextlib.suppress(OSError, ValueError):  # written aside, then renamed: readers never see half
            aside = cached.with_suffix(f".{os.getpid()}.tmp")
            aside.write_bytes(marshal.dumps(plain))
            aside.replace(cached)
    return YamlSource(shown_as, text, plain)
