"""`./dev pdf`: render the pack into <build>/procurement/<version>/ — one PDF per document, sections/<id>.json
(for redlines), manifest.json and a zip with fixed timestamps. Same sources, same bytes. A released version is
immutable: a rebuild that differs is refused and the published folder is left as it was."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..datamodel import DataSet, load_dataset
from ..paths import Project
from ..pdfrender import RENDER_REVISION, weasyprint_version
from ..problems import BuildFailed, Problem
from ..sitebuild import publish
from .catalog import PackDocument, pack_documents, pack_info
from .gate import release_gate
from .htmldoc import PrintDocument, print_environment, render_document
from .rendering import RenderCache, RenderJob, render_all

MANIFEST = "manifest.json"


@dataclass
class PackResult:
    """What a pack build produced: the published folder, its manifest, and whether it was already there."""

    folder: Path
    manifest: dict
    unchanged: bool
    skipped: list[tuple[str, str]]


def procurement_root(project: Project) -> Path:
    return project.build / "procurement"


def cache_for(project: Project) -> RenderCache:
    return RenderCache(procurement_root(project) / ".cache")


def pdf_identifier(pack_version: str, doc: PackDocument, stamp: dict | None = None) -> str:
    """The seed of a PDF's file identifier: stable for the same document, version and stamp."""
    suffix = f"/{stamp['recipient']}/{stamp['date']}" if stamp else ""
    return f"{pack_version}/{doc.id}/{doc.version}{suffix}"


def render_documents(
    project: Project, dataset: DataSet, stamp: dict | None = None
) -> tuple[list[PrintDocument], list[tuple[str, str]]]:
    """Print HTML for every pack document (StrictUndefined errors name the template and line)."""
    documents, skipped = pack_documents(project, dataset)
    env = print_environment(project, dataset)
    printed, problems = [], []
    for doc in documents:
        try:
            printed.append(render_document(env, doc, stamp))
        except BuildFailed as failed:
            problems += failed.problems
        except KeyError as exc:
            problems.append(
                Problem(doc.source, str(exc).strip("'\""), hint="point the link at an existing heading id")
            )
    if problems:
        raise BuildFailed(problems)
    return printed, skipped


def render_jobs(
    pack_version: str, printed: list[PrintDocument], stamp: dict | None = None
) -> list[RenderJob]:
    return [RenderJob(p.doc.id, p.html, pdf_identifier(pack_version, p.doc, stamp)) for p in printed]


def source_commit(project: Project) -> str:
    """The git commit the sources come from, with "+dirty" when the tree has uncommitted changes."""

    def git(*args: str) -> str | None:
        try:
            result = subprocess.run(
                ["git", "-C", str(project.root), *args],
                capture_output=True,
                text=True,
                check=False,
                timeout=20,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return result.stdout.strip() if result.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def zip_pack(folder: Path, names: list[str], target: Path, when: dt.date) -> None:
    """A zip of `names` in `folder` with fixed timestamps and permissions, so it is byte-identical on rebuild."""
    stamp = (when.year, when.month, when.day, 0, 0, 0)
    with zipfile.ZipFile(target, "w") as archive:
        for name in sorted(names):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, (folder / name).read_bytes())


def zip_name(dataset: DataSet, version: str, suffix: str = "") -> str:
    short = dataset.customer["company"]["short_name"].lower()
    return f"{short}-procurement-pack-{version}{suffix}.zip"


def write_pack(
    folder: Path, dataset: DataSet, printed: list[PrintDocument], rendered: dict, commit: str
) -> dict:
    """Write PDFs, section texts, manifest and zip into `folder`; return the manifest."""
    pack = pack_info(dataset)
    (folder / "sections").mkdir(parents=True, exist_ok=True)
    entries = []
    for p in printed:
        pdf = rendered[p.doc.id]
        (folder / p.doc.filename).write_bytes(pdf.data)
        sections = {"id": p.doc.id, "version": p.doc.version, "sections": p.sections}
        (folder / "sections" / f"{p.doc.id}.json").write_text(
            json.dumps(sections, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        entries.append(
            {
                "id": p.doc.id,
                "title": p.doc.title,
                "version": p.doc.version,
                "effective_date": p.doc.effective_date,
                "classification": p.doc.classification,
                "file": p.doc.filename,
                "sha256": hashlib.sha256(pdf.data).hexdigest(),
                "pages": pdf.pages,
            }
        )
    manifest = {
        "pack": {
            "title": pack["title"],
            "version": pack["version"],
            "status": pack["status"],
            "effective_date": pack["effective_date"],
        },
        "documents": entries,
        "source_commit": commit,
        "zip": zip_name(dataset, pack["version"]),
    }
    (folder / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    zip_pack(
        folder,
        [e["file"] for e in entries] + [MANIFEST],
        folder / manifest["zip"],
        dt.date.fromisoformat(pack["effective_date"]),
    )
    return manifest


def released_differences(old: dict, new: dict) -> list[str]:
    """How a rebuild differs from a released manifest (documents added, removed or with other bytes)."""
    old_docs = {d["id"]: d for d in old["documents"]}
    new_docs = {d["id"]: d for d in new["documents"]}
    changes = [f"{i} would be added" for i in new_docs if i not in old_docs]
    changes += [f"{i} would be removed" for i in old_docs if i not in new_docs]
    changes += [
        f"{i} {new_docs[i]['version']} differs from the released PDF "
        f"(sha256 {old_docs[i]['sha256'][:12]}… → {new_docs[i]['sha256'][:12]}…)"
        for i in new_docs
        if i in old_docs and old_docs[i]["sha256"] != new_docs[i]["sha256"]
    ]
    return changes


SOURCE_FOLDERS = ("data", "legal", "security", "overrides")


def input_fingerprint(project: Project, pack: dict, today: dt.date) -> str:
    """SHA-256 over everything a pack build reads: data, templates, print CSS, the toolkit's code, WeasyPrint's
    version, and (for released packs, whose gate checks review dates) the day."""
    digest = hashlib.sha256()
    code = Path(__file__).resolve().parents[1]
    files = [(f"src/{p.relative_to(code.parent).as_posix()}", p) for p in code.rglob("*.py")]
    for folder in SOURCE_FOLDERS:
        files += [(p.relative_to(project.root).as_posix(), p) for p in (project.root / folder).rglob("*")]
    for name, path in sorted(files):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    gate_day = today.isoformat() if pack["status"] == "released" else ""
    digest.update(
        f"{weasyprint_version()}|{RENDER_REVISION}|{json.dumps(pack, sort_keys=True)}|{gate_day}".encode()
    )
    return digest.hexdigest()


def _intact(folder: Path) -> dict | None:
    """The manifest of a published pack folder whose PDFs still match it, else None."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        for entry in manifest["documents"]:
            if hashlib.sha256((folder / entry["file"]).read_bytes()).hexdigest() != entry["sha256"]:
                return None
    except (OSError, ValueError, KeyError):
        return None
    return manifest


def build_pack(
    project: Project, dataset: DataSet | None = None, today: dt.date | None = None, log=print
) -> PackResult:
    """Render the current pack version and publish it, refusing to change a released version.

    When nothing the build reads has changed since the last successful build of this version, and its
    published files are intact, nothing is rendered at all.
    """
    dataset = dataset or load_dataset(project)
    pack = pack_info(dataset)
    today = today or dt.date.today()
    final = procurement_root(project) / pack["version"]
    fingerprint = input_fingerprint(project, pack, today)
    marker = cache_for(project).folder / f"inputs-{pack['version']}.sha256"
    if marker.exists() and marker.read_text(encoding="ascii") == fingerprint:
        manifest = _intact(final)
        if manifest is not None:
            return PackResult(final, manifest, unchanged=True, skipped=[])
    result = _render_and_publish(project, dataset, pack, final, today, log)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(fingerprint, encoding="ascii")
    return result


def _render_and_publish(
    project: Project, dataset: DataSet, pack: dict, final: Path, today: dt.date, log
) -> PackResult:
    printed, skipped = render_documents(project, dataset)
    for doc_id, why in skipped:
        log(f"pdf: {doc_id} left out of the pack: {why}")
    if pack["status"] == "released":
        problems = release_gate(dataset, printed, today)
        if problems:
            raise BuildFailed(problems)
    rendered = render_all(
        render_jobs(pack["version"], printed), cache_for(project), label=f"pdf {pack['version']}"
    )

    root = procurement_root(project)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".staging-{uuid.uuid4().hex[:8]}"
    try:
        staging.mkdir()
        manifest = write_pack(staging, dataset, printed, rendered, source_commit(project))
        if (final / MANIFEST).exists():
            old = json.loads((final / MANIFEST).read_text(encoding="utf-8"))
            if old["pack"]["status"] == "released":
                changes = released_differences(old, manifest)
                if changes:
                    raise BuildFailed(
                        [
                            Problem(
                                "data/documents.yaml",
                                f"pack {pack['version']} is released and "
                                f"immutable, but this build differs: {'; '.join(changes)}",
                                hint="add a version entry to each changed document and bump "
                                "pack.version (or restore the sources of the release)",
                            )
                        ]
                    )
                return PackResult(final, old, unchanged=True, skipped=skipped)
        publish(staging, final)
        return PackResult(final, manifest, unchanged=False, skipped=skipped)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def build_step(project: Project, dataset: DataSet) -> None:
    """BUILD_STEPS hook for `./dev build`: build (or verify) the current procurement pack."""
    result = build_pack(project, dataset)
    state = "unchanged (released)" if result.unchanged else "written"
    print(f"built procurement pack {result.manifest['pack']['version']}: {result.folder} ({state})")
