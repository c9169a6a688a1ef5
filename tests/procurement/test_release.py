"""Publishing on merge: a new released pack version becomes a GitHub release (PDFs, manifest, zip, SHA256SUMS,
notes from the changelog of data/documents.yaml); a version already released is never uploaded again.

Every test drives the real client (docskit.procurement.github) against a stand-in API on 127.0.0.1."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from docskit.datamodel import load_dataset
from docskit.problems import BuildFailed
from docskit.procurement.github import GitHubError
from docskit.procurement.publish import run_release
from docskit.procurement.release import SUMS, ReleaseRefused, release_tag

from .github_standin import StandInGitHub, serve

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def github(pack_dataset):
    state = StandInGitHub(pack_dataset.customer["releases"]["repository"])
    server = serve(state)
    yield state
    server.shutdown()
    server.server_close()


def _env(github: StandInGitHub, **extra) -> dict:
    return {
        "GITHUB_TOKEN": "test-token",
        "GITHUB_API_URL": github.base,
        "GITHUB_REPOSITORY": github.repository,
        "GITHUB_SHA": COMMIT,
        **extra,
    }


def _tag(dataset, version=None) -> str:
    return release_tag(dataset.customer["releases"], version or dataset.customer["pack"]["version"])


def _previous_pack(built_pack, dataset) -> tuple[str, dict, dict]:
    """A plausible previous release: one version older for a document with history, one document not yet in it."""
    manifest = copy.deepcopy(built_pack.manifest)
    year, number = manifest["pack"]["version"].split(".")
    manifest["pack"]["version"] = previous = f"{year}.{int(number) - 1}"
    records = {d["id"]: d for d in dataset.customer["documents"]}
    changed = next(d for d in manifest["documents"] if len(records[d["id"]]["versions"]) > 1)
    changed["version"] = records[changed["id"]]["versions"][-2]["version"]
    added = manifest["documents"].pop()
    return previous, changed, added


def test_a_new_pack_version_becomes_a_release_with_pdfs_manifest_zip_sums_and_notes(
    github, pack_project, pack_dataset, built_pack
):
    previous, changed, added = _previous_pack(built_pack, pack_dataset)
    old_manifest = {**built_pack.manifest, "pack": {**built_pack.manifest["pack"], "version": previous}}
    old_manifest["documents"] = [
        changed if d["id"] == changed["id"] else d for d in built_pack.manifest["documents"] if d != added
    ]
    github.add_release(_tag(pack_dataset, previous), {"manifest.json": json.dumps(old_manifest).encode()})

    out = run_release(pack_project, pack_dataset, env=_env(github))

    release = github.published(_tag(pack_dataset))
    assert release is not None and release["target_commitish"] == COMMIT
    assert release["html_url"] in out
    folder = built_pack.folder
    expected = {d["file"] for d in built_pack.manifest["documents"]} | {
        "manifest.json",
        built_pack.manifest["zip"],
        SUMS,
    }
    assert {a["name"] for a in release["assets"]} == expected
    for name in expected - {SUMS}:
        assert github.asset_bytes(release, name) == (folder / name).read_bytes()
    sums = dict(
        reversed(line.split("  ")) for line in github.asset_bytes(release, SUMS).decode().splitlines()
    )
    assert set(sums) == expected - {SUMS}
    for name, digest in sums.items():
        assert hashlib.sha256(github.asset_bytes(release, name)).hexdigest() == digest

    records = {d["id"]: d for d in pack_dataset.customer["documents"]}
    notes = release["body"]
    assert f"Changes since pack {previous}:" in notes
    current = records[changed["id"]]["versions"][-1]
    assert f"**{changed['title']} {current['version']}**" in notes and current["changes"] in notes
    assert f"**{changed['title']} {changed['version']}**" not in notes
    for version in records[added["id"]]["versions"]:
        assert f"**{added['title']} {version['version']}**" in notes
    untouched = [d for d in built_pack.manifest["documents"] if d["id"] not in (changed["id"], added["id"])]
    assert all(f"**{d['title']} {d['version']}**" not in notes for d in untouched)
    for doc in built_pack.manifest["documents"]:
        assert doc["sha256"] in notes


def test_the_first_release_lists_every_version_of_every_document(
    github, pack_project, pack_dataset, built_pack
):
    run_release(pack_project, pack_dataset, env=_env(github))
    notes = github.published(_tag(pack_dataset))["body"]
    assert "First release of the pack" in notes
    records = {d["id"]: d for d in pack_dataset.customer["documents"]}
    for doc in built_pack.manifest["documents"]:
        for version in records[doc["id"]]["versions"]:
            assert f"**{doc['title']} {version['version']}**" in notes


def test_a_dry_run_shows_the_release_and_uploads_nothing(github, pack_project, pack_dataset, built_pack):
    out = run_release(pack_project, pack_dataset, dry_run=True, env=_env(github))
    assert out.startswith("release (dry run): would publish")
    assert _tag(pack_dataset) in out and built_pack.manifest["zip"] in out and SUMS in out
    assert github.requests and github.writes() == [] and github.releases == {}

    offline = run_release(pack_project, pack_dataset, dry_run=True, env={})
    assert "GitHub not asked: no GITHUB_TOKEN" in offline and _tag(pack_dataset) in offline


def test_a_version_already_released_is_refused_and_nothing_is_uploaded(
    github, pack_project, pack_dataset, built_pack
):
    github.add_release(_tag(pack_dataset), {"manifest.json": json.dumps(built_pack.manifest).encode()})
    with pytest.raises(ReleaseRefused, match="already released"):
        run_release(pack_project, pack_dataset, env=_env(github))
    assert "already released" in run_release(pack_project, pack_dataset, if_new=True, env=_env(github))
    assert github.writes() == []
    assert len(github.releases) == 1


def test_a_released_version_whose_build_differs_fails_instead_of_passing_as_released(
    github, pack_project, pack_dataset, built_pack
):
    altered = copy.deepcopy(built_pack.manifest)
    altered["documents"][0]["sha256"] = "0" * 64
    github.add_release(_tag(pack_dataset), {"manifest.json": json.dumps(altered).encode()})
    with pytest.raises(BuildFailed, match=r"already released .* this build differs"):
        run_release(pack_project, pack_dataset, if_new=True, env=_env(github))
    assert github.writes() == []


def test_asset_downloads_follow_the_redirect_without_sending_the_token(
    github, pack_project, pack_dataset, built_pack
):
    github.add_release(_tag(pack_dataset), {"manifest.json": json.dumps(built_pack.manifest).encode()})
    run_release(pack_project, pack_dataset, if_new=True, env=_env(github))
    signed = [r for r in github.requests if r["path"].startswith("/signed/")]
    assert signed and all(r["authorization"] is None for r in signed)
    api = [r for r in github.requests if not r["path"].startswith("/signed/")]
    assert all(r["authorization"] == "Bearer test-token" for r in api)


def test_a_failed_upload_leaves_no_release_behind(github, pack_project, pack_dataset, built_pack):
    github.fail_upload_of = built_pack.manifest["zip"]
    with pytest.raises(GitHubError, match="HTTP 502"):
        run_release(pack_project, pack_dataset, env=_env(github))
    assert github.releases == {}
    assert github.published(_tag(pack_dataset)) is None


def test_customer_confidential_documents_are_never_released_from_a_public_repository(
    github, pack_project, pack_dataset, built_pack
):
    assert any(d["classification"] != "public" for d in built_pack.manifest["documents"])
    github.visibility = "public"
    with pytest.raises(ReleaseRefused, match="is public"):
        run_release(pack_project, pack_dataset, env=_env(github))
    assert github.writes() == []


def test_releasing_from_another_repository_than_the_feed_links_is_refused(
    github, pack_project, pack_dataset, built_pack
):
    with pytest.raises(ReleaseRefused, match=r"data/releases\.yaml names"):
        run_release(pack_project, pack_dataset, env=_env(github, GITHUB_REPOSITORY="someone/fork"))
    assert github.requests == []


def test_a_draft_pack_is_not_released(github, project_copy):
    path = project_copy.data / "documents.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("status: released", "status: draft", 1))
    dataset = load_dataset(project_copy)
    with pytest.raises(ReleaseRefused, match="is a draft"):
        run_release(project_copy, dataset, env=_env(github))
    assert "is a draft; nothing to publish" in run_release(
        project_copy, dataset, if_new=True, env=_env(github)
    )
    assert github.requests == []


def test_an_unbuilt_pack_is_refused_with_the_command_that_builds_it(github, project_copy):
    with pytest.raises(ReleaseRefused, match=r"run `\./dev pdf`"):
        run_release(project_copy, load_dataset(project_copy), env=_env(github))
