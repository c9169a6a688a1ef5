"""Problems found while loading, validating or rendering, reported as one actionable line each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a source file: where it is, what is wrong, and how to fix it."""

    file: str
    message: str
    line: int | None = None
    path: str = ""
    hint: str = ""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} (fix: {self.hint})" if self.hint else text


class BuildFailed(Exception):
    """Raised with every problem found; the build stops and leaves the last good output in place."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        return f"{count} problem{'s' if count != 1 else ''}:\n{lines}"


def format_path(parts) -> str:
    """Render a JSON path such as ('plans', 1, 'min_cus') as plans[1].min_cus."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
