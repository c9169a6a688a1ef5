"""Outputs built after the sites (PDF pack, exports, feeds): registered here and run by `./dev build`."""

from __future__ import annotations

import importlib

# "module:function" entries; each function(project, dataset) builds one output and raises BuildFailed on problems.
BUILD_STEPS: list[str] = [
    "docskit.procurement.build:build_step",
    "docskit.questionnaire.export:build_exports",
]


def run_build_steps(project, dataset, log=print) -> None:
    """Run every registered build step in order."""
    for spec in BUILD_STEPS:
        module_name, _, function = spec.partition(":")
        log(f"build: {spec}")
        getattr(importlib.import_module(module_name), function)(project, dataset)
