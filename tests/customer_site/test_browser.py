"""The customer site in a real browser (Debian's chromium through Playwright), served on 127.0.0.1 only."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from docskit.datamodel import load_dataset
from docskit.localserver import serve_directory

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_url(customer_site):
    with serve_directory(customer_site) as url:
        yield url


@pytest.fixture
def page(browser):
    """A page that lets only requests to 127.0.0.1 through; the test fails if any other was attempted."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    foreign: list[str] = []

    def gate(route):
        url = route.request.url
        if urlparse(url).scheme in ("data", "blob") or urlparse(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    context.route("**/*", gate)
    tab.on(
        "request",
        lambda r: None if urlparse(r.url).hostname in (None, "127.0.0.1") else foreign.append(r.url),
    )
    yield tab
    context.close()
    assert foreign == [], f"requests left 127.0.0.1: {foreign}"


@pytest.fixture(scope="module")
def connectors(built_project):
    return load_dataset(built_project).customer["connectors"]


def test_navigation_reaches_each_quickstart(page, site_url, connectors):
    for connector in connectors:
        page.goto(site_url)
        page.locator(".md-nav--primary").get_by_role("link", name=connector["name"], exact=True).first.click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text().rstrip("¶").strip() == f"Connect {connector['name']}"
        assert page.url.rstrip("/").endswith(connector["page"].removesuffix(".md"))


# Material's search box and results, or Zensical's (a button opening a dialog with a combobox and a listbox).
SEARCH_OPENER = "label.md-search__icon, .md-search__input, button.md-search__button"
SEARCH_BOX = "input.md-search__input, dialog input[role=combobox]"
SEARCH_RESULTS = ".md-search-result__item a.md-search-result__link, ol[role=listbox] a[role=option]"


def search(page, site_url, query: str):
    """Type into the search box key by key (fill() does not trigger search); return result links.

    The first search on a page loads the site; later ones reuse it (its search index is built once per load),
    clearing the box and waiting for the old results to go before typing the next query."""
    if not page.url.startswith(site_url):
        page.goto(site_url)
    box = page.locator(SEARCH_BOX)
    if not box.is_visible():
        page.locator(SEARCH_OPENER).first.click()
    results = page.locator(SEARCH_RESULTS)
    box.fill("")
    results.first.wait_for(state="detached", timeout=10000)
    box.press_sequentially(query, delay=10)
    results.first.wait_for(timeout=10000)
    # Results re-render while the search worker catches up with the last keystrokes: read them all at once,
    # and only once two reads in a row agree.
    previous = None
    for _ in range(40):
        links = results.evaluate_all("els => els.map(e => e.getAttribute('href'))")
        if links and links == previous:
            return links
        previous = links
        page.wait_for_timeout(150)
    return previous or []


def test_search_for_evidence_bundle_finds_the_evidence_page(page, site_url):
    links = search(page, site_url, "evidence bundle")
    assert "concepts/evidence-bundles/" in links[0]


def test_search_for_each_slack_scope_finds_the_slack_quickstart(page, site_url, connectors):
    slack = next(c for c in connectors if c["id"] == "slack")
    for scope in (p["name"] for p in slack["permissions"]):
        links = search(page, site_url, scope)
        assert any("connectors/slack/" in link and "#permissions" in link for link in links), (scope, links)


def test_quickstart_permission_table_and_diagram_render(page, site_url, connectors):
    slack = next(c for c in connectors if c["id"] == "slack")
    page.goto(site_url + "connectors/slack/")
    table = page.locator("table", has=page.locator("th", has_text="Bot token scope"))
    rows = table.locator("tbody tr")
    assert rows.count() == len(slack["permissions"])
    assert (
        table.locator("tr", has=page.locator("code", has_text="chat:write")).inner_text().count("Writes only")
        == 1
    )
    diagram = page.locator('img[src*="diagrams/slack-data-flow.svg"]')
    diagram.scroll_into_view_if_needed()
    assert diagram.evaluate("img => img.complete && img.naturalWidth > 100")
    assert len(diagram.get_attribute("alt")) > 40
