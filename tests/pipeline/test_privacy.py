"""The customer site loads nothing from another host: no fonts, scripts, styles, images or frames."""

from __future__ import annotations

from docskit.scans import external_loads


def test_customer_site_loads_nothing_from_another_host(built_project):
    site = built_project.build / "site/customer"
    assert list(site.rglob("*.html")), "the customer site was not built"
    assert external_loads(site) == []


def test_scan_catches_a_cdn_script_a_font_and_an_iframe(tmp_path):
    (tmp_path / "page.html").write_text(
        '<script src="https://cdn.example.net/x.js"></script>\n'
        '<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Roboto">\n'
        '<iframe src="https://analytics.example.org/frame"></iframe>\n'
        '<a href="https://docs.example.org/">a plain link is navigation, not a load</a>\n'
        '<img src="assets/local.svg">\n',
        encoding="utf-8",
    )
    (tmp_path / "style.css").write_text("@font-face { src: url(https://fonts.gstatic.com/a.woff2); }\n")
    found = {p.message for p in external_loads(tmp_path)}
    assert found == {
        "loads https://cdn.example.net/x.js from another host",
        "loads //fonts.googleapis.com/css?family=Roboto from another host",
        "loads https://analytics.example.org/frame from another host",
        "loads https://fonts.gstatic.com/a.woff2 from another host",
    }


def test_theme_fonts_are_disabled_in_the_shared_config():
    from docskit.paths import REPO_ROOT

    base = (REPO_ROOT / "mkdocs.base.yml").read_text(encoding="utf-8")
    assert "font: false" in base
