"""Browser tests (Debian's chromium through Playwright): the fleet view reloads itself and keeps the reader's
place, and every line of the 24-hour chart differs from the others in colour and in dash pattern."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from metering import Meter
from metering.admin import create_admin
from metering.admin.accounts import Accounts
from metering.demo import seed
from tests.metering.helpers import ThreadedServer
from tests.metering.test_metering_admin import NOW

pytestmark = pytest.mark.browser
OPERATOR, PASSWORD = "ana", "a long operator password"
#: Where the screenshots go (to look at them); a temporary folder unless METERING_SCREENSHOTS names one.
SCREENSHOTS = os.environ.get("METERING_SCREENSHOTS", "")


@pytest.fixture(scope="module")
def server(catalog, demo_tenants):
    meter = Meter(catalog, "memory://")
    seed(meter, demo_tenants, now=NOW, days=1)
    for i in range(300):  # enough tenants for the page to scroll
        meter.put_contract({"tenant": f"fleet-{i:03d}", "plan": "team"}, now=NOW)
    app = create_admin(
        meter,
        secret="browser-csrf",
        clock=lambda: NOW,
        accounts=Accounts.single(OPERATOR, PASSWORD),
        refresh_seconds=2,
    )
    with ThreadedServer(app) as running:
        running.meter = meter
        yield running


@pytest.fixture
def page(browser):
    context = browser.new_context(
        http_credentials={"username": OPERATOR, "password": PASSWORD}, viewport={"width": 1100, "height": 700}
    )
    yield context.new_page()
    context.close()


def shots(tmp_path) -> Path:
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_fleet_view_reloads_itself_and_keeps_the_scroll_position(page, server, tmp_path):
    assert page.goto(server.url + "/?per_page=200").status == 200
    assert page.locator("tr[data-tenant]").count() == 200
    page.screenshot(path=shots(tmp_path) / "fleet-top.png")
    page.mouse.wheel(0, 2400)
    page.wait_for_function("window.scrollY >= 2000")
    before = page.evaluate("window.scrollY")
    page.screenshot(path=shots(tmp_path) / "fleet.png")
    with page.expect_event("load", timeout=10_000):  # the meta refresh, 2 s in this app
        pass
    page.wait_for_function(f"window.scrollY >= {before - 5}", timeout=5_000)
    assert abs(page.evaluate("window.scrollY") - before) <= 5


def test_every_chart_line_has_its_own_colour_and_dash_pattern(page, server, tmp_path):
    assert page.goto(server.url + "/tenants/lumen-logistics").status == 200
    lines = page.locator("svg.chart polyline.series")
    assert lines.count() >= 4
    styles = [
        lines.nth(i).evaluate("e => [getComputedStyle(e).stroke, getComputedStyle(e).strokeDasharray]")
        for i in range(lines.count())
    ]
    colours, dashes = [s[0] for s in styles], [s[1] for s in styles]
    assert len(set(colours)) == len(colours) and len(set(dashes)) == len(dashes), styles
    swatches = page.locator("ul.legend svg.swatch line")
    assert swatches.count() == lines.count()
    assert swatches.first.evaluate("e => getComputedStyle(e).stroke") == colours[0]
    page.locator("svg.chart").scroll_into_view_if_needed()
    page.locator("svg.chart").screenshot(path=shots(tmp_path) / "chart.png")
    page.screenshot(path=shots(tmp_path) / "tenant.png", full_page=True)
