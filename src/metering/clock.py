"""The store's clock for the app servers that share a Redis store.

Every window a decision uses (the rate's arrival times, a lease's expiry, the day of a write cap) is computed
from the `now` the meter passes to the store. App servers whose clocks differ would disagree about them: a
server 30 s ahead would take a 60 s lease for expired after 30 s and admit a run too many. `StoreClock` reads
the Redis server's TIME every `sync_seconds` and adds the difference to the host's clock between reads, so
every server decides with the store's clock at the cost of one round trip per interval, not per decision.
A SQLite store is one file on one host: its servers share that host's clock, so they use it directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class StoreClock:
    """time.time() corrected to the store's clock; the offset is re-measured every `sync_seconds`.

    `store_time` returns the store's time in epoch seconds. The offset is taken at the middle of the round
    trip, so it is exact to half a round trip. If the store cannot be read, the last offset is kept.
    """

    def __init__(
        self,
        store_time: Callable[[], float],
        sync_seconds: float = 30.0,
        *,
        local: Callable[[], float] = time.time,
    ):
        self.store_time = store_time
        self.sync_seconds = sync_seconds
        self.local = local
        self.offset = 0.0
        self._synced = -float("inf")
        self._lock = threading.Lock()
        self()  # the first offset now; a store down at start is retried after sync_seconds

    def sync(self) -> float:
        """Measure the offset now; the new offset (store minus host, seconds)."""
        with self._lock:
            before = self.local()
            remote = self.store_time()
            after = self.local()
            self.offset = remote - (before + after) / 2
            self._synced = time.monotonic()
            return self.offset

    def __call__(self) -> float:
        if time.monotonic() - self._synced >= self.sync_seconds:
            try:
                self.sync()
            except Exception:  # an unreachable store is reported by the decision itself
                self._synced = time.monotonic()
        return self.local() + self.offset


def redis_time(client) -> Callable[[], float]:
    """A `store_time` for StoreClock reading a redis-py client's TIME."""

    def read() -> float:
        answer = client.time()
        if isinstance(answer, dict):  # a cluster client answers per node: any node's clock will do
            answer = next(iter(answer.values()))
        seconds, micros = answer
        return seconds + micros / 1e6

    return read


def clock_for(storage, sync_seconds: float) -> Callable[[], float]:
    """The clock decisions on `storage` should use: the Redis server's for a Redis store, the host's otherwise."""
    from .storage.redis import RedisStorage

    if isinstance(storage, RedisStorage):
        return StoreClock(redis_time(storage.client), sync_seconds)
    return time.time
