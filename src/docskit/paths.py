"""Where a project's sources live and where its build writes, relative to one root folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Project:
    """A checkout (or a test copy of one): source folders and the build folder."""

    root: Path
    build: Path

    @classmethod
    def at(cls, root: Path | str | None = None, build: Path | str | None = None) -> Project:
        """The project at `root` (default: this repository); build folder from `build`,
        then $DOCSKIT_BUILD_DIR, then `<root>/build`."""
        root_path = Path(root).resolve() if root else REPO_ROOT
        build_dir = build or os.environ.get("DOCSKIT_BUILD_DIR") or root_path / "build"
        return cls(root=root_path, build=Path(build_dir).resolve())

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def schemas(self) -> Path:
        return self.root / "schemas"

    @property
    def partials(self) -> Path:
        return self.root / "overrides" / "partials"

    def rel(self, path: Path) -> str:
        """A path as people read it in messages: relative to the project root when inside it."""
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)
