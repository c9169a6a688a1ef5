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


def bare(rendered: Path, out: Path, concurrent: bool = False) -> float:
    """`mkdocs build` of both sites' rendered Markdown: one after the other, or both at once."""
    project = Project.at(build=out)
    dataset = load_dataset(project)
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    processes = []
    for name, spec in SITES.items():
        command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(project.root / spec.config)]
        env = mkdocs_env(project, dataset, spec, rendered / name)
        process = subprocess.Popen([*command, "-d", str(out / name)], cwd=project.root, env=env)
        if concurrent:
            processes.append(process)
        elif process.wait() != 0:
            raise SystemExit(f"bare mkdocs build of {name} failed")
    if any(p.wait() != 0 for p in processes):
        raise SystemExit("bare mkdocs build failed")
    return time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        tmp_path = Path(tmp)
        ours_times, bare_times, bare_concurrent_times = [], [], []
        for _ in range(ROUNDS):
            ours_times.append(ours(tmp_path / "ours"))
            kept = tmp_path / "rendered"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(tmp_path / "ours/rendered", kept)
            bare_times.append(bare(kept, tmp_path / "bare"))
            bare_concurrent_times.append(bare(kept, tmp_path / "bare", concurrent=True))
    ours_s, bare_s = statistics.median(ours_times), statistics.median(bare_times)
    bare_concurrent_s = statistics.median(bare_concurrent_times)
    overhead = ours_s / bare_s - 1
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; median of {ROUNDS} clean builds")
    print(f"{'pipeline (both sites)':<44}{'seconds':>10}")
    print(f"{'bare mkdocs build, one site after the other':<44}{bare_s:>10.2f}")
    print(f"{'bare mkdocs build, both sites at once':<44}{bare_concurrent_s:>10.2f}")
    print(f"{'ours: data+render+strict+scans':<44}{ours_s:>10.2f}")
    print("(ours starts each site's MkDocs build as soon as its Markdown is rendered, so the two overlap)")
    verdict = "meets" if overhead <= TARGET_OVERHEAD else "MISSES"
    print(f"overhead over bare: {overhead:+.1%} ({verdict} the target of at most +{TARGET_OVERHEAD:.0%})")
    print(f"overhead over bare with both sites at once: {ours_s / bare_concurrent_s - 1:+.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
