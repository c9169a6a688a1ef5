"""The HTTP API: token auth, RateLimit headers, 429 problem+json, and bad input that changes nothing."""

from __future__ import annotations

import json
import time
import warnings

import pytest

from metering.api import create_api, issue_token
from tests.metering.helpers import T0

SECRET = "api-secret-for-tests"


with warnings.catch_warnings():  # starlette suggests another HTTP client package; httpx is what we pin
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def client(meter):
    meter.clock = lambda: T0
    with TestClient(create_api(meter, SECRET, token_max_age=3600), base_url="http://127.0.0.1") as c:
        c.headers["Authorization"] = f"Bearer {issue_token(SECRET)}"
        yield c


def test_admitting_a_run_returns_the_lease_and_ratelimit_headers(client, meter):
    r = client.post("/v1/tenants/acme/runs", json={"run_id": "run-1", "writes": {"slack": 2}})
    assert r.status_code == 200, r.text
    assert r.json()["lease_id"] == "run-1" and r.json()["reservations"] == ["run-1:slack"]
    limits = meter.limits("acme")
    rate, conc = limits["runs_per_minute"], limits["concurrent_runs"]
    policy = r.headers["RateLimit-Policy"]
    assert f'"runs_per_minute";q={rate.limit};w=60' in policy
    assert f'"concurrent_runs";q={conc.limit};qu="concurrent-requests"' in policy
    assert f'"writes_per_day.slack";q={limits["writes_per_day"].limit};w=86400' in policy
    assert f'"runs_per_minute";r={rate.burst - 1};t=1' in r.headers["RateLimit"]
    assert "Retry-After" not in r.headers


def test_a_throttled_run_is_429_with_retry_after_and_a_problem_body(client, meter):
    for i in range(meter.limits("acme")["concurrent_runs"].limit):
        assert client.post("/v1/tenants/acme/runs", json={"run_id": f"r{i}"}).status_code == 200
    r = client.post("/v1/tenants/acme/runs", json={"run_id": "one-too-many"})
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["Retry-After"] == str(meter.catalog.enforcement.concurrency_retry_seconds)
    body = r.json()
    assert body["type"] == "/problems/throttled" and body["dimension"] == "concurrent_runs"
    assert body["admission"]["allowed"] is False


def test_hard_fail_answers_429_limit_exceeded(client, meter):
    meter.put_contract({"tenant": "acme", "plan": "team", "overage": {"writes_per_day": "hard_fail"}})
    quota = meter.limits("acme")["writes_per_day"].limit
    assert (
        client.post(
            "/v1/tenants/acme/usage/writes_per_day", json={"amount": quota, "connector": "github"}
        ).status_code
        == 200
    )
    r = client.post("/v1/tenants/acme/writes", json={"connector": "github", "amount": 1, "key": "w-9"})
    assert r.status_code == 429
    assert r.json()["type"] == "/problems/limit-exceeded"
    assert int(r.headers["Retry-After"]) == 86400  # T0 is midnight UTC: the window resets in a day


def test_lease_heartbeat_release_and_write_settlement(client):
    client.post("/v1/tenants/acme/runs", json={"run_id": "run-1"})
    assert client.post("/v1/tenants/acme/runs/run-1/heartbeat", json={"ttl": 90}).json()["expires"] == T0 + 90
    assert client.delete("/v1/tenants/acme/runs/run-1").json()["released"] is True
    assert client.delete("/v1/tenants/acme/runs/run-1").json()["released"] is False
    assert client.post(
        "/v1/tenants/acme/writes", json={"connector": "slack", "amount": 4, "key": "k1"}
    ).is_success
    settled = client.post("/v1/tenants/acme/writes/k1/settle", json={"used": 1}).json()
    assert settled["refunded"] == 3
    assert client.put("/v1/tenants/acme/gauges/indexed_gb", json={"value": 4.5}).json()["used"] == 4.5
    usage = {
        (d["dimension"], d["connector"]): d["used"]
        for d in client.get("/v1/tenants/acme/usage").json()["dimensions"]
    }
    assert usage[("writes_per_day", "slack")] == 1 and usage[("indexed_gb", None)] == 4.5
    assert usage[("concurrent_runs", None)] == 0


def expired_token() -> str:
    real = time.time
    try:
        time.time = lambda: real() - 7200
        return issue_token(SECRET)
    finally:
        time.time = real


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "field"),
    [
        ("post", "/v1/tenants/nobody/runs", {}, {}, 404, "tenant"),
        ("post", "/v1/tenants/acme/usage/runs_per_hour", {}, {}, 404, "dimension"),
        (
            "post",
            "/v1/tenants/acme/usage/writes_per_day",
            {"amount": 1, "connector": "jira"},
            {},
            404,
            "connector",
        ),
        ("post", "/v1/tenants/acme/usage/runs_per_minute", {"amount": 0}, {}, 422, "amount"),
        ("post", "/v1/tenants/acme/usage/runs_per_minute", {"amount": -2}, {}, 422, "amount"),
        ("post", "/v1/tenants/acme/usage/runs_per_minute", {"amount": "5"}, {}, 422, "amount"),
        (
            "post",
            "/v1/tenants/acme/writes",
            {"connector": "slack", "amount": -1, "key": "k"},
            {},
            422,
            "amount",
        ),
        ("post", "/v1/tenants/acme/writes", {"connector": "slack", "key": "k"}, {}, 422, "amount"),
        ("post", "/v1/tenants/acme/runs", {"run_id": "r", "writes": {"slack": 0}}, {}, 422, "writes.slack"),
        ("post", "/v1/tenants/acme/runs", {"run_id": "r", "priority": 1}, {}, 422, "priority"),
        ("delete", "/v1/tenants/acme/runs/not-ours", None, {}, 404, "lease_id"),
        ("post", "/v1/tenants/acme/writes/unknown-key/settle", {"used": 1}, {}, 404, "key"),
        ("post", "/v1/tenants/acme/runs", b"{not json", {}, 400, "body"),
        ("post", "/v1/tenants/acme/runs", b"[1, 2]", {}, 400, "body"),
        (
            "post",
            "/v1/tenants/acme/runs",
            {},
            {"Authorization": "Bearer forged.token.value"},
            401,
            "Authorization",
        ),
        ("post", "/v1/tenants/acme/runs", {}, {"Authorization": ""}, 401, "Authorization"),
        ("post", "/v1/tenants/acme/runs", {}, "expired", 401, "Authorization"),
    ],
)
def test_bad_input_gets_a_problem_naming_the_field_and_changes_no_usage(
    client, meter, method, path, body, headers, status, field
):
    client.post("/v1/tenants/globex/runs", json={"run_id": "theirs"})  # another tenant's lease
    before = [u.used for u in meter.usage("acme", now=T0)]
    if headers == "expired":
        headers = {"Authorization": f"Bearer {expired_token()}"}
    kwargs = {"headers": headers}
    if isinstance(body, bytes):
        kwargs["content"] = body
    elif body is not None:
        kwargs["json"] = body
    r = client.request(method.upper(), path.replace("not-ours", "theirs"), **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field and r.json()["detail"]
    assert [u.used for u in meter.usage("acme", now=T0)] == before == [0] * len(before)


def test_the_openapi_document_lists_every_route(client):
    doc = client.get("/openapi.json", headers={"Authorization": ""}).json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/v1/tenants/{tenant}/runs",
        "/v1/tenants/{tenant}/runs/{lease_id}/heartbeat",
        "/v1/tenants/{tenant}/runs/{lease_id}",
        "/v1/tenants/{tenant}/writes",
        "/v1/tenants/{tenant}/writes/{key}/settle",
        "/v1/tenants/{tenant}/writes/{key}/refund",
        "/v1/tenants/{tenant}/usage",
        "/v1/tenants/{tenant}/usage/{dimension}",
        "/v1/tenants/{tenant}/gauges/{dimension}",
        "/v1/tenants/{tenant}/contract",
    }
    app_paths = {r.path for r in client.app.routes} - {"/openapi.json"}
    assert app_paths == set(doc["paths"])


# Loading a tenant kit's contract -----------------------------------------------------------------------------


@pytest.fixture
def kit_body(repo_context) -> dict:
    """What `./dev onboard` writes as metering.json for a Business tenant on 8 CUs, with a reason to load it."""
    from docskit.onboarding.metering_config import metering_config

    body = metering_config(repo_context, "initech", "Initech", "business", 8, ["slack", "servicenow"])
    return {**body, "reason": "order form 2026-114 signed"}


def se_token() -> str:
    return issue_token(SECRET, subject="se:alice")


def test_putting_a_kit_contract_creates_the_tenant_with_who_and_why_in_its_history(client, meter, kit_body):
    r = client.put(
        "/v1/tenants/initech/contract", json=kit_body, headers={"Authorization": f"Bearer {se_token()}"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["changed"] is True and r.json()["history_entries"] == 1
    assert meter.limits("initech").cus == 8
    assert meter.limits("initech")["writes_per_day"].limit == kit_body["limits"]["writes_per_day"]["limit"]
    history = client.get("/v1/tenants/initech/contract").json()["history"]
    assert [(h["changed_by"], h["reason"], h["effective"]) for h in history] == [
        ("se:alice", "order form 2026-114 signed", T0)
    ]
    assert history[0]["contract"] == kit_body["contract"]


def test_putting_the_same_kit_twice_is_a_no_op_with_one_history_entry(client, meter, kit_body):
    assert client.put("/v1/tenants/initech/contract", json=kit_body).status_code == 201
    again = client.put("/v1/tenants/initech/contract", json={**kit_body, "reason": "retried by the SE"})
    assert again.status_code == 200, again.text
    assert again.json()["changed"] is False and again.json()["history_entries"] == 1
    assert len(meter.contract_changes("initech")) == 1
    assert meter.contract_changes("initech")[0].reason == "order form 2026-114 signed"


def test_a_changed_kit_adds_a_history_entry_and_its_limits_apply(client, meter, repo_context, kit_body):
    from docskit.onboarding.metering_config import metering_config

    client.put("/v1/tenants/initech/contract", json=kit_body)
    bigger = metering_config(repo_context, "initech", "Initech", "business", 10, ["slack", "servicenow"])
    r = client.put("/v1/tenants/initech/contract", json={**bigger, "reason": "two more CUs bought"})
    assert r.status_code == 200 and r.json()["changed"] is True and r.json()["history_entries"] == 2
    assert r.json()["created"] is False
    assert meter.limits("initech").cus == 10
    assert [c.reason for c in meter.contract_changes("initech")] == [
        "order form 2026-114 signed",
        "two more CUs bought",
    ]


def _changed(body: dict, path: str, value) -> dict:
    """A deep copy of `body` with the dotted `path` set to `value` (or removed when value is ...)."""
    out = json.loads(json.dumps(body))
    *parents, last = path.split(".")
    node = out
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return out


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("reason", ..., "reason"),
        ("reason", "  ", "reason"),
        ("contract", ..., "contract"),
        ("contract.plan", "platinum", "contract.plan"),
        ("contract.cus", 2, "contract.cus"),
        ("contract.tenant", "globex", "contract.tenant"),
        ("contract.overage", {"writes_per_day": "forgive"}, "contract.overage.writes_per_day"),
        ("contract.addons", {"runs_per_hour": 5}, "contract.addons.runs_per_hour"),
        ("cus", 9, "cus"),
        ("plan", "team", "plan"),
        ("limits.writes_per_day.limit", 999, "limits.writes_per_day.limit"),
        ("limits.indexed_gb", ..., "limits.indexed_gb"),
        ("signed_by", "bob", "signed_by"),
    ],
)
def test_a_bad_kit_is_refused_naming_the_field_and_changes_no_contract(
    client, meter, kit_body, path, value, field
):
    r = client.put("/v1/tenants/initech/contract", json=_changed(kit_body, path, value))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field and r.json()["detail"]
    assert "initech" not in meter.tenants()
    assert client.get("/v1/tenants/initech/contract").status_code == 404


def test_the_contract_route_needs_a_token(client, kit_body):
    r = client.put("/v1/tenants/initech/contract", json=kit_body, headers={"Authorization": ""})
    assert r.status_code == 401 and r.json()["field"] == "Authorization"


def test_indexing_over_the_cap_is_429_with_retry_after_like_every_refusal(client, meter):
    cap = meter.limits("acme")["indexed_gb"].limit
    assert client.put("/v1/tenants/acme/gauges/indexed_gb", json={"value": cap}).status_code == 200
    r = client.post("/v1/tenants/acme/usage/indexed_gb", json={"amount": 1})
    assert r.status_code == 429 and r.json()["type"] == "/problems/throttled"
    assert r.headers["Retry-After"] == "1"
