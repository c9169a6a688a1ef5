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
