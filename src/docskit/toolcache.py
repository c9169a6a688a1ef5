"""Caches of the toolkit's own derived work, keyed by content, outside any build folder (like __pycache__).

Compiled Jinja templates and "this schema is a valid JSON Schema" verdicts depend only on the bytes of their
source, so they are kept across builds (a clean build removes the build folder, not these). The folder is
$DOCSKIT_CACHE_DIR, else $XDG_CACHE_HOME/docskit, else ~/.cache/docskit; when it cannot be written, nothing is
cached and everything is computed as if for the first time.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path | None:
    """The folder for one kind of cached work, created on first use; None when it cannot be created."""
    base = (
        os.environ.get("DOCSKIT_CACHE_DIR")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "docskit"
    )
    folder = Path(base) / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None
