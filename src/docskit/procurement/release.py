"""`./dev release`: publish the built procurement pack as a GitHub release of this repository.

A released pack version becomes one release, tagged `<pack_tag_prefix><version>` (data/releases.yaml), carrying
the pack's PDFs, manifest.json, zip and a SHA256SUMS file, with release notes made from the changelog of
data/documents.yaml: the document versions new since the previous released pack. A version that already has a
release is never uploaded again. GitHub is reached only through a `ReleaseClient` (see github.py), so tests
and dry runs use a stand-in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..datamodel import DataSet
from ..paths import Project
from ..problems import BuildFailed, Problem
from ..render import long_date
from .build import MANIFEST, _intact, procurement_root, released_differences
from .catalog import CLASSIFICATION_LABELS, pack_info

SUMS = "SHA256SUMS"
NOTES = "release-notes.md"


class ReleaseRefused(Exception):
    """The pack cannot be released as asked (already released, a draft, not built); the message says why."""


class ReleaseClient(Protocol):
    """What the publishing step needs from GitHub (github.GitHubReleases; tests use a local stand-in)."""

    def release(self, tag: str) -> dict | None:
        """The published release with this tag, or None."""

    def pack_releases(self, prefix: str) -> list[dict]:
        """Every published release whose tag starts with `prefix`."""

    def manifest(self, release: dict) -> dict | None:
        """The manifest.json asset of a release, parsed, or None when it has none."""

    def visibility(self) -> str:
        """The repository's visibility: "public", "private" or "internal"."""

    def create(self, tag: str, title: str, notes: str, commit: str, assets: list[Path]) -> str:
        """Create the release with its assets (all or nothing) and return its web address."""


@dataclass
class ReleasePlan:
    """One release to create: tag, title, notes and the files to attach (written into `folder`)."""

    version: str
    tag: str
    title: str
    url: str
    notes: str
    assets: list[Path] = field(default_factory=list)


def release_tag(releases: dict, version: str) -> str:
    """The tag of a pack version's release, e.g. procurement-pack-2026.3."""
    return f"{releases['pack_tag_prefix']}{version}"


def release_url(releases: dict, version: str) -> str:
    """The web address of a pack version's release (linked from the Atom feed)."""
    return f"{releases['server']}/{releases['repository']}/releases/tag/{release_tag(releases, version)}"


RELEASE_GLOBALS = {"pack_release_url": release_url}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def previous_release(client: ReleaseClient, releases: dict, version: str) -> dict | None:
    """The newest released pack older than `version`, or None for the first release."""
    prefix = releases["pack_tag_prefix"]
    older = [
        r
        for r in client.pack_releases(prefix)
        if _version_key(r["tag_name"][len(prefix) :]) < _version_key(version)
    ]
    return max(older, key=lambda r: _version_key(r["tag_name"][len(prefix) :]), default=None)


def changes_since(dataset: DataSet, manifest: dict, previous: dict | None) -> list[str]:
    """Release-note lines: each document version in `manifest` that `previous` did not carry, with its change."""
    records = {d["id"]: d for d in dataset.customer["documents"]}
    before = {d["id"]: d["version"] for d in (previous or {}).get("documents", [])}
    lines = []
    for entry in manifest["documents"]:
        versions = records[entry["id"]]["versions"]
        known = [v["version"] for v in versions]
        start = known.index(before[entry["id"]]) + 1 if before.get(entry["id"]) in known else 0
        for v in versions[start:]:
            lines.append(
                f"- **{entry['title']} {v['version']}** (effective {long_date(v['effective_date'])}): "
                f"{v['changes']}"
            )
    current = {d["id"] for d in manifest["documents"]}
    lines += [
        f"- **{d['title']}** is no longer in the pack."
        for d in (previous or {}).get("documents", [])
        if d["id"] not in current
    ]
    return lines


def release_notes(dataset: DataSet, manifest: dict, previous: dict | None) -> str:
    """Markdown release notes: what changed since the previous pack, then every document with its SHA-256."""
    pack = manifest["pack"]
    since = (
        f"Changes since pack {previous['pack']['version']}:"
        if previous
        else "First release of the pack; every document version it carries:"
    )
    lines = [
        f"{pack['title']} {pack['version']}, effective {long_date(pack['effective_date'])}.",
        "",
        since,
        "",
        *(changes_since(dataset, manifest, previous) or ["- No document changed."]),
        "",
        "| Document | Version | Classification | SHA-256 |",
        "| --- | --- | --- | --- |",
    ]
    for d in manifest["documents"]:
        label = CLASSIFICATION_LABELS[d["classification"]]
        lines.append(f"| {d['title']} (`{d['file']}`) | {d['version']} | {label} | `{d['sha256']}` |")
    lines += ["", f"Check the downloads with `sha256sum -c {SUMS}`."]
    return "\n".join(lines) + "\n"


def write_sums(folder: Path, files: list[Path]) -> Path:
    """A SHA256SUMS file (the format `sha256sum -c` reads) for `files`, written into `folder`."""
    lines = [f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}" for f in sorted(files)]
    target = folder / SUMS
    target.write_text("\n".join(lines) + "\n", encoding="ascii")
    return target


def built_pack(project: Project, version: str) -> tuple[Path, dict]:
    """The built pack folder of `version` and its manifest, refusing a missing or altered build."""
    folder = procurement_root(project) / version
    if not (folder / MANIFEST).exists():
        raise ReleaseRefused(
            f"pack {version} is not built in {folder}; run `./dev pdf` (or `./dev build`) first"
        )
    manifest = _intact(folder)
    if manifest is None:
        raise ReleaseRefused(f"{folder}: files differ from its manifest.json; rebuild with `./dev pdf`")
    if manifest["pack"]["version"] != version:
        raise ReleaseRefused(f"{folder}/{MANIFEST} is pack {manifest['pack']['version']}, not {version}")
    return folder, manifest


def _check_released_copy(client: ReleaseClient, existing: dict, version: str, manifest: dict) -> None:
    """A released version must match what was built now; a difference means a change without a new version."""
    released = client.manifest(existing)
    changes = released_differences(released, manifest) if released else []
    if changes:
        raise BuildFailed(
            [
                Problem(
                    "data/documents.yaml",
                    f"pack {version} is already released ({existing['html_url']}) and this build differs: "
                    + "; ".join(changes),
                    hint="add a version entry to each changed document and bump pack.version",
                )
            ]
        )


def plan_release(
    project: Project, dataset: DataSet, client: ReleaseClient | None, out: Path, if_new: bool = False
) -> ReleasePlan | None:
    """Check that the built pack may be released and prepare its notes and sums in `out`.

    Refuses (ReleaseRefused) a draft pack, a missing or altered build, a repository other than the one the feed
    links to, customer-confidential documents in a public repository, and a version already released. With
    `if_new`, a draft or an already released version (whose release matches this build) returns None instead.
    `client` None (a dry run without credentials) skips every question to GitHub.
    """
    pack, releases = pack_info(dataset), dataset.customer["releases"]
    version, tag = pack["version"], release_tag(releases, pack["version"])
    if pack["status"] != "released":
        if if_new:
            return None
        raise ReleaseRefused(f"pack {version} is a {pack['status']}; only a released pack is published")
    folder, manifest = built_pack(project, version)
    previous = None
    if client is not None:
        existing = client.release(tag)
        if existing is not None:
            _check_released_copy(client, existing, version, manifest)
            if if_new:
                return None
            raise ReleaseRefused(
                f"pack {version} is already released ({existing['html_url']}); a released version is never "
                "uploaded again: add document versions and bump pack.version in data/documents.yaml"
            )
        confidential = [d["id"] for d in manifest["documents"] if d["classification"] != "public"]
        if confidential and client.visibility() == "public":
            raise ReleaseRefused(
                f"{releases['repository']} is public, and the pack holds customer-confidential documents "
                f"({', '.join(confidential)}); release it only from a private repository"
            )
        prior = previous_release(client, releases, version)
        previous = client.manifest(prior) if prior else None
    out.mkdir(parents=True, exist_ok=True)
    files = [folder / d["file"] for d in manifest["documents"]] + [
        folder / MANIFEST,
        folder / manifest["zip"],
    ]
    sums = write_sums(out, files)
    notes = release_notes(dataset, manifest, previous)
    (out / NOTES).write_text(notes, encoding="utf-8")
    return ReleasePlan(
        version=version,
        tag=tag,
        title=f"{pack['title']} {version}",
        url=release_url(releases, version),
        notes=notes,
        assets=[*files, sums],
    )


def check_repository(releases: dict, github_repository: str | None) -> None:
    """In CI, the repository being released must be the one data/releases.yaml (and so the feed) names."""
    if github_repository and github_repository != releases["repository"]:
        raise ReleaseRefused(
            f"this is {github_repository}, but data/releases.yaml names {releases['repository']} "
            "(the Atom feed links there); correct releases.repository"
        )


def describe(plan: ReleasePlan) -> str:
    """What a release contains, as printed by a dry run and after publishing."""
    sizes = "\n".join(f"  {p.name} ({p.stat().st_size:,} bytes)" for p in plan.assets)
    return f"release {plan.tag}: {plan.title}\n{plan.url}\nassets:\n{sizes}\nnotes:\n{plan.notes}"


def manifest_from_bytes(data: bytes) -> dict:
    """A manifest asset's bytes, parsed."""
    return json.loads(data.decode("utf-8"))
