"""Build the two sites: render Jinja sources to plain Markdown, run MkDocs strictly, publish atomically.

Nothing in <build>/site or <build>/rendered changes unless every step of every requested site succeeds:
work happens in a staging folder inside the build folder and is swapped in at the end.

Two builders read the same configs: MkDocs (the default) and Zensical (`builder="zensical"`). Zensical builds only
folders inside the folder of its config, so it gets the staging folder as its project: copies of the configs
and a link to `overrides/` beside the staged Markdown and site folders.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import frontmatter
from .datamodel import DataSet, load_dataset
from .diagrams import DiagramError, dot_to_svg
from .paths import Project
from .problems import BuildFailed, Problem
from .render import make_environment, render_template


@dataclass(frozen=True)
class SiteSpec:
    """One MkDocs site: where its sources are, its config, and who may read it."""

    name: str
    source: str
    config: str
    audience: str
    url_key: str


SITES = {
    "customer": SiteSpec("customer", "docs", "mkdocs.yml", "customer", "customer_docs"),
    "handbook": SiteSpec("handbook", "playbooks", "handbook.yml", "internal", "handbook"),
}

BUILDERS = ("mkdocs", "zensical")
# The configs a site build reads (each site's config INHERITs the base) and the theme folder they name.
CONFIG_FILES = ("mkdocs.base.yml", *(spec.config for spec in SITES.values()))
THEME_FOLDER = "overrides"

BRAND_TEMPLATES = {"stylesheets/brand.css": "brand/brand.css.j2", "assets/logo.svg": "brand/logo.svg.j2"}


def _is_partial(rel: Path) -> bool:
    return any(part.startswith(("_", ".")) for part in rel.parts)


def render_site(project: Project, dataset: DataSet, spec: SiteSpec, out: Path) -> list[Problem]:
    """Render one site's sources into `out` as plain Markdown and assets; return the problems found."""
    source = project.root / spec.source
    env = make_environment(project, dataset, spec.audience, [source])
    problems: list[Problem] = []
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        rel = path.relative_to(source)
        if _is_partial(rel):
            continue
        shown = project.rel(path)
        try:
            _emit(env, rel, path, out, shown, problems)
        except BuildFailed as failed:
            problems.extend(failed.problems)
    for target, template in BRAND_TEMPLATES.items():
        try:
            _write(out / target, render_template(env, template, f"overrides/partials/{template}"))
        except BuildFailed as failed:
            problems.extend(failed.problems)
    return problems


def _emit(env, rel: Path, path: Path, out: Path, shown: str, problems: list[Problem]) -> None:
    name = rel.as_posix()
    if path.suffix == ".md" or path.suffix == ".j2":
        text = render_template(env, name, shown)
        target = out / (name[:-3] if name.endswith(".j2") else name)
        if target.suffix == ".md":
            missing = frontmatter.missing_keys(text)
            if missing:
                problems.append(
                    Problem(
                        shown,
                        f"front matter lacks {', '.join(missing)}",
                        line=1,
                        hint="start the page with ---, title: …, description: …, ---",
                    )
                )
        if target.suffix == ".dot":
            _write_svg(target, text, shown, problems)
        else:
            _write(target, text)
    elif path.suffix == ".dot":
        _write_svg(out / name, path.read_text(encoding="utf-8"), shown, problems)
    else:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _write_svg(dot_target: Path, dot_text: str, shown: str, problems: list[Problem]) -> None:
    try:
        _write(dot_target.with_suffix(".svg"), dot_to_svg(dot_text))
    except DiagramError as exc:
        problems.append(Problem(shown, f"Graphviz failed: {exc}", hint="fix the DOT syntax in this template"))


def _write(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def config_path(project: Project, path: Path) -> str:
    """`path` as a site config gives it: relative to the project root (where the configs are) when inside it.

    MkDocs takes either form; Zensical (0.0.73, checked) builds only a docs_dir inside the project root and
    stops on an absolute one, so the default layout stays buildable by both.
    """
    try:
        return str(Path(path).resolve().relative_to(project.root.resolve()))
    except ValueError:
        return str(path)


def mkdocs_env(project: Project, dataset: DataSet, spec: SiteSpec, docs_dir: Path) -> dict[str, str]:
    """Environment variables the MkDocs configs read with !ENV: where the Markdown is, names and URLs."""
    company = dataset.internal["company"]
    names = {
        "customer": f"{company['product_name']} documentation",
        "handbook": f"{company['short_name']} SE handbook (internal)",
    }
    return {
        **os.environ,
        "DOCSKIT_DOCS_DIR": config_path(project, docs_dir),
        "NO_MKDOCS_2_WARNING": "1",  # the Material end-of-life notice; the move to Zensical is planned
        "DOCSKIT_SITE_NAME": names[spec.name],
        "DOCSKIT_SITE_URL": company["sites"][spec.url_key] + "/",
        "DOCSKIT_COPYRIGHT": f"© {company['copyright_year']} {company['legal_name']}",
    }


_WARNING = re.compile(r"^(WARNING|ERROR)\s+-\s+(.*)$")
_DOC_FILE = re.compile(r"Doc file '([^']+)'")
_LINK = re.compile(r"contains a link '([^']+)'")


def mkdocs_problems(project: Project, spec: SiteSpec, output: str) -> list[Problem]:
    """MkDocs warnings as problems on the source page, with the line of the offending link when found."""
    problems = []
    for message in _warnings(output):
        doc = _DOC_FILE.search(message)
        if not doc:
            problems.append(
                Problem(spec.config, message, hint="see the MkDocs message; fix the page or the nav")
            )
            continue
        source = project.root / spec.source / doc.group(1)
        link = _LINK.search(message)
        line = _find_line(source, link.group(1)) if link else None
        problems.append(
            Problem(
                project.rel(source),
                message,
                line=line,
                hint="point the link at an existing page and heading (anchors are the "
                "heading text in lower case with dashes)",
            )
        )
    return problems


def _warnings(output: str) -> list[str]:
    """MkDocs WARNING/ERROR messages, each with its indented continuation lines (e.g. lists of pages)."""
    messages: list[str] = []
    current = None
    for raw in output.splitlines():
        match = _WARNING.match(raw.strip())
        if match:
            current = [match.group(2).strip()]
            messages.append(current)
        elif current is not None and raw.startswith((" ", "\t")) and raw.strip():
            current.append(raw.strip())
        else:
            current = None
    return [" ".join(parts) for parts in messages]


def _find_line(source: Path, needle: str) -> int | None:
    if not source.exists():
        return None
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    return None


def zensical_project(project: Project, folder: Path) -> None:
    """Make `folder` a project Zensical builds: the same configs (copied) and theme overrides (linked)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in CONFIG_FILES:
        shutil.copyfile(project.root / name, folder / name)
    link = folder / THEME_FOLDER
    if not link.exists():
        link.symlink_to(project.root / THEME_FOLDER, target_is_directory=True)


@dataclass(frozen=True)
class BuildJob:
    """One site build as a command line: working folder, environment and the builder's arguments."""

    builder: str
    cwd: Path
    env: dict[str, str]
    args: list[str]


def mkdocs_job(
    project: Project, dataset: DataSet, spec: SiteSpec, docs_dir: Path, site_dir: Path
) -> BuildJob:
    """`mkdocs build --strict` of rendered Markdown in `docs_dir` into `site_dir`."""
    return BuildJob(
        "mkdocs",
        project.root,
        mkdocs_env(project, dataset, spec, docs_dir),
        ["build", "--strict", "-f", str(project.root / spec.config), "-d", str(site_dir)],
    )


def zensical_job(
    project: Project, dataset: DataSet, spec: SiteSpec, docs_dir: Path, site_dir: Path
) -> BuildJob:
    """`zensical build --strict` in the Zensical project around `docs_dir` and `site_dir` (see
    `zensical_project`): paths are given relative to it, the only form Zensical accepts."""
    root = docs_dir.parents[1]
    env = mkdocs_env(project, dataset, spec, docs_dir)
    env["DOCSKIT_DOCS_DIR"] = os.path.relpath(docs_dir, root)
    env["DOCSKIT_SITE_DIR"] = os.path.relpath(site_dir, root)
    return BuildJob("zensical", root, env, ["build", "--strict", "-f", str(root / spec.config)])


JOBS = {"mkdocs": mkdocs_job, "zensical": zensical_job}


def _popen(
    command: list[str], cwd: Path | None = None, env: dict | None = None, **kwargs
) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )


def start_mkdocs(
    project: Project, dataset: DataSet, spec: SiteSpec, docs_dir: Path, site_dir: Path
) -> subprocess.Popen:
    """Start `mkdocs build --strict` in a new process; finish it with `finish_mkdocs`."""
    job = mkdocs_job(project, dataset, spec, docs_dir, site_dir)
    return _popen([sys.executable, "-m", "mkdocs", *job.args], job.cwd, job.env)


def start_zensical(
    project: Project, dataset: DataSet, spec: SiteSpec, docs_dir: Path, site_dir: Path
) -> subprocess.Popen:
    """Start `zensical build --strict` in a new process; finish it with `finish_mkdocs`."""
    job = zensical_job(project, dataset, spec, docs_dir, site_dir)
    return _popen([sys.executable, "-m", "zensical", *job.args], job.cwd, job.env)


WORKER = Path(__file__).with_name("builder_worker.py")


def start_worker(builder: str) -> subprocess.Popen:
    """A builder process that imports its modules now and builds when `give_job` sends it a job."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return _popen([sys.executable, str(WORKER), builder], env=env, stdin=subprocess.PIPE)


def give_job(worker: subprocess.Popen, job: BuildJob) -> None:
    """Send a started worker its build; it runs the builder's command line with the job's arguments."""
    worker.stdin.write(json.dumps({"cwd": str(job.cwd), "env": job.env, "args": job.args}) + "\n")
    worker.stdin.flush()


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ZENSICAL_WHERE = re.compile(r"\[\s*(\S+?):(\d+):\d+\s*\]")
_ZENSICAL_CODE = re.compile(r"^\s*\d+\s*│\s?(.*)$")


@dataclass
class _ZensicalWarning:
    message: str
    page: str = ""
    line: int = 0
    code: str = ""


def zensical_problems(project: Project, spec: SiteSpec, output: str) -> list[Problem]:
    """Zensical's warnings ("Warning: anchor does not exist", then "[ page.md:169:37 ]" and the line) as
    problems on the source page; the line is found by the offending text when the page shows it unrendered."""
    warnings: list[_ZensicalWarning] = []
    for raw in _ANSI.sub("", output).splitlines():
        if raw.startswith(("Warning:", "Error:")):
            warnings.append(_ZensicalWarning(raw.split(":", 1)[1].strip()))
        elif warnings and not warnings[-1].page and (where := _ZENSICAL_WHERE.search(raw)):
            warnings[-1].page, warnings[-1].line = where.group(1), int(where.group(2))
        elif warnings and not warnings[-1].code and (code := _ZENSICAL_CODE.match(raw)):
            warnings[-1].code = code.group(1).strip()
    problems = []
    for w in warnings:
        if not w.page:
            problems.append(Problem(spec.config, f"zensical: {w.message}", hint="see the Zensical output"))
            continue
        source = project.root / spec.source / w.page
        problems.append(
            Problem(
                project.rel(source),
                f"{w.message} (rendered line {w.line}: {w.code})",
                line=_find_line(source, w.code) if w.code else None,
                hint="point the link at an existing page and heading (anchors are the "
                "heading text in lower case with dashes)",
            )
        )
    return problems


def finish_mkdocs(
    project: Project, spec: SiteSpec, process: subprocess.Popen, builder: str = "mkdocs"
) -> list[Problem]:
    """Wait for a started MkDocs (or Zensical) build; its warnings and errors as problems (none when it
    succeeded)."""
    stdout, stderr = process.communicate()
    if process.returncode == 0:
        return []
    parse = zensical_problems if builder == "zensical" else mkdocs_problems
    problems = parse(project, spec, stdout + stderr)
    return problems or [
        Problem(
            spec.config,
            f"{builder} build failed:\n{_ANSI.sub('', stderr)[-2000:]}",
            hint=f"run `{builder} build --strict` with this config by hand to see the full output",
        )
    ]


def publish(staged: Path, final: Path) -> None:
    """Replace `final` with `staged` by renames, so readers never see a half-written folder."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(old)
    staged.rename(final)
    if old.exists():
        shutil.rmtree(old)


def build_sites(
    project: Project,
    names: list[str] | None = None,
    dataset: DataSet | None = None,
    builder: str = "mkdocs",
) -> dict:
    """Render and build the named sites (default both) with `builder` (one of BUILDERS); publish all of them
    only if all succeed.

    Returns {site name: published site folder}. Raises BuildFailed with every problem found.
    """
    if builder not in BUILDERS:
        raise ValueError(f"unknown builder {builder!r}; valid: {', '.join(BUILDERS)}")
    names = names or list(SITES)
    project.build.mkdir(parents=True, exist_ok=True)
    staging = project.build / f".staging-{uuid.uuid4().hex[:8]}"
    # Each site's builder process starts now and imports its modules while we load data and render; each
    # site's build begins as soon as its Markdown is rendered, on the second core while the next site renders.
    workers = {name: start_worker(builder) for name in names}
    running: dict[str, subprocess.Popen] = {}
    try:
        dataset = dataset or load_dataset(project)
        if builder == "zensical":
            zensical_project(project, staging)
        problems: list[Problem] = []
        for name in names:
            spec = SITES[name]
            problems += render_site(project, dataset, spec, staging / "rendered" / name)
            if not problems:
                job = JOBS[builder](
                    project, dataset, spec, staging / "rendered" / name, staging / "site" / name
                )
                give_job(workers[name], job)
                running[name] = workers[name]
        for name, process in running.items():
            problems += finish_mkdocs(project, SITES[name], process, builder)
        if problems:
            raise BuildFailed(problems)
        published = {}
        for name in names:
            publish(staging / "rendered" / name, project.build / "rendered" / name)
            publish(staging / "site" / name, project.build / "site" / name)
            published[name] = project.build / "site" / name
        return published
    finally:
        for process in workers.values():  # workers of sites that never rendered, or of an interrupted build
            if process.returncode is None:
                process.kill()
                process.communicate()
        shutil.rmtree(staging, ignore_errors=True)
