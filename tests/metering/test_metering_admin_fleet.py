"""The admin page for an operator: a fleet of 1,000 tenants paged and filtered on the server, named accounts
from an Argon2 file, the contract audit list, and adding a tenant from its kit file."""

from __future__ import annotations

import base64
import json
import re
import warnings

import pytest

from metering import Meter
from metering.admin import create_admin
from metering.admin.accounts import Accounts, set_password
from tests.metering.helpers import T0

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

NOW = T0 + 12 * 3600
OPERATOR, PASSWORD = "ana", "a long operator password"
FLEET = 1000


def auth(user=OPERATOR, password=PASSWORD) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("accounts") / "admin-accounts"
    assert set_password(path, OPERATOR, PASSWORD) is True
    assert set_password(path, "bo", "another long password") is True
    return path


@pytest.fixture(scope="module")
def fleet_meter(catalog):
    """1,000 tenants on two plans, each with a different share of its Slack write cap used today."""
    meter = Meter(catalog, "memory://", contract_ttl=3600)
    for i in range(FLEET):
        tenant = f"t{i:04d}"
        meter.put_contract({"tenant": tenant, "plan": "business" if i % 4 == 0 else "team"})
        cap = meter.limits(tenant)["writes_per_day"].limit
        used = cap * ((i * 37) % 101) / 100
        if used:
            meter.hit(tenant, "writes_per_day", used, connector="slack", now=NOW)
    return meter


@pytest.fixture(scope="module")
def admin(fleet_meter, accounts_file):
    app = create_admin(
        fleet_meter, secret="fleet-csrf", clock=lambda: NOW, accounts=Accounts.from_file(accounts_file)
    )
    with TestClient(app, base_url="http://127.0.0.1:8760") as client:
        yield client


def shown(html: str) -> list[tuple[str, float]]:
    tenants = re.findall(r'data-tenant="([^"]+)"', html)
    percents = [float(p) for p in re.findall(r'<td class="num">([0-9.]+)%</td>', html)]
    return list(zip(tenants, percents, strict=True))


def test_page_one_of_a_thousand_tenants_shows_fifty_rows_fullest_first(admin, fleet_meter):
    r = admin.get("/", headers=auth())
    assert r.status_code == 200
    rows = shown(r.text)
    assert len(rows) == 50
    percents = [p for _, p in rows]
    assert percents == sorted(percents, reverse=True) and percents[0] == 100.0
    fullest = max(max(u.percent for u in fleet_meter.usage(t, now=NOW)) for t in fleet_meter.tenants())
    assert percents[0] == pytest.approx(fullest, abs=0.05)
    assert "1000 of 1000 tenants" in r.text and "Page 1 of 20" in r.text
    page2 = shown(admin.get("/?page=2", headers=auth()).text)
    assert page2[0][1] <= percents[-1] and not {t for t, _ in page2} & {t for t, _ in rows}


def test_filters_by_plan_by_at_limit_and_by_search(admin, fleet_meter):
    business = shown(admin.get("/?plan=business&per_page=200", headers=auth()).text)
    assert len(business) == 200
    assert all(fleet_meter.limits(t).plan == "business" for t, _ in business)
    full = admin.get("/?at_limit=1&per_page=200", headers=auth()).text
    rows = shown(full)
    assert rows and all(p >= 100 for _, p in rows)
    assert f"{len(rows)} of {FLEET} tenants" in full  # every tenant at a limit fits on this page
    found = shown(admin.get("/?q=t0042", headers=auth()).text)
    assert [t for t, _ in found] == ["t0042"]


def test_the_fleet_view_reloads_itself_without_a_script_and_keeps_the_strict_csp(admin):
    r = admin.get("/", headers=auth())
    assert '<meta http-equiv="refresh" content="60">' in r.text and "<script" not in r.text
    assert "script-src" not in r.headers["Content-Security-Policy"]  # default-src 'none' forbids every script
    assert "http-equiv" not in admin.get("/?refresh=0", headers=auth()).text


@pytest.mark.parametrize(
    "headers",
    [auth(password="wrong password, long"), auth(user="mallory"), auth(user="bo", password=PASSWORD), {}],
)
def test_a_wrong_password_or_an_unknown_operator_is_refused(admin, headers):
    assert admin.get("/", headers=headers).status_code == 401


def test_the_accounts_file_holds_salted_argon2_hashes_and_no_password(accounts_file):
    text = accounts_file.read_text()
    lines = text.splitlines()
    assert [line.split(":", 1)[0] for line in lines] == [OPERATOR, "bo"]
    assert all(line.split(":", 1)[1].startswith("$argon2id$") for line in lines)
    assert PASSWORD not in text
    assert set_password(accounts_file, "bo", "a changed long password") is False  # changed, not added
    assert Accounts.from_file(accounts_file).check("bo", "a changed long password")


def kit_body(repo_context, tenant: str, cus: int = 2) -> bytes:
    from docskit.onboarding.metering_config import metering_config

    return json.dumps(metering_config(repo_context, tenant, tenant.title(), "team", cus, ["github"])).encode()


def new_tenant_token(admin) -> str:
    page = admin.get("/tenants/new", headers=auth()).text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_kit_upload_form_refuses_a_missing_or_forged_csrf_token(admin, fleet_meter, repo_context):
    files = {"kit": ("metering.json", kit_body(repo_context, "forged-co"), "application/json")}
    for data in ({"reason": "x"}, {"reason": "x", "csrf_token": "made-up"}):
        assert admin.post("/tenants/new", data=data, files=files, headers=auth()).status_code == 403
    cross_site = {**auth(), "Origin": "https://evil.example"}
    data = {"reason": "x", "csrf_token": new_tenant_token(admin)}
    assert admin.post("/tenants/new", data=data, files=files, headers=cross_site).status_code == 403
    assert "forged-co" not in fleet_meter.tenants()


def test_uploading_a_kit_creates_the_tenant_with_its_limits_and_an_audit_row(
    admin, fleet_meter, repo_context
):
    body = kit_body(repo_context, "hooli", cus=3)
    data = {"reason": "order form 42", "csrf_token": new_tenant_token(admin)}
    files = {"kit": ("metering.json", body, "application/json")}
    r = admin.post("/tenants/new", data=data, files=files, headers=auth(), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/tenants/hooli?saved=1"
    promised = json.loads(body)["limits"]
    limits = fleet_meter.limits("hooli")
    assert limits.cus == 3
    assert {d: lim.limit for d, lim in limits.dimensions.items()} == {
        d: v["limit"] for d, v in promised.items()
    }
    [change] = fleet_meter.contract_changes("hooli")
    assert (change.changed_by, change.reason, change.effective) == (OPERATOR, "order form 42", NOW)
    page = admin.get("/tenants/hooli", headers=auth()).text
    audit = re.search(r'<table class="audit">.*?</table>', page, re.S).group(0)
    assert "ana" in audit and "order form 42" in audit and "created: plan team, 3 CUs" in audit


def test_an_invalid_kit_file_is_refused_naming_the_field(admin, fleet_meter, repo_context):
    body = json.loads(kit_body(repo_context, "initech"))
    body["cus"] = 99
    data = {"reason": "typo", "csrf_token": new_tenant_token(admin)}
    files = {"kit": ("metering.json", json.dumps(body).encode(), "application/json")}
    r = admin.post("/tenants/new", data=data, files=files, headers=auth())
    assert r.status_code == 422 and "Not loaded: cus:" in r.text
    assert "initech" not in fleet_meter.tenants()


def test_a_contract_change_on_the_tenant_page_records_the_operator_and_the_change(admin, fleet_meter):
    page = admin.get("/tenants/t0001", headers=auth()).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"cus": "4", "reason": "upsell 7", "csrf_token": token}
    assert (
        admin.post("/tenants/t0001/contract", data=data, headers=auth(), follow_redirects=False).status_code
        == 303
    )
    audit = re.search(
        r'<table class="audit">.*?</table>', admin.get("/tenants/t0001", headers=auth()).text, re.S
    )
    first_row = re.search(r"<tr><td>.*?</tr>", audit.group(0), re.S).group(0)
    assert "ana" in first_row and "upsell 7" in first_row and "cus 1 → 4" in first_row


def test_the_account_task_hashes_a_piped_password_and_refuses_a_short_one_in_one_line(tmp_path):
    from tests.invoking import run_invoke

    file = tmp_path / "accounts"
    piped = tmp_path / "password"
    piped.write_text("a long operator password\n")
    with piped.open() as stdin:
        ok = run_invoke("metering-admin-account", "--file", str(file), "--name", "ana", stdin=stdin)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"metering-admin-account: added ana in {file}"
    assert Accounts.from_file(file).check("ana", "a long operator password")
    piped.write_text("short\n")
    with piped.open() as stdin:
        short = run_invoke("metering-admin-account", "--file", str(file), "--name", "bo", stdin=stdin)
    assert short.returncode == 2
    assert short.stderr.strip().splitlines() == [
        "metering-admin-account: the password must have at least 12 characters"
    ]
