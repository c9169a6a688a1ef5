"""Clean build of both sites: our pipeline against bare builds of the same rendered Markdown, for each builder.

Ours = load and validate data, render Jinja, build both sites strictly, scan for placeholders and third-party loads.
Bare = the builder alone (`mkdocs build`, `zensical build`) over the Markdown ours rendered, both sites at once
(as ours builds them) and one after the other. Target: with MkDocs, ours takes at most 1.25 times the bare build
of both sites at once. Zensical's figures are printed beside it (no target: it is the second builder).
"Clean" means an empty build folder; the tool cache outside it (compiled templates, schema verdicts, parsed YAML,
Graphviz SVG, all keyed by content: docskit/toolcache.py) is warm, as on any machine after its first build. The
first build on a new machine (an empty tool cache) is printed too.
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
from docskit.sitebuild import BUILDERS, SITES, build_sites, start_mkdocs, start_zensical, zensical_project

ROUNDS = 5
TARGET_RATIO = 1.25


def ours(build: Path, builder: str, cold_cache: Path | None = None) -> float:
    """Seconds for a clean pipeline build of both sites; with `cold_cache`, also with an empty tool cache there."""
    shutil.rmtree(build, ignore_errors=True)
    if cold_cache is not None:
        shutil.rmtree(cold_cache, ignore_errors=True)
        warm = os.environ.get("DOCSKIT_CACHE_DIR")
        os.environ["DOCSKIT_CACHE_DIR"] = str(cold_cache)
        try:
            return ours(build, builder)
        finally:
            os.environ.pop("DOCSKIT_CACHE_DIR")
            if warm is not None:
                os.environ["DOCSKIT_CACHE_DIR"] = warm
    start = time.perf_counter()
    project = Project.at(build=build)
    build_sites(project, builder=builder)
    find_placeholders(build / "rendered/customer", "customer")
    external_loads(build / "site/customer")
    return time.perf_counter() - start


def bare(rendered: Path, out: Path, builder: str, concurrent: bool) -> float:
    """Seconds for the bare builder over both sites' rendered Markdown: both at once, or one after the other."""
    project = Project.at(build=out)
    dataset = load_dataset(project)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(rendered, out / "rendered")
    if builder == "zensical":
        zensical_project(project, out)
    start_build = start_zensical if builder == "zensical" else start_mkdocs
    start = time.perf_counter()
    processes = []
    for name, spec in SITES.items():
        process = start_build(project, dataset, spec, out / "rendered" / name, out / "site" / name)
        processes.append(process)
        if not concurrent:
            _finish(process, name)
    for process, name in zip(processes, SITES, strict=True):
        _finish(process, name)
    return time.perf_counter() - start


def _finish(process: subprocess.Popen, name: str) -> None:
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"bare build of {name} failed:\n{stdout}{stderr}")


def measure(tmp: Path, builder: str) -> dict[str, float]:
    """Median seconds of ROUNDS rounds: ours, bare both at once, bare one after the other (interleaved)."""
    times: dict[str, list[float]] = {
        "ours": [],
        "ours_cold": [],
        "bare_concurrent": [],
        "bare_sequential": [],
    }
    for _ in range(ROUNDS):
        times["ours_cold"].append(ours(tmp / "ours", builder, cold_cache=tmp / "cold-cache"))
        times["ours"].append(ours(tmp / "ours", builder))
        kept = tmp / "rendered"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(tmp / "ours/rendered", kept)
        times["bare_concurrent"].append(bare(kept, tmp / "bare", builder, concurrent=True))
        times["bare_sequential"].append(bare(kept, tmp / "bare", builder, concurrent=False))
    return {key: statistics.median(values) for key, values in times.items()}


def main() -> int:
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-build-", dir=Path(__file__).resolve().parents[1]) as tmp:
        # Inside the repository: Zensical builds only folders inside the folder of its config.
        for builder in BUILDERS:
            results[builder] = measure(Path(tmp) / builder, builder)
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; median of {ROUNDS} clean builds")
    print(f"{'both sites, seconds':<46}" + "".join(f"{b:>10}" for b in BUILDERS))
    rows = [
        ("bare build, both sites at once", "bare_concurrent"),
        ("bare build, one site after the other", "bare_sequential"),
        ("ours: data+render+strict build+scans", "ours"),
        ("ours, first build on a machine (cold cache)", "ours_cold"),
    ]
    for label, key in rows:
        print(f"{label:<46}" + "".join(f"{results[b][key]:>10.2f}" for b in BUILDERS))
    ratios = {b: results[b]["ours"] / results[b]["bare_concurrent"] for b in BUILDERS}
    print(f"{'ours / bare both at once':<46}" + "".join(f"{ratios[b]:>9.2f}x" for b in BUILDERS))
    met = ratios["mkdocs"] <= TARGET_RATIO
    verdict = "meets" if met else "MISSES"
    print(f"MkDocs: ours is {ratios['mkdocs']:.2f}x bare ({verdict} the target of at most {TARGET_RATIO}x)")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
