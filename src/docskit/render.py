"""The one Jinja environment used for pages, PDFs and exports: strict, data-driven, audience-aware."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import tables
from .datamodel import DataSet
from .paths import Project
from .problems import BuildFailed, Problem
from .toolcache import cache_dir

_ESCAPED_SUFFIXES = (".html", ".htm", ".xml", ".svg", ".atom")


def _autoescape(name: str | None) -> bool:
    if not name:
        return False
    base = name[:-3] if name.endswith(".j2") else name
    return base.endswith(_ESCAPED_SUFFIXES)


def long_date(iso: str) -> str:
    """An ISO date (2026-11-25) as written in documents: 25 November 2026."""
    day = dt.date.fromisoformat(str(iso))
    return f"{day.day} {day.strftime('%B %Y')}"


def join_and(items, word: str = "and") -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def by_id(records, record_id: str):
    """The record with this id from a list of records; fails loudly when it is not there."""
    for record in records:
        if record["id"] == record_id:
            return record
    raise KeyError(f"no record with id {record_id!r}; valid: {', '.join(r['id'] for r in records)}")


FILTERS = {
    "long_date": long_date,
    "join_and": join_and,
    "minutes": tables.minutes_text,
    "number": tables.number,
    "counted": tables.counted,
    "cell": tables.cell,
    "by_id": by_id,
}


# Template globals contributed by features, as "module:MAPPING" (name -> function). Add yours with one line.
TEMPLATE_GLOBALS = [
    "docskit.tables:TABLES",
    "docskit.sitetables:SITE_TABLES",
    "docskit.incident.templating:SUPPORT_GLOBALS",
    "docskit.onboarding.view:HELPERS",
    "docskit.questionnaire.describe:QUESTIONNAIRE_GLOBALS",
    "docskit.rehearsal.report:REHEARSAL_GLOBALS",
    "docskit.procurement.release:RELEASE_GLOBALS",
]


def template_globals() -> dict:
    """Every registered template helper, by name; two features defining one name is an error."""
    merged: dict = {}
    for spec in TEMPLATE_GLOBALS:
        module_name, _, attribute = spec.partition(":")
        for name, value in getattr(importlib.import_module(module_name), attribute).items():
            if name in merged and merged[name] is not value:
                raise ValueError(f"template global {name!r} is defined twice (again in {spec})")
            merged[name] = value
    return merged


def make_environment(
    project: Project, dataset: DataSet, audience: str, search_path: list[Path] | None = None
) -> jinja2.Environment:
    """A StrictUndefined Jinja environment whose globals are the data context for `audience`.

    Templates are found in `search_path` (first match wins), then overrides/partials/, then the project root.
    """
    paths = [*(search_path or []), project.partials, project.root]
    compiled = cache_dir("jinja")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in paths]),
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled)) if compiled else None,
        undefined=jinja2.StrictUndefined,
        autoescape=_autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(dataset.context(audience))
    env.globals.update(template_globals())
    env.globals["audience"] = audience
    env.globals["Markup"] = Markup
    env.filters.update(FILTERS)
    env.project = project  # so errors can name files relative to the project
    return env


_TEMPLATE_SUFFIXES = (".md", ".html", ".j2", ".dot", ".css", ".txt", ".xml", ".svg")


def _template_line(exc: BaseException, filename: str | None) -> int | None:
    """The template line where `exc` happened: Jinja rewrites tracebacks so template frames carry it."""
    line = None
    target = Path(filename).resolve() if filename else None
    tb = exc.__traceback__
    while tb is not None:
        code_file = tb.tb_frame.f_code.co_filename
        if Path(code_file).resolve() == target or code_file.endswith(_TEMPLATE_SUFFIXES):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_template(env: jinja2.Environment, name: str, shown_as: str, **extra) -> str:
    """Render one template; any template error raises BuildFailed naming the file and line."""
    try:
        return env.get_template(name).render(**extra)
    except jinja2.TemplateSyntaxError as exc:
        where = _shown(env, exc.filename or shown_as, shown_as)
        problem = Problem(
            where,
            f"template syntax error: {exc.message}",
            line=exc.lineno,
            hint="close every {{ }}, {% %} and {% end… %} block",
        )
    except jinja2.UndefinedError as exc:
        problem = Problem(
            shown_as,
            f"undefined template variable: {exc.message}",
            line=_template_line(exc, _source_of(env, name)),
            hint="use a key that exists in data/ (see the data file's schema), or add it there",
        )
    except (KeyError, ValueError, TypeError, jinja2.TemplateError) as exc:
        problem = Problem(
            shown_as,
            f"template error: {exc}",
            line=_template_line(exc, _source_of(env, name)),
            hint="check the expression on this line against the data it reads",
        )
    raise BuildFailed([problem])


def _source_of(env: jinja2.Environment, name: str) -> str | None:
    try:
        return env.loader.get_source(env, name)[1]
    except jinja2.TemplateNotFound:
        return None


def _shown(env: jinja2.Environment, path: str, fallback: str) -> str:
    project = getattr(env, "project", None)
    return project.rel(Path(path)) if project and Path(path).is_absolute() else fallback
