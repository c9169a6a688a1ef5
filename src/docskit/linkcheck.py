"""Run linkchecker over a built site served on 127.0.0.1."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .localserver import serve_directory
from .problems import Problem

LINKCHECKER_RC = """\
[checking]
threads=4
maxrequestspersecond=1000
timeout=20
[filtering]
checkextern=0
[output]
status=0
[AnchorCheck]
"""


def check_links(site_dir: Path, shown_as: str) -> list[Problem]:
    """Broken links and anchors in a built site, one problem per failing URL.

    A site whose exact bytes already passed (same files, same linkchecker settings) is not checked again: a
    marker beside the site folder holds the digest of what passed, so `./dev test` checks each build once.
    """
    digest = site_digest(site_dir)
    marker = _passed_marker(site_dir)
    if marker.is_file() and marker.read_text(encoding="ascii") == digest:
        return []
    problems = _linkchecker(site_dir, [""], [], shown_as)[0]
    if not problems:
        with contextlib.suppress(OSError):
            marker.write_text(digest, encoding="ascii")
    return problems


def site_digest(site_dir: Path) -> str:
    """SHA-256 over every file of a site (path and bytes) and the linkchecker settings."""
    digest = hashlib.sha256(LINKCHECKER_RC.encode())
    for path in sorted(p for p in Path(site_dir).rglob("*") if p.is_file()):
        digest.update(path.relative_to(site_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _passed_marker(site_dir: Path) -> Path:
    return Path(site_dir).parent / f".{Path(site_dir).name}.links-passed"


def check_pages(site_dir: Path, pages: list[str], shown_as: str) -> tuple[list[Problem], int]:
    """Broken links and anchors on some pages of a built site (paths like 'connectors/slack/'), not recursing
    past the pages they link to; (problems, number of URLs checked)."""
    return _linkchecker(site_dir, pages, ["--recursion-level", "1", "--verbose"], shown_as)


def _linkchecker(
    site_dir: Path, paths: list[str], extra: list[str], shown_as: str
) -> tuple[list[Problem], int]:
    exe = shutil.which("linkchecker")
    if exe is None:
        return [Problem(shown_as, "linkchecker is not installed", hint="run ./dev setup")], 0
    # Run as root, linkchecker drops to user `nobody`: its config must be world-readable.
    with tempfile.TemporaryDirectory(prefix="linkcheck-") as tmp:
        rc = Path(tmp) / "linkcheckerrc"
        os.chmod(tmp, 0o755)
        with serve_directory(site_dir) as url:
            # Every page of the served site is internal (checked), also when checking starts below its root.
            internal = f"internlinks=^{re.escape(url)}\n"
            rc.write_text(
                LINKCHECKER_RC.replace("[filtering]\n", "[filtering]\n" + internal), encoding="utf-8"
            )
            os.chmod(rc, 0o644)
            result = subprocess.run(
                [
                    exe,
                    "--config",
                    str(rc),
                    "--no-warnings",
                    "--output",
                    "csv",
                    *extra,
                    *(url + p for p in paths),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
    checked = len(_rows(result.stdout)) - 1 if result.stdout else 0
    if result.returncode == 0:
        return [], max(0, checked)
    return [
        Problem(shown_as, f"broken link: {row}", hint="fix the link in the page's source")
        for row in _failures(result.stdout)
    ] or [
        Problem(
            shown_as, f"linkchecker failed: {result.stderr.strip()[-1500:]}", hint="run linkchecker by hand"
        )
    ], max(0, checked)


def _rows(csv_text: str) -> list[list[str]]:
    lines = [ln for ln in csv_text.splitlines() if ln and not ln.startswith("#")]
    return list(csv.reader(io.StringIO("\n".join(lines)), delimiter=";"))


def _failures(csv_text: str) -> list[str]:
    rows = _rows(csv_text)
    if not rows:
        return []
    header = rows[0]
    out = []
    for row in rows[1:]:
        record = dict(zip(header, row, strict=False))
        if record.get("valid", "True") == "False":
            out.append(
                f"{record.get('urlname')} in {record.get('parentname')} line {record.get('line')}: "
                f"{record.get('result')}"
            )
    return out
