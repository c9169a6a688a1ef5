"""Checks over built output: placeholders, broken links found by linkchecker, live re-render."""

from __future__ import annotations

import shutil

from docskit import linkcheck
from docskit.linkcheck import check_links
from docskit.scans import find_placeholders
from docskit.serve import render_into


def test_placeholders_are_found_with_file_and_line(tmp_path):
    (tmp_path / "page.md").write_text(
        "fine\nwe will TODO this\nLorem ipsum\n{{ leftover }}\n", encoding="utf-8"
    )
    found = [(p.file, p.line, p.message) for p in find_placeholders(tmp_path, "out")]
    assert found == [
        ("out/page.md", 2, "leftover placeholder 'TODO'"),
        ("out/page.md", 3, "leftover placeholder 'Lorem'"),
        ("out/page.md", 4, "leftover placeholder '{{'"),
    ]


def test_built_customer_markdown_has_no_placeholders(built_project):
    assert find_placeholders(built_project.build / "rendered/customer", "rendered/customer") == []


def test_linkchecker_passes_the_built_sites(built_project):
    for site in ("customer", "handbook"):
        assert check_links(built_project.build / "site" / site, site) == []


def test_linkchecker_reports_a_broken_link(mkdocs_project, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(mkdocs_project.build / "site/customer", site)
    index = site / "index.html"
    index.write_text(
        index.read_text(encoding="utf-8").replace("</article>", '<a href="gone/">gone</a></article>', 1),
        encoding="utf-8",
    )
    problems = check_links(site, "site")
    assert len(problems) == 1
    assert "gone/" in problems[0].message


def test_a_site_that_passed_is_not_link_checked_again_until_its_bytes_change(
    mkdocs_project, tmp_path, monkeypatch
):
    site = tmp_path / "site"
    shutil.copytree(mkdocs_project.build / "site/customer", site)
    (tmp_path / ".site.links-passed").write_text(linkcheck.site_digest(site), encoding="ascii")
    runs = []
    monkeypatch.setattr(linkcheck, "_linkchecker", lambda *args: runs.append(args) or ([], 0))
    assert linkcheck.check_links(site, "site") == [] and runs == []
    index = site / "index.html"
    index.write_text(index.read_text(encoding="utf-8") + "<!-- changed -->", encoding="utf-8")
    assert linkcheck.check_links(site, "site") == [] and len(runs) == 1


def test_live_preview_rerenders_when_data_changes(project_copy):
    target = project_copy.build / "serve/customer"
    assert render_into(project_copy, "customer", target)
    page = target / "index.md"
    before = page.read_text(encoding="utf-8")
    plans = project_copy.root / "data/plans.yaml"
    plans.write_text(plans.read_text(encoding="utf-8").replace("retention_days: 400", "retention_days: 401"))
    assert render_into(project_copy, "customer", target)
    after = page.read_text(encoding="utf-8")
    assert "401" in after and after != before


def test_live_preview_keeps_the_last_good_render_on_error(project_copy, capsys):
    target = project_copy.build / "serve/customer"
    assert render_into(project_copy, "customer", target)
    before = (target / "index.md").read_bytes()
    index = project_copy.root / "docs/index.md"
    index.write_text(index.read_text(encoding="utf-8") + "{{ nope }}\n", encoding="utf-8")
    assert not render_into(project_copy, "customer", target)
    assert (target / "index.md").read_bytes() == before
    assert "docs/index.md" in capsys.readouterr().err
