"""The offline verification steps published on the evidence bundle page work, and catch tampering.

A bundle is built the way data/evidence.yaml describes it (items, sha256sum manifest, Ed25519 signature), then
the page's commands run unchanged, in order, in bash.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from docskit.datamodel import load_dataset
from docskit.paths import Project

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("openssl", "sha256sum", "unzip", "curl")),
    reason="needs openssl, sha256sum, unzip and curl",
)

RUN_ID = "run-0001"


@pytest.fixture(scope="module")
def evidence():
    return load_dataset(Project.at()).customer["evidence"]


def make_bundle(folder: Path, evidence) -> tuple[Path, Path]:
    """A signed bundle zip and the public key file, as the platform would produce them."""
    archive = evidence["archive"]
    work = folder / "make"
    work.mkdir()
    key = folder / "signing.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key)], check=True)
    public = folder / "public.pem"
    subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-out", str(public)], check=True)
    for item in evidence["items"]:
        (work / item["path"]).write_text(f'{{"item": "{item["id"]}"}}\n', encoding="utf-8")
    manifest = subprocess.run(
        ["sha256sum", *sorted(i["path"] for i in evidence["items"])],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (work / archive["manifest_file"]).write_text(manifest, encoding="utf-8")
    subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-sign",
            "-inkey",
            str(key),
            "-rawin",
            "-in",
            archive["manifest_file"],
            "-out",
            archive["signature_file"],
        ],
        cwd=work,
        check=True,
    )
    bundle = folder / archive["file_name"].replace("<run id>", RUN_ID)
    with zipfile.ZipFile(bundle, "w") as zf:
        for path in sorted(work.iterdir()):
            zf.write(path, path.name)
    return bundle, public


def script(evidence, key_url: str, tamper: str = "") -> str:
    """The published steps as one bash script; `tamper` runs right after unpacking."""
    lines = ["set -e"]
    for step in evidence["verify_steps"]:
        command = step["command"].replace("{key_url}", key_url).replace("<run id>", RUN_ID)
        lines.append(f"echo '== {step['id']}'")
        lines.append(command)
        if step["id"] == "unzip" and tamper:
            lines.append(tamper)
    return "\n".join(lines)


def run(evidence, tmp_path: Path, tamper: str = "") -> subprocess.CompletedProcess:
    bundle, public = make_bundle(tmp_path, evidence)
    return subprocess.run(
        ["bash", "-c", script(evidence, f"file://{public}", tamper)],
        cwd=bundle.parent,
        capture_output=True,
        text=True,
        check=False,
    )


def test_published_steps_verify_an_untouched_bundle(evidence, tmp_path):
    result = run(evidence, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Signature Verified Successfully" in result.stdout
    oks = [line for line in result.stdout.splitlines() if line.endswith(": OK")]
    assert len(oks) == len(evidence["items"])
    assert result.stdout.rstrip().endswith("== verify_complete")


def test_a_changed_item_fails_the_hash_check(evidence, tmp_path):
    result = run(evidence, tmp_path, tamper="echo changed >> writes.json")
    assert result.returncode != 0
    assert "writes.json: FAILED" in result.stdout


def test_a_changed_manifest_fails_the_signature_check(evidence, tmp_path):
    result = run(evidence, tmp_path, tamper="sed -i 's/^./0/' manifest.sha256")
    assert result.returncode != 0
    assert "Signature Verified Successfully" not in result.stdout


def test_an_added_file_is_reported(evidence, tmp_path):
    result = run(evidence, tmp_path, tamper="echo x > extra.json")
    assert result.returncode != 0
    assert "extra.json" in result.stdout
