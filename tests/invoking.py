"""Run an invoke task of this repository as a user would: in a subprocess, from the repository root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from docskit.paths import REPO_ROOT


def run_invoke(
    *args: str, build: Path | None = None, stdin=subprocess.DEVNULL, timeout: int = 300
) -> subprocess.CompletedProcess:
    """`invoke ARGS…` with the venv's interpreter; `build` sets DOCSKIT_BUILD_DIR. Never raises on failure."""
    env = {**os.environ, **({"DOCSKIT_BUILD_DIR": str(build)} if build else {})}
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=REPO_ROOT,
        env=env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
