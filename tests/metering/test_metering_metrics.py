"""Prometheus metrics: /metrics on the API after a short load, its protection, and each family's figures."""

from __future__ import annotations

import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from metering.api import create_api, issue_token
from metering.catalog import Catalog
from metering.notify import Dispatcher
from metering.serve_api import metrics_token, server_meter
from tests.metering.helpers import ThreadedServer

SECRET = "metrics-test-api-secret"
METRICS_TOKEN = "m" * 40
LIMITED = {"tenant": "acme", "plan": "team", "overage": {"writes_per_day": "hard_fail", "indexed_gb": "bill"}}


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted label items): value} of a text exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[s.name, tuple(sorted(s.labels.items()))] = s.value
    return found


def value(found: dict, name: str, **labels) -> float:
    return found[name, tuple(sorted(labels.items()))]


def current(metrics, name: str, **labels) -> float | None:
    """A sample's value in a MeteringMetrics registry as it stands (no refresh)."""
    return metrics.registry.get_sample_value(name, labels)


@pytest.fixture
def served(catalog, tmp_path):
    """The API over a SQLite store with metrics on behind a token, served on 127.0.0.1 (a free port)."""
    meter, metrics = server_meter(catalog, f"sqlite:///{tmp_path}/m.db", metrics=True)
    app = create_api(meter, SECRET, metrics=metrics, metrics_token=METRICS_TOKEN)
    with ThreadedServer(app) as server:
        yield server, meter
    meter.storage.close()


def drive_short_load(base: str) -> None:
    """Fill acme's concurrency (one run too many), its Slack write cap (one write too many) and its index."""
    headers = {"Authorization": f"Bearer {issue_token(SECRET)}"}
    with httpx.Client(base_url=base, headers=headers) as c:
        for i in range(6):
            c.post("/v1/tenants/acme/runs", json={"run_id": f"run-{i}"})
        assert c.delete("/v1/tenants/acme/runs/run-0").json()["released"] is True
        assert c.post(
            "/v1/tenants/acme/usage/writes_per_day", json={"amount": 2000, "connector": "slack"}
        ).is_success
        assert c.post("/v1/tenants/acme/usage/writes_per_day", json={"connector": "slack"}).status_code == 429
        assert c.post("/v1/tenants/acme/usage/indexed_gb", json={"amount": 12}).is_success


def test_metrics_after_a_short_load_show_every_family_with_its_counts(served):
    server, meter = served
    meter.put_contract(LIMITED)
    drive_short_load(server.url)
    assert httpx.get(f"{server.url}/metrics").status_code == 401
    wrong = httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer " + "x" * 40})
    assert wrong.status_code == 401
    r = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    found = samples(r.text)
    admissions = "metering_admissions_total"
    assert value(found, admissions, plan="team", dimension="runs_per_minute", outcome="admitted") == 5
    assert value(found, admissions, plan="team", dimension="concurrent_runs", outcome="admitted") == 5
    assert value(found, admissions, plan="team", dimension="concurrent_runs", outcome="throttled") == 1
    assert value(found, admissions, plan="team", dimension="writes_per_day", outcome="admitted") == 1
    assert value(found, admissions, plan="team", dimension="writes_per_day", outcome="rejected") == 1
    assert value(found, admissions, plan="team", dimension="indexed_gb", outcome="billed") == 1
    assert value(found, admissions, plan="business", dimension="concurrent_runs", outcome="admitted") == 0
    assert value(found, "metering_store_latency_seconds_count", operation="admit") == 9
    assert value(found, "metering_store_latency_seconds_count", operation="release") == 1
    assert ("metering_store_errors_total", (("operation", "admit"),)) not in found
    assert value(found, "metering_contract_changes_total", plan="team") == 1
    assert value(found, "metering_tenants", plan="team") == 1
    assert value(found, "metering_tenants_at_limit", plan="team", dimension="writes_per_day") == 1
    assert value(found, "metering_tenants_at_limit", plan="team", dimension="indexed_gb") == 1
    assert value(found, "metering_tenants_at_limit", plan="team", dimension="concurrent_runs") == 0
    assert value(found, "metering_outbox_pending") >= 3  # 80% and 100% of writes, of the index, of runs
    assert 0 <= value(found, "metering_outbox_oldest_age_seconds") < 60
    assert value(found, "metering_outbox_gave_up") == 0
    assert value(found, "metering_lease_expiries_total", plan="team") == 0
    assert not any(name == "metering_tenant_usage_ratio" for name, _ in found)


def test_no_label_names_a_run_or_a_tenant_unless_per_tenant_series_are_on(served):
    server, meter = served
    meter.put_contract(LIMITED)
    drive_short_load(server.url)
    text = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    assert "run-" not in text and "acme" not in text


def series_count(metrics) -> int:
    return sum(len(family.samples) for family in text_string_to_metric_families(metrics.render().decode()))


@pytest.mark.parametrize("per_tenant", [False, True])
def test_the_number_of_series_does_not_grow_with_the_number_of_tenants(catalog, per_tenant):
    counts = []
    for tenants in (1, 60):
        meter, metrics = server_meter(catalog, "memory://", metrics=True, per_tenant=per_tenant)
        for t in range(tenants):
            meter.put_contract({"tenant": f"t{t}", "plan": ("team", "business", "enterprise")[t % 3]})
            assert meter.admit_run(f"t{t}", "run").allowed
            assert meter.hit(f"t{t}", "writes_per_day", 1, connector="slack").allowed
        counts.append(series_count(metrics))
    limit = catalog.operations.tenant_series_limit
    if per_tenant:  # one tenant has its series; the fleet only the fullest tenants' (one per dimension each)
        assert counts[1] - counts[0] == (limit - 1) * len(catalog.dimensions)
    else:
        assert counts[1] == counts[0]


def test_metrics_are_off_unless_asked_for(catalog):
    meter, metrics = server_meter(catalog, "memory://")
    assert metrics is None
    with ThreadedServer(create_api(meter, SECRET)) as server:
        assert httpx.get(f"{server.url}/metrics").status_code == 404


def test_metrics_off_loopback_need_a_token_of_32_characters_or_more():
    from metering.errors import ConfigError

    assert metrics_token("127.0.0.1", {}) == ""
    with pytest.raises(ConfigError, match="METERING_METRICS_TOKEN"):
        metrics_token("0.0.0.0", {})
    with pytest.raises(ConfigError, match="only 5 characters"):
        metrics_token("0.0.0.0", {"METERING_METRICS_TOKEN": "short"})
    assert metrics_token("10.0.0.5", {"METERING_METRICS_TOKEN": METRICS_TOKEN}) == METRICS_TOKEN


def test_per_tenant_series_cover_only_the_fullest_tenants_up_to_the_limit(context):
    context["metering_operations"]["metrics"]["tenant_series_limit"] = 2
    catalog = Catalog.from_context(context)
    meter, metrics = server_meter(catalog, "memory://", metrics=True, per_tenant=True)
    for tenant, runs in (("calm", 1), ("busy", 4), ("full", 5)):
        meter.put_contract({"tenant": tenant, "plan": "team"})
        for i in range(runs):
            assert meter.admit_run(tenant, f"r{i}").allowed
    found = samples(metrics.render().decode())
    ratios = {dict(labels)["tenant"] for name, labels in found if name == "metering_tenant_usage_ratio"}
    assert ratios == {"full", "busy"}
    assert value(found, "metering_tenant_usage_ratio", tenant="full", dimension="concurrent_runs") == 1.0
    assert value(found, "metering_tenant_usage_ratio", tenant="busy", dimension="concurrent_runs") == 0.8


def test_lease_expiries_count_runs_whose_worker_never_released_once_across_servers(catalog, store_url):
    meter, metrics = server_meter(catalog, store_url, metrics=True)
    meter.put_contract({"tenant": "acme", "plan": "business"})
    assert meter.admit_run("acme", "died", ttl=0.2).allowed
    assert meter.admit_run("acme", "released", ttl=0.2).allowed
    assert meter.admit_run("acme", "running", ttl=60).allowed
    assert meter.release("acme", "released")
    time.sleep(0.3)
    metrics.refresh(force=True)
    metrics.refresh(force=True)
    assert current(metrics, "metering_lease_expiries_total", plan="business") == 1
    if not store_url.startswith("memory"):  # a second server on the same store finds nothing left to count
        other, other_metrics = server_meter(catalog, store_url, metrics=True)
        other_metrics.refresh(force=True)
        assert current(other_metrics, "metering_lease_expiries_total", plan="business") == 0
        other.storage.close()
    meter.storage.close()


@pytest.fixture
def queued(catalog, store_url):
    """A server's meter and metrics on each backend, with one notification in the outbox (80% of a write cap)."""
    meter, metrics = server_meter(catalog, store_url, metrics=True)
    meter.put_contract({"tenant": "acme", "plan": "team"})
    quota = meter.limits("acme")["writes_per_day"].limit
    assert meter.hit("acme", "writes_per_day", quota * 0.8, connector="slack").allowed
    yield meter, metrics
    meter.storage.close()


def test_outbox_figures_and_deliveries_follow_the_dispatcher(queued):
    class Flaky:
        name = "flaky"
        calls = 0

        def send(self, notification):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("receiver is down")

    meter, metrics = queued
    metrics.refresh(force=True)
    assert current(metrics, "metering_outbox_pending") == 1
    dispatcher = Dispatcher(meter.storage, [Flaky()], backoff_seconds=0)
    dispatcher.deliver_due()  # fails once
    dispatcher.deliver_due(now=time.time() + 1)  # delivered
    metrics.refresh(force=True)
    assert current(metrics, "metering_notification_delivery_failures_total") == 1
    assert current(metrics, "metering_notification_deliveries_total") == 1
    assert current(metrics, "metering_outbox_pending") == 0
    assert current(metrics, "metering_outbox_oldest_age_seconds") == 0


def test_two_apps_in_one_process_keep_their_own_registries(catalog):
    first, first_metrics = server_meter(catalog, "memory://", metrics=True)
    _, second_metrics = server_meter(catalog, "memory://", metrics=True)
    first.put_contract({"tenant": "acme", "plan": "team"})
    assert current(first_metrics, "metering_contract_changes_total", plan="team") == 1
    assert current(second_metrics, "metering_contract_changes_total", plan="team") == 0


def test_a_notification_given_up_leaves_the_pending_count_and_the_oldest_age(queued):
    from metering.notify import GAVE_UP

    meter, metrics = queued
    (notification,) = meter.storage.claim_due(time.time(), 10, 60)
    meter.storage.mark_failed(notification, GAVE_UP, "gave up after 8 attempts")
    metrics.refresh(force=True)
    assert current(metrics, "metering_outbox_gave_up") == 1
    assert current(metrics, "metering_outbox_pending") == 0
    assert current(metrics, "metering_outbox_oldest_age_seconds") == 0
    assert current(metrics, "metering_notification_delivery_failures_total") == 1
