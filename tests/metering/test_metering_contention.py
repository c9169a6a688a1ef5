"""Done-when: under contention on one hot tenant, admitted units never exceed the limit, exactly.

Shared stores (SQLite, Redis) are hammered by 2 processes x 4 threads; the memory store, which lives in
one process, by 8 threads. Every call passes the same `now`, so the rate limit admits exactly its burst.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial

import pytest

from metering import Meter
from tests.metering.helpers import HOT_CONTRACT, T0, contention_call, contention_worker

pytestmark = pytest.mark.slow


def hammer(pool: ProcessPoolExecutor, meter: Meter, url: str, phase: str, calls: int) -> int:
    """Two worker processes, four threads each, all on tenant `hot`; the total admitted."""
    futures = [pool.submit(contention_worker, url, meter.catalog, phase, 4, calls, w) for w in range(2)]
    return sum(f.result() for f in futures)


def hammer_in_process(meter: Meter, phase: str, calls: int) -> int:
    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(partial(_memory_thread, meter, phase, calls), range(8)))


def _memory_thread(meter: Meter, phase: str, calls: int, thread: int) -> int:
    return sum(contention_call(meter, phase, f"t{thread}-{i}", i) for i in range(calls))


@pytest.fixture(scope="module")
def process_pool():
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def test_contention_on_one_hot_tenant_admits_exactly_the_limit(catalog, store_url, request):
    meter = Meter(catalog, store_url, contract_ttl=60)
    meter.put_contract(HOT_CONTRACT)
    meter.put_contract({"tenant": "hot-rate", "plan": "team"})
    limits, rate = meter.limits("hot"), meter.limits("hot-rate")["runs_per_minute"]
    conc, quota = limits["concurrent_runs"].limit, limits["writes_per_day"].limit

    def run(phase, calls):
        if store_url.startswith("memory"):  # a memory store lives in one process
            return hammer_in_process(meter, phase, calls)
        return hammer(request.getfixturevalue("process_pool"), meter, store_url, phase, calls)

    assert run("rate", 40) == rate.burst
    assert run("concurrency", 10) == conc
    assert meter.storage.active_leases("hot", T0) == conc
    # every lease above has expired an hour later: the slots come back, exactly as many again
    assert run("expired", 10) == conc
    assert run("writes", 50) == quota // 7
    assert run("same-key", 30) == 30  # 8 threads reserve each of 30 keys; each key is counted once

    usage = {(u.dimension.id, u.scope): u.used for u in meter.usage("hot", now=T0)}
    assert usage[("writes_per_day", "slack")] == (quota // 7) * 7
    assert usage[("writes_per_day", "github")] == 30 * 5

    fired = Counter((n.tenant, n.dimension, n.scope, n.threshold) for n in meter.storage.notifications())
    assert all(count == 1 for count in fired.values()), fired
    assert set(fired) == {
        ("hot-rate", "runs_per_minute", "", "80%"),
        ("hot-rate", "runs_per_minute", "", "100%"),
        ("hot", "concurrent_runs", "", "80%"),
        ("hot", "concurrent_runs", "", "100%"),
        ("hot", "writes_per_day", "slack", "80%"),
        ("hot", "writes_per_day", "slack", "100%"),
    }
    meter.storage.close()
