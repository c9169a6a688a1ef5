"""Browser test (Debian's chromium through Playwright): the admin page shows the seeded usage bars and
refuses access without credentials."""

from __future__ import annotations

import pytest

from metering import Meter
from metering.admin import create_admin
from metering.admin.svg import BAR_WIDTH
from metering.demo import seed
from tests.metering.helpers import ThreadedServer
from tests.metering.test_metering_admin import NOW, PASSWORD, USER

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(catalog, demo_tenants):
    meter = Meter(catalog, "memory://")
    seed(meter, demo_tenants, now=NOW, days=1)
    with ThreadedServer(create_admin(meter, USER, PASSWORD, "browser-csrf", clock=lambda: NOW)) as running:
        running.meter = meter
        yield running


@pytest.mark.parametrize("credentials", [None, {"username": USER, "password": "not-the-password"}])
def test_admin_refuses_a_browser_without_credentials(browser, server, credentials):
    from playwright.sync_api import Error

    context = browser.new_context(http_credentials=credentials)
    page = context.new_page()
    responses = []
    page.on("response", lambda r: responses.append(r))
    try:
        response = page.goto(server.url + "/tenants/lumen-logistics")
    except Error as err:  # without credentials chromium gives up the navigation after the challenge
        assert "ERR_INVALID_AUTH_CREDENTIALS" in str(err)
    else:
        assert response.status == 401
    assert responses and {r.status for r in responses} == {401}
    assert all("Lumen" not in r.text() for r in responses)
    page.wait_for_load_state()
    assert page.locator("svg.bar").count() == 0
    context.close()


def test_admin_shows_the_seeded_usage_bars(browser, server, demo_tenants):
    context = browser.new_context(http_credentials={"username": USER, "password": PASSWORD})
    page = context.new_page()
    assert page.goto(server.url + "/").status == 200
    assert page.locator("tr[data-tenant]").count() == len(demo_tenants)
    page.get_by_role("link", name="Lumen Logistics").click()
    page.wait_for_url("**/tenants/lumen-logistics")
    usage = server.meter.usage("lumen-logistics", now=NOW)
    fills = page.locator("svg.bar rect.fill")
    assert fills.count() == len(usage)
    for i, u in enumerate(usage):
        drawn = fills.nth(i).bounding_box()["width"]
        assert drawn == pytest.approx(min(u.percent, 100) / 100 * BAR_WIDTH, abs=1.0), u
    slack = page.locator('tr[data-dimension="writes_per_day"][data-scope="slack"]')
    assert "92" in slack.inner_text()
    assert page.locator("svg.chart polyline").count() >= 3
    # the stylesheet came from the admin itself, with the same credentials
    colour = page.locator("svg.bar rect.fill.warn").first.evaluate("e => getComputedStyle(e).fill")
    assert colour == "rgb(227, 116, 0)"
    context.close()
