"""Read YAML while remembering where every value stands, so problems can name a line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from .problems import BuildFailed, Problem


@dataclass
class YamlSource:
    """A parsed YAML file: its plain data and the positions of its nodes."""

    file: str
    tree: Any

    @property
    def data(self) -> Any:
        return to_plain(self.tree)

    def line_of(self, path) -> int | None:
        """1-based line of the value at `path` (keys and list indexes), or of its nearest parent."""
        node = self.tree
        line = 1
        for part in path:
            try:
                if isinstance(node, CommentedMap) and part in node:
                    line = node.lc.key(part)[0] + 1
                    node = node[part]
                elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                    line = node.lc.item(part)[0] + 1
                    node = node[part]
                else:
                    break
            except (KeyError, IndexError, TypeError):
                break
        return line


def to_plain(node: Any) -> Any:
    """ruamel's round-trip containers as plain dicts, lists and scalars."""
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
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise BuildFailed(
            [
                Problem(
                    shown_as,
                    f"YAML syntax error: {exc.problem or exc.context}",
                    line=line,
                    hint="check indentation, a missing ':' or an unclosed quote or bracket on this line",
                )
            ]
        ) from None
    return YamlSource(shown_as, tree)
