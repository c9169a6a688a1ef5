"""Clean build of both sites: our pipeline against a bare `mkdocs build` of the same rendered Markdown.

Ours = load and validate data, render Jinja, `mkdocs build --strict`, scan for placeholders and third-party loads.
Bare = `mkdocs build` alone over the Markdown ours rendered. Target: ours adds at most 25% over bare.
Run: ./dev bench --suite build
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from docskit.datamodel import load_dataset
from docskit.paths import Project
from docskit.scans import external_loads, find_placeholders
from docskit.sitebuild import SITES, build_sites, mkdocs_env

ROUNDS = 3
TARGET_OVERHEAD = 0.25


def ours(build: Path) -> float:
    shutil.rmtree(build, ignore_errors=True)
    start = time.perf_counter()
    project = Project.at(build=build)
    build_sites(project)
    find_placeholders(build / "rendered/customer", "customer")
    external_loads(build / "site/customer")
    return time.perf_counter() - start


def bare(rendered: Path, out: Path) -> float:
    project = Project.at(build=out)
    dataset = load_dataset(project)
    envs = {name: mkdocs_env(project, dataset, spec, rendered / name) for name, spec in SITES.items()}
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    for name, spec in SITES.items():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "mkdocs",
                "build",
                "-q",
                "-f",
                str(project.root / spec.config),
                "-d",
                str(out / name),
            ],
            cwd=project.root,
            env=envs[name],
            check=True,
        )
    return time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        tmp_path = Path(tmp)
        ours_times, bare_times = [], []
        for _ in range(ROUNDS):
            ours_times.append(ours(tmp_path / "ours"))
            kept = tmp_path / "rendered"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(tmp_path / "ours/rendered", kept)
            bare_times.append(bare(kept, tmp_path / "bare"))
    ours_s, bare_s = statistics.median(ours_times), statistics.median(bare_times)
    overhead = ours_s / bare_s - 1
    print(f"machine: {os.cpu_count()} cores; median of {ROUNDS} clean builds of both sites")
    print(f"{'pipeline':<34}{'seconds':>10}")
    print(f"{'bare mkdocs build (both sites)':<34}{bare_s:>10.2f}")
    print(f"{'ours: data+render+strict+scans':<34}{ours_s:>10.2f}")
    verdict = "meets" if overhead <= TARGET_OVERHEAD else "MISSES"
    print(f"overhead: {overhead:+.1%} ({verdict} the target of at most +{TARGET_OVERHEAD:.0%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
