"""A site builder started before its Markdown exists, so its start-up overlaps our data loading and rendering.

Run as `python builder_worker.py mkdocs|zensical` (sitebuild.py does it): imports the builder, its theme and the
Markdown extensions the configs use, then waits for one JSON line on stdin, {"cwd": …, "env": {…}, "args": […]},
and runs the builder's command line with those arguments, exiting with its status. End of input without a line
(the build was abandoned) exits 0 without building. Imports nothing from docskit: it is started as a script.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys

# Modules every build of our configs imports (mkdocs.base.yml's theme and markdown_extensions).
PRELOAD = {
    "mkdocs": [
        "mkdocs.__main__",
        "mkdocs.commands.build",
        "mkdocs.structure.pages",
        "material",
        "material.plugins.search.plugin",
        "markdown",
        "markdown.extensions.toc",
        "markdown.extensions.tables",
        "markdown.extensions.admonition",
        "markdown.extensions.attr_list",
        "markdown.extensions.def_list",
        "markdown.extensions.footnotes",
        "markdown.extensions.md_in_html",
        "pymdownx.details",
        "pymdownx.superfences",
        "pymdownx.tabbed",
        "pymdownx.tasklist",
    ],
    "zensical": ["zensical.main", "markdown", "pymdownx.superfences"],
}


def _cli(builder: str):
    if builder == "zensical":
        from zensical.main import cli
    else:
        from mkdocs.__main__ import cli
    return cli


def main(argv: list[str]) -> int:
    builder = argv[0]
    for name in PRELOAD[builder]:
        # A module a newer builder moved is simply imported later, when the build needs it.
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    cli = _cli(builder)
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    job = json.loads(line)
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    try:
        cli.main(args=job["args"], prog_name=builder, standalone_mode=True)
    except SystemExit as done:
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
