"""Metering speed as ratios against a peer measured in the same run, block by block in turn.

Each comparison runs our call and the peer's in alternating blocks (ours first in even rounds, the peer first
in odd ones), so whatever else the machine is doing slows both sides alike; each side's figures are the
median and p99 of every call it made and its calls per second of time spent inside the calls.

  memory    one rate decision (runs per minute), 1,000 tenants in turn, limits set high so all are admitted.
            ours: Meter.hit   peer: limits MovingWindowRateLimiter.hit on its memory storage.
            Target: ours >= 3x the peer's calls per second. The peer keeps one entry per hit for a minute, so
            its cost grows with the hits in the window: here ~120 per tenant (this run's calls), far fewer than
            a minute of production traffic leaves; ours keeps two numbers per tenant and dimension.
  sqlite    a full admission: rate token + concurrency lease + one connector's write reservation, one tenant.
            ours: Meter.admit_run   peer: the SQL statements that admission runs (captured from ours), run by
            the sqlite3 module on a second file of the same schema and settings, with no code of ours between.
            Targets: ours costs <= 2x the peer per call; ours p99 <= 150 us.
  redis     the same full admission against Debian's redis-server on a free 127.0.0.1 port.
            ours: Meter.admit_run (one EVALSHA)   peer: three `limits` calls (moving window per minute,
            fixed window per second standing in for the concurrency lease limits lacks, fixed window per day
            for the writes), which are not atomic together.
            Targets: exactly 1 round trip per admission, counted by a proxy between client and server (the
            commands the server ran are listed from INFO commandstats); ours >= 1.5x the peer's calls per
            second on loopback, and >= 2.5x when each round trip costs 0.5 ms more: through a proxy
            (metering.netbench; `tc netem` is not available here) that holds each request 0.5 ms.
            Its own hop adds a little more; the PING figure printed says how much in this run.
Every lease is released after its admission, outside the timed call (the peer's release statements likewise).
Run: ./dev bench --suite metering   (or: .venv/bin/python benchmarks/bench_metering.py [--quick])
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import redis
from limits import RateLimitItemPerDay, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from metering import Meter, load_catalog
from metering.netbench import DelayProxy, ProxyProcess, commands_during
from metering.storage.sqlite import SqliteStorage
from metering.testing import RedisServer

HUGE = 10**9
TENANTS = 1000
#: Seconds the proxy holds each request: each round trip costs that more, and the proxy's own hop on top.
PROXY_DELAY = 0.0005
ADDONS = {"runs_per_minute": HUGE, "concurrent_runs": HUGE, "writes_per_day": HUGE}
run_id = "run-{}".format


@dataclass
class Figures:
    """One side of a comparison: every call's latency in nanoseconds."""

    label: str
    latencies: list[int]

    def _sorted(self) -> list[int]:
        return sorted(self.latencies)

    @property
    def median_us(self) -> float:
        lat = self._sorted()
        return lat[len(lat) // 2] / 1000

    @property
    def p99_us(self) -> float:
        lat = self._sorted()
        return lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1000

    @property
    def ops(self) -> float:
        return len(self.latencies) / (sum(self.latencies) / 1e9)

    def line(self, role: str) -> str:
        return (
            f"  {role:<5} {self.label:<52} median {self.median_us:8.1f} us  p99 {self.p99_us:8.1f} us"
            f"  {self.ops:>10,.0f} ops/s"
        )


@dataclass
class Side:
    """A call to time (given a call index, unique across the run) and what to do after it, untimed."""

    label: str
    call: Callable[[int], object]
    after: Callable[[int], object] | None = None


def _block(side: Side, start: int, count: int, out: list[int]) -> None:
    clock, call, after = time.perf_counter_ns, side.call, side.after
    for i in range(start, start + count):
        t0 = clock()
        call(i)
        out.append(clock() - t0)
        if after is not None:
            after(i)


def alternate(ours: Side, peer: Side, rounds: int, per_round: int, warmup: int) -> tuple[Figures, Figures]:
    """Both sides' figures from `rounds` rounds of one block of `per_round` calls each, in alternating order."""
    _block(ours, -2 * warmup, warmup, [])
    _block(peer, -warmup, warmup, [])
    got = {id(ours): [], id(peer): []}
    # the collector then runs as in production (each side pays for what it keeps alive), but never walks what
    # exists now: the harness's own data (the SQLite peer's statements) is not either side's cost
    gc.collect()
    gc.freeze()
    try:
        for r in range(rounds):
            for side in (ours, peer) if r % 2 == 0 else (peer, ours):
                _block(side, r * per_round, per_round, got[id(side)])
    finally:
        gc.unfreeze()
    return Figures(ours.label, got[id(ours)]), Figures(peer.label, got[id(peer)])


@dataclass
class Verdict:
    name: str
    value: float
    target: float
    sign: str  # ">=", "<=" or "=="
    unit: str = "x"

    @property
    def passed(self) -> bool:
        return {
            ">=": self.value >= self.target,
            "<=": self.value <= self.target,
            "==": self.value == self.target,
        }[self.sign]

    def line(self) -> str:
        return (
            f"  {'PASS' if self.passed else 'MISS'}  {self.name}: {self.value:.2f}{self.unit}"
            f" (target {self.sign} {self.target:g}{self.unit})"
        )


def report(title: str, ours: Figures, peer: Figures | None, verdicts: list[Verdict]) -> list[Verdict]:
    print(title)
    print(ours.line("ours"))
    if peer is not None:
        print(peer.line("peer"))
    for v in verdicts:
        print(v.line())
    print(flush=True)
    return verdicts


def loaded_meter(catalog, url: str, tenants: list[str]) -> Meter:
    """A Meter on an emptied store with a contract of high limits for each tenant."""
    meter = Meter(catalog, url, contract_ttl=3600)
    meter.storage.clear()
    for tenant in tenants:
        meter.put_contract({"tenant": tenant, "plan": "enterprise", "addons": ADDONS})
    return meter


def admission_sides(meter: Meter, tenant: str = "bench") -> Side:
    return Side(
        "Meter.admit_run (rate + lease + writes)",
        lambda i: meter.admit_run(tenant, run_id(i), writes={"slack": 1}),
        lambda i: meter.release(tenant, run_id(i)),
    )


def limits_three(uri: str) -> Side:
    """The three `limits` calls that stand for one full admission (see the module docstring)."""
    storage = storage_from_string(uri)
    storage.reset()
    moving, fixed = MovingWindowRateLimiter(storage), FixedWindowRateLimiter(storage)
    rate, slots, writes = (
        RateLimitItemPerMinute(HUGE),
        RateLimitItemPerSecond(HUGE),
        RateLimitItemPerDay(HUGE),
    )

    def three(i):
        return (
            moving.hit(rate, "bench", "runs")
            and fixed.hit(slots, "bench", "slots")
            and fixed.hit(writes, "bench", "writes", "slack")
        )

    return Side("limits: 3 hits (moving + 2 fixed windows)", three)


# memory -------------------------------------------------------------------------------------------------
def bench_memory(catalog, scale: int) -> list[Verdict]:
    tenants = [f"t{i}" for i in range(TENANTS)]
    meter = loaded_meter(catalog, "memory://", tenants)
    moving = MovingWindowRateLimiter(storage_from_string("memory://"))
    rate = RateLimitItemPerMinute(HUGE)
    ours = Side("Meter.hit", lambda i: meter.hit(tenants[i % TENANTS], "runs_per_minute"))
    peer = Side(
        "limits MovingWindowRateLimiter.hit", lambda i: moving.hit(rate, tenants[i % TENANTS], "runs")
    )
    mine, theirs = alternate(ours, peer, 20, 6000 // scale, 2000)
    ratio = mine.ops / theirs.ops
    title = f"memory: one rate decision, {TENANTS:,} tenants in turn"
    return report(title, mine, theirs, [Verdict("ours / peer calls per second", ratio, 3, ">=")])


# sqlite -------------------------------------------------------------------------------------------------
class _Recorder:
    """Stands in for a sqlite3 cursor and keeps every statement run through it, with its parameters."""

    def __init__(self, cursor):
        self._cursor = cursor
        self.statements: list[tuple[str, str, list]] = []

    def execute(self, sql, params=()):
        self.statements.append(("execute", sql, list(params)))
        return self._cursor.execute(sql, params)

    def executemany(self, sql, rows):
        rows = [list(r) for r in rows]
        self.statements.append(("executemany", sql, rows))
        return self._cursor.executemany(sql, rows)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


def captured(store: SqliteStorage, action: Callable[[], object]) -> list[tuple[str, str, list]]:
    """The statements `action` runs on this thread's connection of `store`."""
    local = store._local
    cursor, local.cur = local.cur, _Recorder(local.cur)
    try:
        action()
        return local.cur.statements
    finally:
        local.cur = cursor


def with_run(statements, marker: str, new: str) -> list[tuple[str, str, list]]:
    """The statements with every text parameter's `marker` (a run id) replaced by `new`."""

    def swap(values):
        return [
            swap(v) if isinstance(v, list) else v.replace(marker, new) if isinstance(v, str) else v
            for v in values
        ]

    return [(method, sql, swap(params)) for method, sql, params in statements]


def bench_sqlite(catalog, folder: str, scale: int) -> list[Verdict]:
    meter = loaded_meter(catalog, f"sqlite:///{folder}/metering.db", ["bench"])
    ours = admission_sides(meter)
    for i in range(200):  # reach the steady state (cached tenant state) before capturing
        ours.call(-10_000 - i)
        ours.after(-10_000 - i)
    marker = "capture-0"
    admit = captured(meter.storage, lambda: meter.admit_run("bench", marker, writes={"slack": 1}))
    release = captured(meter.storage, lambda: meter.release("bench", marker))
    bare_store = SqliteStorage(f"sqlite:///{folder}/bare.db")  # schema and connection settings only
    cursor = bare_store._conn().cursor()
    rounds, per_round, warmup = 20, 1500 // scale, 500
    indexes = range(-2 * warmup, rounds * per_round)
    plans = {i: with_run(admit, marker, run_id(i)) for i in indexes}
    releases = {i: with_run(release, marker, run_id(i)) for i in indexes}

    def run(statements):
        for method, sql, params in statements:
            getattr(cursor, method)(sql, params).fetchall()

    peer = Side(
        f"sqlite3: the {len(admit)} statements it runs", lambda i: run(plans[i]), lambda i: run(releases[i])
    )
    mine, theirs = alternate(ours, peer, rounds, per_round, warmup)
    bare_store.close()
    meter.storage.close()
    statements = "; ".join(" ".join(sql.split()[:2]) for _, sql, _ in admit)
    title = f"sqlite: full admission, one tenant (statements: {statements})"
    return report(
        title,
        mine,
        theirs,
        [
            Verdict("ours / peer time per call", theirs.ops / mine.ops, 2, "<="),
            Verdict("ours p99", mine.p99_us, 150, "<=", " us"),
        ],
    )


# redis --------------------------------------------------------------------------------------------------
def bench_redis(catalog, url: str, where: str, target: float, sizes) -> list[Verdict]:
    meter = loaded_meter(catalog, url, ["bench"])
    mine, theirs = alternate(admission_sides(meter), limits_three(url), *sizes)
    meter.storage.close()
    title = f"redis: full admission, one tenant, {where}"
    return report(
        title, mine, theirs, [Verdict("ours / peer calls per second", mine.ops / theirs.ops, target, ">=")]
    )


def round_trips_per_admission(catalog, server: RedisServer, admissions: int = 200) -> tuple[float, str]:
    """Round trips per full admission, counted by a proxy (in this process, no delay) between the meter and
    redis-server, and the commands the server ran for them per admission (INFO commandstats)."""
    proxy = DelayProxy(("127.0.0.1", server.port), 0.0).start()
    meter = loaded_meter(catalog, f"redis://127.0.0.1:{proxy.port}/0", ["bench"])
    meter.admit_run("bench", "warm", writes={"slack": 1})  # the first EVALSHA loads the script
    client = redis.Redis.from_url(server.url)
    before = proxy.round_trips
    stats = commands_during(
        client,
        lambda: [meter.admit_run("bench", f"count-{i}", writes={"slack": 1}) for i in range(admissions)],
    )
    trips = (proxy.round_trips - before) / admissions
    client.close()
    meter.storage.close()
    proxy.close()
    return trips, ", ".join(f"{name} {n / admissions:g}" for name, n in stats.items())


def round_trip_ms(port: int, pings: int = 300) -> float:
    """Median milliseconds of a PING round trip to 127.0.0.1:`port`."""
    client = redis.Redis(port=port)
    client.ping()
    times = []
    for _ in range(pings):
        t0 = time.perf_counter()
        client.ping()
        times.append(time.perf_counter() - t0)
    client.close()
    return sorted(times)[pings // 2] * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls (a smoke run, noisier)")
    args = parser.parse_args(argv)
    scale = 5 if args.quick else 1
    catalog = load_catalog()
    print(f"metering benchmark: python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n", flush=True)
    verdicts = bench_memory(catalog, scale)
    with tempfile.TemporaryDirectory(prefix="bench-metering-") as tmp:
        verdicts += bench_sqlite(catalog, tmp, scale)
        with RedisServer(Path(tmp), persistent=False) as server:
            trips, commands = round_trips_per_admission(catalog, server)
            verdict = Verdict("round trips per full admission, counted by a proxy", trips, 1, "==", "")
            print(
                f"redis: round trips\n{verdict.line()}\n  commands redis-server ran per admission: {commands}\n"
            )
            verdicts.append(verdict)
            verdicts += bench_redis(catalog, server.url, "loopback", 1.5, (20, 500 // scale, 200))
            with ProxyProcess(server.port, PROXY_DELAY) as proxy:
                extra = round_trip_ms(proxy.port) - round_trip_ms(server.port)
                where = (
                    f"through a proxy holding each request {PROXY_DELAY * 1000:g} ms (PING +{extra:.2f} ms)"
                )
                verdicts += bench_redis(
                    catalog, f"redis://127.0.0.1:{proxy.port}/0", where, 2.5, (10, 100 // scale, 30)
                )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    missed = [v for v in verdicts if not v.passed]
    print(f"{len(verdicts) - len(missed)} of {len(verdicts)} targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
