"""SQLite store specifics: live leases kept among the state rows, the per-connection state cache, and the
migration of files written by schema version 0."""

from __future__ import annotations

import sqlite3
import time

from metering import Meter
from metering.storage.sqlite import SWEEP_EXPIRED_LEASES, SqliteStorage
from tests.metering.helpers import T0

ROOMY = {
    "tenant": "roomy",
    "plan": "enterprise",
    "addons": {"concurrent_runs": 1000, "runs_per_minute": 10**6},
}

VERSION_0_SCHEMA = """
CREATE TABLE state(tenant TEXT, key TEXT, win INTEGER, val REAL, PRIMARY KEY(tenant, key)) WITHOUT ROWID;
CREATE TABLE leases(tenant TEXT, id TEXT, expires REAL, PRIMARY KEY(tenant, id)) WITHOUT ROWID;
CREATE INDEX leases_by_expiry ON leases(tenant, expires);
"""


def sqlite_meter(catalog, path, contract=ROOMY) -> Meter:
    meter = Meter(catalog, f"sqlite:///{path}", contract_ttl=0)
    meter.put_contract(contract)
    return meter


def test_a_version_0_file_keeps_its_active_leases_and_tombstones(tmp_path):
    path = tmp_path / "old.db"
    now = time.time()
    conn = sqlite3.connect(path)
    conn.executescript(VERSION_0_SCHEMA)
    conn.executemany(
        "INSERT INTO leases VALUES(?,?,?)",
        [("acme", "running", now + 3600), ("acme", "released", now - 60)],
    )
    conn.commit()
    conn.close()
    store = SqliteStorage(f"sqlite:///{path}")
    assert store.active_leases("acme", now) == 1
    assert store.release("acme", "released", now) is False  # the tombstone still answers
    assert store.release("acme", "running", now) is True
    assert store.active_leases("acme", now) == 0
    assert store._read("PRAGMA user_version")[0][0] == 1
    assert store._read("SELECT name FROM sqlite_master WHERE name='leases_by_expiry'") == []
    store.close()


def test_released_and_expired_leases_free_their_slots_and_stay_idempotent(catalog, tmp_path):
    meter = sqlite_meter(catalog, tmp_path / "m.db")
    crashed = SWEEP_EXPIRED_LEASES + 5
    for i in range(crashed):
        assert meter.admit_run("roomy", f"crashed-{i}", ttl=10, now=T0).allowed
    assert meter.storage.active_leases("roomy", T0) == crashed
    later = T0 + 20  # every crashed lease has expired; this admission moves them out of the state rows
    assert meter.admit_run("roomy", "fresh", ttl=10, now=later).allowed
    assert meter.storage.active_leases("roomy", later) == 1
    assert "l:crashed-0" not in {r[0] for r in meter.storage._read("SELECT key FROM state")}
    assert meter.release("roomy", "crashed-0", now=later) is False
    assert meter.release("roomy", "fresh", now=later) is True
    assert meter.release("roomy", "fresh", now=later) is False
    assert meter.admit_run("roomy", "fresh", ttl=10, now=later + 1).allowed  # a released id may run again
    assert meter.storage.active_leases("roomy", later + 1) == 1
    meter.storage.close()


def test_a_connection_sees_what_another_connection_committed(catalog, tmp_path):
    contract = {"tenant": "acme", "plan": "team"}
    first, second = (sqlite_meter(catalog, tmp_path / "shared.db", contract) for _ in range(2))
    limit = first.limits("acme").dimensions["writes_per_day"].limit
    admitted = 0
    for i in range(int(limit) + 10):
        meter = first if i % 3 else second  # uneven turns: each connection's cached state goes stale
        admitted += meter.hit("acme", "writes_per_day", connector="slack", now=T0).outcome == "admitted"
    assert admitted == limit
    used = {(u.dimension.id, u.scope): u.used for u in second.usage("acme", now=T0)}
    assert used["writes_per_day", "slack"] == limit
    first.storage.close()
    second.storage.close()
