"""Faults the metering service survives: store unreachable, Redis restarted, SQLite locked, clocks apart, a
worker killed while it holds leases. Each is a section of the handbook's metering runbook."""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import warnings

import pytest

from docskit.paths import REPO_ROOT
from metering import Meter
from metering.api import create_api, issue_token
from metering.catalog import Catalog
from metering.clock import StoreClock, redis_time
from metering.errors import LeaseNotFound, StoreUnavailable, UnknownTenant
from metering.serve_api import server_meter
from metering.storage.redis import RedisStorage
from metering.testing import RedisServer

SECRET = "faults-test-api-secret"


@pytest.fixture
def redis_alone(tmp_path):
    """A redis-server of this test's own (with append-only persistence), stopped at the end."""
    server = RedisServer(tmp_path / "redis")
    server.folder.mkdir()
    server.start()
    yield server
    server.stop()


def fail_open_catalog(context, *dimensions: str) -> Catalog:
    context["metering_operations"]["store"]["fail_open_dimensions"] = list(dimensions)
    return Catalog.from_context(context)


def store_log(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "metering.store"]


def test_an_unreachable_store_fails_closed_with_a_503_that_names_the_cause(catalog, redis_alone):
    meter, _ = server_meter(catalog, redis_alone.url, metrics=True)
    meter.put_contract({"tenant": "acme", "plan": "team"})
    assert meter.admit_run("acme", "before").allowed
    redis_alone.stop()
    with warnings.catch_warnings():  # starlette suggests another HTTP client package; httpx is what we pin
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    with TestClient(create_api(meter, SECRET), base_url="http://127.0.0.1") as client:
        client.headers["Authorization"] = f"Bearer {issue_token(SECRET)}"
        r = client.post("/v1/tenants/acme/runs", json={"run_id": "during"})
    assert r.status_code == 503
    body = r.json()
    assert body["type"] == "/problems/store-unavailable"
    assert "did not answer (ConnectionError" in body["detail"]
    assert "runs_per_minute, concurrent_runs fail closed" in body["detail"]
    meter.storage.close()


def test_a_fail_open_dimension_is_admitted_uncounted_and_the_outage_is_logged_once_per_interval(
    context, redis_alone, caplog
):
    meter, metrics = server_meter(fail_open_catalog(context, "writes_per_day"), redis_alone.url, metrics=True)
    meter.put_contract({"tenant": "acme", "plan": "team"})
    assert meter.hit("acme", "writes_per_day", connector="slack").allowed
    # every call would now re-read the contract: the one read before the outage stays in force
    meter.contract_ttl = 0
    redis_alone.stop()
    caplog.set_level(logging.INFO, logger="metering.store")
    for _ in range(20):
        decision = meter.hit("acme", "writes_per_day", connector="slack")
        assert decision.allowed and decision.used == 0  # admitted, not counted
    with pytest.raises(StoreUnavailable, match="concurrent_runs fail closed"):
        meter.admit_run("acme", "needs-a-slot")
    errors = store_log(caplog)
    assert len(errors) == 1 and errors[0].levelno == logging.ERROR
    assert "metering store unreachable (ConnectionError" in errors[0].getMessage()
    unreachable = "metering_store_unreachable_decisions_total"
    get = metrics.registry.get_sample_value
    assert get(unreachable, {"dimension": "writes_per_day", "policy": "fail_open"}) == 20
    assert get(unreachable, {"dimension": "concurrent_runs", "policy": "fail_closed"}) == 1
    assert get("metering_store_errors_total", {"operation": "admit"}) == 21

    redis_alone.start()
    assert meter.hit("acme", "writes_per_day", connector="slack").used == 2  # counted again, on what was kept
    recovered = store_log(caplog)[1:]
    assert len(recovered) == 1 and "reachable again" in recovered[0].getMessage()
    meter.storage.close()


def test_redis_restarted_without_persistence_forgets_contracts_usage_and_leases(catalog, tmp_path):
    with RedisServer(tmp_path, persistent=False) as server:
        meter = Meter(catalog, server.url, contract_ttl=0)
        meter.put_contract({"tenant": "acme", "plan": "team"})
        slots = int(meter.limits("acme")["concurrent_runs"].limit)
        for i in range(slots):
            assert meter.admit_run("acme", f"run-{i}").allowed
        assert not meter.admit_run("acme", "one-too-many").allowed
        server.restart()
        with pytest.raises(UnknownTenant):  # the tenant sees 404 until its contract is loaded again
            meter.admit_run("acme", "after-restart")
        meter.put_contract({"tenant": "acme", "plan": "team"})
        with pytest.raises(LeaseNotFound):  # a running worker's heartbeat is refused: its lease is gone
            meter.heartbeat("acme", "run-0")
        admitted = sum(meter.admit_run("acme", f"new-{i}").allowed for i in range(slots + 1))
        assert admitted == slots  # counting starts again from zero: the old runs are not counted
        meter.storage.close()


def test_redis_restarted_with_persistence_keeps_contracts_usage_and_leases(catalog, redis_alone):
    meter = Meter(catalog, redis_alone.url, contract_ttl=0)
    meter.put_contract({"tenant": "acme", "plan": "team"})
    slots = int(meter.limits("acme")["concurrent_runs"].limit)
    for i in range(slots):
        assert meter.admit_run("acme", f"run-{i}").allowed
    redis_alone.restart()
    assert not meter.admit_run("acme", "one-too-many").allowed
    assert meter.heartbeat("acme", "run-0") > time.time()
    meter.storage.close()


def hold_write_lock(path: str, seconds: float, taken: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    taken.set()
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


def locked_for_two_seconds(meter: Meter, path: str):
    """Admit a run while another writer holds the database for 2 s: (admission or error, seconds waited)."""
    taken = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(path, 2.0, taken))
    holder.start()
    taken.wait(5)
    start = time.monotonic()
    try:
        outcome = meter.admit_run("acme", "while-locked")
    except StoreUnavailable as err:
        outcome = err
    waited = time.monotonic() - start
    holder.join()
    return outcome, waited


def test_a_sqlite_decision_waits_for_another_writer_up_to_the_lock_timeout(catalog, tmp_path):
    path = str(tmp_path / "locked.db")
    meter, _ = server_meter(catalog, f"sqlite:///{path}")
    meter.put_contract({"tenant": "acme", "plan": "team"})
    assert catalog.operations.sqlite_lock_timeout > 2
    admission, waited = locked_for_two_seconds(meter, path)
    assert admission.allowed and waited > 1.5
    meter.storage.close()


def test_a_sqlite_lock_held_past_the_timeout_answers_a_clear_error(context, tmp_path):
    context["metering_operations"]["store"]["sqlite_lock_timeout_seconds"] = 0.5
    path = str(tmp_path / "locked.db")
    meter, _ = server_meter(Catalog.from_context(context), f"sqlite:///{path}")
    meter.put_contract({"tenant": "acme", "plan": "team"})
    error, waited = locked_for_two_seconds(meter, path)
    assert isinstance(error, StoreUnavailable)
    assert "stayed locked by another writer for more than 0.5 s" in error.detail
    assert 0.4 < waited < 1.9
    meter.storage.close()


def test_servers_with_clocks_apart_agree_on_leases_by_using_the_redis_clock(catalog, redis_alone):
    ahead = 20.0  # this server's clock runs 20 s fast

    def fast_clock() -> float:
        return time.time() + ahead

    honest = Meter(catalog, redis_alone.url)
    honest.put_contract({"tenant": "acme", "plan": "team"})
    slots = int(honest.limits("acme")["concurrent_runs"].limit)
    for i in range(slots):
        assert honest.admit_run("acme", f"run-{i}", ttl=10).allowed
    store = RedisStorage(redis_alone.url)
    clock = StoreClock(redis_time(store.client), local=fast_clock)
    assert abs(clock() - time.time()) < 0.5
    corrected = Meter(catalog, store, clock=clock)
    assert not corrected.admit_run("acme", "corrected").allowed
    skewed = Meter(catalog, redis_alone.url, clock=fast_clock)
    assert skewed.admit_run("acme", "skewed").allowed  # what the host clock alone would do: one run too many
    for m in (honest, corrected, skewed):
        m.storage.close()


WORKER = """
import json, sys, time
from metering import Meter, load_catalog
meter = Meter(load_catalog(), sys.argv[1])
expiries = [meter.admit_run("acme", f"held-{i}", ttl=float(sys.argv[2])).lease_expires for i in range(int(sys.argv[3]))]
print(json.dumps(expiries), flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_worker_killed_holding_leases_gives_its_slots_back_when_the_leases_end(
    catalog, backend, tmp_path, request
):
    url = (
        f"sqlite:///{tmp_path}/kill.db" if backend == "sqlite" else request.getfixturevalue("redis_alone").url
    )
    meter, metrics = server_meter(catalog, url, metrics=True)
    meter.put_contract({"tenant": "acme", "plan": "team"})
    slots, ttl = int(meter.limits("acme")["concurrent_runs"].limit), 1.5
    env = {**os.environ, "PYTHONPATH": f"{REPO_ROOT / 'src'}{os.pathsep}{REPO_ROOT}"}
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, url, str(ttl), str(slots)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        expiries = json.loads(worker.stdout.readline())
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    killed = time.time()
    assert not meter.admit_run("acme", "while-held").allowed
    attempt = 0
    while not meter.admit_run("acme", f"after-{attempt}").allowed:
        attempt += 1
        assert time.time() < killed + ttl + 5, "the killed worker's slots never came back"
        time.sleep(0.02)
    returned = time.time()
    print(
        f"{backend}: lease {ttl:g} s; first slot back {returned - killed:.2f} s after SIGKILL, "
        f"{returned - min(expiries):+.3f} s from the first lease's expiry"
    )
    assert min(expiries) <= returned < max(expiries) + 0.5
    time.sleep(max(0.0, max(expiries) - time.time()) + 0.05)
    metrics.refresh(force=True)
    assert metrics.registry.get_sample_value("metering_lease_expiries_total", {"plan": "team"}) == slots
    meter.storage.close()


def test_every_store_method_goes_through_the_guard():
    """A store method the meter calls but the guard passes through untouched escapes the policy and metrics."""
    from metering.guard import TIMED, GuardedStorage
    from metering.storage.base import Storage

    untimed = {"close", "clear"}  # housekeeping of tests and shutdown
    public = {name for name in dir(Storage) if not name.startswith("_") and callable(getattr(Storage, name))}
    guarded = {name for name in vars(GuardedStorage) if not name.startswith("_")} | set(TIMED)
    assert public - guarded - untimed == set()


def test_failures_between_successes_are_logged_once_per_interval_not_once_per_failure(caplog):
    from metering.guard import FailureLog

    now = [1000.0]
    failures = FailureLog(interval=60, clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="metering.store")
    for _ in range(30):  # a failover: this tenant's calls fail while other tenants' calls succeed
        failures.failed(ConnectionError("master down"), "fail_closed", "concurrent_runs")
        failures.recovered()
        now[0] += 1
    lines = [r.getMessage() for r in store_log(caplog)]
    assert len(lines) == 2
    assert "unreachable" in lines[0] and "reachable again" in lines[1]
    now[0] += 60
    failures.failed(ConnectionError("master down"), "fail_closed", "concurrent_runs")
    assert "30 decisions failed closed" in store_log(caplog)[-1].getMessage()
