"""The architecture diagram: DOT rendered from data/architecture.yaml by security/_architecture.dot.j2, drawn by
Graphviz as SVG (vector), embedded in PDFs as a data: URI so no file path ends up in a PDF."""

from __future__ import annotations

import base64
import functools

import jinja2

from ..diagrams import DiagramError, dot_to_svg
from ..problems import BuildFailed, Problem
from ..render import render_template

DOT_TEMPLATE = "security/_architecture.dot.j2"


@functools.lru_cache(maxsize=8)
def _svg(dot_source: str) -> str:
    try:
        return dot_to_svg(dot_source)
    except DiagramError as exc:
        raise BuildFailed(
            [
                Problem(
                    DOT_TEMPLATE,
                    f"Graphviz failed: {exc}",
                    hint="fix the DOT syntax in this template or the labels in data/architecture.yaml",
                )
            ]
        ) from None


def architecture_svg(env: jinja2.Environment) -> str:
    """The architecture diagram as SVG text (cached per DOT source)."""
    return _svg(render_template(env, DOT_TEMPLATE, DOT_TEMPLATE))


def architecture_svg_uri(env: jinja2.Environment) -> str:
    """The architecture diagram as a data: URI for <img src>."""
    return "data:image/svg+xml;base64," + base64.b64encode(architecture_svg(env).encode("utf-8")).decode(
        "ascii"
    )
