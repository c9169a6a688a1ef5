"""The Grafana dashboard and Prometheus alert rules in ops/metering: valid, firing on their faults, and built only
on metrics the API exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from docskit.paths import REPO_ROOT
from metering.serve_api import server_meter

OPS = REPO_ROOT / "ops" / "metering"
RULES = OPS / "alerts.yml"
DASHBOARD = OPS / "dashboard.json"
RUNBOOK = REPO_ROOT / "playbooks" / "metering-limits.md"
METRIC_NAME = re.compile(r"\bmetering_[a-z_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: ./dev installs Debian's prometheus package, which provides it"
    return found


def alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    exprs += [v["definition"] for v in dashboard["templating"]["list"] if "definition" in v]
    return exprs


@pytest.fixture(scope="module")
def exposed_names(catalog) -> set[str]:
    """Every sample name /metrics can show: each family's name with its type's suffixes."""
    meter, metrics = server_meter(catalog, "memory://", metrics=True, per_tenant=True)
    meter.put_contract({"tenant": "acme", "plan": "team"})
    assert meter.admit_run("acme", "run-1").allowed
    names = set()
    for family in text_string_to_metric_families(metrics.render().decode()):
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def test_the_alert_rules_pass_promtool_check():
    result = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in result.stdout


def test_the_dashboard_and_the_rules_reference_only_metrics_the_api_exposes(exposed_names):
    referenced = {name for expr in dashboard_exprs() for name in METRIC_NAME.findall(expr)}
    referenced |= {name for rule in alert_rules() for name in METRIC_NAME.findall(rule["expr"])}
    assert referenced, "no metric referenced: the pattern or the files are wrong"
    assert referenced - exposed_names == set()


def test_the_runbook_names_only_metrics_the_api_exposes(exposed_names):
    named = set(re.findall(r"`(metering_[a-z_]+)`", RUNBOOK.read_text()))
    histograms = {name.removesuffix("_bucket") for name in exposed_names if name.endswith("_bucket")}
    assert "metering_lease_expiries_total" in named
    assert named - exposed_names - histograms == set()


def test_the_runbook_quotes_the_fault_settings_from_data():
    from docskit.datamodel import load_dataset
    from docskit.paths import Project
    from docskit.render import make_environment

    dataset = load_dataset(Project.at())
    text = (
        make_environment(Project.at(), dataset, "internal")
        .get_template("playbooks/metering-limits.md")
        .render()
    )
    store = dataset.context("internal")["metering_operations"]["store"]
    timeout = store["sqlite_lock_timeout_seconds"]
    assert f"stayed locked by another writer for more than {timeout} s" in text
    assert f"one line per\n{store['log_interval_seconds']} seconds" in text
    assert f"`TIME` every {store['clock_sync_seconds']} seconds" in text
    assert "{{" not in text and "{%" not in text


def test_the_dashboard_is_importable_grafana_json():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    for panel in dashboard["panels"]:
        assert panel["targets"] and panel["datasource"]["uid"] == "${datasource}"
        assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()
        for target in panel["targets"]:
            used = set(re.findall(r"\$(\w+)", target["expr"])) - {"__rate_interval"}
            assert used <= variables, f"panel {panel['title']!r} uses undefined variables {used - variables}"


def test_every_alert_has_a_runbook_section_of_its_name():
    runbook = RUNBOOK.read_text()
    for rule in alert_rules():
        name = rule["alert"]
        assert rule["annotations"]["runbook"] == f"metering-limits/#{name.lower()}"
        assert re.search(rf"^#+ .*{name}\b", runbook, re.MULTILINE), f"the runbook has no section for {name}"


# Each alert with a series that must fire it and one that must not (promtool evaluates every minute).
ALERT_CASES = {
    "MeteringOutboxStuck": (
        "25m",
        {'metering_outbox_oldest_age_seconds{instance="down"}': "0+60x40"},
        {'metering_outbox_oldest_age_seconds{instance="ok"}': "0+5x40"},
    ),
    "MeteringOutboxGrowing": (
        "45m",
        {'metering_outbox_pending{instance="down"}': "40+2x60"},
        {'metering_outbox_pending{instance="ok"}': "80x60"},
    ),
    "MeteringStoreErrors": (
        "10m",
        {'metering_store_errors_total{instance="down", operation="admit"}': "0+30x20"},
        {'metering_store_errors_total{instance="ok", operation="admit"}': "3x20"},
    ),
    "MeteringStoreFailingClosed": (
        "10m",
        {
            'metering_store_unreachable_decisions_total{instance="down", dimension="concurrent_runs", policy="fail_closed"}': "0+10x20"
        },
        {
            'metering_store_unreachable_decisions_total{instance="ok", dimension="runs_per_minute", policy="fail_open"}': "0+10x20"
        },
    ),
    "MeteringStoreSlow": (
        "20m",
        {
            'metering_store_latency_seconds_bucket{instance="down", operation="admit", le="0.05"}': "0+10x30",
            'metering_store_latency_seconds_bucket{instance="down", operation="admit", le="0.1"}': "0+100x30",
            'metering_store_latency_seconds_bucket{instance="down", operation="admit", le="+Inf"}': "0+100x30",
        },
        {
            'metering_store_latency_seconds_bucket{instance="ok", operation="admit", le="0.05"}': "0+100x30",
            'metering_store_latency_seconds_bucket{instance="ok", operation="admit", le="0.1"}': "0+100x30",
            'metering_store_latency_seconds_bucket{instance="ok", operation="admit", le="+Inf"}': "0+100x30",
        },
    ),
    "MeteringTenantAtLimitForAnHour": (
        "70m",
        {'metering_tenants_at_limit{instance="a", plan="team", dimension="writes_per_day"}': "1x90"},
        {'metering_tenants_at_limit{instance="a", plan="business", dimension="writes_per_day"}': "1x30 0x60"},
    ),
    "MeteringLeaseExpiriesSpiking": (
        "95m",
        {'metering_lease_expiries_total{instance="down", plan="team"}': "0+0.1x80 8+5x20"},
        {'metering_lease_expiries_total{instance="ok", plan="business"}': "0+1x100"},
    ),
    "MeteringMetricsStale": (
        "15m",
        {'metering_metrics_refreshed_timestamp_seconds{instance="down"}': "0x30"},
        {'metering_metrics_refreshed_timestamp_seconds{instance="ok"}': "0+60x30"},
    ),
}
EXPECTED_LABELS = {
    "MeteringTenantAtLimitForAnHour": {"plan": "team", "dimension": "writes_per_day"},
    "MeteringLeaseExpiriesSpiking": {},
}


def test_every_alert_is_exercised():
    assert set(ALERT_CASES) == {rule["alert"] for rule in alert_rules()}


@pytest.mark.parametrize("alert", sorted(ALERT_CASES))
def test_each_alert_fires_on_its_fault_and_not_on_a_healthy_series(alert, tmp_path):
    # annotations are templates promtool renders; `check rules` validates them, so this run leaves them out
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        group["rules"] = [{k: v for k, v in r.items() if k != "annotations"} for r in group["rules"]]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    at, firing, healthy = ALERT_CASES[alert]
    severity = next(r["labels"]["severity"] for r in alert_rules() if r["alert"] == alert)
    labels = EXPECTED_LABELS.get(alert, {"instance": "down"})
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": s, "values": v} for s, v in {**firing, **healthy}.items()],
                "alert_rule_test": [
                    {
                        "eval_time": at,
                        "alertname": alert,
                        "exp_alerts": [{"exp_labels": {**labels, "severity": severity}}],
                    }
                ],
            },
            {
                "interval": "1m",
                "input_series": [{"series": s, "values": v} for s, v in healthy.items()],
                "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": []}],
            },
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test))
    result = subprocess.run(
        [promtool(), "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
