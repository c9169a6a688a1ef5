"""`./dev pack --recipient NAME`: a copy of the released pack with every page stamped (recipient, date, pack
version), and one line appended to the distribution log (recipient, documents, versions, hashes, date).

Recipient names are data, never markup: they reach the PDF through autoescaped HTML, the log through JSON, and
file names through `safe_name` (ASCII slug plus a hash of the exact name, so different names never collide).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import unicodedata
import uuid
from pathlib import Path

from ..datamodel import DataSet, load_dataset
from ..paths import Project
from ..problems import BuildFailed, Problem
from ..sitebuild import publish
from .build import build_pack, cache_for, procurement_root, render_documents, render_jobs, zip_name, zip_pack
from .catalog import pack_info
from .rendering import render_all

MAX_RECIPIENT = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_recipient(recipient: str) -> str:
    """The recipient as it will be printed and logged; raises BuildFailed when unusable."""
    text = " ".join(unicodedata.normalize("NFC", recipient or "").split())
    if (
        not text
        or _CONTROL.search(recipient.replace("\n", " ").replace("\t", " "))
        or len(text) > MAX_RECIPIENT
    ):
        raise BuildFailed(
            [
                Problem(
                    "--recipient",
                    f"unusable recipient name {recipient!r}",
                    hint=f"give the organisation's name, 1 to {MAX_RECIPIENT} printable characters",
                )
            ]
        )
    return text


def safe_name(text: str) -> str:
    """A file-name-safe form of any text: lower-case ASCII slug (≤ 40 chars) plus 8 hex of its SHA-256."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-") or "recipient"
    return f"{slug}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"


def distribution_log(project: Project) -> Path:
    """Where distributions are recorded: $DOCSKIT_DISTRIBUTION_LOG, else <build>/procurement/distribution-log.jsonl."""
    configured = os.environ.get("DOCSKIT_DISTRIBUTION_LOG")
    return Path(configured) if configured else procurement_root(project) / "distribution-log.jsonl"


def append_log(path: Path, record: dict) -> None:
    """Append one JSON line, under an exclusive lock, flushed to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        try:
            log.write(line)
            log.flush()
            os.fsync(log.fileno())
        finally:
            fcntl.flock(log, fcntl.LOCK_UN)


def read_log(path: Path) -> list[dict]:
    """Every distribution recorded so far."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def distribute(
    project: Project, recipient: str, on: dt.date | None = None, dataset: DataSet | None = None, log=print
) -> dict:
    """Stamp the current released pack for `recipient`, write the copy, log it; return the log record."""
    name = clean_recipient(recipient)
    dataset = dataset or load_dataset(project)
    pack = pack_info(dataset)
    if pack["status"] != "released":
        raise BuildFailed(
            [
                Problem(
                    "data/documents.yaml",
                    f"pack {pack['version']} is a draft",
                    hint="release it (pack.status: released) before sending it to anyone",
                )
            ]
        )
    day = on or dt.date.today()
    release = build_pack(
        project, dataset, today=day, log=log
    )  # refuses when sources no longer match the release
    released = {d["id"]: d for d in release.manifest["documents"]}
    stamp = {"recipient": name, "date": day.isoformat()}
    printed, _ = render_documents(project, dataset, stamp=stamp)
    rendered = render_all(
        render_jobs(pack["version"], printed, stamp),
        cache_for(project),
        label=f"stamping for {safe_name(name)}",
    )

    folder = release.folder / "distributions" / f"{day.isoformat()}-{safe_name(name)}"
    staging = folder.with_name(f".staging-{uuid.uuid4().hex[:8]}")
    documents = []
    try:
        staging.mkdir(parents=True)
        for p in printed:
            pdf = rendered[p.doc.id]
            (staging / p.doc.filename).write_bytes(pdf.data)
            documents.append(
                {
                    "id": p.doc.id,
                    "title": p.doc.title,
                    "version": p.doc.version,
                    "sha256": hashlib.sha256(pdf.data).hexdigest(),
                    "pages": pdf.pages,
                    "released_sha256": released[p.doc.id]["sha256"],
                }
            )
        archive = zip_name(dataset, pack["version"], f"-{safe_name(name)}")
        zip_pack(staging, [p.doc.filename for p in printed], staging / archive, day)
        if folder.exists():
            shutil.rmtree(folder)
        publish(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    record = {
        "date": day.isoformat(),
        "recipient": name,
        "pack_version": pack["version"],
        "folder": str(folder.relative_to(project.build)),
        "zip": archive,
        "zip_sha256": hashlib.sha256((folder / archive).read_bytes()).hexdigest(),
        "documents": documents,
    }
    append_log(distribution_log(project), record)
    return record
