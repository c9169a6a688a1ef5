"""The Redis store on a real Redis Cluster (3 masters, 3 replicas of Debian's redis-server on loopback).

The store's whole suite runs on the cluster through the `redis-cluster` backend of `store_url` (conftest.py);
this file proves what only a cluster can show: one slot per tenant, replicas acknowledging before an answer,
and a master killed under load failing closed, then recovering with nothing over-admitted or lost.
"""

from __future__ import annotations

import re
import threading
import time
from importlib import resources

import pytest
from redis.crc import key_slot

from metering import Meter
from metering.errors import ConfigError, StoreUnavailable
from metering.guard import GuardedStorage
from metering.storage import storage_from_url
from metering.storage.redis import CONTRACTS, tenant_key, tenant_keys
from metering.storage.redis_cluster import first_key, parse_cluster_url
from metering.testing_cluster import RedisClusterServers

WRITES, CONNECTOR, BATCH = "writes_per_day", "slack", 10
#: Seconds the failover test waits at most for a promoted replica to serve the dead master's slots.
FAILOVER_DEADLINE = 25.0


def slot_of(tenant: str) -> int:
    return key_slot(f"{{{tenant}}}".encode())


def test_every_key_of_a_tenant_lives_in_the_tenants_one_slot(catalog, redis_cluster):
    redis_cluster.flush()
    meter = Meter(catalog, redis_cluster.url, contract_ttl=0)
    tenants = [f"tenant-{i}" for i in range(12)]
    try:
        for t in tenants:
            meter.put_contract({"tenant": t, "plan": "team"}, changed_by="test", reason="slots")
            assert meter.admit_run(t, "run-1", writes={CONNECTOR: 3}).allowed
            meter.settle_writes(t, "run-1:" + CONNECTOR, 2)
            for _ in range(1700 // 100):  # past the 80% notification threshold: the outbox keys are written
                meter.hit(t, WRITES, 100, connector="github")
            meter.record_gauge(t, "indexed_gb", 4.0)
            meter.release(t, "run-1")
            meter.storage.purge(time.time())
        assert {slot_of(t) for t in tenants} != {slot_of(tenants[0])}  # the tenants spread over the cluster
        keys = []
        for port in redis_cluster.ports:
            node = redis_cluster.client(port)
            if node.execute_command("ROLE")[0] == "master":
                keys += node.keys("mt:*")
        tagged = [k for k in keys if k != CONTRACTS]
        assert {re.match(r"mt:\{([^}]+)\}:", k).group(1) for k in tagged} == set(tenants)
        for key in tagged:
            assert key_slot(key.encode()) == slot_of(re.match(r"mt:\{([^}]+)\}:", key).group(1)), key
        assert len({key_slot(k.encode()) for k in tenant_keys("acme")}) == 1
    finally:
        meter.storage.close()


def test_lua_scripts_touch_only_the_keys_they_are_given():
    """No script builds a key name: every redis.call names one of the eight KEYS the prelude binds."""
    lua = resources.files("metering.storage") / "lua"
    bound = set("SLRFOQEU")
    for script in lua.iterdir():
        if script.name.endswith(".lua"):
            for command, key in re.findall(r"redis\.call\('(\w+)',\s*([^,)]+)", script.read_text()):
                assert key.strip() in bound, f"{script.name}: {command} on {key}"


def test_an_answer_comes_back_only_once_a_replica_holds_the_change(catalog, redis_cluster):
    redis_cluster.flush()
    meter = Meter(catalog, redis_cluster.url, contract_ttl=0)
    try:
        meter.put_contract({"tenant": "replicated", "plan": "team"})
        master = redis_cluster.master_of(tenant_key("replicated", "l"))
        [replica] = [p for p in redis_cluster.ports if _replica_of(redis_cluster, p) == master]
        for i in range(20):
            assert meter.admit_run("replicated", f"run-{i % 5}-{i}").allowed == (i < 5)
            # read from the replica at once: what the master answered is already there
            client = redis_cluster.client(replica)
            client.execute_command("READONLY")
            assert client.zcard(tenant_key("replicated", "l")) == min(i + 1, 5)
    finally:
        meter.storage.close()


def _replica_of(cluster: RedisClusterServers, port: int) -> int | None:
    role = cluster.client(port).execute_command("ROLE")
    return int(role[2]) if role[0] == "slave" else None


@pytest.mark.parametrize(
    ("url", "wrong"),
    [
        ("redis+cluster://", "names no node"),
        ("redis+cluster://127.0.0.1", "is not host:port"),
        ("redis+cluster://127.0.0.1:7000?replica_ack_ms=soon", "whole number"),
    ],
)
def test_a_malformed_cluster_url_is_refused_naming_what_is_wrong(url, wrong):
    with pytest.raises(ConfigError, match=wrong):
        parse_cluster_url(url)


def test_scripts_are_routed_by_the_first_key_of_their_packed_command(redis_cluster):
    store = storage_from_url(redis_cluster.url)
    try:
        packed = store.wire.prefix("admit", tenant_keys("acme"), 3)
        assert first_key(packed) == tenant_keys("acme")[0].encode()
    finally:
        store.close()


def test_a_cluster_url_lists_its_seed_nodes_and_replica_wait():
    nodes, wait = parse_cluster_url("redis+cluster://127.0.0.1:7000,127.0.0.1:7001/?replica_ack_ms=250")
    assert [n.name for n in nodes] == ["127.0.0.1:7000", "127.0.0.1:7001"] and wait == 250


class Load:
    """Reserve-and-settle loops, one thread per tenant, recording what the store acknowledged."""

    def __init__(self, meter: Meter, tenants: list[str]):
        self.meter = meter
        self.stop = threading.Event()
        self.admitted = dict.fromkeys(tenants, 0)
        self.refused_after_error = dict.fromkeys(tenants, False)
        self.resumed_at: dict[str, float] = {}
        self.errors: dict[str, list[tuple[float, StoreUnavailable]]] = {t: [] for t in tenants}
        self.ambiguous = dict.fromkeys(tenants, 0)
        self.settled: list[tuple[str, str]] = []
        self.threads = [threading.Thread(target=self.run, args=(t,), daemon=True) for t in tenants]

    def run(self, tenant: str) -> None:
        unsettled: list[str] = []
        i = 0
        while not self.stop.is_set():
            unsettled = [key for key in unsettled if not self.settle(tenant, key)]
            key, i = f"{tenant}-{i}", i + 1
            try:
                admission = self.meter.reserve_writes(tenant, CONNECTOR, BATCH, key)
            except StoreUnavailable as err:
                self.errors[tenant].append((time.monotonic(), err))
                self.ambiguous[tenant] += 1  # it may have been counted before the master died
                time.sleep(0.05)
                continue
            if self.errors[tenant]:
                self.resumed_at.setdefault(tenant, time.monotonic())
            if not admission.allowed:
                self.refused_after_error[tenant] |= bool(self.errors[tenant])
                time.sleep(0.02)
                continue
            self.admitted[tenant] += 1
            if not self.settle(tenant, key):
                unsettled.append(key)

    def settle(self, tenant: str, key: str) -> bool:
        """Settle the whole batch as used; False when the store did not answer (tried again later)."""
        try:
            self.meter.settle_writes(tenant, key, BATCH)
        except StoreUnavailable as err:
            self.errors[tenant].append((time.monotonic(), err))
            return False
        self.settled.append((tenant, key))
        return True

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(10)


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {seconds:g} s")
        time.sleep(0.05)


@pytest.mark.slow
def test_a_master_killed_under_load_fails_closed_then_resumes_without_over_admitting_or_losing(
    catalog, tmp_path
):
    with RedisClusterServers(tmp_path) as cluster:
        names = [f"fleet-{i}" for i in range(40)]
        victim = cluster.master_of(tenant_key(names[0], "s"))
        on_victim = [t for t in names if cluster.master_of(tenant_key(t, "s")) == victim][:2]
        elsewhere = [t for t in names if cluster.master_of(tenant_key(t, "s")) != victim][:2]
        store = GuardedStorage(storage_from_url(cluster.url), catalog.operations)
        meter = Meter(catalog, store, contract_ttl=3600)
        for t in on_victim + elsewhere:
            meter.put_contract({"tenant": t, "plan": "team"})
        quota = meter.limits(on_victim[0])[WRITES].limit
        with Load(meter, on_victim + elsewhere) as load:
            wait_for(lambda: min(load.admitted[t] for t in on_victim) >= 40, 20, "40 admissions per tenant")
            cluster.kill(victim)
            killed = time.monotonic()
            wait_for(
                lambda: all(t in load.resumed_at for t in on_victim),
                FAILOVER_DEADLINE,
                "admissions resumed on a promoted replica",
            )
            wait_for(lambda: all(load.refused_after_error[t] for t in on_victim), 20, "the quota used up")
        failover = max(load.resumed_at.values()) - killed
        print(f"failover: admissions on the killed master's tenants resumed after {failover:.1f} s")

        for t in on_victim:
            assert load.errors[t], "a tenant on the killed master never saw the failover"
            assert all(err.status == 503 and "retry" in err.detail for _, err in load.errors[t])
            assert any(f"{WRITES} fail closed" in err.detail for _, err in load.errors[t]), [
                e.detail for _, e in load.errors[t]
            ]
        assert not any(load.errors[t] for t in elsewhere), {t: load.errors[t][:1] for t in elsewhere}

        check = Meter(catalog, cluster.url)
        try:
            for t in on_victim:
                used = next(
                    u.used for u in check.usage(t) if u.dimension.id == WRITES and u.scope == CONNECTOR
                )
                # nothing acknowledged was lost, nothing was admitted past the quota
                assert load.admitted[t] * BATCH <= used <= quota
                assert used <= (load.admitted[t] + load.ambiguous[t]) * BATCH
                assert used > quota - BATCH  # it was refused for being full, not for forgetting usage
            for t, key in load.settled:
                assert check.settle_writes(t, key, BATCH).replayed, f"settlement {key} was lost"
        finally:
            check.storage.close()
            store.inner.close()
