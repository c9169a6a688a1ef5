"""Done-when: usage survives a restart of the process (SQLite) and of the app server and Redis (Redis)."""

from __future__ import annotations

import multiprocessing

from metering import Meter
from tests.metering.helpers import T0, record_usage_in_child


def run_child(url: str, catalog) -> None:
    child = multiprocessing.get_context("spawn").Process(target=record_usage_in_child, args=(url, catalog))
    child.start()
    child.join(60)
    assert child.exitcode == 0


def durable_usage(meter: Meter) -> dict:
    return {(u.dimension.id, u.scope): u.used for u in meter.usage("durable", now=T0 + 60) if u.used}


EXPECTED = {
    ("runs_per_minute", ""): 0.0,  # the minute window of T0 is over at T0 + 60
    ("concurrent_runs", ""): 1.0,
    ("writes_per_day", "slack"): 100.0,
    ("indexed_gb", ""): 12.5,
}


def test_sqlite_usage_survives_the_process_that_recorded_it(catalog, tmp_path):
    url = f"sqlite:///{tmp_path}/durable.db"
    run_child(url, catalog)
    meter = Meter(catalog, url)
    assert durable_usage(meter) == {k: v for k, v in EXPECTED.items() if v}
    assert meter.release("durable", "run-1", now=T0 + 60) is True  # the lease is still ours


def test_redis_usage_survives_a_redis_server_restart(catalog, redis_server):
    redis_server.flush()
    run_child(redis_server.url, catalog)
    redis_server.restart()
    meter = Meter(catalog, redis_server.url)
    assert durable_usage(meter) == {k: v for k, v in EXPECTED.items() if v}
    assert meter.release("durable", "run-1", now=T0 + 60) is True


def test_a_running_app_server_carries_on_across_a_redis_restart(catalog, redis_server):
    redis_server.flush()
    meter = Meter(catalog, redis_server.url, contract_ttl=0)
    meter.put_contract({"tenant": "durable", "plan": "business"})
    assert meter.admit_run("durable", "before", now=T0).allowed
    redis_server.restart()  # its connection breaks and the new server has no scripts loaded
    after = meter.admit_run("durable", "after", now=T0 + 1)
    assert after.allowed and not after.replayed
    leases = next(u for u in meter.usage("durable", now=T0 + 1) if u.dimension.id == "concurrent_runs")
    assert leases.used == 2  # both leases, each counted once
    meter.storage.close()


def test_the_redis_store_reloads_its_scripts_after_a_script_flush(catalog, redis_server):
    import redis

    redis_server.flush()
    meter = Meter(catalog, redis_server.url, contract_ttl=0)
    meter.put_contract({"tenant": "durable", "plan": "business"})
    assert meter.hit("durable", "writes_per_day", 3, connector="slack", now=T0).used == 3
    redis.Redis.from_url(redis_server.url).script_flush()
    assert meter.hit("durable", "writes_per_day", 4, connector="slack", now=T0).used == 7
    meter.storage.close()
