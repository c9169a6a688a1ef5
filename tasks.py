"""Tasks for the Relaywright docs repository. `invoke --list` shows them; each calls into src/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from invoke import Exit, task

sys.path.insert(0, str(Path(__file__).parent / "src"))

from docskit.paths import Project
from docskit.problems import BuildFailed


def _project() -> Project:
    return Project.at()


def _fail(problems) -> None:
    raise Exit(str(BuildFailed(problems)), code=1)


@task(help={"site": "customer or handbook (default: both)"})
def build(c, site: str = ""):
    """Build everything: validate data, render and build both sites (and every output added later)."""
    from docskit.datamodel import load_dataset
    from docskit.outputs import run_build_steps
    from docskit.sitebuild import SITES, build_sites

    names = [site] if site else list(SITES)
    if site and site not in SITES:
        raise Exit(f"unknown site {site!r}; valid: {', '.join(SITES)}", code=2)
    project = _project()
    try:
        dataset = load_dataset(project)
        published = build_sites(project, names, dataset=dataset)
        for name, folder in published.items():
            print(f"built {name}: {folder}")
        if not site:
            run_build_steps(project, dataset)
    except BuildFailed as failed:
        raise Exit(str(failed), code=1) from None


@task
def check(c):
    """Run every check: schemas, cross-references, content rules, strict builds, links, lint, spelling."""
    from docskit.checks import run_all

    problems = run_all(_project())
    if problems:
        _fail(problems)
    print("check: all passed")


@task(help={"pytest_args": "extra arguments for pytest, e.g. '-k approvals'"})
def test(c, pytest_args: str = ""):
    """Run all tests: every check, then the pytest suite."""
    check(c)
    command = [sys.executable, "-m", "pytest", *pytest_args.split()]
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise Exit(code=result.returncode)


@task(help={"site": "customer (default) or handbook", "port": "port on 127.0.0.1 (default 8000)"})
def serve(c, site: str = "customer", port: int = 8000):
    """Live preview on 127.0.0.1: editing a data file or a page re-renders and reloads the browser."""
    from docskit.serve import serve as run_serve

    run_serve(_project(), site, port)


@task
def fix(c):
    """Apply ruff's fixes and formatting to the whole tree."""
    c.run(f"{sys.executable} -m ruff check --fix .")
    c.run(f"{sys.executable} -m ruff format .")


@task
def lock(c):
    """Re-resolve requirements.in into the pinned requirements.lock (then commit both)."""
    c.run(f"{sys.executable} -m pip install -q -r requirements.in")
    c.run(f"{sys.executable} -m pip freeze --exclude-editable > requirements.lock")


# Benchmark suites: name -> script under benchmarks/. Each script prints its figures and the targets.
BENCHMARKS = {
    "build": "benchmarks/bench_build.py",
}


@task(help={"suite": f"one of: {', '.join(BENCHMARKS)} (default: all)"})
def bench(c, suite: str = ""):
    """Run the speed and memory benchmarks and print their figures against the targets."""
    names = [suite] if suite else list(BENCHMARKS)
    for name in names:
        if name not in BENCHMARKS:
            raise Exit(f"unknown benchmark suite {name!r}; valid: {', '.join(BENCHMARKS)}", code=2)
        print(f"== benchmark: {name}")
        c.run(f"{sys.executable} {BENCHMARKS[name]}", pty=False)
