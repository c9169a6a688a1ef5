"""Front matter of Markdown pages: every page states its title and description."""

from __future__ import annotations

import yaml

REQUIRED_KEYS = ("title", "description")


def split(text: str) -> tuple[dict | None, str]:
    """(front matter mapping or None, body)."""
    if not text.startswith("---\n"):
        return None, text
    end = text.find("\n---", 4)
    if end == -1:
        return None, text
    meta = yaml.safe_load(text[4:end]) or {}
    return (meta if isinstance(meta, dict) else None), text[end + 4 :].lstrip("\n")


def missing_keys(text: str) -> list[str]:
    """Required front matter keys that are absent or empty."""
    meta, _ = split(text)
    meta = meta or {}
    return [k for k in REQUIRED_KEYS if not str(meta.get(k) or "").strip()]
