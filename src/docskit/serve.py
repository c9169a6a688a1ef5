"""Live preview: re-render on every change to data, pages or partials; `mkdocs serve` reloads the browser."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from .datamodel import load_dataset
from .paths import Project
from .problems import BuildFailed
from .sitebuild import SITES, mkdocs_env, render_site


def render_into(project: Project, site: str, target: Path) -> bool:
    """Render a site into `target` in place, writing only files whose content changed. True on success."""
    spec = SITES[site]
    scratch = target.with_name(target.name + ".next")
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        dataset = load_dataset(project)
        problems = render_site(project, dataset, spec, scratch)
        if problems:
            raise BuildFailed(problems)
    except BuildFailed as failed:
        print(failed, file=sys.stderr, flush=True)
        return False
    _sync(scratch, target)
    shutil.rmtree(scratch, ignore_errors=True)
    return True


def _sync(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.is_file()}
    for rel in wanted:
        new = (source / rel).read_bytes()
        dest = target / rel
        if not dest.exists() or dest.read_bytes() != new:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(new)
    for old in [p for p in target.rglob("*") if p.is_file() and p.relative_to(target) not in wanted]:
        old.unlink()


class _Rerender(FileSystemEventHandler):
    def __init__(self, callback):
        self.callback = callback
        self.pending = threading.Event()

    def on_any_event(self, event):
        if not event.is_directory:
            self.pending.set()


def serve(project: Project, site: str = "customer", port: int = 8000) -> None:
    """Render `site`, start `mkdocs serve` on 127.0.0.1:`port`, and re-render whenever a source changes."""
    target = project.build / "serve" / site
    render_into(project, site, target)
    dataset = load_dataset(project)
    env = mkdocs_env(project, dataset, SITES[site], target)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "serve",
            "-f",
            str(project.root / SITES[site].config),
            "-a",
            f"127.0.0.1:{port}",
            "--livereload",
        ],
        cwd=project.root,
        env=env,
    )
    handler = _Rerender(None)
    observer = Observer()
    for folder in ("data", "schemas", SITES[site].source, "overrides"):
        observer.schedule(handler, str(project.root / folder), recursive=True)
    observer.start()
    try:
        while server.poll() is None:
            if handler.pending.wait(0.5):
                time.sleep(0.2)  # let editors finish writing
                handler.pending.clear()
                if render_into(project, site, target):
                    print(f"re-rendered {site}", flush=True)
    finally:
        observer.stop()
        server.terminate()
        server.wait()
