"""`./dev pdf --diff DOC OLD NEW`: a readable redline of one document between two built pack versions,
section by section, from the sections/<id>.json each build writes next to the PDFs."""

from __future__ import annotations

import difflib
import json
import re

from ..paths import Project
from ..problems import BuildFailed, Problem
from .build import procurement_root

_SENTENCE = re.compile(r"(?<=[.;:])\s+")


def load_sections(project: Project, doc_id: str, pack_version: str) -> dict:
    """The sections of `doc_id` as built in pack `pack_version`."""
    path = procurement_root(project) / pack_version / "sections" / f"{doc_id}.json"
    if not path.exists():
        built = sorted(p.name for p in procurement_root(project).glob("[0-9]*") if p.is_dir())
        raise BuildFailed(
            [
                Problem(
                    str(path),
                    f"no build of {doc_id} in pack {pack_version}",
                    hint=f"built versions here: {', '.join(built) or 'none'}; build a version with "
                    "`./dev pdf` from its commit first",
                )
            ]
        )
    return json.loads(path.read_text(encoding="utf-8"))


def _key(heading: str) -> str:
    return re.sub(r"^[\d.]+\s+", "", heading)  # section numbers shift when sections are added


def redline(project: Project, doc_id: str, old: str, new: str) -> str:
    """Section-by-section differences: added, removed and changed sections, with removed ([-…-]) and added
    ({+…+}) sentences."""
    before, after = load_sections(project, doc_id, old), load_sections(project, doc_id, new)
    old_sections = {_key(s["heading"]): s for s in before["sections"]}
    new_sections = {_key(s["heading"]): s for s in after["sections"]}
    lines = [f"{doc_id}: pack {old} (version {before['version']}) → pack {new} (version {after['version']})"]
    for key, section in new_sections.items():
        if key not in old_sections:
            lines += ["", f"## {section['heading']} — added", f"   {{+{section['text']}+}}"]
        elif old_sections[key]["text"] != section["text"]:
            lines += ["", f"## {section['heading']} — changed"]
            lines += _sentence_diff(old_sections[key]["text"], section["text"])
    for key, section in old_sections.items():
        if key not in new_sections:
            lines += ["", f"## {section['heading']} — removed", f"   [-{section['text']}-]"]
    if len(lines) == 1:
        lines.append("no changes")
    return "\n".join(lines)


def _sentence_diff(old: str, new: str) -> list[str]:
    a, b = _SENTENCE.split(old), _SENTENCE.split(new)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            out.append(f"   [-{' '.join(a[i1:i2])}-]")
        if op in ("insert", "replace"):
            out.append(f"   {{+{' '.join(b[j1:j2])}+}}")
    return out
