"""The admin UI: authentication, ranking, escaping, CSRF-safe contract changes and monthly statements."""

from __future__ import annotations

import base64
import csv
import io
import re
import warnings

import pytest

from metering import Meter
from metering.admin import create_admin
from metering.demo import seed
from tests.metering.helpers import T0

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

USER, PASSWORD = "ops", "correct horse battery staple"
NOW = T0 + 20 * 86400 + 15 * 3600  # 2026-01-21 15:00 UTC


@pytest.fixture(scope="module")
def demo_meter(catalog, demo_tenants):
    meter = Meter(catalog, "memory://")
    seed(meter, demo_tenants, now=NOW, days=2)
    return meter


def auth(user=USER, password=PASSWORD) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def admin(demo_meter):
    app = create_admin(demo_meter, USER, PASSWORD, "csrf-secret", clock=lambda: NOW)
    with TestClient(app, base_url="http://127.0.0.1:8760") as client:
        yield client


@pytest.mark.parametrize(
    "path", ["/", "/tenants/lumen-logistics", "/tenants/lumen-logistics/statement.csv", "/static/admin.css"]
)
@pytest.mark.parametrize("headers", [{}, auth(password="wrong"), {"Authorization": "Basic !!notbase64"}])
def test_every_page_refuses_access_without_valid_credentials(admin, path, headers):
    r = admin.get(path, headers=headers)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic ")
    assert "Lumen" not in r.text


def test_overview_ranks_tenants_nearest_to_a_limit_first(admin, demo_meter):
    r = admin.get("/", headers=auth())
    assert r.status_code == 200
    shown = re.findall(r'data-tenant="([^"]+)"', r.text)
    percents = [float(p) for p in re.findall(r'<td class="num">([0-9.]+)%</td>', r.text)]
    assert sorted(shown) == sorted(demo_meter.tenants())
    assert percents == sorted(percents, reverse=True) and len(percents) == len(shown)
    assert shown[0] == "harbor-health"  # its ServiceNow writes are over the cap (bill mode)


def test_tenant_page_shows_every_dimension_with_bar_percent_reset_and_mode(admin, demo_meter):
    r = admin.get("/tenants/lumen-logistics", headers=auth())
    assert r.status_code == 200
    rows = demo_meter.usage("lumen-logistics", now=NOW)
    fills = [float(p) for p in re.findall(r'data-percent="([0-9.]+)"', r.text)]
    assert fills == [pytest.approx(u.percent, abs=0.05) for u in rows]
    slack = next(u for u in rows if u.scope == "slack")
    assert slack.percent == pytest.approx(92, abs=1)
    assert "2026-01-22 00:00 UTC" in r.text  # the write caps reset at the next UTC midnight
    assert '<svg class="chart"' in r.text and "<polyline" in r.text


def test_pages_load_nothing_from_other_hosts_and_send_a_strict_csp(admin):
    r = admin.get("/tenants/quarry-retail", headers=auth())
    assert not re.search(r'(src|href)="(https?:)?//', r.text)
    assert "<script" not in r.text
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp


def test_values_from_contracts_are_escaped(admin, demo_meter):
    demo_meter.put_contract({"tenant": "xss-probe", "plan": "team", "name": '<script>alert("x")</script>'})
    try:
        r = admin.get("/tenants/xss-probe", headers=auth())
        assert "<script>alert" not in r.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in r.text
    finally:
        demo_meter.storage._contracts.pop("xss-probe")


def csrf_token(admin, tenant):
    page = admin.get(f"/tenants/{tenant}", headers=auth()).text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_contract_form_raises_limits_only_with_a_valid_csrf_token(admin, demo_meter):
    tenant = "beacon-labs"
    before = demo_meter.limits(tenant).cus
    form = {"cus": str(before + 2), "overage.writes_per_day": "bill"}
    assert admin.post(f"/tenants/{tenant}/contract", data=form, headers=auth()).status_code == 403
    forged = {**form, "csrf_token": csrf_token(admin, "lumen-logistics")}  # a token for another tenant
    assert admin.post(f"/tenants/{tenant}/contract", data=forged, headers=auth()).status_code == 403
    cross_site = {**auth(), "Origin": "https://evil.example"}
    good = {**form, "csrf_token": csrf_token(admin, tenant)}
    assert admin.post(f"/tenants/{tenant}/contract", data=good, headers=cross_site).status_code == 403
    demo_meter._limits.clear()
    assert demo_meter.limits(tenant).cus == before
    r = admin.post(f"/tenants/{tenant}/contract", data=good, headers=auth(), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/tenants/{tenant}?saved=1"
    assert demo_meter.limits(tenant).cus == before + 2
    assert demo_meter.limits(tenant)["writes_per_day"].mode == "bill"


def test_an_invalid_contract_change_is_refused_and_explained(admin, demo_meter):
    tenant = "cedar-finance"
    data = {"cus": "0", "csrf_token": csrf_token(admin, tenant)}
    r = admin.post(f"/tenants/{tenant}/contract", data=data, headers=auth())
    assert r.status_code == 422 and "Not saved: cus:" in r.text
    assert demo_meter.limits(tenant).cus == demo_meter.contract(tenant).cus


def test_monthly_statement_lists_daily_usage_and_overage_units_in_html_and_csv(admin, demo_meter):
    html = admin.get("/tenants/harbor-health/statement?month=2026-01", headers=auth())
    assert html.status_code == 200 and "Overage units to invoice" in html.text
    r = admin.get("/tenants/harbor-health/statement.csv?month=2026-01", headers=auth())
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="harbor-health-2026-01-usage.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    days = {row["date"] for row in rows if row["date"] != "total"}
    assert days == {"2026-01-19", "2026-01-20", "2026-01-21"}  # two days of history back from NOW
    totals = [row for row in rows if row["date"] == "total"]
    assert [(t["dimension"], t["connector"]) for t in totals] == [("writes_per_day", "servicenow")]
    billed = sum(
        float(row["overage_units"])
        for row in rows
        if row["date"] != "total" and row["connector"] == "servicenow"
    )
    assert float(totals[0]["overage_units"]) == pytest.approx(billed) and billed > 0
    assert admin.get("/tenants/harbor-health/statement?month=2026-13", headers=auth()).status_code == 400


def test_unknown_tenant_page_is_404(admin):
    assert admin.get("/tenants/nobody", headers=auth()).status_code == 404


def test_statement_shows_each_day_the_limits_in_force_that_day(meter):
    from metering.admin.views import statement

    writes, day = "writes_per_day", 86400
    meter.put_contract({"tenant": "initech", "plan": "team"}, now=T0)
    team = meter.limits("initech")[writes].limit
    meter.hit("initech", writes, 5, connector="slack", now=T0 + 3600)
    meter.put_contract({"tenant": "initech", "plan": "team", "addons": {writes: 1000}}, now=T0 + 2 * day + 60)
    upgraded = meter.limits("initech")[writes].limit
    assert upgraded > team
    meter.hit("initech", writes, 7, connector="slack", now=T0 + 2 * day + 3600)
    lines = statement(meter, "initech", 2026 * 12).lines
    by_day = {line.day: line for line in lines if (line.dimension, line.connector) == (writes, "slack")}
    assert (by_day["2026-01-01"].limit, by_day["2026-01-01"].used) == (team, 5)
    assert (by_day["2026-01-03"].limit, by_day["2026-01-03"].used) == (upgraded, 7)
    timeline = meter.limits_timeline("initech")
    assert [(effective, limits[writes].limit) for effective, limits in timeline] == [
        (T0, team),
        (T0 + 2 * day + 60, upgraded),
    ]
