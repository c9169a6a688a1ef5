"""The lost-list check: list items that Markdown printed as paragraph text are found, with page and source line."""

from __future__ import annotations

from docskit.lostlists import check_lost_lists, lost_items, markdown_source
from docskit.sitebuild import SITES, build_sites

PLANTED_PAGE = "\nBefore you ask support:\n- Reload the console page.\n- Sign out and sign in again.\n"
# Inside a macro of a partial: an item after an indented paragraph is swallowed by that paragraph.
PLANTED_MACRO = (
    "   [evidence bundle](../concepts/evidence-bundles.md) can be exported. Nothing appears in {{ c.name }}.\n"
    "\n"
    "    Ask the admin to keep the console open.\n"
    "5. Close the run in {{ c.name }} only after its evidence bundle is exported.\n"
)


def _line_of(path, text):
    return path.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_lost_list_check_names_the_built_page_and_the_template_line_that_wrote_each_item(project_copy):
    glossary = project_copy.root / "docs" / "glossary.md"
    glossary.write_text(glossary.read_text(encoding="utf-8") + PLANTED_PAGE, encoding="utf-8")
    partial = project_copy.root / "docs" / "_connector.md"
    source = partial.read_text(encoding="utf-8")
    anchor = "   [evidence bundle](../concepts/evidence-bundles.md) can be exported. Nothing appears in {{ c.name }}.\n"
    assert anchor in source
    partial.write_text(source.replace(anchor, PLANTED_MACRO, 1), encoding="utf-8")
    build_sites(project_copy, ["customer"])

    problems = check_lost_lists(project_copy, "customer", "docs")

    found = {(p.file, p.line) for p in problems}
    assert ("docs/glossary.md", _line_of(glossary, "- Reload the console page.")) in found
    assert ("docs/glossary.md", _line_of(glossary, "- Sign out and sign in again.")) in found
    macro_line = _line_of(partial, PLANTED_MACRO.splitlines()[-1])
    assert ("docs/_connector.md", macro_line) in found
    glossary_problem = next(p for p in problems if p.file == "docs/glossary.md")
    assert "customer page glossary/index.html" in glossary_problem.message
    assert "'- Reload the console page.'" in glossary_problem.message
    assert "blank line" in glossary_problem.hint
    # The macro renders on each of the three connector pages: one problem per page, each naming it.
    connector_pages = {
        p.message.split(" page ", 1)[1].split(":", 1)[0] for p in problems if p.line == macro_line
    }
    assert connector_pages == {f"connectors/{c}/index.html" for c in ("github", "servicenow", "slack")}


def test_paragraph_lines_starting_like_list_items_are_found_and_real_lists_are_not(tmp_path):
    (tmp_path / "index.html").write_text(
        "<ul><li>a real item</li></ul>\n"
        "<p>Steps:\n1. <strong>First</strong> step\n* starred\nplain 2. inside a line</p>\n"
        "<p>- dash first</p><pre>- in code</pre>\n",
        encoding="utf-8",
    )
    assert [item.text for item in lost_items(tmp_path)] == ["1. First step", "* starred", "- dash first"]


def test_built_pages_map_back_to_their_rendered_markdown(tmp_path):
    for name in ("index.md", "plans.md", "connectors/index.md", "connectors/slack.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert markdown_source(tmp_path, "index.html") == tmp_path / "index.md"
    assert markdown_source(tmp_path, "plans/index.html") == tmp_path / "plans.md"
    assert markdown_source(tmp_path, "connectors/index.html") == tmp_path / "connectors/index.md"
    assert markdown_source(tmp_path, "connectors/slack/index.html") == tmp_path / "connectors/slack.md"


def test_no_list_is_lost_on_either_built_site(built_project):
    for name, spec in SITES.items():
        assert check_lost_lists(built_project, name, spec.source) == []
