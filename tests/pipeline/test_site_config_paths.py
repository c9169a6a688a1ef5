"""The site configs get paths a later move to Zensical can build (it refuses an absolute docs_dir)."""

from __future__ import annotations

from docskit.paths import Project
from docskit.sitebuild import config_path


def test_a_docs_dir_inside_the_project_is_given_relative_to_its_root(tmp_path):
    project = Project.at(tmp_path, build=tmp_path / "build")
    rendered = project.build / "rendered" / "customer"
    assert config_path(project, rendered) == "build/rendered/customer"


def test_a_docs_dir_outside_the_project_stays_absolute(tmp_path):
    project = Project.at(tmp_path / "repo", build=tmp_path / "elsewhere")
    rendered = project.build / "rendered" / "customer"
    assert config_path(project, rendered) == str(rendered)
